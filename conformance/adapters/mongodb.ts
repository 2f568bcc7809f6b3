/**
 * Adapter for the connection pool of the MongoDB Node.js driver (`mongodb`
 * 7.9): its CMAP implementation, `ConnectionPool` in
 * lib/cmap/connection_pool.js (source: src/cmap/connection_pool.ts), run
 * against a simulated `mongod` on the simulated network.
 *
 * How the pool is built and reached:
 * - the pool is constructed directly, as the driver's `Server` constructs
 *   it (src/sdam/server.ts: `new ConnectionPool(this, { hostAddress, … })`),
 *   with a stand-in for the `Server` holding only what the pool reads: the
 *   client's metadata promise (made by the driver's own
 *   `makeClientMetadata`), its auth providers (none used: no credentials)
 *   and its logger (none), plus `handleError`. A `MongoClient` would also
 *   start a monitor, whose heartbeat connections would share the route;
 * - each connect of the pool ends in `net.createConnection`
 *   (src/cmap/connect.ts `makeSocket`), which `_mongo_net.ts` routes, for
 *   this pool's host name only, to a {@linkcode SimMongoSocket}: a `Duplex`
 *   over the run's `SimNetwork` that plays a standalone server answering the
 *   driver's handshake and `ping` in OP_QUERY/OP_MSG (`_mongo_server.ts`);
 * - an acquire is `pool.checkOut({ timeoutContext })` with the context the
 *   driver builds for an operation without CSOT
 *   (`TimeoutContext.create({ serverSelectionTimeoutMS, waitQueueTimeoutMS })`,
 *   src/timeout.ts `LegacyTimeoutContext`), so the acquire's `timeoutMs` is
 *   that operation's `waitQueueTimeoutMS`; a release is `pool.checkIn`;
 *   a caller's request on a lease is the driver's `ping` on the connection.
 *
 * @module
 */
import os from "node:os";
import type {
  Adapter,
  CloseCause,
  PoolConfig,
  PoolEventNotice,
  PoolStats,
  PoolUnderTest,
  RejectionKind,
  ReportedEventType,
  Supports,
  World,
} from "../../src/harness/adapter.ts";
import type { Route, SimResponse, SocketId } from "../../src/net/types.ts";
import { wrongRoute } from "./_factory_pool.ts";
import {
  mongo,
  type MongoConnection,
  type MongoConnectionPool,
  type ServerStandIn,
} from "./_mongo_driver.ts";
import { resumeFrames, suspendFrames } from "../../src/net/_frameless.ts";
import { routeHost } from "./_mongo_net.ts";
import { SERVER_PORT, SimMongoSocket } from "./_mongo_server.ts";

/** A checked-out connection: what the harness holds between acquire and release. */
export interface MongoLease {
  /** The connection `checkOut` resolved with. */
  readonly connection: MongoConnection;
  /** Whether this lease was released already (a repeated release is still passed on). */
  released: boolean;
}

/**
 * The kind of each error the pool rejects a check-out with, by the error's
 * `name` (the pool's error classes in src/cmap/errors.ts are internal to the
 * driver, and each overrides `name`; src/error.ts gives the network errors
 * theirs):
 * - `MongoPoolClosedError`: `processWaitQueue` on a closed pool, for a
 *   check-out queued before `close()` or made after it. → `poolClosed`
 * - `MongoPoolClearedError`: `processWaitQueue` on a paused pool (a new pool,
 *   or one cleared), and `createConnection` for a connect that completed
 *   while the pool was paused. → `poolCleared`
 * - `MongoWaitQueueTimeoutError`: `checkOut` when the operation's
 *   `waitQueueTimeoutMS` ran out. → `timeout`
 * - `MongoNetworkError`, `MongoNetworkTimeoutError`: the check-out's own
 *   connect failed (`makeSocket`: the socket's `error` or `close`, its
 *   `connectTimeoutMS`, or the pool's cancellation on `close()`), passed on
 *   by `processWaitQueue`'s `createConnection` callback. → `connectionError`
 */
