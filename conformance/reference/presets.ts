/**
 * The reference pool's presets as pools under test: each adapter builds the
 * pool from its preset and declares, as literal ranges, the values its source
 * documents (Apache HttpClient 5: 25 in total, 5 per route, 3 minutes of
 * keep-alive, validation after 2 s; the JDK keep-alive cache: 5 per key,
 * 5 s of keep-alive, `max=M` honoured; Kafka's producer: one connection per
 * broker, 5 requests in flight, backoff from 50 ms to 1 s, a 10 s setup
 * timeout, 9 minutes of idle time; MongoDB CMAP: one address, 100
 * connections, 2 connects at a time, no wait queue timeout, no idle limit,
 * no minimum). The run then checks the preset against
 * those documented values: a preset that drifts from its source fails a rule.
 *
 * A drawn config leaves some behaviours unset in some runs (no default
 * keep-alive, no `max=M`); there the adapter switches the preset's value off
 * (`Infinity`, `false`), since the rules then expect no such deadline.
 *
 * @module
 */
import type { Route } from "../../src/net/types.ts";
import type {
  Adapter,
  PoolConfig,
  PoolEventNotice,
  PoolUnderTest,
  RouteStats,
  Supports,
  ValidatedOption,
  ValidatedOptions,
  World,
} from "../../src/harness/adapter.ts";
import type { Capability } from "../../src/harness/capabilities.ts";
import { capabilityOfOption } from "../../src/harness/invalid_options.ts";
import {
  apacheHttpClient5Preset,
  cmapPreset,
  type ConnectFunction,
  jdkKeepAliveCachePreset,
  kafkaProducerPreset,
  type Lease,
  type PoolBehaviourOptions,
  ReferencePool,
  type ReferencePoolOptions,
} from "../../src/pool/mod.ts";
import {
  REFERENCE_MULTIPLEXED_SUPPORTS,
  REFERENCE_SUPPORTS,
  referenceNotice,
  referenceOptions,
  wrapReferencePool,
} from "./adapter.ts";
import { POOL_EVENT_TYPES } from "../../src/harness/adapter_validation.ts";

/**
 * The preset's value of `key` where the run uses the behaviour (the pool's
 * default when the preset leaves it out), else `off`.
 */
function used<K extends keyof PoolBehaviourOptions>(
  drawn: unknown,
  preset: Readonly<PoolBehaviourOptions>,
  key: K,
  off: NonNullable<PoolBehaviourOptions[K]>,
): Partial<PoolBehaviourOptions> {
  if (drawn === undefined) return { [key]: off };
  return preset[key] === undefined ? {} : { [key]: preset[key] };
}

function presetPool(
  preset: Readonly<PoolBehaviourOptions>,
  config: PoolConfig,
  world: World,
  extra: Partial<Omit<ReferencePoolOptions, "clock" | "connect">> = {},
  connect: ConnectFunction = world.network.connect.bind(world.network),
) {
  return new ReferencePool({
    ...preset,
    ...extra,
    clock: world.clock,
    connect,
    random: world.random,
    ...used(config.defaultKeepAliveMs, preset, "defaultKeepAliveMs", Infinity),
    ...used(config.honourKeepAliveMax ? true : undefined, preset, "honourKeepAliveMax", false),
    ...used(config.validateAfterInactivityMs, preset, "validateAfterInactivityMs", Infinity),
    ...used(config.connectTimeoutMs, preset, "connectTimeoutMs", Infinity),
    ...used(config.maxIdleMs, preset, "connectionsMaxIdleMs", Infinity),
    ...used(config.requestTimeoutMs, preset, "requestTimeoutMs", Infinity),
  });
}

/** Apache HttpClient 5's documented defaults (`PoolingHttpClientConnectionManager`). */
const APACHE_SUPPORTS: Supports = {
  ...REFERENCE_SUPPORTS,
  // No closeIdle(): the heal phase's probe then fills the pool across routes with the run's idle
  // connections still open, so only closing another route's idle connection can make room.
  capabilities: [
    "stats",
    "closeExpired",
    "clear",
    "acquireTimeout",
    "releaseBroken",
    "maxPerRoute",
    "keepAliveHint",
    "defaultKeepAlive",
    "validateAfterInactivity",
    "connectTimeout",
    "rejectsBadRelease",
    "rejectionKinds",
    "events",
  ],
  ranges: {
    // 6 to 8 routes of 5 connections each, so the total of 25 binds and the heal phase's probe
    // needs the idle connections of other routes closed to fill it.
    routes: [6, 8],
    maxTotal: [25, 25],
    maxPerRoute: [5, 5],
    acquireTimeoutMs: [1, 200],
    keepAliveHintMs: [1_000, 60_000],
    defaultKeepAliveMs: [180_000, 180_000],
    validateAfterInactivityMs: [2_000, 2_000],
    connectTimeoutMs: [180_000, 180_000],
  },
  policies: {
    ...REFERENCE_SUPPORTS.policies,
    // Apache's classic pool learns that the server closed an idle connection only by validating it.
    closeDetection: "check",
  },
};

