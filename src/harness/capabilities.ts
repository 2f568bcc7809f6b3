/**
 * The optional abilities a pool may declare, and which drawn ranges each
 * one needs.
 *
 * @module
 */
import type { RangeName, Supports } from "./adapter.ts";

/**
 * Optional abilities of a pool. A rule that needs a capability the adapter
 * does not declare is reported "not applicable", never passed.
 */
export type Capability =
  /** `stats()` reports leased/available/pending/connecting (STA-1). */
  | "stats"
  /** `closeIdle(ms)` closes idle connections idle for at least `ms`. */
  | "closeIdle"
  /** `closeExpired()` closes idle connections past their deadline. */
  | "closeExpired"
  /** `clear()` and `ready()` (CMAP generation bump and pause). */
  | "clear"
  /** Multiplexed mode: `send(route, request)`, in-flight limit (INF-*). */
  | "multiplexed"
  /** `acquire(route, { timeoutMs })` honours the timeout (TMO-1). */
  | "acquireTimeout"
  /** `release(lease, { reusable: false })` closes the connection (ERR-2). */
  | "releaseBroken"
  /** A per-route limit `maxPerRoute` (LIM-2). */
  | "maxPerRoute"
  /** Per-route overrides of the per-route limit. */
  | "maxPerRouteOverrides"
  /** A limit on connects in progress (LIM-3). */
  | "maxConnecting"
  /** A bound on queued acquires; an acquire beyond it fails at once (LIM-4). */
  | "maxWaiters"
  /** Time to live from creation (EXP-1). */
  | "ttl"
  /** Keep-alive deadline from the response's `timeout=N` hint (EXP-2). */
  | "keepAliveHint"
  /** A default keep-alive when no hint is given (EXP-2). */
  | "defaultKeepAlive"
  /** Honours the hint's `max=M` request count (EXP-3). */
  | "keepAliveMax"
  /** Retires a connection after `maxUses` leases (EXP-6). */
  | "maxUses"
  /** Validates connections idle longer than a threshold before lease (EXP-4). */
  | "validateAfterInactivity"
  /** A connect timeout that aborts a hanging connect (TMO-2). */
  | "connectTimeout"
  /** Kafka-style reconnect backoff after failed connects (TMO-3). */
  | "reconnectBackoff"
  /** Idle connections older than `maxIdleMs` are closed by the pool itself (TMO-4). */
  | "maxIdle"
  /** Rejects releasing an unknown or already released lease (LSE-4). */
  | "rejectsBadRelease"
  /**
   * Refuses to be created with an invalid option, naming it and its value
   * (CFG-1); `supports.validatedOptions` lists the options.
   */
  | "validatesOptions"
  /**
   * Refuses a call with an invalid argument (a negative or non-numeric
   * timeout, a route that is not a string, …), naming the argument and its
   * value, and changes nothing (CFG-2); `supports.validatedArguments` lists
   * the arguments.
   */
  | "validatesArguments"
  /**
   * Says why each rejection happened: `rejectionKind(error)` names the kind
   * (closed, cleared, timeout, full queue, connection error) of every error
   * the pool rejects an acquire or send with (ERR-5).
   */
  | "rejectionKinds"
  /**
   * Reports its events (connection, check-out and pool events in CMAP's
   * vocabulary) through `events(listener)`; `supports.eventTypes` lists the
   * types it emits (EVT-1 to EVT-3).
   */
  | "events"
  /**
   * Keeps at least `config.minPoolSize` connections open by itself, opening
   * them in the background while the pool is ready (CMAP's `minPoolSize`);
   * needs range `minPoolSize`.
   */
  | "minPoolSize"
  /**
   * `clear({ interruptInUseConnections: true })` closes, at once, the leased
   * and connecting connections opened before the clear (CMAP); needs `clear`.
   */
  | "interruptInUse"
  /**
   * Multiplexed pools: a request written and not answered within
   * `config.requestTimeoutMs` fails its caller (Kafka's `request.timeout.ms`);
   * needs `multiplexed`, range `requestTimeoutMs` and policy `requestTimeout`
   * (TMO-5).
   */
  | "requestTimeout";

/** Every {@linkcode Capability}, in declaration order. */
export const CAPABILITIES: readonly Capability[] = Object.freeze([
  "stats",
  "closeIdle",
  "closeExpired",
  "clear",
  "multiplexed",
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
  "maxIdle",
  "rejectsBadRelease",
  "validatesOptions",
  "validatesArguments",
  "rejectionKinds",
  "events",
  "minPoolSize",
  "interruptInUse",
  "requestTimeout",
]);

/** Range → capability it needs (ranges of undeclared capabilities are ignored). */
export const RANGE_CAPABILITY: Readonly<Record<RangeName, Capability | undefined>> = Object
  .freeze({
    routes: undefined,
    maxTotal: undefined,
    maxPerRoute: "maxPerRoute",
    maxConnecting: "maxConnecting",
    maxWaiters: "maxWaiters",
    acquireTimeoutMs: "acquireTimeout",
    ttlMs: "ttl",
    defaultKeepAliveMs: "defaultKeepAlive",
    keepAliveHintMs: "keepAliveHint",
    keepAliveMax: "keepAliveMax",
    maxUses: "maxUses",
    validateAfterInactivityMs: "validateAfterInactivity",
    connectTimeoutMs: "connectTimeout",
    reconnectBackoffMs: "reconnectBackoff",
    reconnectBackoffMaxMs: "reconnectBackoff",
    maxIdleMs: "maxIdle",
    maxInFlight: "multiplexed",
    minPoolSize: "minPoolSize",
    requestTimeoutMs: "requestTimeout",
  });

/**
 * Whether the adapter declares a capability.
 *
 * @param supports The adapter's declaration.
 * @param capability The capability asked about.
 * @returns `true` when declared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasCapability, type Supports } from "./adapter.ts";
 *
 * const supports = { capabilities: ["stats"] } as unknown as Supports;
 * assert.equal(hasCapability(supports, "stats"), true);
 * assert.equal(hasCapability(supports, "ttl"), false);
 * ```
 */
export function hasCapability(supports: Supports, capability: Capability): boolean {
  return supports.capabilities.includes(capability);
}
