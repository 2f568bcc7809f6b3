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
    }
    return this.#uses;
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
