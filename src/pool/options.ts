import type { Clock } from "../clock/types.ts";
import type { SimSocket } from "../net/sim_socket.ts";
import type { Route } from "../net/types.ts";
import {
  checkBoolean,
  checkChoice,
  checkCount,
  checkDuration,
  checkFunction,
  checkRecord,
  checkRelation,
  checkStringList,
} from "./_validate.ts";
import { seededRandom } from "../random.ts";
import type { PoolEvent } from "./events.ts";

/** How a pool opens a connection: e.g. `network.connect.bind(network)`. */
export type ConnectFunction = (
  route: Route,
  options: { signal: AbortSignal },
) => Promise<SimSocket>;

/** Order in which a route's idle connections are reused. */
export type ReuseOrder = "lifo" | "fifo";

/** What a failed connect does to the waiters it was opened for. */
export type ConnectFailurePolicy = "reject" | "retry";

/**
 * Whose a connect is: any waiter of its route takes the connection it makes
 * (`route`, Apache), or it belongs to the acquire that started it (`acquire`,
 * MongoDB CMAP: that check-out completes or fails with that connection).
 */
export type ConnectOwnership = "route" | "acquire";

/**
 * Where `connectionsMaxIdleMs` is enforced: by a timer that closes idle
 * connections as they pass it (`timer`, Kafka), or only when a check-out
 * meets the connection (`checkout`, CMAP's `maxIdleTimeMS`).
 */
export type IdleExpiry = "timer" | "checkout";

/**
 * Behaviour of a {@linkcode ReferencePool} without its collaborators: what a
 * preset fixes. Every field is optional; the defaults are Apache HttpClient 5's
 * where that pool has the setting.
 */
export interface PoolBehaviourOptions {
  /** Source of jitter for reconnect backoff, in [0, 1). @default {seededRandom(0x5eed)} */
  random?: () => number;
  /** Maps an acquire's target to the route whose connections it may reuse. @default {identity} */
  routeKey?: (target: string) => Route;
  /** Live connections (connecting, idle, leased) in total. @default {25} */
  maxTotal?: number;
  /** Live connections per route. @default {5} */
  maxPerRoute?: number;
  /** Per-route limits that replace `maxPerRoute`. @default {{}} */
  maxPerRouteOverrides?: Record<Route, number>;
  /** Connects in progress at once, over all routes. @default {Infinity} */
  maxConnecting?: number;
  /** Callers waiting at once; an acquire beyond it fails at once. @default {Infinity} */
  maxWaiters?: number;
  /** Lifetime of a connection from its creation. @default {Infinity} */
  ttlMs?: number;
  /** Keep-alive when the last response gave no `timeout=N` hint (3 minutes). @default {180000} */
  defaultKeepAliveMs?: number;
  /** Close a connection once it served the hint's `max=M` requests (JDK). @default {false} */
  honourKeepAliveMax?: boolean;
  /**
   * Leases a connection may serve: the release of its `maxUses`-th lease
   * closes it instead of returning it to the idle set (pg-pool's `maxUses`).
   * @default {Infinity}
   */
  maxUses?: number;
  /** Idle connections idle longer than this are not reused. @default {Infinity} */
  idleTimeoutMs?: number;
  /** Idle connections idle longer than this are probed before reuse. @default {2000} */
  validateAfterInactivityMs?: number;
  /**
   * Listen for the server half-closing a connection and close it at once, as
   * event-driven clients (undici, node:http) do. Apache's classic blocking
   * pool cannot hear it and relies on `validateAfterInactivityMs` instead.
   * @default {true}
   */
  observePeerClose?: boolean;
  /** Period of the evictor (closeExpired + idle timeout). @default {Infinity} (no evictor) */
  evictionIntervalMs?: number;
  /** Reuse order among a route's idle connections. @default {"lifo"} */
  reuseOrder?: ReuseOrder;
  /** When full, close the least recently used idle connection of another route. @default {true} */
  closeIdleOfOtherRoutes?: boolean;
  /** A failed connect rejects the oldest waiter of its route, or keeps it waiting. @default {"reject"} */
  connectFailure?: ConnectFailurePolicy;
  /** A connect not established by then is aborted. @default {Infinity} */
  connectTimeoutMs?: number;
  /** Base of the per-route reconnect backoff. @default {0} */
  reconnectBackoffMs?: number;
  /** Cap of the reconnect backoff. @default {reconnectBackoffMs} */
  reconnectBackoffMaxMs?: number;
  /** One connection per route shared by `send()` calls (Kafka). @default {false} */
  multiplexed?: boolean;
  /** Requests outstanding per connection in multiplexed mode. @default {5} */
  maxInFlight?: number;
  /**
   * Multiplexed mode: a request written to a connection and not answered
   * within this time fails with a `RequestTimeoutError`, and its connection
   * is closed, failing the other requests in flight on it (Kafka's
   * `request.timeout.ms`: the response may still come, so the connection's
   * order can no longer be trusted).
   * @default {Infinity}
   */
  requestTimeoutMs?: number;
  /**
   * Connections idle longer than this are closed: by a timer, least recently
   * active first, or when a check-out meets them (see `idleExpiry`).
   * @default {Infinity}
   */
  connectionsMaxIdleMs?: number;
  /** Where `connectionsMaxIdleMs` is enforced (CMAP: at check-out). @default {"timer"} */
  idleExpiry?: IdleExpiry;
  /**
   * Start paused (CMAP): every acquire fails with PoolClearedError until
   * `ready()`; nothing is opened in the background before it.
   * @default {false}
   */
  startPaused?: boolean;
  /**
   * Connections the pool keeps per route once that route has been asked
   * for (CMAP's `minPoolSize`), opened in the background while the pool is
   * ready, within `maxPerRoute`, `maxTotal` and `maxConnecting`.
   * @default {0}
   */
  minPoolSize?: number;
  /**
   * Routes kept at `minPoolSize` from the start, before anyone asks for
   * them (a CMAP pool has one, its server's address); any other route is
   * kept once a caller has asked for it.
   * @default {[]}
   */
  minPoolRoutes?: readonly Route[];
  /** Whose a connect is: the route's waiters', or the acquire's that started it. @default {"route"} */
  connectOwnership?: ConnectOwnership;
}

