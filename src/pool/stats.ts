import type { Route } from "../net/types.ts";
import type { PoolState } from "./core_state.ts";
import { type PoolConfig, routeLimit } from "./options.ts";

/**
 * Counts of one route (or the whole pool). In multiplexed mode a connection
 * with requests in flight counts as leased, one with none as available, and
 * requests waiting to be written as pending.
 */
export interface RouteStats {
  /** Connections handed out (or busy, multiplexed). */
  leased: number;
  /** Idle connections the pool holds, expired ones included until something meets them. */
  available: number;
  /** Callers waiting. */
  pending: number;
  /** Connects in progress. */
  connecting: number;
  /** The limit: the route's limit, or `maxTotal` for the total. */
  max: number;
}

/** {@linkcode RouteStats} in total and per route (routes with connections or waiters). */
export interface PoolStats {
  /** The whole pool. */
  total: RouteStats;
  /** Per route. */
  routes: Record<Route, RouteStats>;
}

/**
 * Derive the counts from the collections that hold connections and waiters;
 * nothing here is kept as a separate counter (rule STA-1 compares them with
 * the network's ledger).
 *
 * @param state The core's state.
 * @param config The configuration (for the limits).
 * @returns Totals and per-route counts.
 */
export function poolStats(state: PoolState, config: PoolConfig): PoolStats {
  const total: RouteStats = {
    leased: 0,
    available: 0,
    pending: 0,
    connecting: 0,
    max: config.maxTotal,
  };
  const routes: Record<Route, RouteStats> = {};
  const of = (route: Route): RouteStats =>
    routes[route] ??= {
      leased: 0,
      available: 0,
      pending: 0,
      connecting: 0,
      max: routeLimit(config, route),
    };
  for (const entry of state.entries.values()) {
    const field = entry.state === "connecting"
      ? "connecting"
      : entry.state === "leased" || entry.inFlight > 0
      ? "leased"
      : "available";
    of(entry.route)[field]++;
    total[field]++;
  }
  for (const waiter of [...state.waiters, ...state.sends]) {
    of(waiter.route).pending++;
    total.pending++;
  }
  return { total, routes };
}
