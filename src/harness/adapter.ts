/**
 * The adapter contract: how the harness drives a pool it knows nothing about.
 *
 * An {@linkcode Adapter} declares what its pool can do ({@linkcode Supports})
 * and creates a {@linkcode PoolUnderTest} for a {@linkcode PoolConfig} drawn by
 * the harness, connected through the simulated network of a {@linkcode World}.
 * Rules are judged from the network's ledger and from what callers received,
 * so the only thing an adapter must expose about its leases is which simulated
 * socket each one holds ({@linkcode PoolUnderTest.connectionOf}).
 *
 * @module
 */
import type { DrivableClock } from "../clock/types.ts";
import type { SimNetwork } from "../net/mod.ts";
import type { Route, SimResponse, SocketId } from "../net/types.ts";

export { CAPABILITIES, type Capability, hasCapability, RANGE_CAPABILITY } from "./capabilities.ts";
export { validateAdapter, validatePoolUnderTest } from "./adapter_validation.ts";
import type { Capability } from "./capabilities.ts";

/** How the pool under test reads time. */
export type TimeMode =
  /** The pool takes the injected {@linkcode World.clock} (a virtual clock). */
  | "virtual"
  /**
   * The pool reads global time (`setTimeout`, `Date`, …); the harness fakes it
   * for the duration of each run and `world.clock` is the driver.
   */
  | "global";

/** An inclusive integer range `[min, max]` the harness draws a value from. */
export type IntRange = readonly [min: number, max: number];

/**
 * Value ranges for the drawn {@linkcode PoolConfig}. `routes` and `maxTotal`
 * are required; an optional range is used only when the matching capability
 * is declared (otherwise that config field stays `undefined`, or for
 * `maxPerRoute` equals `maxTotal`).
 */
export interface Ranges {
  /** Number of distinct routes a run uses (1 to 8). */
  readonly routes: IntRange;
  /** Total connection limit. */
  readonly maxTotal: IntRange;
  /**
   * Per-route connection limit (capability `maxPerRoute`; required with it).
   * Without the capability `config.maxPerRoute` equals `maxTotal`, and the
   * range, if given, is not used.
   */
  readonly maxPerRoute?: IntRange;
  /** Connects in progress at once (capability `maxConnecting`). */
  readonly maxConnecting?: IntRange;
  /** Queued acquires at once (capability `maxWaiters`). */
  readonly maxWaiters?: IntRange;
  /** Acquire timeout given to timed acquires, ms (capability `acquireTimeout`). */
  readonly acquireTimeoutMs?: IntRange;
  /** Time to live from creation, ms (capability `ttl`). */
  readonly ttlMs?: IntRange;
  /** Keep-alive used without a hint, ms (capability `defaultKeepAlive`). */
  readonly defaultKeepAliveMs?: IntRange;
  /** `timeout=N` hints the simulated server sends, ms (capability `keepAliveHint`). */
  readonly keepAliveHintMs?: IntRange;
  /** `max=M` hints the simulated server sends (capability `keepAliveMax`). */
  readonly keepAliveMax?: IntRange;
  /** Leases a connection may serve before it is retired (capability `maxUses`). */
  readonly maxUses?: IntRange;
  /** Inactivity after which a connection is validated, ms (capability `validateAfterInactivity`). */
  readonly validateAfterInactivityMs?: IntRange;
  /** Connect timeout, ms (capability `connectTimeout`). */
  readonly connectTimeoutMs?: IntRange;
  /** Reconnect backoff base, ms (capability `reconnectBackoff`). */
  readonly reconnectBackoffMs?: IntRange;
  /** Reconnect backoff cap, ms (capability `reconnectBackoff`). */
  readonly reconnectBackoffMaxMs?: IntRange;
  /** Maximum idle time before the pool closes a connection, ms (capability `maxIdle`). */
  readonly maxIdleMs?: IntRange;
  /** Outstanding requests per connection (capability `multiplexed`). */
  readonly maxInFlight?: IntRange;
  /**
   * Connections the pool keeps open by itself (capability `minPoolSize`,
   * CMAP's `minPoolSize`); its maximum may not exceed that of `maxTotal`.
   */
  readonly minPoolSize?: IntRange;
  /** Request timeout, ms (capability `requestTimeout`). */
  readonly requestTimeoutMs?: IntRange;
}

