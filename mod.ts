/**
 * poolcheck: a property-based conformance kit for connection pools.
 *
 * The pieces: a virtual clock and a global-time driver (`VirtualClock`,
 * `GlobalTimeDriver`), a simulated network whose `Ledger` witnesses every
 * socket (`SimNetwork`), and a reference pool implementing the semantics of
 * Apache HttpClient 5's route pool, Kafka's multiplexed client and the JDK
 * keep-alive cache (`ReferencePool` and its presets).
 *
 * @example A reference pool on a simulated network and a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReferencePool, SimNetwork, VirtualClock } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({
 *   clock,
 *   connect: (route, options) => network.connect(route, options),
 *   maxPerRoute: 2,
 * });
 * const leasing = pool.acquire("db:5432");
 * clock.runDue();
 * const lease = await leasing;
 * assert.equal(network.ledger.stateOf(lease.socket.id), "open");
 * lease.release();
 * assert.equal(pool.stats().total.available, 1);
 * await pool.close();
 * ```
 *
 * @module
 */
export * from "./src/clock/mod.ts";
export * from "./src/net/mod.ts";
export * from "./src/pool/mod.ts";
export * from "./src/harness/mod.ts";
export * from "./src/report/mod.ts";
export { parseExpectations, readExpectations, type Runtime } from "./src/cli/mod.ts";
export * from "./src/http/mod.ts";
// Both the reference pool and the adapter contract name their counters
// PoolStats/RouteStats; the root exports the pool's under those names and the
// contract's (what an adapter's stats() returns) as Reported*.
export type { PoolStats, RouteStats } from "./src/pool/mod.ts";
export type {
  PoolStats as ReportedPoolStats,
  RouteStats as ReportedRouteStats,
} from "./src/harness/mod.ts";