const REJECTION_KINDS: Readonly<Record<string, RejectionKind>> = {
  MongoPoolClosedError: "poolClosed",
  MongoPoolClearedError: "poolCleared",
  MongoWaitQueueTimeoutError: "timeout",
  MongoNetworkError: "connectionError",
  MongoNetworkTimeoutError: "connectionError",
};

/**
 * The kind of an error the driver's pool rejected a check-out with (see
 * {@linkcode REJECTION_KINDS}); `undefined` for any other error, such as
 * the adapter's own for a route the pool does not serve (never drawn).
 *
 * @param error What a check-out was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function mongoRejectionKind(error: unknown): RejectionKind | undefined {
  if (!(error instanceof Error)) return undefined;
  return Object.hasOwn(REJECTION_KINDS, error.name) ? REJECTION_KINDS[error.name] : undefined;
}

/**
 * The reasons of the pool's `ConnectionClosedEvent`
 * (src/cmap/connection_pool_events.ts: `'idle' | 'stale' | 'poolClosed' |
 * 'error'`), CMAP's four, which are the kit's causes of the same names:
 * `stale` for a connection of an older generation (`connectionIsStale`),
 * `idle` past `maxIdleTimeMS` (`connectionIsIdle`), `poolClosed` from
 * `close()` and a check-in after it, `error` for a connection that closed
 * itself (`connection.closed`) and for a failed connect (`createConnection`).
 */
export const MONGO_CLOSE_REASONS: Readonly<Record<string, CloseCause>> = {
  stale: "stale",
  idle: "idle",
  poolClosed: "poolClosed",
  error: "error",
};

/**
 * The pool's events (src/cmap/connection_pool.ts, the `emitAndLog` calls)
 * and the kit's types for them. `connectionPoolCreated` is left out: the
 * constructor emits it in a microtask, and the kit has no type for it.
 */
const EVENT_TYPES: Readonly<Record<string, ReportedEventType>> = {
  connectionCreated: "ConnectionCreated",
  connectionReady: "ConnectionReady",
  connectionClosed: "ConnectionClosed",
  connectionCheckOutStarted: "ConnectionCheckOutStarted",
  connectionCheckedOut: "ConnectionCheckedOut",
  connectionCheckOutFailed: "ConnectionCheckOutFailed",
  connectionCheckedIn: "ConnectionCheckedIn",
  connectionPoolCleared: "PoolCleared",
  connectionPoolReady: "PoolReady",
  connectionPoolClosed: "PoolClosed",
};

/** Every type in {@linkcode EVENT_TYPES}: the pool emits all ten. */
export const MONGO_EVENT_TYPES: readonly ReportedEventType[] = Object.values(EVENT_TYPES);

/** What the pool's events carry that the adapter reads. */
interface PoolEvent {
  readonly connectionId?: number | string;
  readonly reason?: string;
  readonly error?: unknown;
}

/**
 * The reason of a `ConnectionCheckOutFailed` in the kit's words: the kind of
 * the error the event carries when it carries one (the driver gives reason
 * `connectionError` both to a failed connect and, as CMAP asks, to a
 * check-out refused by a paused pool, whose error is a `PoolClearedError`),
 * else the driver's reason (`timeout`, which carries no error).
 */
function checkOutFailedReason(event: PoolEvent): string | undefined {
  return mongoRejectionKind(event.error) ?? event.reason;
}

let poolSerial = 0;

/**
 * The period of the pool's population pass (src/cmap/connection_pool.ts:
 * `minPoolSizeCheckFrequencyMS`, default 100; an internal option, which no
 * client option sets): `ensureMinPoolSize` runs that long after its last
 * pass, or after the connect its last pass started ended.
 */
const MIN_POOL_SIZE_CHECK_FREQUENCY_MS = 100;

