import type { Route } from "../net/types.ts";
import type { PoolBehaviourOptions } from "./options.ts";

/**
 * Apache HttpClient 5's route key: scheme, host and port of the target, so
 * every path on one origin shares connections. A target that is not a URL
 * is its own route.
 *
 * @param target A URL such as `http://shop:80/order/1`.
 * @returns The origin, e.g. `http://shop:80`.
 *
 * @example Two paths, one route
 * ```ts
 * import assert from "node:assert/strict";
 * import { originRouteKey } from "./presets.ts";
 *
 * assert.equal(originRouteKey("http://shop/order/1"), "http://shop:80");
 * assert.equal(originRouteKey("broker-1"), "broker-1");
 * ```
 */
export function originRouteKey(target: string): Route {
  if (!URL.canParse(target)) return target;
  const url = new URL(target);
  const port = url.port ||
    ({ "http:": "80", "https:": "443" } as Record<string, string>)[url.protocol];
  return port === undefined
    ? `${url.protocol}//${url.hostname}`
    : `${url.protocol}//${url.hostname}:${port}`;
}

/**
 * Apache HttpClient 5 `PoolingHttpClientConnectionManager` over
 * `StrictConnPool`: 25 in total, 5 per route (scheme, host, port), LIFO
 * reuse, keep-alive 3 minutes unless `Keep-Alive: timeout=N` says otherwise
 * (`max=M` ignored), validate after 2 s of inactivity, no TTL, no evictor, a
 * failed connect fails the lease request, and a full pool closes the least
 * recently used idle connection of another route.
 *
 * @example An Apache-like pool
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { apacheHttpClient5Preset, ReferencePool } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({
 *   ...apacheHttpClient5Preset,
 *   clock,
 *   connect: network.connect.bind(network),
 * });
 * assert.equal(pool.stats().total.max, 25);
 * await pool.close();
 * ```
 */
export const apacheHttpClient5Preset: Readonly<PoolBehaviourOptions> = Object.freeze({
  routeKey: originRouteKey,
  maxTotal: 25,
  maxPerRoute: 5,
  maxConnecting: Infinity,
  maxWaiters: Infinity,
  ttlMs: Infinity,
  defaultKeepAliveMs: 180_000,
  honourKeepAliveMax: false,
  idleTimeoutMs: Infinity,
  validateAfterInactivityMs: 2_000,
  observePeerClose: false,
  evictionIntervalMs: Infinity,
  reuseOrder: "lifo",
  closeIdleOfOtherRoutes: true,
  connectFailure: "reject",
  connectTimeoutMs: 180_000,
  reconnectBackoffMs: 0,
  multiplexed: false,
});

/**
 * Kafka producer `NetworkClient`: one multiplexed connection per broker
 * (route), `max.in.flight.requests.per.connection` 5, `reconnect.backoff.ms`
 * 50 growing to `reconnect.backoff.max.ms` 1000 with ±20 % jitter,
 * `socket.connection.setup.timeout.ms` 10 s (its growth to 30 s is not
 * modelled), `connections.max.idle.ms` 9 minutes, `request.timeout.ms` 30 s
 * (a timed-out request closes its connection); a failed connect is retried.
 *
 * @example A Kafka-like pool sends, it does not lease
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { kafkaProducerPreset, ReferencePool } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({
 *   ...kafkaProducerPreset,
 *   clock,
 *   connect: network.connect.bind(network),
 * });
 * const response = pool.send("broker-1");
 * clock.runDue(); // connect
 * await Promise.resolve();
 * clock.runDue(); // response
 * assert.equal((await response).sequence, 1);
 * await pool.close();
 * ```
 */
export const kafkaProducerPreset: Readonly<PoolBehaviourOptions> = Object.freeze({
  multiplexed: true,
  maxInFlight: 5,
  requestTimeoutMs: 30_000,
  maxPerRoute: 1,
  maxTotal: Infinity,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 1_000,
  connectTimeoutMs: 10_000,
  connectionsMaxIdleMs: 540_000,
  connectFailure: "retry",
  closeIdleOfOtherRoutes: false,
});

