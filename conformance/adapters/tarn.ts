/**
 * Adapter for tarn 3 (`new Pool({ create, destroy, validate, min, max, … })`),
 * the pool under knex.
 *
 * Mapping onto the simulated network:
 * - The pool has no notion of routes: it runs single-route, route rules are
 *   not applicable. Each pooled resource is one {@linkcode SimSocket}:
 *   `create` connects it, `destroy` closes it, and the lease is the resource
 *   itself (tarn finds a release's entry by resource identity).
 * - acquire → `pool.acquire().promise`; release reusable →
 *   `pool.release(resource)`. tarn has no call to discard a leased resource:
 *   its users mark the connection dead and let `validate` reject it (knex
 *   sets `__knex__disposed` and checks it in `validate`). The adapter does the
 *   same with the socket itself: a broken release closes the socket, then
 *   releases it, and `validate` (a staleness probe, always installed, as knex
 *   does) discards it at the next acquire or the reaper closes it.
 * - `release()` answers `false` for a resource it does not hold; the adapter
 *   turns that into a thrown error so the harness sees the refusal.
 * - Timeouts are pool options read when an operation starts
 *   (dist/Pool.js: `new PendingOperation(this.acquireTimeoutMillis)`): the
 *   adapter sets `acquireTimeoutMillis` for the duration of the synchronous
 *   `acquire()` call. tarn always arms an acquire timeout (default 30 s), so
 *   an acquire without one gets {@linkcode NEVER_MS}.
 * - Idle resources are closed by the reaper, a `setInterval` every
 *   {@linkcode REAP_INTERVAL_MS} that destroys those idle for at least
 *   `idleTimeoutMillis`: closing can be one interval late, the declared
 *   tolerance. Without a drawn max idle, `idleTimeoutMillis` is
 *   {@linkcode NEVER_MS} (tarn cannot switch it off; its default is 30 s).
 *
 * @module
 */
import { Pool, TimeoutError } from "tarn";
import type {
  Adapter,
  PoolEventNotice,
  PoolStats,
  PoolUnderTest,
  RejectionKind,
  ReportedEventType,
} from "../../src/harness/adapter.ts";
import type { SimSocket } from "../../src/net/mod.ts";
import type { Route } from "../../src/net/types.ts";
import { NEVER_MS, onlyRoute, withFieldSet, wrongRoute } from "./_factory_pool.ts";

/** Interval of tarn's reaper in this adapter, ms; also the timing tolerance. */
export const REAP_INTERVAL_MS = 25;

/** The option tarn copies into each acquire (a `protected` field in its typings). */
interface PoolInternals {
  acquireTimeoutMillis: number;
}

function acquireWithTimeout(
  pool: Pool<SimSocket>,
  timeoutMs: number | undefined,
): Promise<SimSocket> {
  const internals: PoolInternals = pool as unknown as PoolInternals;
  return withFieldSet(
    internals,
    "acquireTimeoutMillis",
    timeoutMs ?? NEVER_MS,
    () => pool.acquire().promise,
  );
}

function statsOf(pool: Pool<SimSocket>, route: string): PoolStats {
  // `used` also holds resources reserved for an acquire while they are
  // validated (dist/Pool.js `_doAcquire`), which the settle loop lets finish.
  const total = {
    leased: pool.numUsed(),
    available: pool.numFree(),
    pending: pool.numPendingAcquires() + pool.numPendingValidations(),
    connecting: pool.numPendingCreates(),
  };
  return { total, routes: { [route]: total } };
}

/**
 * The kind of an error tarn rejects an acquire with, read as a caller's
 * `catch` block reads it (dist/):
 * - `instanceof TimeoutError` (exported by tarn.js; README: "if the acquire
 *   times out an error of class TimeoutError is thrown"): PendingOperation.js
 *   races each acquire against `setTimeout(…, acquireTimeoutMillis)` and
 *   rejects with a new `TimeoutError`, whose message is that of the last
 *   failed create when there was one (`possibleTimeoutCause`), still the
 *   caller's own timeout. → `timeout`
 * - a plain `Error` with the message "aborted": PendingOperation.js `abort()`,
 *   which Pool.js `destroy()` (the adapter's `close()`) calls on every
 *   pending acquire ("Abort all pending acquires"); a caller's own
 *   `acquire.abort()` makes the same error, but the adapter never calls it.
 *   → `poolClosed`
 *
 * A failed or timed-out create never rejects an acquire: with
 * `propagateCreateError` left `false`, Pool.js `_doCreate` only records the
 * error as the acquires' `possibleTimeoutCause` and retries, so there is no
 * `connectionError`. tarn has no wait-queue bound and no clear. Anything
 * else, such as the adapter's own error for a route the pool does not serve
 * (never drawn: `routes` is `[1, 1]`), is not a kind the pool makes:
 * `undefined`.
 *
 * @param error What an acquire was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function tarnRejectionKind(error: unknown): RejectionKind | undefined {
  if (error instanceof TimeoutError) return "timeout";
  if (error instanceof Error && error.message === "aborted") return "poolClosed";
  return undefined;
}

/**
 * The CMAP types tarn's events stand for (see {@linkcode subscribeTarnEvents}).
 */
