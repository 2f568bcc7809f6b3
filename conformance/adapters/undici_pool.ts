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
import type { Adapter, PoolUnderTest } from "../../src/harness/adapter.ts";
import type { SocketId } from "../../src/net/types.ts";
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
    capabilities: ["releaseBroken", "ttl", "keepAliveHint", "defaultKeepAlive", "connectTimeout"],
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
  },
  create(config, world): PoolUnderTest<UndiciLease> {
    resetUndiciFastTimer();
    const route = config.routes[0] ?? "r0";
    const sockets = new Map<SocketId, SimHttpSocket>();
    const track = (socket: SimHttpSocket) =>
      socket.once("connect", () => sockets.set(socket.simSocketId as SocketId, socket));
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
    };
  },
};
