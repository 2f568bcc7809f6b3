/**
 * Adapters for the reference pool: one leasing whole connections (Apache
 * HttpClient 5 semantics) and one multiplexed (Kafka semantics).
 *
 * @module
 */
import type {
  Adapter,
  PoolConfig,
  PoolUnderTest,
  Supports,
  World,
} from "../../src/harness/adapter.ts";
import { type Lease, ReferencePool, type ReferencePoolOptions } from "../../src/pool/mod.ts";

/** What the leasing reference pool declares. */
export const REFERENCE_SUPPORTS: Supports = {
  timeMode: "virtual",
  capabilities: [
    "stats",
    "closeIdle",
    "closeExpired",
    "clear",
    "acquireTimeout",
    "releaseBroken",
    "maxPerRoute",
    "maxPerRouteOverrides",
    "maxConnecting",
    "maxWaiters",
    "ttl",
    "keepAliveHint",
    "defaultKeepAlive",
    "keepAliveMax",
    "maxUses",
    "validateAfterInactivity",
    "connectTimeout",
    "reconnectBackoff",
    "rejectsBadRelease",
    "validatesOptions",
  ],
  ranges: {
    routes: [1, 3],
    maxTotal: [1, 6],
    maxPerRoute: [1, 4],
    maxConnecting: [1, 3],
    maxWaiters: [1, 6],
    acquireTimeoutMs: [1, 200],
    ttlMs: [5, 400],
    defaultKeepAliveMs: [5, 300],
    keepAliveHintMs: [5, 300],
    keepAliveMax: [1, 4],
    maxUses: [1, 4],
    validateAfterInactivityMs: [0, 200],
    connectTimeoutMs: [5, 100],
    reconnectBackoffMs: [0, 40],
    reconnectBackoffMaxMs: [0, 200],
  },
  policies: {
    reuseOrder: "lifo",
    waiterOrder: "fifo",
    overtaking: false,
    expiry: ["lease"],
    closeWaiters: "reject",
    connectFailure: "reject",
    limitsCountIdle: true,
    closeIdleOfOtherRoutes: true,
    // The reference pool runs with observePeerClose (its default) and drops a half-closed connection at once.
    closeDetection: "event",
    // As CMAP's check-in: a lease released after close() is taken back and its connection closed.
    releaseAfterClose: "accept",
  },
  toleranceMs: 0,
  // resolvePoolConfig (src/pool/options.ts) checks each of these under the same name.
  validatedOptions: {
    maxTotal: "maxTotal",
    maxPerRoute: "maxPerRoute",
    maxConnecting: "maxConnecting",
    maxWaiters: "maxWaiters",
    maxUses: "maxUses",
    ttlMs: "ttlMs",
    defaultKeepAliveMs: "defaultKeepAliveMs",
    validateAfterInactivityMs: "validateAfterInactivityMs",
    connectTimeoutMs: "connectTimeoutMs",
    reconnectBackoffMs: "reconnectBackoffMs",
    reconnectBackoffMaxMs: "reconnectBackoffMaxMs",
  },
};

/**
 * Reference pool options for a drawn config: unset durations become
 * `Infinity` (never) so the pool's own defaults do not add deadlines the
 * rules do not know about.
 *
 * @param config The drawn config.
 * @param world The run's world.
 * @returns Options for `new ReferencePool`.
 */
export function referenceOptions(config: PoolConfig, world: World): ReferencePoolOptions {
  const never = (value: number | undefined) => value ?? Infinity;
  return {
    clock: world.clock,
    connect: world.network.connect.bind(world.network),
    random: world.random,
    maxTotal: config.maxTotal,
    maxPerRoute: config.maxPerRoute,
    maxPerRouteOverrides: { ...config.maxPerRouteOverrides },
    maxConnecting: never(config.maxConnecting),
    maxWaiters: never(config.maxWaiters),
    ttlMs: never(config.ttlMs),
    defaultKeepAliveMs: never(config.defaultKeepAliveMs),
    honourKeepAliveMax: config.honourKeepAliveMax,
    maxUses: never(config.maxUses),
    validateAfterInactivityMs: never(config.validateAfterInactivityMs),
    connectTimeoutMs: never(config.connectTimeoutMs),
    ...(config.reconnectBackoffMs === undefined
      ? {}
      : { reconnectBackoffMs: config.reconnectBackoffMs }),
    ...(config.reconnectBackoffMaxMs === undefined
      ? {}
      : { reconnectBackoffMaxMs: config.reconnectBackoffMaxMs }),
    connectionsMaxIdleMs: never(config.maxIdleMs),
  };
}

/**
 * Wrap a reference pool as a pool under test.
 *
 * @param pool The pool.
 * @returns The pool as the harness drives it.
 */
export function wrapReferencePool(pool: ReferencePool): PoolUnderTest<Lease> {
  return {
    acquire: (route, options) => pool.acquire(route, options),
    release: (lease, options) => pool.release(lease, options),
    connectionOf: (lease) => lease.socket.id,
    close: () => pool.close(),
    stats: () => pool.stats(),
    closeIdle: (ms) => pool.closeIdle(ms),
    closeExpired: () => pool.closeExpired(),
    clear: () => pool.clear(),
    ready: () => pool.ready(),
    send: (route) => pool.send(route),
  };
}

/**
 * The reference pool with Apache HttpClient 5 semantics (LIFO reuse, FIFO
 * waiters, expiry at lease time, strict deadlines).
 *
 * @example Checking the reference pool
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPool } from "../../src/harness/mod.ts";
 * import { referenceAdapter } from "./adapter.ts";
 *
 * const report = await checkPool(referenceAdapter, { runs: 5, seed: 1, rules: ["LIM"] });
 * assert.equal(report.ok, true);
 * ```
 */
export const referenceAdapter: Adapter<Lease> = {
  name: "reference",
  supports: REFERENCE_SUPPORTS,
  create: (config, world) => wrapReferencePool(new ReferencePool(referenceOptions(config, world))),
};

/** What the multiplexed reference pool declares. */
export const REFERENCE_MULTIPLEXED_SUPPORTS: Supports = {
  ...REFERENCE_SUPPORTS,
  capabilities: ["multiplexed", "connectTimeout", "maxIdle", "validatesOptions"],
  ranges: {
    routes: [1, 3],
    maxTotal: [3, 6],
    maxPerRoute: [1, 1],
    maxInFlight: [1, 5],
    connectTimeoutMs: [5, 100],
    maxIdleMs: [20, 500],
  },
  // The pool calls the harness's maximum idle time connectionsMaxIdleMs (Kafka's connections.max.idle.ms).
  validatedOptions: {
    maxTotal: "maxTotal",
    maxInFlight: "maxInFlight",
    connectTimeoutMs: "connectTimeoutMs",
    maxIdleMs: "connectionsMaxIdleMs",
  },
};

/**
 * The reference pool in multiplexed mode (Kafka semantics: one connection
 * per route, in-flight limit, responses in send order).
 */
export const referenceMultiplexedAdapter: Adapter<Lease> = {
  name: "reference-multiplexed",
  supports: REFERENCE_MULTIPLEXED_SUPPORTS,
  create: (config, world) =>
    wrapReferencePool(
      new ReferencePool({
        ...referenceOptions(config, world),
        multiplexed: true,
        maxPerRoute: 1,
        maxInFlight: config.maxInFlight ?? 5,
      }),
    ),
};
