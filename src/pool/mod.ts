/**
 * The reference pool: a readable, complete connection pool with the
 * semantics of Apache HttpClient 5, Kafka's producer client, the JDK
 * keep-alive cache and MongoDB's connection pool specification (CMAP),
 * selected by options or presets. A clock-free core decides;
 * {@linkcode ReferencePool} carries its decisions out on the simulated network.
 *
 * @example Two callers, one route, one connection reused
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { ReferencePool } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({ clock, connect: network.connect.bind(network) });
 * const first = pool.acquire("api");
 * clock.runDue();
 * const lease = await first;
 * lease.release();
 * const second = await pool.acquire("api");
 * assert.equal(second.socket.id, lease.socket.id);
 * second.release();
 * await pool.close();
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export type * from "./events.ts";
export type { Lease, ReleaseOptions } from "./lease.ts";
export type {
  ConnectFailurePolicy,
  ConnectFunction,
  ConnectOwnership,
  IdleExpiry,
  PoolBehaviourOptions,
  ReferencePoolOptions,
  ReuseOrder,
} from "./options.ts";
export {
  apacheHttpClient5Preset,
  cmapPreset,
  jdkKeepAliveCachePreset,
  kafkaProducerPreset,
  originRouteKey,
} from "./presets.ts";
export { seededRandom } from "../random.ts";
export { type AcquireOptions, type ClearOptions, ReferencePool } from "./reference_pool.ts";
export type { PoolStats, RouteStats } from "./stats.ts";