/**
 * The Apache adapters' URLs: every route is an origin on one host, `shop`,
 * told apart by its port, the first route's the default port 80 and the
 * others' 8001, 8002, … as they come. An acquire's target spells its route's
 * origin one of three ways, by the acquire's number: another path, the port
 * written out or left out, the scheme and host in capitals. Apache's route is
 * the origin (scheme, host and port), so every spelling of one route must
 * share its connections and its limit, and routes that differ only in their
 * port must not.
 */
class OriginTargets {
  readonly #ports = new Map<Route, string>();
  readonly #routes = new Map<string, Route>();
  #acquires = 0;

  /** The URL of the next acquire of `route`. */
  target(route: Route): string {
    let port = this.#ports.get(route);
    if (port === undefined) {
      port = this.#ports.size === 0 ? "80" : String(8000 + this.#ports.size);
      this.#ports.set(route, port);
      this.#routes.set(port, route);
    }
    const n = this.#acquires++;
    const explicit = `:${port}`;
    const implicit = port === "80" ? "" : explicit;
    switch (n % 3) {
      case 0:
        return `http://shop${implicit}/orders/${n}`;
      case 1:
        return `http://shop${explicit}/`;
      default:
        return `HTTP://SHOP${implicit}?page=${n}`;
    }
  }

  /** The harness's route of a route key such as `http://shop:8001` (the key itself if unknown). */
  route(key: Route): Route {
    if (!URL.canParse(key)) return key;
    return this.#routes.get(new URL(key).port || "80") ?? key;
  }
}

/**
 * The Apache preset's pool driven with URLs for targets ({@linkcode OriginTargets}):
 * the pool keys its routes with `originRouteKey` and dials the key, and its
 * stats and events name the key; the adapter maps each key back to the
 * harness's route. A route key that kept the path, the spelling of the port
 * or the case apart would split one route in two (LSE-3, LIM-2 and STA-1 see
 * it), and one that dropped the port would merge routes (LSE-2). An acquire
 * whose target is no string (CFG-2's invalid argument) is passed as it came.
 */
function apachePool(
  config: PoolConfig,
  world: World,
  extra: Partial<PoolBehaviourOptions> = {},
): PoolUnderTest<Lease> {
  const targets = new OriginTargets();
  const connect: ConnectFunction = (key, options) =>
    world.network.connect(targets.route(key), options);
  const pool = wrapReferencePool(
    presetPool(apacheHttpClient5Preset, config, world, extra, connect),
  );
  const { closeIdle: _, ...rest } = pool;
  return {
    ...rest,
    acquire: (route, options) =>
      pool.acquire(typeof route === "string" ? targets.target(route) : route, options),
    stats() {
      const stats = pool.stats!();
      const routes: Record<Route, RouteStats> = {};
      for (const [key, counts] of Object.entries(stats.routes)) {
        const route = targets.route(key);
        const seen = routes[route];
        routes[route] = seen === undefined ? counts : {
          leased: seen.leased + counts.leased,
          available: seen.available + counts.available,
          pending: seen.pending + counts.pending,
          connecting: seen.connecting + counts.connecting,
          ...(counts.max === undefined ? {} : { max: counts.max }),
        };
      }
      return { total: stats.total, routes };
    },
    events(listener) {
      pool.events!((event) =>
        listener(
          event.route === undefined ? event : { ...event, route: targets.route(event.route) },
        )
      );
    },
  };
}

/** The reference pool built from {@linkcode apacheHttpClient5Preset}. */
export const apachePresetAdapter: Adapter<Lease> = {
  name: "reference-apache-preset",
  supports: APACHE_SUPPORTS,
  create: (config, world) => apachePool(config, world),
};

