/**
 * Adapter for undici 8's `Pool`: HTTP/1.1 connections to one origin.
 *
 * Mapping onto the contract (shared with the Agent adapter, see
 * `_http_undici.ts`):
 * - a lease is one GET in progress. `acquire` dispatches it; undici picks a
 *   free `Client` (one socket each, pipelining 1) or queues the request, and
 *   the lease resolves when the response head arrives, naming the simulated
 *   socket that carried it. The response body stays open, so the connection
 *   is busy while the lease is held;
 * - `release(reusable)` finishes the response on the wire and drains the
 *   body; undici then reuses or keeps the socket idle. `release(broken)`
 *   aborts the request, and undici destroys the socket of an aborted HTTP/1.1
 *   request;
 * - connections come from undici's `connect` option: an in-memory socket over
 *   the simulated network (`SimHttpSocket`, src/http), guarded by undici's own
 *   connect-timeout helper.
 *
 * The Pool knows one origin: it runs single-route, and route rules are not
 * applicable.
 *
 * @module
 */
import type {
  Adapter,
  PoolEventNotice,
  PoolUnderTest,
  RejectionKind,
  ReportedEventType,
} from "../../src/harness/adapter.ts";
import type { Route, SocketId } from "../../src/net/types.ts";
import {
  acquireRequest,
  clientOptions,
  originOf,
  releaseRequest,
  resetUndiciFastTimer,
  undici,
  type UndiciLease,
} from "./_http_undici.ts";
import { refuseSecondRequest, type SimHttpSocket } from "../../src/http/mod.ts";

// A fast timer armed on real time before any run would never see fake time.
resetUndiciFastTimer();

/**
 * The `code`s of the errors an undici request can fail with here, and their
 * kinds. undici's errors carry a stable `code` (lib/core/errors.js, one class
 * each), which is what a caller's `catch` block reads (undici's docs list the
 * errors by code); a failed connect passes the socket's own error through.
 */
const UNDICI_REJECTION_KINDS: Readonly<Record<string, RejectionKind>> = {
  // ClientClosedError: DispatcherBase `dispatch` on a dispatcher whose
  // `close()` was called (lib/dispatcher/dispatcher-base.js).
  UND_ERR_CLOSED: "poolClosed",
  // ClientDestroyedError: `dispatch` on a destroyed dispatcher, which
  // `close()` becomes once it completes (dispatcher-base.js `close`:
  // `.then(() => this.destroy())`), and what a destroyed Client fails its
  // queued requests with (lib/dispatcher/client.js `kDestroy`, given
  // `destroy()`'s default error). A Pool retires a Client with `close()`,
  // which serves the Client's queue first (pool-base.js `kRetireClient`).
  UND_ERR_DESTROYED: "poolClosed",
  // ConnectTimeoutError: the connect timeout destroys the connecting socket
  // with it (lib/core/util.js `onConnectTimeout`), and the Client fails the
  // requests waiting for that connect with it (client.js
  // `handleConnectError` → `onError`).
  UND_ERR_CONNECT_TIMEOUT: "connectionError",
  // SocketError: the socket a request was sent on ended or closed before its
  // response (lib/dispatcher/client-h1.js `onHttpSocketEnd`: 'other side
  // closed'; `onHttpSocketClose`: 'closed').
  UND_ERR_SOCKET: "connectionError",
  // The socket's own errors, passed through as the connector gives them
  // (client.js `handleConnectError`, client-h1.js `onHttpSocketError`): a
  // refused connect, a reset connection.
  ECONNREFUSED: "connectionError",
  ECONNRESET: "connectionError",
};

/**
 * The kind of an error undici rejects a request (an acquire here) with, read
 * from its `code` (see {@linkcode UNDICI_REJECTION_KINDS}). undici has no
 * acquire timeout for a queued request, no wait-queue bound and no clear.
 * The adapter's own error for a response that names no known socket (which
 * undici cannot cause) is not a kind: `undefined`.
 *
 * A lease is a request, so it can also fail because its established
 * connection failed before the response head (`UND_ERR_SOCKET`,
 * `ECONNRESET`): a true connection error, which ERR-5 accepts (a failure of a
 * connection or request of the route while the acquire waited).
 *
 * @param error What a request was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function undiciRejectionKind(error: unknown): RejectionKind | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" &&
      Object.hasOwn(UNDICI_REJECTION_KINDS, code)
    ? UNDICI_REJECTION_KINDS[code]
    : undefined;
}

/** The CMAP types undici's dispatcher events stand for (see {@linkcode undiciEvents}). */
export const UNDICI_EVENT_TYPES: readonly ReportedEventType[] = [
  "ConnectionReady",
  "ConnectionClosed",
];