/** The names of the ranges in {@linkcode Ranges}. */
export type RangeName = keyof Ranges;

/**
 * Choices real pools make differently (docs/adapters.md lists each, with the
 * rules that read it). Rules follow the declaration: a pool is judged against
 * what it says it does.
 */
export interface Policies {
  /**
   * Which idle connection of a route is reused: the most recently released
   * (`lifo`), the least recently released (`fifo`), or unspecified (`any`;
   * ORD-4 is then not applicable).
   */
  readonly reuseOrder: "lifo" | "fifo" | "any";
  /** Order in which waiters of one route are served (`any`: ORD-1 not applicable). */
  readonly waiterOrder: "fifo" | "any";
  /**
   * Whether a new acquire may take a connection while older waiters of the
   * same route are queued. `false` makes ORD-2 applicable.
   */
  readonly overtaking: boolean;
  /**
   * Where expiry (TTL, keep-alive, max idle) is enforced: at lease time, at
   * release time, by per-connection timers, or by a periodic evictor. It
   * documents the pool for the reader of a report; no rule reads it: the rules
   * that forbid leasing an expired connection apply whatever the list says.
   */
  readonly expiry: readonly ("lease" | "release" | "timer" | "evictor")[];
  /**
   * What `close()` does to pending acquires: reject them at once (`reject`),
   * let them be served by released connections first (`drain`), or leave them
   * pending forever (`drop`; CLS-1 then fails unless expected).
   */
  readonly closeWaiters: "reject" | "drain" | "drop";
  /**
   * What `close()` does to the sends of a multiplexed pool (capability
   * `multiplexed`): fail every send pending at close (`reject`; Kafka's
   * Java producer with a zero timeout), or let the sends made before close
   * settle before `close()` resolves (`drain`; kafkajs, whose
   * `Connection.disconnect` awaits its request queue). Either way a send
   * made after `close()` is not served. CLS-1 judges it. Optional: left
   * out, CLS-1 judges no send.
   */
  readonly closeSends?: "reject" | "drain";
  /**
   * After a failed connect: reject one waiter (`reject`) or keep it queued and
   * connect again (`retry`).
   */
  readonly connectFailure: "reject" | "retry";
  /**
   * Whether per-route and total limits count idle connections (Apache: yes).
   * It documents the pool; no rule reads it: LIM-1 and LIM-2 count every live
   * connection, idle ones included, whatever it says.
   */
  readonly limitsCountIdle: boolean;
  /**
   * Whether, when full, the pool closes an idle connection of another route to
   * make room for a waiter (Apache). The heal phase's capacity probe reads it:
   * with `true` it expects the whole of `maxTotal` to be usable across the
   * routes; with `false` it probes the busiest route only, up to what the
   * other routes' live connections leave. EXP-5 reads it too: with `true`,
   * an idle connection closed while another route has a pending acquire is
   * not held against `closeIdle` or `closeExpired`.
   */
  readonly closeIdleOfOtherRoutes: boolean;
  /**
   * Which idle connection a pool that closes another route's idle connection
   * to make room (`closeIdleOfOtherRoutes`) closes: the one released longest
   * ago (`leastRecentlyReleased`: Apache's pool, whose list of available
   * connections takes a released one at its head and gives up the one at its
   * tail), or unspecified (`any`, the default: EXP-7.b is not judged).
   */
  readonly roomVictim?: "leastRecentlyReleased" | "any";
  /**
   * How the pool learns that the server or the network closed an idle
   * connection: it hears the close and drops the connection at once
   * (`event`: undici, node:http, pg), or only when it validates or uses the
   * connection (`check`: Apache's blocking pool, generic-pool, tarn). With
   * `check`, STA-1 lets `available` count such a connection until then.
   */
  readonly closeDetection: "event" | "check";
  /**
   * What the pool does with the release of a lease made after `close()`:
   * accept it (`accept`: CMAP's check-in and Apache HttpCore 5 take it and
   * close the connection) or refuse it, throwing or rejecting (`reject`).
   * Optional: left out, either is accepted. Either way the connection must
   * end closed (CLS-2). LSE-5 reads it.
   */
  readonly releaseAfterClose?: "accept" | "reject";
  /**
   * Whether a new pool starts paused, failing every acquire with a
   * `poolCleared`-kind error until `ready()` is called (MongoDB CMAP). Needs
   * capability `clear` (for `ready()`). Optional: left out, `false`.
   */
  readonly startsPaused?: boolean;
  /**
   * Where the maximum idle time is enforced: by the pool's own timers, closing
   * a connection as it passes the limit (`timer`), or only when an acquire
   * meets the idle connection, which is then closed and the next one tried
   * (`checkout`, CMAP's `maxIdleTimeMS`). Optional: left out, `timer`.
   */
  readonly idleExpiry?: "timer" | "checkout";
  /**
   * Whose connection a connect started for a waiting acquire is: any waiter
   * of the route takes it, oldest first (`route`), or it belongs to the
   * acquire that started it, which ends with that connection or its failure
   * and is no longer bounded by its acquire timeout (`acquire`, CMAP).
   * Optional: left out, `route`.
   */
  readonly connectOwnership?: "route" | "acquire";
  /**
   * How the reconnect backoff grows and how much it jitters (capability
   * `reconnectBackoff`, whose ranges give the initial delay,
   * `reconnectBackoffMs`, and the cap, `reconnectBackoffMaxMs`): after
   * `failures` consecutive failures of a route the delay is
   * `initial × multiplier^(failures−1)`, capped, times a factor drawn in
   * `[1 − jitter, 1 + jitter)`. TMO-3 judges the delays against it on both
   * sides. Optional: left out, Kafka's reconnect backoff, multiplier 2 and
   * jitter 0.2.
   */
  readonly backoff?: BackoffPolicy;
  /**
   * What a multiplexed pool does with a request that timed out (capability
   * `requestTimeout`, required with it). TMO-5 judges it.
   */
  readonly requestTimeout?: RequestTimeoutPolicy;
}

