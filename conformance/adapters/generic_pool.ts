/**
 * Adapter for generic-pool 3 (`createPool(factory, options)`).
 *
 * Mapping onto the simulated network:
 * - The pool has no notion of routes: it runs single-route, route rules are
 *   not applicable. Each pooled resource is one {@linkcode SimSocket}:
 *   `factory.create` connects it, `factory.destroy` closes it, and the lease
 *   is the resource itself (generic-pool tracks loans by resource identity).
 * - acquire → `pool.acquire()`; release reusable → `pool.release(resource)`;
 *   release broken → `pool.destroy(resource)`, the pool's API for a
 *   resource that must not be reused; close → `drain()` then `clear()`.
 * - `factory.validate` probes the socket (`isStale()`) and `testOnBorrow`
 *   is on (README: "should the pool validate resources before giving them to
 *   clients"), the way a network client uses this pool: every lease from the
 *   available list is validated first (threshold 0).
 * - The acquire timeout is a pool option (`acquireTimeoutMillis`) read when
 *   `acquire()` builds its request; the adapter sets it for the duration of
 *   that synchronous call so each acquire gets its own timeout through the
 *   pool's own timer (lib/ResourceRequest.js).
 * - Idle connections are closed by the pool's evictor: it runs every
 *   {@linkcode EVICTION_RUN_MS} and closes resources idle longer than
 *   `idleTimeoutMillis` (strict `<`, lib/DefaultEvictor.js), so closing can be
 *   up to one run late: that is the declared tolerance.
 *
 * @module
 */
import genericPool from "generic-pool";
import type {
  Adapter,
  PoolStats,
  PoolUnderTest,
  RejectionKind,
} from "../../src/harness/adapter.ts";
import type { SimSocket } from "../../src/net/mod.ts";
import { onlyRoute, withFieldSet, wrongRoute } from "./_factory_pool.ts";

/** Interval of generic-pool's evictor in this adapter, ms; also the timing tolerance. */
export const EVICTION_RUN_MS = 25;

type GenericPool = genericPool.Pool<SimSocket>;

/**
 * Bypass of the pool's options object (`pool._config`, lib/PoolOptions.js),
 * only to give each acquire its own timeout: `acquire()` copies
 * `acquireTimeoutMillis` into the request it creates, synchronously.
 */
interface PoolInternals {
  _config: { acquireTimeoutMillis?: number };
}

function acquireWithTimeout(pool: GenericPool, timeoutMs: number | undefined): Promise<SimSocket> {
  const options = (pool as unknown as PoolInternals)._config;
  return withFieldSet(options, "acquireTimeoutMillis", timeoutMs, () => pool.acquire());
}

function statsOf(pool: GenericPool, route: string): PoolStats {
  // size = created + being created (lib/Pool.js `_count`); what is neither
  // available nor borrowed is being connected (or, briefly, validated).
  const total = {
    leased: pool.borrowed,
    available: pool.available,
    pending: pool.pending,
    connecting: pool.size - pool.available - pool.borrowed,
    max: pool.max,
  };
  return { total, routes: { [route]: total } };
}

