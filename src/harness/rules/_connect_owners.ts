/**
 * Which acquire started which connect, for a pool whose connects belong to
 * the acquire that started them (policy `connectOwnership: "acquire"`, CMAP).
 * The network does not witness the owner, but it narrows it down: the owner
 * of a connect is an acquire of its route that began before the connect and
 * was still pending then, and an acquire starts at most one connect at a
 * time. When that leaves exactly one acquire, it is the owner for certain
 * (unless the connect may be the pool's own, towards its minimum size).
 * The record of an acquire's settling lags behind the pool by a microtask,
 * so the acquires pending at a connect are over-counted, never missed: an
 * owner found this way is certain, and others are simply not found.
 *
 * @module
 */
import type { LedgerEvent, SocketId } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import type { RunView } from "../run_view.ts";
import { mayPopulate } from "./_population.ts";

/** A connect, with its owner where that is certain. */
export interface OwnedConnect {
  readonly socketId: SocketId;
  readonly route: string;
  /** Ledger seq of its ConnectionCreated. */
  readonly createdSeq: number;
  readonly owner: AcquireRecord | undefined;
  /** Ledger seq at which it closed before it was established, if it did. */
  failedSeq?: number;
  /** Whether the network refused it. */
  refused?: boolean;
}

/** The owners of a run's connects, folded from its ledger. */
export class ConnectOwners {
  readonly #run: RunView;
  readonly #bySocket = new Map<SocketId, OwnedConnect>();
  readonly #byAcquire = new Map<number, OwnedConnect>();
  readonly #ready = new Set<SocketId>();

  constructor(run: RunView) {
    this.#run = run;
  }

  /**
   * Fold new ledger events.
   *
   * @returns The connects with a certain owner that the network refused in these events.
   */
  fold(ledger: readonly LedgerEvent[]): (OwnedConnect & { readonly owner: AcquireRecord })[] {
    const refused: (OwnedConnect & { readonly owner: AcquireRecord })[] = [];
    for (const event of ledger) {
      if (event.type === "ConnectionCreated") {
        this.#created(event);
      } else if (event.type === "ConnectionReady") {
        this.#ready.add(event.socketId);
      } else if (event.type === "ConnectionClosed" && !this.#ready.has(event.socketId)) {
        const owned = this.#bySocket.get(event.socketId);
        if (owned === undefined || owned.failedSeq !== undefined) continue;
        owned.failedSeq = event.seq;
        owned.refused = event.reason === "refused";
        if (owned.refused && owned.owner !== undefined) {
          refused.push(owned as OwnedConnect & { readonly owner: AcquireRecord });
        }
      }
    }
    return refused;
  }

  /** The connect `acquire` certainly started, if one is known. */
  of(acquire: AcquireRecord): OwnedConnect | undefined {
    return this.#byAcquire.get(acquire.id);
  }

  /**
   * Whether a connect that `acquire` may have started had failed by ledger
   * seq `at`: one of its route, begun while it was pending and free to start
   * one, whose owner is not certainly another acquire.
   */
  mayOwnFailed(acquire: AcquireRecord, at: number): boolean {
    for (const connect of this.#bySocket.values()) {
      if (connect.route !== acquire.route || connect.createdSeq <= acquire.startSeq) continue;
      if (connect.failedSeq === undefined || connect.failedSeq > at) continue;
      if (connect.owner !== undefined && connect.owner !== acquire) continue;
      if (connect.owner === undefined && this.#busy(acquire, connect.createdSeq)) continue;
      return true;
    }
    return false;
  }

  #created(event: LedgerEvent): void {
    const created = event.seq;
    const candidates = this.#run.acquires.filter((a) =>
      a.route === event.route && a.startSeq < created &&
      (a.settleSeq === undefined || a.settleSeq >= created) && !this.#busy(a, created)
    );
    const certain = candidates.length === 1 && !mayPopulate(this.#run, event);
    const connect: OwnedConnect = {
      socketId: event.socketId,
      route: event.route,
      createdSeq: created,
      owner: certain ? candidates[0] : undefined,
    };
    this.#bySocket.set(event.socketId, connect);
    if (connect.owner !== undefined) this.#byAcquire.set(connect.owner.id, connect);
  }

  /** Whether `acquire` certainly owns a connect that had not failed by ledger seq `at`. */
  #busy(acquire: AcquireRecord, at: number): boolean {
    const owned = this.#byAcquire.get(acquire.id);
    return owned !== undefined && (owned.failedSeq === undefined || owned.failedSeq > at);
  }
}
