/**
 * Adapter for sequelize-pool 8 (`new Pool({ create, destroy, validate, min,
 * max, … })`), the pool under Sequelize.
 *
 * Mapping onto the simulated network (line numbers are those of
 * lib/Pool.js in 8.0.1):
 * - The pool has no notion of routes: it runs single-route, route rules are
 *   not applicable. Each pooled resource is one {@linkcode SimSocket}:
 *   `create` connects it, `destroy` closes it, and the lease is the resource
 *   itself (`release()` and `destroy()` find it by identity, 208 and 231–232).
 * - acquire → `pool.acquire()`; release reusable → `pool.release(resource)`;
 *   release broken → `pool.destroy(resource)`, the pool's call for a resource
 *   that must not be reused; close → `drain()` then `destroyAllNow()`, the
 *   shutdown sequelize-pool's README shows.
 * - `validate` probes the socket (`isStale()`). It must answer synchronously:
 *   `_dispense` tests its result as is (122), and a promise would always pass.
 * - The acquire timeout is a pool field (`acquireTimeoutMillis`, 37, a
 *   `protected` one in the typings) that `acquire()` reads synchronously when
 *   it arms the timer of its request (196): the adapter sets it for the
 *   duration of that call. The pool always arms one (default 30 s), so an
 *   acquire without a timeout gets {@linkcode NEVER_MS}.
 * - Idle resources are closed by the reaper, a `setTimeout` every
 *   {@linkcode REAP_INTERVAL_MS} while any resource is idle (95–97, 103–110,
 *   171), which destroys those whose deadline `Date.now() +
 *   idleTimeoutMillis` has come (88, 167): closing can be one interval late.
 *   Without a drawn max idle, `idleTimeoutMillis` is `Infinity`, a deadline
 *   never reached.
 * - `drain()` checks every {@linkcode DRAIN_POLL_MS} (a fixed `setTimeout`,
 *   259–267) whether every resource is back, so `close()` may resolve that
 *   long after the last release: the longest period the pool polls on, hence
 *   the declared tolerance.
 *
 * @module
 */
import { Pool, TimeoutError } from "sequelize-pool";
import type {
  Adapter,
  PoolStats,
  PoolUnderTest,
  RejectionKind,
} from "../../src/harness/adapter.ts";
import { ConnectAbortedError, ConnectRefusedError, type SimSocket } from "../../src/net/mod.ts";
import { NEVER_MS, onlyRoute, withFieldSet, wrongRoute } from "./_factory_pool.ts";

/** Interval of sequelize-pool's reaper in this adapter, ms. */
export const REAP_INTERVAL_MS = 25;

/** Period of `drain()`'s check, fixed by sequelize-pool, ms; also the timing tolerance. */
export const DRAIN_POLL_MS = 100;

/** The field `acquire()` copies into each request's timer (`protected` in the typings). */
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
    () => pool.acquire(),
  );
}

function statsOf(pool: Pool<SimSocket>, route: string): PoolStats {
  // `size` is `_count`, raised when a create starts (136) and lowered when a
  // create fails or a resource is destroyed (152, 238): what is neither
  // available nor in use is being connected.
  const total = {
    leased: pool.using,
    available: pool.available,
    pending: pool.waiting,
    connecting: pool.size - pool.available - pool.using,
  };
  return { total, routes: { [route]: total } };
}