/**
 * What becomes of a request that was not answered within the request timeout
 * ({@linkcode Policies.requestTimeout}).
 */
export interface RequestTimeoutPolicy {
  /**
   * `disconnect`: its connection is closed, failing every request in flight
   * on it (Kafka's Java client, `NetworkClient.handleTimedOutRequests`: a
   * late answer would be taken for the next request's). `abandon`: its caller
   * fails and the request is forgotten; its connection stays, and a late
   * answer is dropped (kafkajs, which matches answers by correlation id).
   */
  readonly onTimeout: "disconnect" | "abandon";
  /**
   * How long after the deadline the pool may notice, for a pool that checks
   * its requests on a period (kafkajs: every `min(requestTimeout, 100)` ms).
   * Optional: left out, 0; the adapter's `toleranceMs` applies on top.
   */
  readonly checkPeriodMs?: number;
}

/**
 * The growth and jitter of a reconnect backoff ({@linkcode Policies.backoff}),
 * e.g. `{ multiplier: 2, jitter: 0.2 }` for Kafka's `reconnect.backoff.ms`
 * and for kafkajs's retrier (`multiplier`, `factor`).
 */
export interface BackoffPolicy {
  /** Growth per consecutive failure, ≥ 1 (1: a constant delay). */
  readonly multiplier: number;
  /** Jitter factor in [0, 1): each delay is the term times a factor in `[1 − jitter, 1 + jitter)`. */
  readonly jitter: number;
  /**
   * Whether a connection the server or the network ended counts as a failure
   * of its route, as a refused connect does (Kafka's `NetworkClient` backs a
   * node off after any disconnect). TMO-3 then holds the next connect to the
   * shortest backoff after a disconnect too. Optional: left out, `false`
   * (TMO-3 still lets a pool count disconnects, on the upper side).
   */
  readonly afterDisconnect?: boolean;
  /**
   * Whether each delay derives from the previous one rather than from the
   * failure count (kafkajs's retrier, src/retry/index.js `createRetriable`):
   * the first is `ceil(initial × U)`, each next `min(ceil(previous × U) ×
   * multiplier, cap)`, with `U` a factor drawn in `[1 − jitter, 1 + jitter)`
   * afresh each time, so the jitter compounds and only the first delay
   * escapes the cap. TMO-3 then bounds each delay by the one before it as
   * observed (the first by the initial delay). Optional: left out, `false`.
   */
  readonly compounding?: boolean;
  /**
   * What the backoff spaces out. `route`: the connects of a route after its
   * failures (a reconnect backoff, Kafka's `NetworkClient`). `operation`:
   * the attempts of one send, each retry waiting after the failure of the
   * attempt before it and every send starting afresh (a retrier around each
   * operation, kafkajs's); the adapter reports the attempts
   * ({@linkcode SendRequest.attemptStarted}), and only a multiplexed pool
   * may declare it. Optional: left out, `route`.
   */
  readonly scope?: "route" | "operation";
}