/**
 * The handshake's client metadata, made once as `MongoClient` makes it
 * (src/mongo_client.ts: `makeClientMetadata(driverInfoList, options)`), with
 * the `os` runtime adapter given (src/runtime_adapters.ts would otherwise
 * load it with a dynamic `import()`, which settles on real time and would
 * make the first connect of a run wait on the machine). Made when the module
 * loads, so it has settled before any run.
 */
const metadata: Promise<Document> = mongo.makeClientMetadata([], {
  runtime: mongo.resolveRuntimeAdapters({ runtimeAdapters: { os } }),
});
type Document = Record<string, unknown>;

/**
 * The `Server` stand-in (see the module comment). `handleError` is what
 * `createConnection` calls for a failed connect; the driver's
 * `Server.handleError` (src/sdam/server.ts) has the topology clear the pool
 * for a network or handshake error unless the error carries the
 * `SystemOverloadedError` label, and `connect`/`makeSocket`
 * (src/cmap/connect.ts `applyBackpressureLabels`) put that label on every
 * network error of a connect. Every connect failure the simulated network
 * causes is such an error, so the real server would not clear the pool, and
 * the stand-in does nothing either. Any other network or handshake error,
 * for which the topology would clear the pool (the driver also spares a
 * socket timeout after the handshake, which no connect error is), is played
 * here by clearing it.
 */
function serverStandIn(pool: () => MongoConnectionPool | undefined): ServerStandIn {
  return {
    topology: {
      client: {
        mongoLogger: undefined,
        s: { authProviders: new mongo.MongoClientAuthProviders() },
        options: { metadata },
      },
    },
    description: { error: null },
    handleError(error) {
      const labels = error as { hasErrorLabel?: (label: string) => boolean };
      if (typeof labels.hasErrorLabel !== "function") return;
      if (labels.hasErrorLabel("SystemOverloadedError")) return;
      if (labels.hasErrorLabel("HandshakeError") || error instanceof mongo.MongoNetworkError) {
        queueMicrotask(() => pool()?.clear());
      }
    },
  };
}

/** The pool's options for a drawn config (see {@linkcode mongodbAdapter} for each). */
function poolOptions(config: PoolConfig, hostAddress: unknown): Document {
  return {
    hostAddress,
    maxPoolSize: config.maxTotal,
    minPoolSize: config.minPoolSize ?? 0,
    maxConnecting: config.maxConnecting ?? 2,
    maxIdleTimeMS: config.maxIdleMs ?? 0,
    // The wait queue timeout is the operation's, passed with each check-out.
    waitQueueTimeoutMS: 0,
    connectTimeoutMS: config.connectTimeoutMs ?? 0,
    socketTimeoutMS: 0,
    loadBalanced: false,
    connectionType: TrackedConnection,
  };
}

/** The connection ids of each pool's sockets, filled in by {@linkcode TrackedConnection}. */
const connectionIdsOf = new WeakMap<SimMongoSocket, Map<number, SocketId>>();

/** The driver's `Connection.prototype`, whose private `onClose` the subclass wraps. */
const connectionPrototype = mongo.Connection.prototype as unknown as { onClose(): void };

/**
 * The connection class every pool makes (its `connectionType` option, read
 * by src/cmap/connect.ts `makeConnection`): the driver's `Connection`,
 * noting which simulated socket each connection id got, so the pool's
 * events, which name connections by id, can name sockets. One class for
 * every pool, so the driver's code sees one shape of connection throughout.
 *
 * Its `destroy` and its socket's `close` listener (`onClose`) build the
 * driver's `MongoNetworkError` without stack frames, as the kit builds its
 * own errors (`framelessError`): every connection ends through them, and
 * `onClose` builds one even for a connection already closed, which
 * `cleanup` then drops; the frames would name only the kit's timers. Name,
 * message and everything else are the driver's.
 */
