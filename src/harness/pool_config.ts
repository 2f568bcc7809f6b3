import type { PoolConfig } from "./adapter.ts";

/**
 * A complete {@linkcode PoolConfig} with every optional setting unset: one
 * route `r0`, at most two connections. Handy when an adapter's own unit tests
 * create its pool outside a harness run.
 *
 * @param overrides Fields to set.
 * @returns The config.
 *
 * @example A single-route config with a TTL
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolConfigOf } from "./pool_config.ts";
 *
 * const config = poolConfigOf({ routes: ["db"], ttlMs: 500 });
 * assert.equal(config.maxTotal, 2);
 * assert.equal(config.ttlMs, 500);
 * assert.equal(config.connectTimeoutMs, undefined);
 * ```
 */
export function poolConfigOf(overrides: Partial<PoolConfig> = {}): PoolConfig {
  return {
    routes: ["r0"],
    maxTotal: 2,
    maxPerRoute: 2,
    maxPerRouteOverrides: {},
    maxConnecting: undefined,
    maxWaiters: undefined,
    ttlMs: undefined,
    defaultKeepAliveMs: undefined,
    honourKeepAliveMax: false,
    maxUses: undefined,
    validateAfterInactivityMs: undefined,
    connectTimeoutMs: undefined,
    reconnectBackoffMs: undefined,
    reconnectBackoffMaxMs: undefined,
    maxIdleMs: undefined,
    maxInFlight: undefined,
    ...overrides,
  };
}
