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

/** Sockets of a route being handed over now (see {@linkcode handingOver}). */
export function handOvers(run: RunView, route: Route): number {
  let n = 0;
  for (const use of run.uses()) if (use.socket.route === route && handingOver(use)) n++;
  return n;
}

/** Connects in progress on a route now. */
export function connects(run: RunView, route: Route): number {
  return run.network.ledger.sockets({ route, state: "connecting" }).length;
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
export function waiters(run: RunView): AcquireRecord[] {
  const served = new Map<Route, number>();
  const result: AcquireRecord[] = [];
  for (const record of run.acquires) {
    if (record.status !== "pending") continue;
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