const TrackedConnection = class extends mongo.Connection {
  constructor(stream: SimMongoSocket, options: Document) {
    super(stream, options);
    const id = stream.simSocketId;
    if (id !== undefined) connectionIdsOf.get(stream)?.set(this.id, id);
  }

  override destroy(): void {
    if (this.closed) return;
    const limit = suspendFrames();
    try {
      super.destroy();
    } finally {
      resumeFrames(limit);
    }
  }

  /** src/cmap/connection.ts `onClose`, bound as the socket's `close` listener. */
  onClose(): void {
    if (this.closed) return;
    const limit = suspendFrames();
    try {
      connectionPrototype.onClose.call(this);
    } finally {
      resumeFrames(limit);
    }
  }
};

function statsOf(pool: MongoConnectionPool, route: Route): PoolStats {
  const total = {
    leased: pool.currentCheckedOutCount,
    available: pool.availableConnectionCount,
    pending: pool.waitQueueSize,
    connecting: pool.pendingConnectionCount,
  };
  return { total, routes: { [route]: total } };
}

function subscribe(
  pool: MongoConnectionPool,
  route: Route,
  sockets: ReadonlyMap<number, SocketId>,
  listener: (event: PoolEventNotice) => void,
): void {
  for (const [name, type] of Object.entries(EVENT_TYPES)) {
    pool.on(name, (event: PoolEvent) => {
      const socketId = typeof event.connectionId === "number"
        ? sockets.get(event.connectionId)
        : undefined;
      const reason = type === "ConnectionCheckOutFailed"
        ? checkOutFailedReason(event)
        : type === "ConnectionClosed"
        ? event.reason
        : undefined;
      listener({
        type,
        ...(type.startsWith("Pool") ? {} : { route }),
        ...(socketId === undefined ? {} : { socketId }),
        ...(reason === undefined ? {} : { reason }),
      });
    });
  }
}

function socketOf(connection: MongoConnection): SimMongoSocket {
  return connection.socket as SimMongoSocket;
}

/**
 * One `ping` on a leased connection, as an operation runs a command on the
 * connection it checked out (`Connection.command`). The driver runs one
 * command at a time on a connection, so pings on one connection wait for
 * the one before.
 */
function pinger(): (lease: MongoLease) => Promise<SimResponse> {
  const last = new WeakMap<MongoConnection, Promise<unknown>>();
  return ({ connection }) => {
    const before = last.get(connection) ?? Promise.resolve();
    const ping = before.catch(() => {}).then(async () => {
      await connection.command(mongo.ns("admin.$cmd"), { ping: 1 }, {});
      return socketOf(connection).lastPing!;
    });
    last.set(connection, ping);
    return ping;
  };
}

/** A host name a pool routes to its world, with the driver's parsed address of it. */
interface Host {
  readonly name: string;
  readonly address: unknown;
}

/**
 * Host names of closed pools, free for the next pool of their route: a
 * closed pool opens no connection any more (`close` cancels its connects in
 * progress, and every later path checks `closed`), so its name can route
 * another pool's sockets, and the driver's `HostAddress` (a URL parse) is
 * made once per name.
 */
const freeHosts = new Map<Route, Host[]>();

function takeHost(route: Route): Host {
  const free = freeHosts.get(route)?.pop();
  if (free !== undefined) return free;
  const name = `${route}.pool${++poolSerial}.poolcheck.invalid`;
  return { name, address: mongo.HostAddress.fromHostPort(name, SERVER_PORT) };
}