/**
 * Period of the idle evictor in {@linkcode apacheEvictorPresetAdapter}, and
 * so the adapter's tolerance: a connection past its idle time waits for the
 * evictor's next pass.
 */
const EVICTOR_PERIOD_MS = 500;

/**
 * Apache HttpClient 5 with its idle connection evictor
 * (`HttpClientBuilder.evictIdleConnections(maxIdleTime)`, which starts an
 * `IdleConnectionEvictor`: every period it calls `closeExpired()` and
 * `closeIdle(maxIdleTime)` on the connection manager). The builder's evictor
 * sleeps for `maxIdleTime` between passes; this adapter uses the evictor's
 * own constructor form with a fixed, shorter period, so that its tolerance
 * stays small.
 */
const APACHE_EVICTOR_SUPPORTS: Supports = {
  ...APACHE_SUPPORTS,
  capabilities: [...APACHE_SUPPORTS.capabilities, "maxIdle"],
  ranges: {
    ...APACHE_SUPPORTS.ranges,
    // Idle limits of 2 to 20 evictor periods, so both sides of the limit are reached in a run.
    maxIdleMs: [1_000, 10_000],
  },
  policies: {
    ...APACHE_SUPPORTS.policies,
    // The evictor's closeExpired() retires expired idle connections as well as the lease does.
    expiry: ["lease", "evictor"],
  },
  toleranceMs: EVICTOR_PERIOD_MS,
};

/** The reference pool built from {@linkcode apacheHttpClient5Preset}, with its idle evictor on. */
export const apacheEvictorPresetAdapter: Adapter<Lease> = {
  name: "reference-apache-evictor",
  supports: APACHE_EVICTOR_SUPPORTS,
  create: (config, world) =>
    apachePool(config, world, {
      evictionIntervalMs: EVICTOR_PERIOD_MS,
      ...(config.maxIdleMs === undefined ? {} : { idleTimeoutMs: config.maxIdleMs }),
    }),
};

/** The JDK keep-alive cache's documented defaults (`http.maxConnections`, `KeepAliveCache`). */
const JDK_SUPPORTS: Supports = {
  ...REFERENCE_SUPPORTS,
  capabilities: [
    "stats",
    "closeIdle",
    "closeExpired",
    "clear",
    "acquireTimeout",
    "releaseBroken",
    "maxPerRoute",
    "keepAliveHint",
    "defaultKeepAlive",
    "keepAliveMax",
    "rejectsBadRelease",
    "rejectionKinds",
    "events",
  ],
  ranges: {
    routes: [1, 3],
    // No total limit: 3 keys of 5 never reach 15.
    maxTotal: [15, 15],
    maxPerRoute: [5, 5],
    acquireTimeoutMs: [1, 200],
    keepAliveHintMs: [1_000, 60_000],
    defaultKeepAliveMs: [5_000, 5_000],
    keepAliveMax: [1, 4],
  },
  policies: { ...REFERENCE_SUPPORTS.policies, closeIdleOfOtherRoutes: false },
};

/** The reference pool built from {@linkcode jdkKeepAliveCachePreset}. */
export const jdkPresetAdapter: Adapter<Lease> = {
  name: "reference-jdk-preset",
  supports: JDK_SUPPORTS,
  create: (config, world) => wrapReferencePool(presetPool(jdkKeepAliveCachePreset, config, world)),
};

/** Kafka producer's documented defaults (`NetworkClient`, `ClusterConnectionStates`). */
const { validatedOptions: _, ...MULTIPLEXED_UNVALIDATED } = REFERENCE_MULTIPLEXED_SUPPORTS;
const KAFKA_SUPPORTS: Supports = {
  ...MULTIPLEXED_UNVALIDATED,
  capabilities: [
    "multiplexed",
    "connectTimeout",
    "maxIdle",
    "reconnectBackoff",
    "rejectionKinds",
    "events",
    "requestTimeout",
  ],
  ranges: {
    routes: [1, 3],
    // No total limit: one connection per broker.
    maxTotal: [3, 3],
    maxPerRoute: [1, 1],
    maxInFlight: [5, 5],
    connectTimeoutMs: [10_000, 10_000],
    maxIdleMs: [540_000, 540_000],
    reconnectBackoffMs: [50, 50],
    reconnectBackoffMaxMs: [1_000, 1_000],
    requestTimeoutMs: [30_000, 30_000],
  },
  policies: {
    ...REFERENCE_MULTIPLEXED_SUPPORTS.policies,
    connectFailure: "retry",
    // Kafka's reconnect backoff (×2, ±20 %), which NetworkClient applies after any disconnect of
    // a node, not only after a refused connect (ClusterConnectionStates.disconnected).
    backoff: { multiplier: 2, jitter: 0.2, afterDisconnect: true },
  },
};