/**
 * JDK `HttpURLConnection` keep-alive cache (Feign's default client): the
 * cache key is the whole target, so `/order/1` and `/order/2` do not share
 * connections; `http.maxConnections` 5 per key (the JDK caps the idle
 * connections it keeps per key; the preset applies it as a live limit);
 * keep-alive 5 s unless `Keep-Alive: timeout=N`, and `max=M` is honoured;
 * LIFO reuse, no validation probe, no total limit.
 *
 * @example JDK-style keys do not share across paths
 * ```ts
 * import assert from "node:assert/strict";
 * import { jdkKeepAliveCachePreset } from "./presets.ts";
 *
 * const key = jdkKeepAliveCachePreset.routeKey!;
 * assert.notEqual(key("http://shop/order/1"), key("http://shop/order/2"));
 * ```
 */
export const jdkKeepAliveCachePreset: Readonly<PoolBehaviourOptions> = Object.freeze({
  routeKey: (target: string): Route => target,
  maxTotal: Infinity,
  maxPerRoute: 5,
  defaultKeepAliveMs: 5_000,
  honourKeepAliveMax: true,
  idleTimeoutMs: Infinity,
  validateAfterInactivityMs: Infinity,
  reuseOrder: "lifo",
  closeIdleOfOtherRoutes: false,
  connectFailure: "reject",
  multiplexed: false,
});

/**
 * MongoDB's Connection Monitoring and Pooling specification (CMAP) with its
 * documented defaults: one pool per server address (the route is the
 * target), `maxPoolSize` 100, `minPoolSize` 0, `maxConnecting` 2, no wait
 * queue timeout and no `maxIdleTimeMS` (0 means none in CMAP; `Infinity`
 * here), the driver's default `connectTimeoutMS` of 30 s. The pool starts
 * paused until `ready()`; a connect belongs to the check-out that started
 * it; `maxIdleTimeMS` (`connectionsMaxIdleMs`) is enforced when a check-out
 * meets an idle connection, never by a timer. Set `minPoolSize` (with the
 * server's address as `minPoolRoutes`, so it is populated before the first
 * check-out) and `connectionsMaxIdleMs` to enable them. No keep-alive, TTL or validation:
 * CMAP has none; a connection the server closed is seen at once.
 *
 * @example A CMAP pool serves once it is marked ready
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { cmapPreset, ReferencePool } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({ ...cmapPreset, clock, connect: network.connect.bind(network) });
 * await assert.rejects(pool.acquire("db:27017"), { name: "PoolClearedError" });
 * pool.ready();
 * const acquiring = pool.acquire("db:27017");
 * clock.runDue(); // the connect completes
 * (await acquiring).release();
 * await pool.close();
 * ```
 */
export const cmapPreset: Readonly<PoolBehaviourOptions> = Object.freeze({
  routeKey: (target: string): Route => target,
  maxTotal: 100,
  maxPerRoute: 100,
  minPoolSize: 0,
  maxConnecting: 2,
  maxWaiters: Infinity,
  ttlMs: Infinity,
  defaultKeepAliveMs: Infinity,
  honourKeepAliveMax: false,
  idleTimeoutMs: Infinity,
  validateAfterInactivityMs: Infinity,
  observePeerClose: true,
  evictionIntervalMs: Infinity,
  // The Node.js and Java drivers hand out the most recently checked-in connection first.
  reuseOrder: "lifo",
  closeIdleOfOtherRoutes: false,
  connectFailure: "reject",
  connectTimeoutMs: 30_000,
  reconnectBackoffMs: 0,
  multiplexed: false,
  connectionsMaxIdleMs: Infinity,
  idleExpiry: "checkout",
  startPaused: true,
  connectOwnership: "acquire",
});
