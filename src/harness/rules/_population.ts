/**
 * What a pool that keeps a minimum (capability `minPoolSize`, CMAP) may do by
 * itself, read from the ledger: open connections with no caller waiting while
 * a route is below its minimum, and clear (pause) itself when such a
 * background connect fails. The ledger cannot tell a background connect from
 * one made for a caller, so every failed connect of such a pool counts as a
 * clear it may have made; the rules that judge clears and pauses follow that.
 *
 * @module
 */
import type { LedgerEvent, Route } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import type { RunView } from "../run_view.ts";

/** Whether the run's pool keeps a minimum of connections by itself. */
export function keepsMinimum(run: RunView): boolean {
  return run.supports.capabilities.includes("minPoolSize") &&
    (run.setup.config.minPoolSize ?? 0) > 0;
}

/** The minimum the run's pool keeps on `route` (0 when it keeps none). */
export function minimumOf(run: RunView, route: Route): number {
  if (!keepsMinimum(run)) return 0;
  return Math.min(run.setup.config.minPoolSize ?? 0, run.limitOf(route));
}

interface Scan {
  /** Ledger events read so far. */
  read: number;
  /** Sockets that reached ConnectionReady. */
  readonly ready: Set<number>;
  /** Live sockets per route. */
  readonly live: Map<Route, number>;
  /** Seq of each failed connect (a socket closed before it was ready). */
  readonly failed: number[];
  /** Per ConnectionCreated seq: the route's live sockets just before it. */
  readonly liveBefore: Map<number, number>;
  /** Seq of each socket's ConnectionCreated. */
  readonly created: Map<number, number>;
  /** Seq of each socket's ConnectionClosed. */
  readonly closed: Map<number, number>;
}

const scans = new WeakMap<RunView, Scan>();

function scan(run: RunView): Scan {
  let s = scans.get(run);
  if (s === undefined) {
    s = {
      read: 0,
      ready: new Set(),
      live: new Map(),
      failed: [],
      liveBefore: new Map(),
      created: new Map(),
      closed: new Map(),
    };
    scans.set(run, s);
  }
  const events: readonly LedgerEvent[] = run.network.ledger.events;
  for (; s.read < events.length; s.read++) {
    const event = events[s.read]!;
    const live = s.live.get(event.route) ?? 0;
    if (event.type === "ConnectionCreated") {
      s.liveBefore.set(event.seq, live);
      s.created.set(event.socketId, event.seq);
      s.live.set(event.route, live + 1);
    } else if (event.type === "ConnectionReady") {
      s.ready.add(event.socketId);
    } else if (event.type === "ConnectionClosed") {
      s.live.set(event.route, live - 1);
      s.closed.set(event.socketId, event.seq);
      if (!s.ready.has(event.socketId)) s.failed.push(event.seq);
    }
  }
  return s;
}

/**
 * Whether the connect that `created` starts may be the pool's own, towards
 * its minimum: the route had fewer live connections than the minimum.
 *
 * @param run The run.
 * @param created A ConnectionCreated event.
 */
export function mayPopulate(run: RunView, created: LedgerEvent): boolean {
  if (!keepsMinimum(run)) return false;
  const before = scan(run).liveBefore.get(created.seq);
  return before !== undefined && before < minimumOf(run, created.route);
}

/**
 * Whether the pool may have cleared itself between two ledger positions: it
 * keeps a minimum and a connect failed in `(from, to]`.
 *
 * @param run The run.
 * @param from Ledger seq after which to look.
 * @param to Last ledger seq to look at (default: the end).
 */
export function mayHaveClearedItself(run: RunView, from: number, to = Infinity): boolean {
  if (!keepsMinimum(run)) return false;
  return scan(run).failed.some((seq) => seq > from && seq <= to);
}

/** Number of connects that failed up to ledger seq `to`, for a pool that keeps a minimum (else 0). */
export function selfClearsUpTo(run: RunView, to = Infinity): number {
  if (!keepsMinimum(run)) return 0;
  return scan(run).failed.filter((seq) => seq <= to).length;
}

/**
 * Whether the pool may have cleared itself after socket `socketId` started
 * connecting and by ledger seq `to` (see {@linkcode mayHaveClearedItself}).
 *
 * @param run The run.
 * @param socketId The socket.
 * @param to Last ledger seq to look at.
 */
export function mayHaveClearedSince(run: RunView, socketId: number, to: number): boolean {
  if (!keepsMinimum(run)) return false;
  const created = scan(run).created.get(socketId);
  return created !== undefined && mayHaveClearedItself(run, created, to);
}

/** Whether the pool's connects belong to the acquire that started them (policy `connectOwnership`). */
export function ownsConnects(run: RunView): boolean {
  return run.supports.policies.connectOwnership === "acquire";
}

/**
 * Whether `record` may be waiting on a connect of its own at ledger seq `at`
 * (policy `connectOwnership: "acquire"`): a socket of its route whose connect
 * started after the acquire did, by `at`, is still live then and has gone to
 * no other caller. Which acquire a connect belongs to is not witnessed, so
 * any such socket may be its own. With `inProgress`, the connect must still
 * be in progress now: not yet established, or established with a request in
 * flight on it that no caller made (the pool's handshake, as a driver's
 * `hello`); an acquire whose own connect has ended waits on nothing.
 *
 * @param run The run.
 * @param record A pending (or just settled) acquire.
 * @param at Ledger seq to judge at (with `inProgress`, the current one).
 * @param inProgress Count only a connect still in progress.
 */
export function mayOwnConnect(
  run: RunView,
  record: AcquireRecord,
  at: number,
  inProgress = false,
): boolean {
  if (!ownsConnects(run)) return false;
  const s = scan(run);
  for (const [socketId, created] of s.created) {
    if (created <= record.startSeq || created > at) continue;
    if (run.network.ledger.routeOf(socketId) !== record.route) continue;
    const closed = s.closed.get(socketId);
    if (closed !== undefined && closed <= at) continue;
    // Established, and no request of the pool's (a handshake) in flight on it: no longer in progress.
    if (
      inProgress && s.ready.has(socketId) && !((run.network.socket(socketId)?.inFlight ?? 0) > 0)
    ) {
      continue;
    }
    const taker = run.acquires.find((a) => a.facts?.socketId === socketId);
    if (taker === undefined || taker === record) return true;
  }
  return false;
}