/** Options for {@linkcode ReferencePool}: its collaborators and its behaviour. */
export interface ReferencePoolOptions extends PoolBehaviourOptions {
  /** The only time source; timers are armed on it. */
  clock: Clock;
  /** Opens a socket, e.g. `network.connect.bind(network)`. */
  connect: ConnectFunction;
  /**
   * Called with every event, from the first (`PoolCreated`, emitted by the
   * constructor) on; `on(type, listener)` can only listen from after it.
   * It must not throw. @default {undefined}
   */
  onEvent?: (event: PoolEvent) => void;
}

/** Every behaviour option resolved and checked: what the core reads. */
export type PoolConfig = Readonly<Required<PoolBehaviourOptions>>;

const REUSE_ORDERS: readonly ReuseOrder[] = ["lifo", "fifo"];
const FAILURE_POLICIES: readonly ConnectFailurePolicy[] = ["reject", "retry"];
const OWNERSHIPS: readonly ConnectOwnership[] = ["route", "acquire"];
const IDLE_EXPIRIES: readonly IdleExpiry[] = ["timer", "checkout"];

function identity(target: string): Route {
  return target;
}

/**
 * Check every option eagerly and apply the defaults once.
 *
 * @param options The pool's behaviour options.
 * @returns The resolved configuration.
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If an option is out of range or two options contradict.
 */
export function resolvePoolConfig(options: PoolBehaviourOptions): PoolConfig {
  const {
    random = seededRandom(0x5eed),
    routeKey = identity,
    maxTotal = 25,
    maxPerRoute = 5,
    maxPerRouteOverrides = {},
    maxConnecting = Infinity,
    maxWaiters = Infinity,
    ttlMs = Infinity,
    defaultKeepAliveMs = 180_000,
    honourKeepAliveMax = false,
    maxUses = Infinity,
    idleTimeoutMs = Infinity,
    validateAfterInactivityMs = 2_000,
    observePeerClose = true,
    evictionIntervalMs = Infinity,
    reuseOrder = "lifo",
    closeIdleOfOtherRoutes = true,
    connectFailure = "reject",
    connectTimeoutMs = Infinity,
    reconnectBackoffMs = 0,
    reconnectBackoffMaxMs = reconnectBackoffMs,
    multiplexed = false,
    maxInFlight = 5,
    requestTimeoutMs = Infinity,
    connectionsMaxIdleMs = Infinity,
    idleExpiry = "timer",
    startPaused = false,
    minPoolSize = 0,
    minPoolRoutes = [],
    connectOwnership = "route",
  } = options;
  const config: PoolConfig = {
    random: checkFunction("random", random),
    routeKey: checkFunction("routeKey", routeKey),
    maxTotal: checkCount("maxTotal", maxTotal, { min: 1, infinite: true }),
    maxPerRoute: checkCount("maxPerRoute", maxPerRoute, { min: 1, infinite: true }),
    maxPerRouteOverrides: checkOverrides(maxPerRouteOverrides, maxTotal),
    maxConnecting: checkCount("maxConnecting", maxConnecting, { min: 1, infinite: true }),
    maxWaiters: checkCount("maxWaiters", maxWaiters, { min: 0, infinite: true }),
    ttlMs: checkDuration("ttlMs", ttlMs, { infinite: true }),
    defaultKeepAliveMs: checkDuration("defaultKeepAliveMs", defaultKeepAliveMs, { infinite: true }),
    honourKeepAliveMax: checkBoolean("honourKeepAliveMax", honourKeepAliveMax),
    maxUses: checkCount("maxUses", maxUses, { min: 1, infinite: true }),
    idleTimeoutMs: checkDuration("idleTimeoutMs", idleTimeoutMs, { infinite: true }),
    validateAfterInactivityMs: checkDuration(
      "validateAfterInactivityMs",
      validateAfterInactivityMs,
      { infinite: true },
    ),
    observePeerClose: checkBoolean("observePeerClose", observePeerClose),
    evictionIntervalMs: checkEvictionInterval(evictionIntervalMs),
    reuseOrder: checkChoice("reuseOrder", reuseOrder, REUSE_ORDERS),
    closeIdleOfOtherRoutes: checkBoolean("closeIdleOfOtherRoutes", closeIdleOfOtherRoutes),
    connectFailure: checkChoice("connectFailure", connectFailure, FAILURE_POLICIES),
    connectTimeoutMs: checkDuration("connectTimeoutMs", connectTimeoutMs, { infinite: true }),
    reconnectBackoffMs: checkDuration("reconnectBackoffMs", reconnectBackoffMs, {
      infinite: false,
    }),
    reconnectBackoffMaxMs: checkDuration("reconnectBackoffMaxMs", reconnectBackoffMaxMs, {
      infinite: false,
    }),
    multiplexed: checkBoolean("multiplexed", multiplexed),
    maxInFlight: checkCount("maxInFlight", maxInFlight, { min: 1, infinite: true }),
    requestTimeoutMs: checkRequestTimeout(requestTimeoutMs),
    connectionsMaxIdleMs: checkDuration("connectionsMaxIdleMs", connectionsMaxIdleMs, {
      infinite: true,
    }),
    idleExpiry: checkChoice("idleExpiry", idleExpiry, IDLE_EXPIRIES),
    startPaused: checkBoolean("startPaused", startPaused),
    minPoolSize: checkCount("minPoolSize", minPoolSize, { min: 0, infinite: false }),
    minPoolRoutes: checkStringList("minPoolRoutes", minPoolRoutes),
    connectOwnership: checkChoice("connectOwnership", connectOwnership, OWNERSHIPS),
  };
  checkCombinations(config);
  return config;
}