/** What {@linkcode undiciEvents} needs of a Pool or an Agent: its events. */
interface UndiciEmitter {
  on(event: string, listener: (origin: URL, targets: readonly object[]) => void): unknown;
}

/**
 * Report the `connect` and `disconnect` events of an undici Pool or Agent
 * (documented in docs/docs/api/Pool.md, Agent.md and Client.md) as
 * `ConnectionReady` and `ConnectionClosed`:
 * - `connect(origin, targets)`: a Client's socket connected. client.js
 *   `connect` emits it from the connector's callback, right after the socket
 *   is set up and before any request is written on it; a Pool forwards it as
 *   `[pool, client]` (lib/dispatcher/pool-base.js), an Agent as
 *   `[agent, …]` (lib/dispatcher/agent.js). `ConnectionReady`.
 * - `disconnect(origin, targets, err)`: that socket closed; client-h1.js
 *   `onHttpSocketClose` emits it once the socket is closed, only for a socket
 *   that connected (Client.md: "only emitted if the client had previously
 *   connected"). `ConnectionClosed`.
 *
 * The events name the Client, not the socket. A Client holds one socket at a
 * time, so the socket is the one that connected last for that Client: the
 * connector's socket emits `connect`, and `track` listens first (it runs
 * before `clientOptions` installs the connector's own listener), then the
 * connector calls undici back, which emits `connect` in the same synchronous
 * call (client.js `connect`).
 *
 * Not reported: `connectionError` (a connect that failed: CMAP reports that
 * as the close of a connection it announced with `ConnectionCreated`, and
 * undici announces no connect start on its dispatchers; its
 * `undici:client:beforeConnect` diagnostics channel is process-wide), check-out
 * events (a dispatcher emits none per request) and the pool's close (no
 * event).
 *
 * @param routeOf The route of an origin's host name.
 * @returns `track`, for `clientOptions`, and `subscribe`, for `events`.
 */
export function undiciEvents(routeOf: (hostname: string) => Route): {
  track(socket: SimHttpSocket): void;
  subscribe(dispatcher: UndiciEmitter, listener: (event: PoolEventNotice) => void): void;
} {
  let connected: SimHttpSocket | undefined;
  const socketOfClient = new WeakMap<object, SocketId>();
  return {
    track(socket) {
      socket.once("connect", () => (connected = socket));
    },
    subscribe(dispatcher, listener) {
      dispatcher.on("connect", (origin, targets) => {
        const socketId = connected?.simSocketId;
        connected = undefined;
        const client = targets.at(-1)!;
        if (socketId !== undefined) socketOfClient.set(client, socketId);
        listener({
          type: "ConnectionReady",
          route: routeOf(origin.hostname),
          ...(socketId === undefined ? {} : { socketId }),
        });
      });
      dispatcher.on("disconnect", (origin, targets) => {
        const client = targets.at(-1)!;
        const socketId = socketOfClient.get(client);
        socketOfClient.delete(client);
        listener({
          type: "ConnectionClosed",
          route: routeOf(origin.hostname),
          ...(socketId === undefined ? {} : { socketId }),
        });
      });
    },
  };
}

