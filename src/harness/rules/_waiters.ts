import type { Route } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import type { RunView, SocketUse } from "../run_view.ts";

/**
 * Whether the pool is handing a socket over: it is open, no caller holds it,
 * and a request is in flight on it. A pool whose lease resolves only with the
 * response head (an HTTP agent) has already given such a socket to one of the
 * route's pending acquires; the network witnesses it by the request sent.
 */
export function handingOver(use: SocketUse): boolean {
  return use.holder === undefined && use.socket.state === "open" && use.socket.inFlight > 0;
}

/**
 * What the rules derive from the run during one check, computed once and
 * shared: several rules ask the same questions after every step. Nothing
 * here may read the clock: a rule that gets a cached value is not seen
 * reading it, and would not be judged again when only time moves.
 */
interface Derived {
  check: number;
  waiters: AcquireRecord[] | undefined;
  /** Per route: sockets being handed over. */
  handOvers: Map<Route, number> | undefined;
  /** Leases still held on closed sockets: per route, and in total under `undefined`. */
  heldClosed: Map<Route | undefined, number> | undefined;
  capacity: Map<Route, boolean>;
  /** Ledger events folded into the two maps below (kept across checks). */
  ledgerSeen: number;
  /** Per route: the latest refused or aborted connect, virtual ms. */
  lastFailure: Map<Route, number>;
  /** Per route: when the latest connect started, virtual ms. */
  lastDial: Map<Route, number>;
}

const DERIVED = new WeakMap<RunView, Derived>();

/**
 * The derived values of the run's current check (fresh once a new check begins).
 *
 * @param run The run.
 * @returns Its cache for this check.
 */
export function derived(run: RunView): Derived {
  let found = DERIVED.get(run);
  if (found === undefined) {
    found = {
      check: run.checks,
      waiters: undefined,
      handOvers: undefined,
      heldClosed: undefined,
      capacity: new Map(),
      ledgerSeen: 0,
      lastFailure: new Map(),
      lastDial: new Map(),
    };
    DERIVED.set(run, found);
  } else if (found.check !== run.checks) {
    // One cache per run, emptied for each check.
    found.check = run.checks;
    found.waiters = undefined;
    found.handOvers = undefined;
    found.heldClosed = undefined;
    found.capacity.clear();
  }
  return found;
}

/** Sockets of a route being handed over now (see {@linkcode handingOver}). */
export function handOvers(run: RunView, route: Route): number {
  const cache = derived(run);
  if (cache.handOvers === undefined) {
    const counts = new Map<Route, number>();
    for (const use of run.liveUses()) {
      if (handingOver(use)) counts.set(use.socket.route, (counts.get(use.socket.route) ?? 0) + 1);
    }
    cache.handOvers = counts;
  }
  return cache.handOvers.get(route) ?? 0;
}

/**
 * Leases still held on sockets that have closed, of a route or (route
 * undefined) of every route.
 */
export function heldOnClosed(run: RunView, route: Route | undefined): number {
  const cache = derived(run);
  if (cache.heldClosed === undefined) {
    const counts = new Map<Route | undefined, number>();
    let total = 0;
    // A closed socket still leased is one a held acquire got.
    for (const use of closedHeld(run)) {
      total++;
      counts.set(use.socket.route, (counts.get(use.socket.route) ?? 0) + 1);
    }
    counts.set(undefined, total);
    cache.heldClosed = counts;
  }
  return cache.heldClosed.get(route) ?? 0;
}

/** Connects in progress on a route now. */
export function connects(run: RunView, route: Route): number {
  return run.network.ledger.count({ route, state: "connecting" });
}

/**
 * Whether the pool is serving a route's pending acquires now: a connect is in
 * progress on it, or one of its connections is being handed over.
 */
export function beingServed(run: RunView, route: Route): boolean {
  return connects(run, route) > 0 || handOvers(run, route) > 0;
}

/**
 * Connects in progress on a route just after the ledger event `seq`
 * (created, and neither established nor closed yet).
 */
export function connectsAt(run: RunView, route: Route, seq: number): number {
  const connecting = new Set<number>();
  for (const event of run.network.ledger.events) {
    if (event.seq > seq) break;
    if (event.route !== route) continue;
    if (event.type === "ConnectionCreated") connecting.add(event.socketId);
    else if (
      event.type === "ConnectionReady" || event.type === "ConnectionHalfClosed" ||
      event.type === "ConnectionClosed"
    ) connecting.delete(event.socketId);
  }
  return connecting.size;
}

/**
 * The waiters: per route, the pending acquires beyond those the pool is
 * serving now through the route's connects and hand-overs in progress. An
 * acquire bound to a connect in progress of its route is a pending
 * connection, not in the wait queue (CMAP; LIM-4 counts the same way). Which
 * pending acquire a connect serves is not witnessed; the oldest are taken as
 * served, so the waiters named are the newest.
 *
 * @returns Every waiter, in start order.
 */
export function waiters(run: RunView): readonly AcquireRecord[] {
  const cache = derived(run);
  cache.waiters ??= findWaiters(run);
  return cache.waiters;
}

function findWaiters(run: RunView): AcquireRecord[] {
  const served = new Map<Route, number>();
  const result: AcquireRecord[] = [];
  for (const record of run.pending()) {
    let left = served.get(record.route);
    if (left === undefined) left = connects(run, record.route) + handOvers(run, record.route);
    if (left > 0) served.set(record.route, left - 1);
    else {
      served.set(record.route, 0);
      result.push(record);
    }
  }
  return result;
}

/** The uses of closed sockets whose holder still holds its lease, in socket id order. */
export function closedHeld(run: RunView): SocketUse[] {
  const found = new Set<SocketUse>();
  for (const record of run.held()) {
    const id = record.facts?.socketId;
    const use = id === undefined ? undefined : run.use(id);
    if (use?.socket.state === "closed" && use.holder?.status === "leased") found.add(use);
  }
  return [...found].sort((a, b) => a.socket.id - b.socket.id);
}