/**
 * The kind of an error sequelize-pool rejects an acquire with, read as a
 * caller's `catch` block reads it (lib/):
 * - `instanceof TimeoutError` (exported by index.js): Deferred.js
 *   `registerTimeout` rejects with a new `TimeoutError("Pool acquire
 *   operation timeout")` when the request's timer fires, after Pool.js 197
 *   took it off the queue. → `timeout`
 * - message "pool is draining and cannot accept work": `acquire()` once
 *   `drain()`, the first half of the adapter's `close()`, set `_draining`
 *   (Pool.js 190–191). → `poolClosed`
 * - the error a create rejected with, passed on unchanged to the oldest
 *   waiter (Pool.js 150–157): the simulated network's refused or aborted
 *   connect. → `connectionError`
 *
 * sequelize-pool has no wait-queue bound and no clear. Anything else, such as
 * the adapter's own error for a route the pool does not serve (never drawn:
 * `routes` is `[1, 1]`), is not a kind the pool makes: `undefined`.
 *
 * @param error What an acquire was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function sequelizePoolRejectionKind(error: unknown): RejectionKind | undefined {
  if (error instanceof TimeoutError) return "timeout";
  if (error instanceof ConnectRefusedError || error instanceof ConnectAbortedError) {
    return "connectionError";
  }
  if (error instanceof Error && error.message === "pool is draining and cannot accept work") {
    return "poolClosed";
  }
  return undefined;
}

/**
 * sequelize-pool 8.0 judged by the kit.
 *
 * Capabilities and policies, each from lib/Pool.js (8.0.1):
 * - `stats`: the getters `using`, `available`, `waiting` and `size` (49–63).
 * - `acquireTimeout`: each request arms its own timer (196–198, Deferred.js)
 *   and leaves the queue when it fires.
 * - `releaseBroken`: `destroy(resource)` takes it out of use and calls the
 *   factory's `destroy` (228–242).
 * - `maxUses`: `release()` counts the use and destroys the resource once the
 *   count reaches `maxUses` (213–221).
 * - `validateAfterInactivity` (threshold 0): `_dispense` validates every idle
 *   resource before it lends it, and destroys one that fails (118–125).
 * - `maxIdle`: the reaper (`idleTimeoutMillis`, `now >= timeout`, 78–110).
 * - `validatesOptions`: the constructor throws for `max` unless it is an
 *   integer > 0 (24–28) and for `maxUses` if it is not a number or is
 *   negative (32–35), before anything is created. Neither message shows the
 *   value, and `maxUses` 0, 1.5 and NaN pass: the kit judges both.
 * - `rejectionKinds`: a timeout, a draining pool and a failed create each
 *   reject with their own error (see {@linkcode sequelizePoolRejectionKind}).
 * - Reuse order `lifo`: `_dispense` lends the last idle resource (121, 126)
 *   and a released one is pushed at the end (169).
 * - Waiters `fifo`, no overtaking: `acquire()` pushes its request and then
 *   dispenses (199–200), and every hand-over takes the queue's head (128,
 *   141).
 * - Expiry `evictor` (the reaper). A failed create rejects the oldest waiter
 *   (150–157): `connectFailure` is `reject`.
 * - Close `drain`: `drain()` refuses new acquires but keeps dispensing to the
 *   queued ones (190–191, 257–258). `release()` never looks at `_draining`
 *   (203–226), so a release after close is accepted.
 * - Limits: a create starts only while `size < max` (131), and `size` counts
 *   idle, lent and connecting resources alike.
 * - The pool never listens to its resources: it learns that one is dead only
 *   through `validate` when it lends it (`closeDetection: "check"`).
 * - Not declared: `rejectsBadRelease` (`release()` of a resource it does not
 *   lend only logs, 204–212); `minPoolSize` (`min` is topped up only after a
 *   destroy, `_ensureMinimum` at 235 and 245, never when the pool is created);
 *   `events` (the pool emits none); TTL, keep-alive, connect timeout,
 *   maxConnecting, maxWaiters, routes, closeIdle.
 *
 * @example Leasing, reusing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequelizePoolAdapter } from "./sequelize_pool.ts";
 * import { advance, inGlobalWorld, poolConfig, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const pool = await sequelizePoolAdapter.create(poolConfig(), world);
 *   const first = pool.acquire("db", {});
 *   await settle(world);
 *   const lease = await first;
 *   assert.equal(pool.connectionOf(lease), 1);
 *   pool.release(lease, { reusable: true });
 *   let closed = false;
 *   pool.close().then(() => (closed = true));
 *   await advance(world, 100);
 *   assert.equal(closed, true);
 *   assert.equal(world.network.socket(1)?.state, "closed");
 * });
 * ```
 */
export const sequelizePoolAdapter: Adapter<SimSocket> = {
  name: "sequelize-pool",
  supports: {
    timeMode: "global",
    capabilities: [
      "stats",
      "acquireTimeout",
      "releaseBroken",
      "maxUses",
      "validateAfterInactivity",
      "maxIdle",
      "validatesOptions",
      "rejectionKinds",
    ],
    ranges: {
      routes: [1, 1],
      maxTotal: [1, 6],
      maxPerRoute: [1, 6],
      // Deferred.js hands the timeout to setTimeout as is; ranges stay within 500 ms, as every
      // advance past them costs reaper ticks.
      acquireTimeoutMs: [1, 500],
      // The valid values; CFG-1 offers invalid ones of its own (validatedOptions).
      maxUses: [1, 4],
      validateAfterInactivityMs: [0, 0],
      // 0 retires an idle resource at the reaper's next tick.
      maxIdleMs: [0, 200],
    },
    policies: {
      reuseOrder: "lifo",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["evictor"],
      closeWaiters: "drain",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      closeDetection: "check",
      releaseAfterClose: "accept",
    },
    toleranceMs: DRAIN_POLL_MS,
    // The sequelize-pool options the adapter passes these through to, unchanged.
    validatedOptions: { maxTotal: "max", maxUses: "maxUses" },
  },
  create(config, world): PoolUnderTest<SimSocket> {
    const route = onlyRoute("sequelize-pool", config);
    const { network } = world;
    const pool = new Pool<SimSocket>({
      name: "poolcheck",
      create: () => network.connect(route),
      destroy: (socket) => socket.close("destroyed"),
      validate: (socket) => !socket.isStale(),
      min: 0,
      max: config.maxTotal,
      // Left undefined, the pool's default applies: Infinity (39).
      ...(config.maxUses === undefined ? {} : { maxUses: config.maxUses }),
      acquireTimeoutMillis: NEVER_MS,
      idleTimeoutMillis: config.maxIdleMs ?? Infinity,
      reapIntervalMillis: REAP_INTERVAL_MS,
    });
    return {
      acquire: (asked, { timeoutMs }) =>
        wrongRoute("sequelize-pool", route, asked) ?? acquireWithTimeout(pool, timeoutMs),
      release: (socket, { reusable }) => reusable ? pool.release(socket) : pool.destroy(socket),
      connectionOf: (socket) => socket.id,
      close: async () => {
        await pool.drain();
        await pool.destroyAllNow();
      },
      stats: () => statsOf(pool, route),
      rejectionKind: sequelizePoolRejectionKind,
    };
  },
};