export const TARN_EVENT_TYPES: readonly ReportedEventType[] = [
  "ConnectionCreated",
  "ConnectionReady",
  "ConnectionClosed",
  "ConnectionCheckOutStarted",
  "ConnectionCheckedOut",
  "ConnectionCheckOutFailed",
  "ConnectionCheckedIn",
  "PoolClosed",
];

/**
 * Report tarn's events (the `pool.on(…)` handlers its README lists, each
 * fired by `_executeEventHandlers` in dist/Pool.js) as the CMAP events they
 * stand for:
 * - `createRequest`: `_create` fires it right before calling the `create`
 *   option, which opens the socket: `ConnectionCreated`.
 * - `createSuccess(eventId, resource)`: `_create` fires it once `create`
 *   resolved with the connected socket and the resource joined `free`:
 *   `ConnectionReady`, on that socket. A create its timeout already gave up
 *   fires none (the late resource goes straight to the `destroy` option).
 * - `createFail(eventId, err)`: `_create` fires it once per create that
 *   failed or timed out (`createTimeoutMillis`), when it leaves
 *   `pendingCreates`. CMAP reports a connection that never got established
 *   as closed: `ConnectionClosed`, with no socket (tarn gives none).
 * - `destroySuccess(eventId, resource)`: `_destroy` fires it once the
 *   `destroy` option, which closes the socket, has returned:
 *   `ConnectionClosed`, on that socket. (`destroyFail` is for a `destroy`
 *   that throws or times out, which the adapter's never does.)
 * - `acquireRequest(eventId)`: `acquire()` fires it first thing:
 *   `ConnectionCheckOutStarted`.
 * - `acquireSuccess(eventId, resource)`: fired in the acquire's own promise
 *   chain when it resolves: `ConnectionCheckedOut`, on the socket it got.
 * - `acquireFail(eventId, err)`: fired in the same chain when it rejects:
 *   `ConnectionCheckOutFailed`, its reason the error's kind.
 * - `release(resource)`: `release()` fires it first thing ("resource
 *   returned to pool"): `ConnectionCheckedIn`, on that socket.
 * - `poolDestroySuccess(eventId)`: `destroy()` fires it once everything is
 *   destroyed, then removes every listener: `PoolClosed`.
 *
 * Not reported: `destroyRequest` (the close is reported when it is done),
 * `startReaping`/`stopReaping` (the reaper's timer) and `poolDestroyRequest`
 * (fired by every `destroy()` call, before tarn closes anything).
 *
 * @param pool The tarn pool.
 * @param route Its route.
 * @param listener The kit's listener.
 */
export function subscribeTarnEvents(
  pool: Pool<SimSocket>,
  route: Route,
  listener: (event: PoolEventNotice) => void,
): void {
  const on = (type: ReportedEventType, socket?: SimSocket, reason?: string) =>
    listener({
      type,
      route,
      ...(socket === undefined ? {} : { socketId: socket.id }),
      ...(reason === undefined ? {} : { reason }),
    });
  pool.on("createRequest", () => on("ConnectionCreated"));
  pool.on("createSuccess", (_id, socket) => on("ConnectionReady", socket));
  pool.on("createFail", () => on("ConnectionClosed", undefined, "error"));
  pool.on("destroySuccess", (_id, socket) => on("ConnectionClosed", socket));
  pool.on("acquireRequest", () => on("ConnectionCheckOutStarted"));
  pool.on("acquireSuccess", (_id, socket) => on("ConnectionCheckedOut", socket));
  pool.on(
    "acquireFail",
    (_id, error) => on("ConnectionCheckOutFailed", undefined, tarnRejectionKind(error)),
  );
  pool.on("release", (socket) => on("ConnectionCheckedIn", socket));
  pool.on("poolDestroySuccess", () => on("PoolClosed"));
}