/** Everything an adapter declares about its pool. */
export interface Supports {
  /** How the pool reads time. */
  readonly timeMode: TimeMode;
  /** Optional abilities; see {@linkcode Capability}. */
  readonly capabilities: readonly Capability[];
  /** Value ranges the harness draws the config from. */
  readonly ranges: Ranges;
  /** Behavioural choices rules follow. */
  readonly policies: Policies;
  /**
   * Timing tolerance in ms: how late after a deadline the pool may act (a
   * timeout may fire, an expired connection may still be counted). 0 for
   * pools on virtual time; real pools that round timers may need a few ms.
   */
  readonly toleranceMs: number;
  /**
   * How long before a keep-alive hint's deadline the pool may close an idle
   * connection, in ms: node:http's agent subtracts a second from the
   * server's `timeout=N` (`agentKeepAliveTimeoutBuffer`) so it closes before
   * the server does, and a hint sent over HTTP is whole seconds, up to 999 ms
   * shorter than the time the simulated server keeps the connection. EXP-7
   * reads it; nothing else may be early. @default {0}
   */
  readonly keepAliveLeadMs?: number;
  /**
   * How many live connections (connecting or open) a multiplexed pool keeps
   * per route when it does not declare capability `maxPerRoute`: kafkajs's
   * `ConnectionPool` has two per broker, one for Fetch and one for every other
   * request. INF-1.b allows that many. @default {1}
   */
  readonly connectionsPerRoute?: number;
  /**
   * With capability `minPoolSize`: the period of the background task that
   * keeps the minimum, in ms (CMAP's background thread runs every
   * `backgroundThreadIntervalMS`; the MongoDB Node.js driver checks every
   * `minPoolSizeCheckFrequencyMS`, 100 ms). LIM-6.a lets a ready pool stay
   * below its minimum, with no connect in progress, that long (plus the
   * tolerance) before it starts one. Left out, the pool must start one as soon
   * as it has settled.
   */
  readonly populationIntervalMs?: number;
  /**
   * The options the pool checks when it is created (capability
   * `validatesOptions`, CFG-1), each under the pool's own name for it: the
   * name its errors use, e.g. `{ maxTotal: "max" }` for tarn. The harness
   * offers one of them an invalid value in some runs, and the adapter must
   * pass that value to the pool unchanged. An option is drawn only when its
   * capability is declared (`ttlMs` needs `ttl`, and so on).
   */
  readonly validatedOptions?: ValidatedOptions;
  /**
   * The call arguments the pool checks (capability `validatesArguments`,
   * CFG-2), each under the pool's own name for it, e.g. `{ acquireTimeoutMs:
   * "timeoutMs" }`. In some steps the harness passes one of them a value
   * outside its domain, and the adapter must hand that value to the pool
   * unchanged. An argument is drawn only when its capability is declared
   * (`acquireTimeoutMs` needs `acquireTimeout`, `closeIdleMs` needs
   * `closeIdle`, `reusable` needs `releaseBroken`). Declare `lease` for a
   * pool whose release refuses what it did not hand out.
   */
  readonly validatedArguments?: ValidatedArguments;
  /**
   * Options of the pool's own that no field of {@linkcode PoolConfig} stands
   * for, each with values the pool must refuse at creation (capability
   * `validatesOptions`, CFG-1), e.g. `{ idleCheckMs: [0, "5"], onError:
   * ["log"] }`. The harness offers them as it offers `validatedOptions`, one
   * at a time in a creation of its own, in `config.poolOptions`, and the
   * adapter must pass each to the pool, under that name, in place of its own
   * setting. Values are compared with the error's message as CFG-1 does: a
   * string in quotes, an object by its content, anything else as JavaScript
   * prints it. Values must be data (a check may run in a worker, which gets
   * the declaration as a structured clone): no functions or symbols.
   */
  readonly poolOptions?: Readonly<Record<string, readonly unknown[]>>;
  /**
   * The event types the pool reports (capability `events`): the rules judge
   * these, and only these. A type left out is one the pool does not emit.
   */
  readonly eventTypes?: readonly ReportedEventType[];
  /**
   * The reasons the pool gives in its `ConnectionClosed` events (capability
   * `events`), each mapped onto the kit's {@linkcode CloseCause}: EVT-4
   * checks that every close gives a listed reason and that the connection's
   * history explains its cause. Leave it out when the pool gives no reasons.
   */
  readonly closeReasons?: Readonly<Record<string, CloseCause>>;
}