function checkOverrides(value: unknown, maxTotal: number): Record<Route, number> {
  const overrides = checkRecord("maxPerRouteOverrides", value);
  const checked: Record<Route, number> = {};
  for (const [route, limit] of Object.entries(overrides)) {
    const name = `maxPerRouteOverrides[${JSON.stringify(route)}]`;
    checked[route] = checkCount(name, limit, { min: 1, infinite: true });
    checkRelation(limit as number <= maxTotal, name, `at most 'maxTotal' (${maxTotal})`, limit);
  }
  return checked;
}

function checkRequestTimeout(value: unknown): number {
  const timeout = checkDuration("requestTimeoutMs", value, { infinite: true });
  checkRelation(timeout > 0, "requestTimeoutMs", "greater than 0 or Infinity", timeout);
  return timeout;
}

function checkEvictionInterval(value: unknown): number {
  const interval = checkDuration("evictionIntervalMs", value, { infinite: true });
  checkRelation(interval > 0, "evictionIntervalMs", "greater than 0 or Infinity", interval);
  return interval;
}

function checkCombinations(config: PoolConfig): void {
  const { maxTotal, maxPerRoute, reconnectBackoffMs, reconnectBackoffMaxMs } = config;
  checkRelation(
    maxPerRoute <= maxTotal,
    "maxPerRoute",
    `at most 'maxTotal' (${maxTotal})`,
    maxPerRoute,
  );
  checkRelation(
    reconnectBackoffMaxMs >= reconnectBackoffMs,
    "reconnectBackoffMaxMs",
    `at least 'reconnectBackoffMs' (${reconnectBackoffMs})`,
    reconnectBackoffMaxMs,
  );
  checkRelation(
    config.minPoolSize <= maxTotal,
    "minPoolSize",
    `at most 'maxTotal' (${maxTotal})`,
    config.minPoolSize,
  );
  // A multiplexed pool has no check-out to meet an idle connection at.
  checkRelation(
    !config.multiplexed || config.idleExpiry === "timer",
    "idleExpiry",
    `"timer" when 'multiplexed' is true`,
    config.idleExpiry,
  );
  // Retrying at once against a refusing endpoint would loop forever at one instant.
  checkRelation(
    config.connectFailure !== "retry" || reconnectBackoffMs > 0,
    "reconnectBackoffMs",
    `greater than 0 when 'connectFailure' is "retry"`,
    reconnectBackoffMs,
  );
}

/**
 * The live-connection limit of one route: its override, else `maxPerRoute`;
 * one in multiplexed mode.
 *
 * @param config The resolved configuration.
 * @param route The route.
 * @returns The route's limit.
 */
export function routeLimit(config: PoolConfig, route: Route): number {
  const limit = Object.hasOwn(config.maxPerRouteOverrides, route)
    ? config.maxPerRouteOverrides[route]!
    : config.maxPerRoute;
  return config.multiplexed ? Math.min(1, limit) : limit;
}