/** The reference pool built from {@linkcode kafkaProducerPreset}. */
export const kafkaPresetAdapter: Adapter<Lease> = {
  name: "reference-kafka-preset",
  supports: KAFKA_SUPPORTS,
  create: (config, world) => wrapReferencePool(presetPool(kafkaProducerPreset, config, world)),
};

/**
 * The Kafka preset against a cluster of two or three brokers: a producer
 * holds a connection to each broker that leads one of its partitions, so
 * several connections sit idle at once, and TMO-4 judges that each closes at
 * its own deadline, whichever was opened first (`reference-kafka-preset` draws
 * a single broker in a third of its runs).
 */
export const kafkaClusterPresetAdapter: Adapter<Lease> = {
  name: "reference-kafka-cluster",
  supports: { ...KAFKA_SUPPORTS, ranges: { ...KAFKA_SUPPORTS.ranges, routes: [2, 3] } },
  create: kafkaPresetAdapter.create,
};

/**
 * MongoDB CMAP's documented defaults. One route: a CMAP pool serves one
 * server address. `maxPoolSize` 100 and `maxConnecting` 2 are declared as
 * they are, so LIM-3 judges the rate limit in every run and the heal phase's
 * probe fills all 100 connections; LIM-1 is judged too, though a run rarely
 * gets near 100. `minPoolSize` is CMAP's 0 (the harness does not draw it
 * yet). No `acquireTimeout` (`waitQueueTimeoutMS` 0 means none) and no
 * `maxIdle` (`maxIdleTimeMS` 0 means none, and CMAP enforces it at
 * check-out, which TMO-4, a rule about timers, cannot judge). The driver's
 * `connectTimeoutMS` of 30 s is the connect timeout, so hanging connects
 * are exercised.
 */
export const CMAP_SUPPORTS: Supports = {
  ...REFERENCE_SUPPORTS,
  capabilities: [
    "stats",
    "clear",
    "interruptInUse",
    "releaseBroken",
    "maxConnecting",
    "minPoolSize",
    "connectTimeout",
    "rejectsBadRelease",
    "rejectionKinds",
    "events",
  ],
  ranges: {
    routes: [1, 1],
    maxTotal: [100, 100],
    maxPerRoute: [100, 100],
    maxConnecting: [2, 2],
    minPoolSize: [0, 0],
    connectTimeoutMs: [30_000, 30_000],
  },
  policies: {
    ...REFERENCE_SUPPORTS.policies,
    closeIdleOfOtherRoutes: false,
    idleExpiry: "checkout",
    connectOwnership: "acquire",
    // The pool starts paused (CMAP): the harness calls ready() first in most runs, and CLS-5
    // judges the runs that acquire before it.
    startsPaused: true,
  },
};

/**
 * The reference pool built from {@linkcode cmapPreset}, paused until the
 * harness calls `ready()` (policy `startsPaused`).
 *
 * Its connects belong to the acquire that started them
 * (`connectOwnership: "acquire"`), which ORD-1, TMO-1 and CLS-3 follow.
 */
export const cmapPresetAdapter: Adapter<Lease> = {
  name: "reference-cmap-preset",
  supports: CMAP_SUPPORTS,
  create(config, world) {
    // This adapter listens through the pool's `onEvent` option (the others call on()); events
    // before the harness subscribes are dropped, as on() would miss them.
    let forward: ((notice: PoolEventNotice) => void) | undefined;
    const pool = presetPool(cmapPreset, config, world, {
      // The declared ranges hold CMAP's defaults only, so these are the preset's values in a
      // harness run; passing them on lets a CMAP scenario file set maxPoolSize and maxConnecting.
      maxTotal: config.maxTotal,
      maxPerRoute: config.maxPerRoute,
      maxConnecting: config.maxConnecting ?? cmapPreset.maxConnecting!,
      minPoolSize: config.minPoolSize ?? 0,
      // The pool's one address: kept at minPoolSize from ready() on, before any check-out.
      minPoolRoutes: config.routes,
      onEvent(event) {
        const notice = referenceNotice(event);
        if (notice !== undefined) forward?.(notice);
      },
    });
    return {
      ...wrapReferencePool(pool),
      events(listener) {
        forward = listener;
      },
    };
  },
};