/**
 * Why a pool closed a connection, in the kit's words (EVT-4), and what must
 * have happened for the cause to be true:
 * - `poolClosed`: `close()` was called;
 * - `stale`: `clear()` was called after the connection's connect started;
 * - `error`: the connection failed: its holder released it broken, its
 *   connect failed, the network reset it or a request on it failed;
 * - `peerClosed`: the server closed or half-closed it;
 * - `idle`: it sat idle: the pool closes idle connections itself (capability
 *   `maxIdle`) or `closeIdle()` was called at that instant;
 * - `expired`: it passed a deadline the pool declares (`ttl`,
 *   `defaultKeepAlive`, `keepAliveHint`) or `closeExpired()` was called then;
 * - `maxUses`: it had been leased `maxUses` times (capability `maxUses`);
 * - `maxRequests`: it served the keep-alive `max=M` requests (capability
 *   `keepAliveMax`);
 * - `evicted`: it made room for another route (policy
 *   `closeIdleOfOtherRoutes`);
 * - `aborted`: its connect never completed.
 */
export type CloseCause =
  | "poolClosed"
  | "stale"
  | "error"
  | "peerClosed"
  | "idle"
  | "expired"
  | "maxUses"
  | "maxRequests"
  | "evicted"
  | "aborted";

/**
 * The options of a {@linkcode PoolConfig} that CFG-1 can offer an invalid
 * value: its counts, its durations and its flag `honourKeepAliveMax`, and the
 * choices among strings that the pool takes as options where the adapter
 * declares a policy (`reuseOrder`, `connectFailure`, `idleExpiry`,
 * `connectOwnership`).
 */
export type ValidatedOption =
  | "reuseOrder"
  | "connectFailure"
  | "idleExpiry"
  | "connectOwnership"
  | "maxTotal"
  | "maxPerRoute"
  | "maxPerRouteOverrides"
  | "maxConnecting"
  | "maxWaiters"
  | "maxUses"
  | "maxInFlight"
  | "ttlMs"
  | "defaultKeepAliveMs"
  | "validateAfterInactivityMs"
  | "connectTimeoutMs"
  | "reconnectBackoffMs"
  | "reconnectBackoffMaxMs"
  | "maxIdleMs"
  | "minPoolSize"
  | "requestTimeoutMs"
  | "honourKeepAliveMax";

/** Validated options, each with the pool's own name for it (see {@linkcode Supports.validatedOptions}). */
export type ValidatedOptions = Readonly<Partial<Record<ValidatedOption, string>>>;

/**
 * The arguments of the pool's calls that CFG-2 can pass an invalid value:
 * - `route`: the route (target) of `acquire(route)`;
 * - `acquireTimeoutMs`: the `timeoutMs` of `acquire(route, { timeoutMs })`;
 * - `closeIdleMs`: the threshold of `closeIdle(ms)`;
 * - `reusable`: the `reusable` of `release(lease, { reusable })`;
 * - `interruptInUse`: the `interruptInUseConnections` of
 *   `clear({ interruptInUseConnections })`;
 * - `lease`: the lease of `release(lease)`, given something the pool did not
 *   hand out: `null`, a number, an empty object, or a copy of a lease that is
 *   held (the same fields, another object). The adapter's `release` must pass
 *   what it gets to the pool, even when it is not a lease of the adapter's.
 */