function createPool(config: PoolConfig, world: World): PoolUnderTest<MongoLease> {
  const route = config.routes[0] ?? "r0";
  const host = takeHost(route);
  const sockets = new Map<number, SocketId>();
  const unrouteHost = routeHost(host.name, () => {
    const socket = new SimMongoSocket(world.network, route);
    connectionIdsOf.set(socket, sockets);
    return socket;
  });
  let unrouted = false;
  const unroute = () => {
    if (unrouted) return;
    unrouted = true;
    unrouteHost();
    const free = freeHosts.get(route) ?? [];
    free.push(host);
    freeHosts.set(route, free);
  };
  let pool: MongoConnectionPool | undefined;
  try {
    pool = new mongo.ConnectionPool(
      serverStandIn(() => pool),
      poolOptions(config, host.address),
    );
  } catch (error) {
    unroute();
    throw error;
  }
  const created = pool;
  return {
    acquire: async (asked, { timeoutMs }) => {
      const refused = wrongRoute("mongodb", route, asked);
      if (refused !== undefined) return refused;
      const timeoutContext = mongo.TimeoutContext.create({
        serverSelectionTimeoutMS: 0,
        waitQueueTimeoutMS: timeoutMs ?? 0,
      });
      return { connection: await created.checkOut({ timeoutContext }), released: false };
    },
    release: (lease, { reusable }) => {
      // A caller finds a connection broken when an operation on it fails: the driver's
      // connection has then closed itself, and checkIn destroys it ('error').
      if (!reusable && !lease.released) lease.connection.destroy();
      lease.released = true;
      created.checkIn(lease.connection);
    },
    connectionOf: ({ connection }) => {
      const id = socketOf(connection).simSocketId;
      if (id === undefined) throw new Error("the driver handed out a connection with no socket");
      return id;
    },
    request: pinger(),
    close: () => {
      created.close();
      unroute();
      return Promise.resolve();
    },
    stats: () => statsOf(created, route),
    clear: (options) =>
      created.clear({ interruptInUseConnections: options?.interruptInUseConnections ?? false }),
    ready: () => created.ready(),
    rejectionKind: mongoRejectionKind,
    events: (listener) => subscribe(created, route, sockets, listener),
  };
}

/** What the adapter declares (see {@linkcode mongodbAdapter} for each). */
const MONGO_SUPPORTS: Supports = {
  timeMode: "global",
  capabilities: [
    "stats",
    "clear",
    "interruptInUse",
    "acquireTimeout",
    "releaseBroken",
    "maxConnecting",
    "connectTimeout",
    "maxIdle",
    "minPoolSize",
    "rejectionKinds",
    "events",
  ],
  ranges: {
    routes: [1, 1],
    maxTotal: [1, 4],
    maxPerRoute: [1, 4],
    maxConnecting: [1, 3],
    acquireTimeoutMs: [1, 200],
    connectTimeoutMs: [5, 200],
    maxIdleMs: [1, 200],
    minPoolSize: [0, 2],
  },
  policies: {
    reuseOrder: "lifo",
    waiterOrder: "fifo",
    overtaking: false,
    expiry: ["lease", "timer"],
    closeWaiters: "reject",
    connectFailure: "reject",
    limitsCountIdle: true,
    closeIdleOfOtherRoutes: false,
    closeDetection: "check",
    releaseAfterClose: "accept",
    startsPaused: true,
    idleExpiry: "checkout",
    connectOwnership: "acquire",
  },
  toleranceMs: 0,
  eventTypes: MONGO_EVENT_TYPES,
  closeReasons: MONGO_CLOSE_REASONS,
  populationIntervalMs: MIN_POOL_SIZE_CHECK_FREQUENCY_MS,
};