/** What {@linkcode cmapReferenceAdapter} declares it can do. */
const CMAP_REFERENCE_CAPABILITIES: readonly Capability[] = [
  "stats",
  "closeIdle",
  "clear",
  "acquireTimeout",
  "releaseBroken",
  "maxPerRoute",
  "maxConnecting",
  "maxWaiters",
  "connectTimeout",
  "rejectsBadRelease",
  "rejectionKinds",
  "events",
  "minPoolSize",
  "interruptInUse",
  "maxIdle",
  "validatesOptions",
  "validatesArguments",
];

/**
 * The options the reference adapter declares validated whose capability
 * `capabilities` declares too, under the same names.
 */
function validatedWith(capabilities: readonly Capability[]): ValidatedOptions {
  return Object.fromEntries(
    Object.entries(REFERENCE_SUPPORTS.validatedOptions ?? {}).filter(([option]) => {
      const needs = capabilityOfOption(option as ValidatedOption);
      return needs === undefined || capabilities.includes(needs);
    }),
  );
}

/**
 * The reference pool with the CMAP behaviours the harness draws: it starts
 * paused and keeps a drawn `minPoolSize` on every route, within the
 * reference pool's small drawn limits. CMAP knows no TTL, keep-alive or
 * use count, so none is declared.
 */
export const cmapReferenceAdapter: Adapter<Lease> = {
  name: "reference-cmap",
  supports: {
    ...REFERENCE_SUPPORTS,
    capabilities: CMAP_REFERENCE_CAPABILITIES,
    ranges: { ...REFERENCE_SUPPORTS.ranges, minPoolSize: [0, 3], maxIdleMs: [1, 100] },
    // ReferencePool's own checks (src/pool/options.ts, src/pool/reference_pool.ts): those the
    // reference adapter declares whose capability this one declares too, and its CMAP options.
    validatedOptions: {
      ...validatedWith(CMAP_REFERENCE_CAPABILITIES),
      maxIdleMs: "connectionsMaxIdleMs",
      minPoolSize: "minPoolSize",
    },
    validatedArguments: {
      ...REFERENCE_SUPPORTS.validatedArguments,
      interruptInUse: "interruptInUseConnections",
    },
    // The pool's options the kit's config has no field for (src/pool/options.ts,
    // src/pool/reference_pool.ts), and those of the kit's whose capability it does not declare,
    // each with values it must refuse: functions, flags, a route list, a map of limits, durations
    // that must be above 0, a minimum and a backoff that must be finite.
    poolOptions: {
      // Values cross to the worker a check may run in, so they are data: no functions.
      clock: [{}, undefined],
      connect: ["localhost", undefined],
      random: [0.5],
      routeKey: ["origin"],
      onEvent: [true],
      observePeerClose: ["yes"],
      closeIdleOfOtherRoutes: [1],
      multiplexed: ["false"],
      startPaused: [0],
      minPoolRoutes: ["r0", [1]],
      minPoolSize: [Infinity],
      maxPerRouteOverrides: [5, null],
      reconnectBackoffMs: [Infinity],
      idleTimeoutMs: [-1],
      evictionIntervalMs: [0],
      requestTimeoutMs: [0],
    },
    policies: {
      ...REFERENCE_SUPPORTS.policies,
      startsPaused: true,
      idleExpiry: "checkout",
      connectOwnership: "acquire",
    },
  },
  create(config, world) {
    const pool = new ReferencePool({
      startPaused: true,
      // Before the drawn config's options: CFG-1 offers invalid policies through them.
      idleExpiry: "checkout",
      connectOwnership: "acquire",
      ...referenceOptions(config, world),
      // Last: CFG-1's invalid value of one of the pool's own options, in place of its setting.
      ...config.poolOptions,
    } as ReferencePoolOptions);
    const wrapped = wrapReferencePool(pool);
    return {
      ...wrapped,
      events(listener) {
        wrapped.events!(listener);
        // A second listener per type, removed at once: it must neither displace the first nor
        // stay, or every event would be reported twice or not at all.
        const removers = POOL_EVENT_TYPES.map((type) =>
          pool.on(type, (event) => listener(referenceNotice(event)!))
        );
        for (const remove of removers) remove();
      },
    };
  },
};