export type ValidatedArgument =
  | "route"
  | "acquireTimeoutMs"
  | "closeIdleMs"
  | "reusable"
  | "interruptInUse"
  | "lease";

/** Validated arguments, each with the pool's own name for it (see {@linkcode Supports.validatedArguments}). */
export type ValidatedArguments = Readonly<Partial<Record<ValidatedArgument, string>>>;

/**
 * One run's pool configuration, drawn by the harness within
 * {@linkcode Ranges}. An optional field is `undefined` when its capability is
 * not declared or the run leaves it unset (e.g. no TTL).
 */
export interface PoolConfig {
  /** Routes the run uses, e.g. `["r0", "r1"]`; acquires target only these. */
  readonly routes: readonly Route[];
  /** Total limit on live connections. */
  readonly maxTotal: number;
  /** Per-route limit on live connections (≤ maxTotal). */
  readonly maxPerRoute: number;
  /** Per-route overrides of `maxPerRoute` (each ≤ maxTotal). */
  readonly maxPerRouteOverrides: Readonly<Record<Route, number>>;
  /** Connects in progress at once. */
  readonly maxConnecting: number | undefined;
  /** Queued acquires at once. */
  readonly maxWaiters: number | undefined;
  /** Time to live from creation, ms. */
  readonly ttlMs: number | undefined;
  /** Keep-alive used when a response carries no hint, ms. */
  readonly defaultKeepAliveMs: number | undefined;
  /** Whether the hint's `max=M` is honoured (capability `keepAliveMax`). */
  readonly honourKeepAliveMax: boolean;
  /** Leases a connection may serve; it is retired after the last (capability `maxUses`). */
  readonly maxUses: number | undefined;
  /** Inactivity after which a connection is validated before lease, ms. */
  readonly validateAfterInactivityMs: number | undefined;
  /** Connect timeout, ms. */
  readonly connectTimeoutMs: number | undefined;
  /** Reconnect backoff base, ms. */
  readonly reconnectBackoffMs: number | undefined;
  /** Reconnect backoff cap, ms. */
  readonly reconnectBackoffMaxMs: number | undefined;
  /** Idle time after which the pool closes a connection, ms. */
  readonly maxIdleMs: number | undefined;
  /** Outstanding requests per connection (multiplexed pools). */
  readonly maxInFlight: number | undefined;
  /**
   * Connections the pool keeps open by itself (capability `minPoolSize`).
   * Optional: absent or `undefined` means none (drawn only for a pool that declares `minPoolSize`).
   */
  readonly minPoolSize?: number | undefined;
  /**
   * Request timeout of a multiplexed pool, ms (capability `requestTimeout`).
   * Optional: absent or `undefined` means none (drawn only for a pool that declares it).
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Absent in every run: set only in the config CFG-1 offers a pool that
   * declares `reuseOrder` validated, to a choice outside every pool's list
   * (`"random"`). The adapter passes it to the pool in place of its policy.
   */
  readonly reuseOrder?: string;
  /** As `reuseOrder`, for the policy `connectFailure` (`"sometimes"`). */
  readonly connectFailure?: string;
  /** As `reuseOrder`, for the policy `idleExpiry` (`"never"`). */
  readonly idleExpiry?: string;
  /** As `reuseOrder`, for the policy `connectOwnership` (`"nobody"`). */
  readonly connectOwnership?: string;
  /**
   * Absent in every run: set only in the config CFG-1 offers a pool that
   * declares `poolOptions`, to one of them with one of its invalid values
   * (`{ idleCheckMs: 0 }`). The adapter passes it to the pool under that name,
   * in place of its own setting.
   */
  readonly poolOptions?: Readonly<Record<string, unknown>>;
}

/**
 * What a pool under test is given: the clock that drives time, the simulated
 * network it must connect through, and a deterministic random source (for
 * jitter), all owned by the harness for one run.
 */
export interface World {
  /**
   * The run's clock. For `timeMode: "virtual"` a virtual clock to inject into
   * the pool; for `"global"` the driver that fakes global time (the pool
   * simply uses `setTimeout`/`Date`).
   */
  readonly clock: DrivableClock;
  /** The network; connect with `network.connect(route, { signal })`. */
  readonly network: SimNetwork;
  /** Deterministic numbers in [0, 1) drawn from the run's seed. */
  readonly random: () => number;
}

