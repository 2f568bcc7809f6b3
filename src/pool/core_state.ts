import type { Route, SocketId } from "../net/types.ts";
import type { ConnectionClosedReason, PoolEvent } from "./events.ts";
import type { PoolConfig } from "./options.ts";

/** Life cycle of a pooled connection. */
export type EntryState = "connecting" | "available" | "leased";

/** A connection the pool holds, from connect start until the pool lets go of it. */
export interface Entry {
  readonly id: number;
  readonly route: Route;
  /** The pool generation it was opened in; an older one is stale after `clear()`. */
  readonly generation: number;
  /** When its connect started: TTL counts from here (as the network's ledger does). */
  readonly createdAt: number;
  state: EntryState;
  socketId: SocketId | undefined;
  /** Since when it has been idle (available), or last active (multiplexed). */
  idleSince: number;
  /** Order in which entries became idle, to break ties between equal times. */
  idleOrder: number;
  /** Keep-alive/TTL deadline; expired once it is strictly before now. */
  expiresAt: number;
  /** The pool saw the server half-close it: it is never handed out again. */
  peerClosed: boolean;
  /** The lease holding it, while leased. */
  leaseId: number | undefined;
  /** Leases granted on it so far; it is closed on the release of lease `maxUses`. */
  uses: number;
  /** Requests written and not yet settled (multiplexed mode). */
  inFlight: number;
  /**
   * The acquire whose check-out started this connect, with
   * `connectOwnership: "acquire"`: the connection is that caller's (CMAP).
   */
  ownerId: number | undefined;
  /** Opened in the background to reach `minPoolSize`, not for a caller. */
  readonly populating: boolean;
}

/** A caller waiting for a connection (acquire) or for a slot on one (send). */
export interface Waiter {
  readonly id: number;
  readonly route: Route;
  /** The acquire's own timeout, when it has one. */
  readonly timeoutMs: number | undefined;
  /** When the check-out started, for the events' `durationMs`. */
  readonly startedAt: number;
  /**
   * The connect this caller is establishing for itself
   * (`connectOwnership: "acquire"`): CMAP's check-out has left the wait queue
   * and ends with that connection, whatever else becomes available.
   */
  establishing: number | undefined;
}

/** Reconnect backoff of a route: failures since the last success, and when a retry may start. */
export interface RouteBackoff {
  failures: number;
  retryAt: number;
}

/** `ready` serves callers; `paused` (after clear, or from the start) fails them; `closed` is final. */
export type PoolStatus = "ready" | "paused" | "closed";

/**
 * Everything the core knows. Counts (leased, available, connecting, pending)
 * are never stored: they are derived from `entries`, `waiters` and `sends`.
 *
 * `byRoute` and `connecting` index `entries`, so that an acquire does not walk
 * every connection of the pool: an entry joins them when it joins `entries`
 * (`openConnection`), leaves them when it leaves (`discard`), and leaves
 * `connecting` when its state first changes (`markIdle`, `grant`). Entries
 * change state nowhere else.
 */
export interface PoolState {
  status: PoolStatus;
  generation: number;
  /** Every connection the pool holds, in creation order. */
  readonly entries: Map<number, Entry>;
  /** The entries of each route, in creation order (routes that have none may be absent). */
  readonly byRoute: Map<Route, Map<number, Entry>>;
  /** The entries whose state is `connecting`, in creation order. */
  readonly connecting: Map<number, Entry>;
  /** Leased entries whose socket closed while leased: only their release is left. */
  readonly orphanLeases: Map<number, Entry>;
  /** Acquires waiting, oldest first. */
  readonly waiters: Waiter[];
  /** Multiplexed requests not yet written, oldest first. */
  readonly sends: Waiter[];
  readonly backoff: Map<Route, RouteBackoff>;
  /** Deadline the idle-sweep timer is armed for, if any. */
  sweepAt: number | undefined;
  /** Routes `minPoolSize` keeps populated: `minPoolRoutes`, and those callers asked for. */
  readonly populatedRoutes: Set<Route>;
  /** Whether the background population timer is armed. */
  populateArmed: boolean;
  nextConnectionId: number;
  nextLeaseId: number;
  nextIdleOrder: number;
}

/** Why an acquire or send is refused; the facade turns it into an error. */
export type Failure =
  | { readonly kind: "poolClosed" }
  | { readonly kind: "poolCleared"; readonly generation: number }
  | { readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly kind: "requestTimeout"; readonly timeoutMs: number }
  | { readonly kind: "waitQueueFull"; readonly maxWaiters: number }
  | { readonly kind: "connect"; readonly cause?: unknown; readonly timeoutMs?: number };

/** A timer the core asks for; the facade arms it on the clock and reports when it fires. */
export type PoolTimer =
  | { readonly kind: "acquire"; readonly waiterId: number; readonly timeoutMs: number }
  | { readonly kind: "connect"; readonly connectionId: number }
  | { readonly kind: "request"; readonly waiterId: number; readonly connectionId: number }
  | { readonly kind: "backoff"; readonly route: Route }
  | { readonly kind: "evictor" }
  | { readonly kind: "idleSweep" }
  | { readonly kind: "populate" };