/**
 * The reference pool reusing its idle connections oldest first, as Apache
 * HttpClient 5 does with `PoolReusePolicy.FIFO` (and as pools that spread
 * load over their connections do), on the reference pool's drawn limits
 * narrowed to those where two connections of a route can be idle together.
 * ORD-4 then judges FIFO reuse, and the other rules the paths it takes.
 */
export const referenceFifoAdapter: Adapter<Lease> = {
  name: "reference-fifo",
  supports: {
    ...REFERENCE_SUPPORTS,
    // Reuse order shows only among two or more idle connections of one route: at most two
    // routes, each allowed two connections or more.
    ranges: { ...REFERENCE_SUPPORTS.ranges, routes: [1, 2], maxTotal: [2, 6], maxPerRoute: [2, 4] },
    policies: { ...REFERENCE_SUPPORTS.policies, reuseOrder: "fifo" },
  },
  create: (config, world) =>
    wrapReferencePool(
      // The drawn config's options last: CFG-1 offers an invalid reuseOrder through them.
      new ReferencePool({ reuseOrder: "fifo", ...referenceOptions(config, world) }),
    ),
};

/** The least reconnect backoff reference-retry runs with: its pool requires more than 0 ms. */
const RETRY_MIN_BACKOFF_MS = 1;

/**
 * The reference pool that keeps its waiters through a failed connect and
 * dials again once the route's backoff has passed (policy `connectFailure:
 * "retry"`, as Kafka's `NetworkClient` keeps a request through reconnects),
 * on the reference pool's drawn limits, and keeps a drawn minimum of
 * connections on every route, as tarn keeps `min` and retries a failed create
 * after `createRetryIntervalMillis`: the background connects back off too,
 * which LIM-6 and TMO-3 judge together. The pool requires a backoff above
 * 0 ms when it retries, so the declared backoff starts at 1 ms.
 */
export const referenceRetryAdapter: Adapter<Lease> = {
  name: "reference-retry",
  supports: {
    ...REFERENCE_SUPPORTS,
    capabilities: [...REFERENCE_SUPPORTS.capabilities, "minPoolSize"],
    ranges: {
      ...REFERENCE_SUPPORTS.ranges,
      reconnectBackoffMs: [RETRY_MIN_BACKOFF_MS, 40],
      minPoolSize: [0, 3],
    },
    policies: { ...REFERENCE_SUPPORTS.policies, connectFailure: "retry" },
    // A backoff of 0 is valid for a pool that fails the waiter, not for one that retries: it
    // would retry a refusing route at one instant forever (src/pool/options.ts).
    poolOptions: { reconnectBackoffMs: [0] },
  },
  create: (config, world) =>
    wrapReferencePool(
      new ReferencePool({
        // Before the drawn config's options: CFG-1 offers an invalid connectFailure through them.
        connectFailure: "retry",
        ...referenceOptions(config, world),
        // A config that sets no backoff (a CMAP scenario's) gets the least the range allows.
        reconnectBackoffMs: config.reconnectBackoffMs ?? RETRY_MIN_BACKOFF_MS,
        // Last: CFG-1's invalid value of one of the pool's own options, in place of its setting.
        ...config.poolOptions,
      }),
    ),
};

/**
 * The reference pool that never closes another route's idle connection to
 * make room (policy `closeIdleOfOtherRoutes: false`, as the JDK keep-alive
 * cache and pools with one key per pool behave), on limits where the total
 * binds: two or three routes share one to four connections, so a route finds
 * the pool full of another route's idle connections and must wait, and EXP-6
 * judges that none of them is closed for it.
 */
export const referenceKeepOtherRoutesAdapter: Adapter<Lease> = {
  name: "reference-keep-other-routes",
  supports: {
    ...REFERENCE_SUPPORTS,
    ranges: { ...REFERENCE_SUPPORTS.ranges, routes: [2, 3], maxTotal: [1, 4], maxPerRoute: [1, 4] },
    policies: { ...REFERENCE_SUPPORTS.policies, closeIdleOfOtherRoutes: false },
  },
  create: (config, world) =>
    wrapReferencePool(
      new ReferencePool({ closeIdleOfOtherRoutes: false, ...referenceOptions(config, world) }),
    ),
};
