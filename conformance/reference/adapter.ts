/**
 * Adapters for the reference pool: one leasing whole connections (Apache
 * HttpClient 5 semantics) and one multiplexed (Kafka semantics).
 *
 * @module
 */
import type {
  Adapter,
  CloseCause,
  PoolConfig,
  PoolEventNotice,
  PoolUnderTest,
  RejectionKind,
  ReportedEventType,
  Supports,
  World,
} from "../../src/harness/adapter.ts";
import { CLOSE_CAUSES, POOL_EVENT_TYPES } from "../../src/harness/adapter_validation.ts";
import {
  type ConnectFailurePolicy,
  type ConnectOwnership,
  type IdleExpiry,
  type Lease,
  type PoolEvent,
  ReferencePool,
  type ReferencePoolOptions,
  type ReuseOrder,
} from "../../src/pool/mod.ts";

/**
 * The events the reference pool emits after it is created (`PoolCreated`
 * and the first `PoolReady` come from its constructor, before anyone can
 * listen).
 */
const REFERENCE_EVENT_TYPES: readonly ReportedEventType[] = POOL_EVENT_TYPES;

/**
 * The reference pool's `ConnectionClosed` reasons (`ConnectionClosedReason`
 * in src/pool/events.ts) are the kit's causes under the same names.
 */
const REFERENCE_CLOSE_REASONS: Readonly<Record<string, CloseCause>> = Object.fromEntries(
  CLOSE_CAUSES.map((cause) => [cause, cause]),
);

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
    "validatesArguments",
    "rejectionKinds",
    "events",
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
    // As Apache's pool: room is made by closing the idle connection released longest ago.
    roomVictim: "leastRecentlyReleased",
    // The reference pool runs with observePeerClose (its default) and drops a half-closed connection at once.
    closeDetection: "event",
    // As CMAP's check-in: a lease released after close() is taken back and its connection closed.
    releaseAfterClose: "accept",
  },
  toleranceMs: 0,
  eventTypes: REFERENCE_EVENT_TYPES,
  closeReasons: REFERENCE_CLOSE_REASONS,
  // ReferencePool checks these under its own names (src/pool/reference_pool.ts).
  validatedArguments: {
    route: "target",
    acquireTimeoutMs: "timeoutMs",
    closeIdleMs: "idleMs",
    reusable: "reusable",
    lease: "lease",
  },
  // resolvePoolConfig (src/pool/options.ts) checks each of these under the same name.
  validatedOptions: {
    reuseOrder: "reuseOrder",
    connectFailure: "connectFailure",
    idleExpiry: "idleExpiry",
    connectOwnership: "connectOwnership",
    maxTotal: "maxTotal",
    maxPerRoute: "maxPerRoute",
    maxPerRouteOverrides: "maxPerRouteOverrides",
    maxConnecting: "maxConnecting",
    maxWaiters: "maxWaiters",
    maxUses: "maxUses",
    ttlMs: "ttlMs",
    defaultKeepAliveMs: "defaultKeepAliveMs",
    validateAfterInactivityMs: "validateAfterInactivityMs",
    connectTimeoutMs: "connectTimeoutMs",
    reconnectBackoffMs: "reconnectBackoffMs",
    reconnectBackoffMaxMs: "reconnectBackoffMaxMs",
    honourKeepAliveMax: "honourKeepAliveMax",
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
    // As drawn: CFG-1 offers it an invalid map (an entry out of range, or an array).
    maxPerRouteOverrides: config.maxPerRouteOverrides,
    maxConnecting: never(config.maxConnecting),
    maxWaiters: never(config.maxWaiters),
    ttlMs: never(config.ttlMs),
    defaultKeepAliveMs: never(config.defaultKeepAliveMs),
    honourKeepAliveMax: config.honourKeepAliveMax,
    maxUses: never(config.maxUses),
    validateAfterInactivityMs: never(config.validateAfterInactivityMs),
    connectTimeoutMs: never(config.connectTimeoutMs),
    requestTimeoutMs: never(config.requestTimeoutMs),
    ...(config.reconnectBackoffMs === undefined
      ? {}
      : { reconnectBackoffMs: config.reconnectBackoffMs }),
    ...(config.reconnectBackoffMaxMs === undefined
      ? {}
      : { reconnectBackoffMaxMs: config.reconnectBackoffMaxMs }),
    connectionsMaxIdleMs: never(config.maxIdleMs),
    // Set only by CFG-1, to a choice the pool must refuse.
    ...(config.reuseOrder === undefined ? {} : { reuseOrder: config.reuseOrder as ReuseOrder }),
    ...(config.connectFailure === undefined
      ? {}
      : { connectFailure: config.connectFailure as ConnectFailurePolicy }),
    ...(config.idleExpiry === undefined ? {} : { idleExpiry: config.idleExpiry as IdleExpiry }),
    ...(config.connectOwnership === undefined
      ? {}
      : { connectOwnership: config.connectOwnership as ConnectOwnership }),
    // CMAP's minimum, drawn only for a declaration with capability minPoolSize: kept on every route.
    ...(config.minPoolSize === undefined
      ? {}
      : { minPoolSize: config.minPoolSize, minPoolRoutes: [...config.routes] }),
  };
}

/**
 * The kind of each error the reference pool rejects with, by its `code`
 * (src/pool/errors.ts; `ESOCKETCLOSED` is the simulated network's error for a
 * request in flight on a connection that dropped).
 */
const REJECTION_KINDS: Readonly<Record<string, RejectionKind>> = {
  POOL_CLOSED: "poolClosed",
  POOL_CLEARED: "poolCleared",
  ACQUIRE_TIMEOUT: "timeout",
  REQUEST_TIMEOUT: "timeout",
  WAIT_QUEUE_FULL: "waitQueueFull",
  CONNECT_FAILED: "connectionError",
  ESOCKETCLOSED: "connectionError",
};