/**
 * tarn 3.1 judged by the kit.
 *
 * Capabilities and policies, each from dist/Pool.js:
 * - `acquireTimeout`: each PendingOperation races a `setTimeout` and rejects
 *   with `TimeoutError`; the acquire is then removed from `pendingAcquires`.
 * - `connectTimeout`: `createTimeoutMillis` rejects a create that takes too
 *   long and frees its place in `pendingCreates`; the underlying connect is
 *   not cancelled (tarn's `create` gets no signal), which the kit judges.
 * - `releaseBroken`: close + release, discarded by `validate` (see above).
 * - `validateAfterInactivity` (threshold 0): `_doAcquire` validates every
 *   free resource before resolving an acquire; a failed one is destroyed.
 * - `maxIdle`: the reaper (`check()`, `idleTimeoutMillis`, `>=`).
 * - `stats`: `numUsed`, `numFree`, `numPendingAcquires`,
 *   `numPendingValidations`, `numPendingCreates`.
 * - `rejectionKinds`: a timeout and a destroyed pool each reject with their
 *   own error (see {@linkcode tarnRejectionKind}).
 * - `events`: tarn's event handlers, mapped in
 *   {@linkcode subscribeTarnEvents}.
 * - `rejectsBadRelease`: `release()` returns `false` for a resource not in
 *   `used`; it searches by resource, so a stale release after the resource
 *   was lent again is accepted: the kit judges that.
 * - Reuse order `lifo`: `free.push` on release and creation, `free.pop` on
 *   acquire.
 * - Waiters `fifo`, no overtaking: `pendingAcquires.push`/`shift`, and an
 *   acquire whose validation failed goes back to the head (`unshift`).
 * - Expiry `evictor` (the reaper). A failed create is retried after
 *   `createRetryIntervalMillis` (200 ms) while acquires wait
 *   (`propagateCreateError` left at its default, `false`).
 * - `destroy()` (close) rejects pending acquires with "aborted" only after
 *   every used resource came back, and acquires made after it are never
 *   served nor rejected until their own timeout; declared `reject`, the kit
 *   judges the delay.
 * - Limits: creation only happens with no free resource and
 *   `used + pendingCreates < max`, so idle resources count.
 * - `validatesOptions`: the constructor throws for `max` unless it is an
 *   integer > 0, and for each timeout unless it is an integer > 0
 *   (`checkOptionalTime` in dist/utils.js), before anything is created. Its
 *   message for `max` does not show the value, and that for a timeout shows
 *   it through `JSON.stringify`, which prints NaN as `null`: the kit judges it.
 * - Not declared: TTL, keep-alive, maxConnecting, maxWaiters, routes.
 *
 * @example Leasing, reusing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { tarnAdapter } from "./tarn.ts";
 * import { inGlobalWorld, poolConfig, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const pool = await tarnAdapter.create(poolConfig(), world);
 *   const first = pool.acquire("db", {});
 *   await settle(world);
 *   const lease = await first;
 *   assert.equal(pool.connectionOf(lease), 1);
 *   pool.release(lease, { reusable: true });
 *   const closing = pool.close();
 *   await settle(world);
 *   await closing;
 *   assert.equal(world.network.socket(1)?.state, "closed");
 * });
 * ```
 */
export const tarnAdapter: Adapter<SimSocket> = {
  name: "tarn",
  supports: {
    timeMode: "global",
    capabilities: [
      "stats",
      "acquireTimeout",
      "connectTimeout",
      "releaseBroken",
      "validateAfterInactivity",
      "maxIdle",
      "rejectsBadRelease",
      "validatesOptions",
      "rejectionKinds",
      "events",
    ],
    ranges: {
      routes: [1, 1],
      maxTotal: [1, 6],
      maxPerRoute: [1, 6],
      // tarn rejects a timeout that is not a positive integer. Connect timeouts start
      // above the simulated connect latency (up to 3 ms), or no create could ever succeed;
      // ranges stay within 500 ms, as every advance past them costs reaper ticks.
      acquireTimeoutMs: [1, 500],
      connectTimeoutMs: [5, 500],
      validateAfterInactivityMs: [0, 0],
      maxIdleMs: [50, 500],
    },
    policies: {
      reuseOrder: "lifo",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["evictor"],
      closeWaiters: "reject",
      connectFailure: "retry",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // tarn never listens to its resources; it learns of a dead one only through validate on acquire or the reaper.
      closeDetection: "check",
    },
    toleranceMs: REAP_INTERVAL_MS,
    eventTypes: TARN_EVENT_TYPES,
    // The tarn options the adapter passes these through to, unchanged.
    validatedOptions: {
      maxTotal: "max",
      connectTimeoutMs: "createTimeoutMillis",
      maxIdleMs: "idleTimeoutMillis",
    },
  },
  create(config, world): PoolUnderTest<SimSocket> {
    const route = onlyRoute("tarn", config);
    const { network } = world;
    const pool = new Pool<SimSocket>({
      create: () => network.connect(route),
      destroy: (socket) => socket.close("destroyed"),
      validate: (socket) => !socket.isStale(),
      min: 0,
      max: config.maxTotal,
      acquireTimeoutMillis: NEVER_MS,
      createTimeoutMillis: config.connectTimeoutMs ?? NEVER_MS,
      idleTimeoutMillis: config.maxIdleMs ?? NEVER_MS,
      reapIntervalMillis: REAP_INTERVAL_MS,
    });
    return {
      acquire: (asked, { timeoutMs }) =>
        wrongRoute("tarn", route, asked) ?? acquireWithTimeout(pool, timeoutMs),
      release: (socket, { reusable }) => {
        // Only a resource tarn holds is closed: a refused release changes nothing.
        const held = pool.numUsed() > 0 &&
          (pool as unknown as { used: { resource: SimSocket }[] }).used.some((u) =>
            u.resource === socket
          );
        if (!reusable && held) socket.close("broken");
        if (!pool.release(socket)) {
          throw new Error(`tarn refused the release of socket ${socket.id}: not in use`);
        }
      },
      connectionOf: (socket) => socket.id,
      close: async () => {
        await pool.destroy();
      },
      stats: () => statsOf(pool, route),
      rejectionKind: tarnRejectionKind,
      events: (listener) => subscribeTarnEvents(pool, route, listener),
    };
  },
};