/**
 * undici 8.12 `Pool` over the simulated network, with global time faked.
 *
 * Declarations and the source facts behind them (paths under
 * `node_modules/undici/lib/`):
 * - `releaseBroken`: an aborted running request destroys its socket
 *   (`dispatcher/client-h1.js`, the `abort` given to `onRequestStart`).
 * - `ttl`: the `clientTtl` option; a client whose connect is older than it is
 *   retired when a dispatch scans the clients (`dispatcher/pool.js`,
 *   `kGetDispatcher`: `Date.now() - client.ttl > clientTtl`). Expiry "lease".
 *   undici starts the clock at connect completion, not at connect start.
 * - `keepAliveHint`: `Keep-Alive: timeout=N` sets the idle timeout to
 *   `N s - keepAliveTimeoutThreshold` (set to 0 here), capped by
 *   `keepAliveMaxTimeout` (`client-h1.js`, `onHeadersComplete`); a native
 *   `setTimeout` destroys the idle socket (`TIMEOUT_KEEP_ALIVE`). Expiry
 *   "timer". The hint is sent in whole seconds, rounded down.
 * - `defaultKeepAlive`: the `keepAliveTimeout` option (default 4 s) applies to
 *   responses without a hint (same place).
 * - `connectTimeout`: `connectTimeout`, armed by `setupConnectTimeout`
 *   (`core/util.js`) on undici's fast timer (`util/timers.js`), which ticks
 *   every 499 ms: it may fire up to ~500 ms late (or early), hence
 *   `toleranceMs: 500`.
 * - `rejectionKinds`: each error a request fails with carries its `code`
 *   (see {@linkcode undiciRejectionKind}).
 * - `events`: the Pool's `connect` and `disconnect` (see
 *   {@linkcode undiciEvents}).
 * - Not declared: `stats` (`pool.stats` has no connecting count and its
 *   `running` counts requests still waiting for their head), `closeIdle`,
 *   `closeExpired`, `clear` (no such API), `acquireTimeout` (a queued request
 *   has no deadline; `headersTimeout` starts only once it is written, and is
 *   off here), `maxWaiters` (unbounded `FixedQueue`), `keepAliveMax`
 *   (`util.parseKeepAliveTimeout` reads only `timeout=`), `maxConnecting`,
 *   `validateAfterInactivity`, `reconnectBackoff`, `maxIdle`,
 *   `rejectsBadRelease` (an HTTP exchange cannot be "released" twice).
 * - Policies: waiters are a FIFO queue served on drain (`pool-base.js`,
 *   `kOnDrain`, `kDrainQueue`), and a freed client takes the head of the
 *   queue before a new dispatch can see it free (no overtaking); the free
 *   client reused is the first in creation order (`kGetDispatcher`), neither
 *   LIFO nor FIFO by release time ("any"); `close()` lets queued requests run
 *   first (`kClose` waits for the queue: "drain"); a failed connect fails the
 *   request dispatched to that client (`client.js`, `onError`: "reject"); the
 *   `connections` limit counts clients, idle ones included.
 *
 * @example Declared single-route, on global time
 * ```ts
 * import assert from "node:assert/strict";
 * import { undiciPoolAdapter } from "./undici_pool.ts";
 *
 * assert.equal(undiciPoolAdapter.name, "undici-pool");
 * assert.deepEqual(undiciPoolAdapter.supports.ranges.routes, [1, 1]);
 * assert.equal(undiciPoolAdapter.supports.timeMode, "global");
 * ```
 */
export const undiciPoolAdapter: Adapter<UndiciLease> = {
  name: "undici-pool",
  supports: {
    timeMode: "global",
    capabilities: [
      "releaseBroken",
      "ttl",
      "keepAliveHint",
      "defaultKeepAlive",
      "connectTimeout",
      "rejectionKinds",
      "events",
    ],
    ranges: {
      routes: [1, 1],
      maxTotal: [1, 5],
      maxPerRoute: [1, 5],
      ttlMs: [1_000, 20_000],
      keepAliveHintMs: [1_000, 20_000],
      defaultKeepAliveMs: [1, 20_000],
      connectTimeoutMs: [500, 10_000],
    },
    policies: {
      reuseOrder: "any",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["lease", "timer"],
      closeWaiters: "drain",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // undici's Client listens for 'end' and 'close' on its socket and drops it at once (lib/dispatcher/client-h1.js).
      closeDetection: "event",
    },
    toleranceMs: 500,
    // The hint crosses HTTP in whole seconds (up to 999 ms less than the server
    // keeps the connection); keepAliveTimeoutThreshold is 0 here.
    keepAliveLeadMs: 999,
    eventTypes: UNDICI_EVENT_TYPES,
  },
  create(config, world): PoolUnderTest<UndiciLease> {
    resetUndiciFastTimer();
    const route = config.routes[0] ?? "r0";
    const sockets = new Map<SocketId, SimHttpSocket>();
    const events = undiciEvents(() => route);
    const track = (socket: SimHttpSocket) => {
      events.track(socket);
      socket.once("connect", () => sockets.set(socket.simSocketId as SocketId, socket));
    };
    const pool = new undici.Pool(originOf(route), {
      connections: config.maxTotal,
      ...(config.ttlMs === undefined ? {} : { clientTtl: config.ttlMs }),
      ...clientOptions(world.network, () => route, config, track),
    } as never);
    return {
      acquire: (target) => acquireRequest(pool as never, target, (id) => sockets.get(id)),
      release: (lease, { reusable }) => releaseRequest(lease, reusable),
      connectionOf: (lease) => lease.socketId,
      request: refuseSecondRequest,
      close: async () => {
        await pool.close();
        resetUndiciFastTimer();
      },
      rejectionKind: undiciRejectionKind,
      events: (listener) => events.subscribe(pool as never, listener),
    };
  },
};