/**
 * The kind of an error generic-pool rejects an acquire with, read as a
 * caller's `catch` block reads it. generic-pool 3.9 exports no error class
 * (index.js exports Pool, Deque, PriorityQueue, DefaultEvictor and
 * createPool), so the kind is read from the error's name and message, each
 * made in one place only (lib/):
 * - `name === "TimeoutError"`: ResourceRequest.js `_fireTimeout` rejects with
 *   `new errors.TimeoutError("ResourceRequest timed out")` when the
 *   request's `acquireTimeoutMillis` runs out (errors.js sets `name` to the
 *   class name); Queue.js tells a timed-out request apart the same way
 *   (`reason.name === "TimeoutError"`). → `timeout`
 * - message "pool is draining and cannot accept work": Pool.js `acquire`
 *   once `drain()`, the first half of the adapter's `close()`, set
 *   `_draining`. → `poolClosed`
 * - message "max waitingClients count exceeded": Pool.js `acquire` when no
 *   capacity is spare, nothing is available and the queue already holds
 *   `maxWaitingClients` requests. → `waitQueueFull`
 *
 * A failed create never rejects an acquire (Pool.js `_createResource` emits
 * `factoryCreateError` and dispenses again), so there is no
 * `connectionError`. Anything else, such as the adapter's own error for a
 * route the pool does not serve (never drawn: `routes` is `[1, 1]`), is not
 * a kind the pool makes: `undefined`.
 *
 * @param error What an acquire was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function genericPoolRejectionKind(error: unknown): RejectionKind | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "TimeoutError") return "timeout";
  if (error.message === "pool is draining and cannot accept work") return "poolClosed";
  if (error.message === "max waitingClients count exceeded") return "waitQueueFull";
  return undefined;
}

/**
 * generic-pool 3.9 judged by the kit.
 *
 * Capabilities and policies, each from the pool's source (lib/):
 * - `acquireTimeout`: ResourceRequest arms `setTimeout` and rejects with
 *   `TimeoutError`; Queue removes the timed-out request.
 * - `releaseBroken`: `destroy(resource)` calls `factory.destroy`.
 * - `maxWaiters`: `maxWaitingClients`; `acquire()` rejects at once with
 *   "max waitingClients count exceeded" (checked only when no capacity is
 *   spare and nothing is available).
 * - `validateAfterInactivity` (threshold 0): `testOnBorrow` runs
 *   `factory.validate` before every dispatch from the available list.
 * - `maxIdle`: the evictor (`evictionRunIntervalMillis`, `idleTimeoutMillis`).
 * - `stats`: `borrowed`, `available`, `pending`, `size`.
 * - `rejectionKinds`: a timeout, a draining pool and a full queue each
 *   reject with their own error (see {@linkcode genericPoolRejectionKind}).
 * - `rejectsBadRelease`: `release()` of a resource not on loan returns a
 *   rejected promise ("Resource not currently part of this pool"). Loans are
 *   keyed by the resource, so a stale release after the resource was lent
 *   again is accepted: the kit judges that.
 * - Reuse order `fifo`: the default `fifo: true` ("the oldest resources will
 *   be first to be allocated", README) pushes released resources at the tail
 *   and dispatch shifts from the head.
 * - Waiters `fifo`, no overtaking: one PriorityQueue (all priority 0), and
 *   `_dispense` serves the queue's head.
 * - Expiry `evictor`; a failed create is retried (`_createResource` →
 *   `_dispense` creates again for the same waiters, without backoff);
 *   `drain()` lets queued waiters be served before it resolves, and rejects
 *   new acquires; the limit `max` counts idle resources (`spareResourceCapacity`).
 * - Not declared: TTL, keep-alive, connect timeout, maxConnecting, routes,
 *   closeIdle (its `clear()` only destroys every available resource).
 * - Not declared: `events`. Pool.js emits only `factoryCreateError` (a
 *   create rejected, `_createResource`) and `factoryDestroyError` (a destroy
 *   rejected, `_destroy`): nothing when a create starts or succeeds, when a
 *   resource is destroyed, lent, returned or when the pool drains, so no
 *   CMAP type can be reported for every occurrence of what it names. A
 *   failed create alone, as `ConnectionClosed`, would leave every other close
 *   unreported.
 *
 * @example Leasing, reusing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { genericPoolAdapter } from "./generic_pool.ts";
 * import { inGlobalWorld, poolConfig, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const pool = await genericPoolAdapter.create(poolConfig(), world);
 *   const first = pool.acquire("db", {});
 *   await settle(world);
 *   const lease = await first;
 *   assert.equal(pool.connectionOf(lease), 1);
 *   await pool.release(lease, { reusable: true });
 *   const again = pool.acquire("db", {});
 *   await settle(world);
 *   assert.equal(pool.connectionOf(await again), 1);
 *   await pool.release(await again, { reusable: true });
 *   const closing = pool.close();
 *   await settle(world);
 *   await closing;
 *   assert.equal(world.network.socket(1)?.state, "closed");
 * });
 * ```
 */
export const genericPoolAdapter: Adapter<SimSocket> = {
  name: "generic-pool",
  supports: {
    timeMode: "global",
    capabilities: [
      "stats",
      "acquireTimeout",
      "releaseBroken",
      "maxWaiters",
      "validateAfterInactivity",
      "maxIdle",
      "rejectsBadRelease",
      "rejectionKinds",
    ],
    ranges: {
      routes: [1, 1],
      maxTotal: [1, 6],
      maxPerRoute: [1, 6],
      // ResourceRequest throws on a delay <= 0, so timeouts start at 1 ms. Ranges stay
      // within 500 ms: heal, probe and close each advance past the longest one while the
      // evictor ticks every EVICTION_RUN_MS, so longer ranges only add evictor ticks.
      acquireTimeoutMs: [1, 500],
      maxWaiters: [0, 4],
      validateAfterInactivityMs: [0, 0],
      maxIdleMs: [50, 500],
    },
    policies: {
      reuseOrder: "fifo",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["evictor"],
      closeWaiters: "drain",
      connectFailure: "retry",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // generic-pool never listens to its resources; it learns of a dead one only through validate (testOnBorrow) or the evictor.
      closeDetection: "check",
    },
    toleranceMs: EVICTION_RUN_MS,
  },
  create(config, world): PoolUnderTest<SimSocket> {
    const route = onlyRoute("generic-pool", config);
    const { network } = world;
    const idle = config.maxIdleMs === undefined ? {} : {
      evictionRunIntervalMillis: EVICTION_RUN_MS,
      idleTimeoutMillis: config.maxIdleMs,
      numTestsPerEvictionRun: Math.max(3, config.maxTotal),
    };
    const waiters = config.maxWaiters === undefined ? {} : { maxWaitingClients: config.maxWaiters };
    const pool: GenericPool = genericPool.createPool<SimSocket>({
      create: () => network.connect(route),
      destroy: (socket) => Promise.resolve(socket.close("destroyed")),
      validate: (socket) => Promise.resolve(!socket.isStale()),
    }, { max: config.maxTotal, min: 0, testOnBorrow: true, ...idle, ...waiters });
    // A failed create is reported as an event; without a listener it is dropped.
    pool.on("factoryCreateError", () => {});
    return {
      acquire: (asked, { timeoutMs }) =>
        wrongRoute("generic-pool", route, asked) ?? acquireWithTimeout(pool, timeoutMs),
      release: (socket, { reusable }) => reusable ? pool.release(socket) : pool.destroy(socket),
      connectionOf: (socket) => socket.id,
      close: async () => {
        await pool.drain();
        await pool.clear();
      },
      stats: () => statsOf(pool, route),
      rejectionKind: genericPoolRejectionKind,
    };
  },
};
