import type { SimNetwork } from "../net/mod.ts";
import type { LedgerEvent, SocketId } from "../net/types.ts";
import type { SocketUse } from "./run_view.ts";

/**
 * How callers used each simulated socket, indexed by socket id − 1. New
 * sockets are picked up lazily from the network, stamped with the `clear()`
 * generation current at that moment.
 */
export class SocketUses {
  #uses: SocketUse[] = [];
  /** The uses of sockets not closed when last looked at, in id order. */
  #live: SocketUse[] = [];
  /** The uses of sockets found closed, in the order they were found so, oldest first. */
  #closed: SocketUse[] = [];
  /**
   * Closed sockets on the ledger when `#live` was last sorted out, or -1 when
   * sockets joined it since: while it holds, no socket of `#live` has closed.
   */
  #closedCount = -1;
  /** The uses released reusable and not leased since (`idleSince` set), whose socket may be open. */
  #idle = new Set<SocketUse>();
  #network: SimNetwork;

  constructor(network: SimNetwork) {
    this.#network = network;
  }

  /** Add the sockets created since the last call. */
  sync(generation: number): readonly SocketUse[] {
    const sockets = this.#network.sockets();
    for (let i = this.#uses.length; i < sockets.length; i++) {
      this.#uses.push({
        socket: sockets[i]!,
        generation,
        idleSince: undefined,
        idleSinceSeq: 0,
        idleOrder: 0,
        idleHint: undefined,
        holder: undefined,
        leases: 0,
        brokenSeq: undefined,
        observedDeadSeq: undefined,
      });
      this.#live.push(this.#uses[i]!);
      this.#closedCount = -1;
    }
    return this.#uses;
  }

  /**
   * The uses of the sockets that are not closed, in id order: what most
   * questions about the pool's connections need, at a cost that follows the
   * open connections, not every socket the run ever opened.
   */
  live(generation: number): readonly SocketUse[] {
    this.sync(generation);
    // A socket's state turns closed as the ledger records its ConnectionClosed, so an unchanged
    // count of closed sockets means no live one closed: no need to look at each.
    const closedCount = this.#network.ledger.count({ state: "closed" });
    if (closedCount === this.#closedCount) return this.#live;
    this.#closedCount = closedCount;
    if (this.#live.some((use) => use.socket.state === "closed")) {
      const live: SocketUse[] = [];
      for (const use of this.#live) {
        if (use.socket.state === "closed") this.#closed.push(use);
        else live.push(use);
      }
      this.#live = live;
    }
    return this.#live;
  }

  /**
   * The uses of the sockets that closed at or after `t` (and possibly a few
   * that closed shortly before), for deadlines that follow a close, such as
   * a reconnect backoff. `t` must not decrease from one call to the next:
   * the uses of sockets closed earlier are dropped for good.
   */
  closedSince(generation: number, t: number): readonly SocketUse[] {
    this.live(generation);
    const ledger = this.#network.ledger;
    let first = 0;
    while (first < this.#closed.length) {
      const closure = ledger.closure(this.#closed[first]!.socket.id);
      if (closure === undefined || closure.t >= t) break;
      first++;
    }
    if (first > 0) this.#closed = this.#closed.slice(first);
    return this.#closed;
  }

  /** Note that a use went idle (its `idleSince` was set) or was leased again (cleared). */
  idleChanged(use: SocketUse): void {
    if (use.idleSince === undefined) this.#idle.delete(use);
    else this.#idle.add(use);
  }

  /**
   * The uses whose `idleSince` is set and whose socket is not closed, in id
   * order: the only ones a caller could be served with, found without a walk
   * over every socket of the run.
   */
  idle(): SocketUse[] {
    const idle: SocketUse[] = [];
    for (const use of this.#idle) {
      if (use.socket.state === "closed") this.#idle.delete(use);
      else idle.push(use);
    }
    return idle.sort((a, b) => a.socket.id - b.socket.id);
  }

  /** The use of a socket (after `sync`), or `undefined`. */
  of(id: SocketId): SocketUse | undefined {
    return this.#uses[id - 1];
  }

  /** Note the first ledger event by which the pool could learn a socket is dead. */
  markDead(events: readonly LedgerEvent[]): void {
    for (const event of events) {
      const dead = event.type === "ConnectionClosed" ||
        (event.type === "ConnectionChecked" && event.stale);
      const use = this.#uses[event.socketId - 1];
      if (dead && use !== undefined) use.observedDeadSeq ??= event.seq;
    }
  }
}