/**
 * The MongoDB Node.js driver's connection pool judged by the kit.
 *
 * Declarations, each from src/cmap/connection_pool.ts unless named:
 * - `timeMode: "global"`: the pool's timers (`minPoolSizeTimer`), the
 *   check-out timeout (src/timeout.ts `Timeout`), the connection's socket
 *   timeout (src/cmap/connection.ts) all call `setTimeout` from the `timers`
 *   module, which the kit's fake timers replace along with the globals;
 *   `processTimeMS` and `performance.now()` read faked time.
 * - `stats`: the pool's own counts: `currentCheckedOutCount` (leased),
 *   `availableConnectionCount` (idle), `waitQueueSize` (waiting check-outs)
 *   and `pendingConnectionCount` (connects in progress).
 * - `clear`, `interruptInUse`: `clear({ interruptInUseConnections })` bumps
 *   the generation, pauses the pool and fails the wait queue
 *   (`processWaitQueue` on a paused pool); with interruption it fails every
 *   checked-out connection of an older generation in a microtask
 *   (`interruptInUseConnections`). `ready()` resumes.
 * - `acquireTimeout`: the operation's `waitQueueTimeoutMS`, raced against the
 *   check-out in `checkOut`; 0 means none, so the range starts at 1.
 * - `releaseBroken`: a connection that failed is `closed`, and `checkIn`
 *   destroys it with reason `error`.
 * - `maxConnecting`: `maxConnecting`, the bound on `pendingConnectionCount`
 *   in `processWaitQueue` and `ensureMinPoolSize`.
 * - `connectTimeout`: `connectTimeoutMS`, the socket's inactivity timeout
 *   until it connects (src/cmap/connect.ts `makeSocket`), then the
 *   handshake's socket timeout.
 * - `maxIdle` with `idleExpiry: "checkout"`: `maxIdleTimeMS`, checked by
 *   `connectionIsIdle` (idle strictly longer than the limit) where a
 *   check-out meets the connection (`destroyConnectionIfPerished` in
 *   `processWaitQueue`), and in the population pass of `ensureMinPoolSize`,
 *   which runs every 100 ms (`minPoolSizeCheckFrequencyMS`) while the pool is
 *   ready and prunes perished idle connections.
 * - `minPoolSize` with `populationIntervalMs: 100`: `ensureMinPoolSize`
 *   opens one connection at a time, each pass after the last connect and a
 *   100 ms timer (`minPoolSizeCheckFrequencyMS`), until the total reaches
 *   `minPoolSize`; so a pool below its minimum starts a connect within
 *   100 ms, not at once (LIM-6.a allows that much). The kit draws it no
 *   larger than the run's `maxTotal`, as the constructor requires (it
 *   throws for a `minPoolSize` above `maxPoolSize`).
 * - `rejectionKinds`: see {@linkcode mongoRejectionKind}.
 * - `events`: all of CMAP's events but `ConnectionPoolCreated` (see
 *   {@linkcode EVENT_TYPES}); the close reasons are CMAP's four
 *   ({@linkcode MONGO_CLOSE_REASONS}).
 * - Not declared: `maxWaiters` (the wait queue is an unbounded `List`),
 *   `closeIdle`/`closeExpired` (no such API), TTL, keep-alive, `maxUses`,
 *   validation (a check-out looks at `connection.closed`, it sends nothing),
 *   reconnect backoff, routes (a pool serves one address), and
 *   `rejectsBadRelease` (`checkIn` of a connection that is not checked out
 *   returns without a word).
 * - Policies: `reuseOrder: "lifo"` (`checkIn` puts the connection at the
 *   front, `connections.unshift`, and a check-out takes the front,
 *   `connections.shift`); `waiterOrder: "fifo"` and no overtaking (every
 *   check-out joins the end of `waitQueue`, served from its head);
 *   `connectOwnership: "acquire"` (the connect `processWaitQueue` starts is
 *   for the waiter it took off the queue, whose check-out gets the
 *   connection or the connect's error); `closeWaiters: "reject"` (`close()`
 *   runs `processWaitQueue` on the closed pool); `connectFailure: "reject"`;
 *   `limitsCountIdle` (`totalConnectionCount` counts available ones);
 *   `closeDetection: "check"` (a connection marks itself `closed` when its
 *   socket closes, and the pool finds out only when it meets it again);
 *   `releaseAfterClose: "accept"` (`checkIn` on a closed pool destroys the
 *   connection, reason `poolClosed`); `startsPaused` (the constructor sets
 *   `PoolState.paused`).
 * - `toleranceMs: 0`: every timer fires when due.
 *
 * @example A new pool is paused until ready()
 * ```ts
 * import assert from "node:assert/strict";
 * import { mongodbAdapter } from "./mongodb.ts";
 *
 * assert.equal(mongodbAdapter.supports.policies.startsPaused, true);
 * assert.deepEqual(mongodbAdapter.supports.ranges.routes, [1, 1]);
 * ```
 */
export const mongodbAdapter: Adapter<MongoLease> = {
  name: "mongodb",
  supports: MONGO_SUPPORTS,
  create: createPool,
};