/**
 * The kind of an error the reference pool rejected with.
 *
 * @param error The error.
 * @returns Its kind, or `undefined` for an error the pool does not make.
 */
export function referenceRejectionKind(error: unknown): RejectionKind | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && Object.hasOwn(REJECTION_KINDS, code)
    ? REJECTION_KINDS[code]
    : undefined;
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
    // As callers do: through the lease itself, and the ordinary reusable release of a lease still
    // held by disposing of it (what `using lease = await pool.acquire(…)` does at the end of its
    // scope). A repeated release goes through release(), which refuses it. A lease released
    // explicitly is disposed of afterwards too, as at the end of a `using` block that released it
    // early: disposing of a lease no longer held does nothing. What is not a lease (null, a number,
    // a copy of a lease's fields, which has no methods) goes to release() as it is, to be refused.
    release(lease, options) {
      if (typeof lease?.release !== "function") return pool.release(lease, options);
      if (options.reusable === true && pool.holds(lease)) return lease[Symbol.dispose]();
      lease.release(options);
      lease[Symbol.dispose]();
    },
    connectionOf: (lease) => lease.socket.id,
    close: () => pool.close(),
    stats: () => pool.stats(),
    closeIdle: (ms) => pool.closeIdle(ms),
    closeExpired: () => pool.closeExpired(),
    clear: (options) => pool.clear(options ?? {}),
    ready: () => pool.ready(),
    send: (route) => pool.send(route),
    rejectionKind: referenceRejectionKind,
    events(listener) {
      for (const type of REFERENCE_EVENT_TYPES) {
        pool.on(type, (event) => listener(referenceNotice(event)!));
      }
    },
  };
}

/**
 * What the kit is told of one of the reference pool's events (a type the
 * adapter declares, see {@linkcode REFERENCE_SUPPORTS}), or `undefined` for
 * one it does not report (`PoolCreated`).
 *
 * @param event The pool's event.
 * @returns The notice, or `undefined`.
 */
export function referenceNotice(event: PoolEvent): PoolEventNotice | undefined {
  if (!(REFERENCE_EVENT_TYPES as readonly string[]).includes(event.type)) return undefined;
  const { route, socketId, reason, connectionId, checkOutId, durationMs } = event;
  // CMAP's PoolCleared says whether the clear interrupted in-use connections.
  const { interruptInUseConnections } = event;
  // Fields set one by one, in this order, rather than spread: the pool emits at every step.
  const notice: { -readonly [K in keyof PoolEventNotice]: PoolEventNotice[K] } = {
    type: event.type as ReportedEventType,
  };
  if (route !== undefined) notice.route = route;
  if (socketId !== undefined) notice.socketId = socketId;
  if (reason !== undefined) notice.reason = reason;
  if (connectionId !== undefined) notice.connectionId = connectionId;
  if (checkOutId !== undefined) notice.checkOutId = checkOutId;
  if (durationMs !== undefined) notice.durationMs = durationMs;
  if (interruptInUseConnections !== undefined) {
    notice.interruptInUseConnections = interruptInUseConnections;
  }
  return notice;
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
  capabilities: [
    "multiplexed",
    "connectTimeout",
    "maxIdle",
    "validatesOptions",
    "rejectionKinds",
    "events",
    "requestTimeout",
  ],
  policies: {
    ...REFERENCE_SUPPORTS.policies,
    // As Kafka's NetworkClient: a request timeout closes its connection.
    requestTimeout: { onTimeout: "disconnect" },
    // close() fails every send waiting or in flight with PoolClosedError and
    // refuses later ones (src/pool/multiplex.ts).
    closeSends: "reject",
  },
  // A send emits no check-out event.
  eventTypes: ["ConnectionCreated", "ConnectionReady", "ConnectionClosed", "PoolClosed"],
  closeReasons: REFERENCE_CLOSE_REASONS,
  ranges: {
    routes: [1, 3],
    maxTotal: [3, 6],
    maxPerRoute: [1, 1],
    maxInFlight: [1, 5],
    connectTimeoutMs: [5, 100],
    maxIdleMs: [20, 500],
    requestTimeoutMs: [5, 100],
  },
  // The pool calls the harness's maximum idle time connectionsMaxIdleMs (Kafka's connections.max.idle.ms).
  validatedOptions: {
    maxTotal: "maxTotal",
    maxInFlight: "maxInFlight",
    connectTimeoutMs: "connectTimeoutMs",
    maxIdleMs: "connectionsMaxIdleMs",
    requestTimeoutMs: "requestTimeoutMs",
  },
};

/**
 * The reference pool in multiplexed mode (Kafka semantics: one connection
 * per route, in-flight limit, responses in send order).
 */
export const referenceMultiplexedAdapter: Adapter<Lease> = {
  name: "reference-multiplexed",
  supports: {
    ...REFERENCE_MULTIPLEXED_SUPPORTS,
    // Valid for a pool that leases connections, not for a multiplexed one, which has no
    // check-out to meet an idle connection at (src/pool/options.ts).
    poolOptions: { idleExpiry: ["checkout"] },
  },
  create: (config, world) =>
    wrapReferencePool(
      new ReferencePool({
        ...referenceOptions(config, world),
        multiplexed: true,
        maxPerRoute: 1,
        maxInFlight: config.maxInFlight ?? 5,
        // Last: CFG-1's invalid value of one of the pool's own options, in place of its setting.
        ...config.poolOptions,
      }),
    ),
};