/** Counts for one route, or for the whole pool. */
export interface RouteStats {
  /** Connections held by callers. */
  readonly leased: number;
  /** Idle connections ready for reuse (including expired ones not yet met). */
  readonly available: number;
  /** Acquires waiting for a connection. */
  readonly pending: number;
  /** Connects in progress. */
  readonly connecting: number;
  /** The route's limit (or maxTotal for the total), when the pool reports it. */
  readonly max?: number;
}

/** What `stats()` returns: the total and each route the pool knows. */
export interface PoolStats {
  /** Whole pool. */
  readonly total: RouteStats;
  /** Per route; a route absent here is taken as all zeros. */
  readonly routes: Readonly<Record<Route, RouteStats>>;
}

/**
 * Why a pool rejected an acquire or a send, in MongoDB CMAP's vocabulary
 * (the reasons of `ConnectionCheckOutFailed`):
 * - `poolClosed`: the pool is closed, or closed while the caller waited;
 * - `poolCleared`: `clear()` failed the caller, or the pool is paused after one;
 * - `timeout`: the caller's own acquire timeout expired;
 * - `waitQueueFull`: the wait queue was full when the caller asked;
 * - `connectionError`: a connect failed or timed out, or the connection a
 *   send was on failed.
 */
export type RejectionKind =
  | "poolClosed"
  | "poolCleared"
  | "timeout"
  | "waitQueueFull"
  | "connectionError";

/**
 * The events a pool can report to the kit (capability `events`), in MongoDB
 * CMAP's vocabulary. A pool that names them otherwise maps its own names
 * onto these in its adapter.
 */
export type ReportedEventType =
  | "ConnectionCreated"
  | "ConnectionReady"
  | "ConnectionClosed"
  | "ConnectionCheckOutStarted"
  | "ConnectionCheckedOut"
  | "ConnectionCheckOutFailed"
  | "ConnectionCheckedIn"
  | "PoolCleared"
  | "PoolReady"
  | "PoolClosed";

/**
 * One event as the pool reported it (capability `events`). The kit stamps
 * each with the virtual time, step and ledger position at which it arrived.
 */
export interface PoolEventNotice {
  /** What happened. */
  readonly type: ReportedEventType;
  /** The route of a connection or check-out event. */
  readonly route?: Route;
  /**
   * The simulated socket of a connection event (`ConnectionReady`,
   * `ConnectionClosed`) or of a check-out that got or gave back a connection
   * (`ConnectionCheckedOut`, `ConnectionCheckedIn`); absent for a connect
   * that never produced a socket.
   */
  readonly socketId?: SocketId;
  /** Why a connection closed or a check-out failed, as the pool names it. */
  readonly reason?: string;
  /**
   * The pool's own id for the connection an event is about (CMAP's
   * `connectionId`), known from `ConnectionCreated` on, before any socket
   * exists. Optional: EVT-5 judges the ids where events carry them.
   */
  readonly connectionId?: number;
  /**
   * Links a `ConnectionCheckOutStarted` to the `ConnectionCheckedOut` or
   * `ConnectionCheckOutFailed` that ends the same check-out. Optional: without
   * it, EVT-5 pairs a check-out's events by route, in their order.
   */
  readonly checkOutId?: number | string;
  /**
   * Virtual ms since the start of what the event ends (CMAP's `durationMS`):
   * since the connection's `ConnectionCreated` for `ConnectionReady`, since
   * the check-out's `ConnectionCheckOutStarted` for `ConnectionCheckedOut`
   * and `ConnectionCheckOutFailed`. Optional: EVT-5 judges it where given.
   */
  readonly durationMs?: number;
  /**
   * `PoolCleared`: whether the clear closed in-use and connecting
   * connections at once (CMAP's `interruptInUseConnections`). Optional: a
   * CMAP scenario that expects it is not applicable to an adapter that
   * never reports it.
   */
  readonly interruptInUseConnections?: boolean;
}