/** What the core tells the facade to do, in order. */
export type Command =
  | { readonly type: "connect"; readonly connectionId: number; readonly route: Route }
  | {
    readonly type: "abortConnect";
    readonly connectionId: number;
    readonly reason: ConnectionClosedReason;
  }
  | {
    readonly type: "close";
    readonly connectionId: number;
    readonly reason: ConnectionClosedReason;
  }
  | {
    readonly type: "grant";
    readonly waiterId: number;
    readonly connectionId: number;
    readonly leaseId: number;
  }
  | { readonly type: "reject"; readonly waiterId: number; readonly failure: Failure }
  | { readonly type: "write"; readonly waiterId: number; readonly connectionId: number }
  | { readonly type: "armTimer"; readonly timer: PoolTimer; readonly delayMs: number }
  | { readonly type: "cancelTimer"; readonly timer: PoolTimer }
  | { readonly type: "emit"; readonly event: PoolEvent }
  | { readonly type: "drained" };

/** One step of the core: the state, the configuration, the time, and the commands so far. */
export interface Step {
  readonly state: PoolState;
  readonly config: PoolConfig;
  readonly now: number;
  readonly out: Command[];
  /** Validation probe (`socket.isStale()`), supplied by the facade. */
  readonly probe: (connectionId: number) => boolean;
}

/** A stable name for a timer, so the facade can find it again to cancel it. */
export function timerKey(timer: PoolTimer): string {
  switch (timer.kind) {
    case "acquire":
      return `acquire:${timer.waiterId}`;
    case "connect":
      return `connect:${timer.connectionId}`;
    case "request":
      return `request:${timer.waiterId}`;
    case "backoff":
      return `backoff:${timer.route}`;
    default:
      return timer.kind;
  }
}

/**
 * A fresh, empty state: ready, or paused until `ready()` (CMAP's initial
 * state), with the routes `minPoolSize` keeps from the start.
 */
export function createState(
  status: "ready" | "paused" = "ready",
  populatedRoutes: readonly Route[] = [],
): PoolState {
  return {
    status,
    generation: 0,
    entries: new Map(),
    byRoute: new Map(),
    connecting: new Map(),
    orphanLeases: new Map(),
    waiters: [],
    sends: [],
    backoff: new Map(),
    sweepAt: undefined,
    populatedRoutes: new Set(populatedRoutes),
    populateArmed: false,
    nextConnectionId: 1,
    nextLeaseId: 1,
    nextIdleOrder: 1,
  };
}

/**
 * Record an event (the facade forwards it to listeners). An event about a
 * route also carries it as CMAP's `address`.
 */
export function emit(step: Step, event: Omit<PoolEvent, "t" | "address">): void {
  const address = event.route === undefined ? {} : { address: event.route };
  step.out.push({ type: "emit", event: { ...event, ...address, t: step.now } as PoolEvent });
}

/** How many entries one route has (every state), without building a list. */
export function countOf(state: PoolState, route: Route): number {
  return state.byRoute.get(route)?.size ?? 0;
}

/** Add a new entry to the pool's collections. */
export function addEntry(state: PoolState, entry: Entry): void {
  state.entries.set(entry.id, entry);
  let ofRoute = state.byRoute.get(entry.route);
  if (ofRoute === undefined) state.byRoute.set(entry.route, ofRoute = new Map());
  ofRoute.set(entry.id, entry);
  if (entry.state === "connecting") state.connecting.set(entry.id, entry);
}

/** Mark an entry idle now: it joins the idle set behind those idle before it. */
export function markIdle(step: Step, entry: Entry): void {
  step.state.connecting.delete(entry.id);
  entry.state = "available";
  entry.leaseId = undefined;
  entry.idleSince = step.now;
  entry.idleOrder = step.state.nextIdleOrder++;
}

/**
 * Let go of a connection: it leaves the pool's collections at once (so
 * capacity frees in the same step) and the facade closes or aborts its socket.
 */
export function discard(step: Step, entry: Entry, reason: ConnectionClosedReason): void {
  const { state } = step;
  state.entries.delete(entry.id);
  state.byRoute.get(entry.route)?.delete(entry.id);
  state.connecting.delete(entry.id);
  if (entry.state === "connecting") {
    step.out.push({ type: "cancelTimer", timer: { kind: "connect", connectionId: entry.id } });
    step.out.push({ type: "abortConnect", connectionId: entry.id, reason });
  } else {
    step.out.push({ type: "close", connectionId: entry.id, reason });
  }
  emit(step, {
    type: "ConnectionClosed",
    route: entry.route,
    connectionId: entry.id,
    ...(entry.socketId === undefined ? {} : { socketId: entry.socketId }),
    reason,
  });
  if (entry.state === "leased" && entry.leaseId !== undefined) {
    // The holder still has to release it; nothing else is left to do then.
    step.state.orphanLeases.set(entry.leaseId, entry);
  }
  if (step.state.status === "closed" && step.state.entries.size === 0) {
    step.out.push({ type: "drained" });
  }
}