/** The request the harness sends through a multiplexed pool. */
export interface SendRequest {
  /** Harness-assigned number, 1, 2, 3, … in send order within a run. */
  readonly seq: number;
  /**
   * For a pool that retries a send (policy `backoff.scope` `operation`):
   * call it as each attempt of this send starts, the first included. The
   * harness records the time on the send (TMO-3). Optional for an adapter
   * to call; the harness always provides it.
   */
  readonly attemptStarted?: () => void;
  /**
   * For a pool that retries a send: call it as an attempt of this send
   * fails, before the retrier schedules the next. An attempt that starts
   * with the one before it not reported failed is taken to follow it at
   * once.
   */
  readonly attemptFailed?: () => void;
}

/**
 * The pool as the harness drives it. `L` is the pool's lease type; the
 * harness treats leases as opaque and only hands them back.
 */
export interface PoolUnderTest<L = unknown> {
  /**
   * Start an acquire. The harness does not await it in the step that starts
   * it, so a blocked acquire never blocks the run. Reject with an `Error`
   * (ideally carrying a `code`) on timeout, close, clear or full queue.
   */
  acquire(route: Route, options: { readonly timeoutMs?: number }): Promise<L>;
  /**
   * Give a lease back; `reusable: false` means the connection is broken.
   * Releasing a lease the caller holds must succeed (neither throw nor
   * reject) until `close()`, whatever happened to its connection, and after
   * `close()` as the `releaseAfterClose` policy says (LSE-5). A repeated
   * release of the same lease, reusable or broken, must change nothing
   * (LSE-7), and must be refused when the adapter declares
   * `rejectsBadRelease` (LSE-4).
   */
  release(lease: L, options: { readonly reusable: boolean }): void | Promise<void>;
  /** The simulated socket the lease holds. */
  connectionOf(lease: L): SocketId;
  /** Close the pool; resolves when the pool considers itself closed. */
  close(): Promise<void>;
  /** Counts (capability `stats`). */
  stats?(): PoolStats;
  /** Close idle connections idle for at least `idleMs` (capability `closeIdle`). */
  closeIdle?(idleMs: number): void | Promise<void>;
  /** Close idle connections past their deadline (capability `closeExpired`). */
  closeExpired?(): void | Promise<void>;
  /**
   * Bump the generation, fail waiters, pause (capability `clear`). With
   * `interruptInUseConnections: true` (capability `interruptInUse`), also
   * close the leased and connecting connections from before the clear at
   * once, as CMAP's clear does when asked to.
   */
  clear?(options?: { readonly interruptInUseConnections?: boolean }): void | Promise<void>;
  /** Resume after `clear()`, or serve for the first time (policy `startsPaused`) (capability `clear`). */
  ready?(): void | Promise<void>;
  /** Send a request on the route's multiplexed connection (capability `multiplexed`). */
  send?(route: Route, request: SendRequest): Promise<SimResponse>;
  /**
   * Make one request on a leased connection. Optional: without it the harness
   * calls `request()` on the simulated socket `connectionOf(lease)` directly,
   * which is how a caller of a plain connection pool talks to the server.
   */
  request?(lease: L): Promise<SimResponse>;
  /**
   * The kind of an error the pool rejected an acquire or a send with
   * (capability `rejectionKinds`, ERR-5), read from the error's class, code
   * or message as the pool documents them; `undefined` for an error the
   * adapter does not recognise, which ERR-5 reports.
   */
  rejectionKind?(error: unknown): RejectionKind | undefined;
  /**
   * Subscribe to the pool's events (capability `events`): the harness calls
   * it once, right after `create()`, and the adapter calls `listener` for
   * every event of a type listed in `supports.eventTypes`, as the pool emits
   * it (EVT-1 to EVT-3).
   */
  events?(listener: (event: PoolEventNotice) => void): void;
}

/**
 * A pool made testable: a name, its declared support, and a factory. The
 * factory may be async; it is called once per run with a fresh world.
 */
export interface Adapter<L = unknown> {
  /** Short unique name, e.g. `"reference"` or `"generic-pool"`. */
  readonly name: string;
  /** What the pool supports and how it behaves. */
  readonly supports: Supports;
  /** Create a pool for one run. */
  create(config: PoolConfig, world: World): PoolUnderTest<L> | Promise<PoolUnderTest<L>>;
}
