/**
 * What the adapters of factory pools (generic-pool, tarn, pg-pool) share.
 *
 * These pools know nothing of routes or sockets: they pool whatever their
 * factory creates. Their adapters run single-route (route rules are then not
 * applicable), create one simulated socket per pooled resource, and read
 * global time, so the harness fakes it (`timeMode: "global"`).
 *
 * @module
 */
import { GlobalTimeDriver, realTimers } from "../../src/clock/mod.ts";
import type { PoolConfig, PoolUnderTest, World } from "../../src/harness/adapter.ts";
import { SimNetwork } from "../../src/net/mod.ts";
import type { Route } from "../../src/net/types.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";

/**
 * The longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); a
 * longer one fires at once. Pools that always arm a timer (tarn's acquire
 * and create timeouts, its idle timeout) get this to mean "never".
 */
export const NEVER_MS = 2_147_483_647;

/**
 * The one route a factory pool serves in a run.
 *
 * @param adapter Adapter name, for the message.
 * @param config The drawn config; it must name exactly one route.
 * @returns That route.
 * @throws {RangeError} If the config names no route or several.
 *
 * @example A single-route config
 * ```ts
 * import assert from "node:assert/strict";
 * import { onlyRoute, poolConfig } from "./_factory_pool.ts";
 *
 * assert.equal(onlyRoute("tarn", poolConfig({ routes: ["db"] })), "db");
 * assert.throws(() => onlyRoute("tarn", poolConfig({ routes: ["a", "b"] })), RangeError);
 * ```
 */
export function onlyRoute(adapter: string, config: PoolConfig): Route {
  const [route, ...more] = config.routes;
  if (route === undefined || more.length > 0) {
    throw new RangeError(
      `Cannot create ${adapter} pool as 'routes' must name exactly one route: current value is ${
        JSON.stringify(config.routes)
      }`,
    );
  }
  return route;
}

/**
 * Reject an acquire for a route the single-route pool does not serve.
 *
 * @param adapter Adapter name, for the message.
 * @param served The pool's route.
 * @param asked The route of the acquire.
 * @returns A rejected promise when the routes differ, `undefined` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrongRoute } from "./_factory_pool.ts";
 *
 * assert.equal(wrongRoute("tarn", "db", "db"), undefined);
 * await assert.rejects(wrongRoute("tarn", "db", "cache")!, RangeError);
 * ```
 */
export function wrongRoute(
  adapter: string,
  served: Route,
  asked: Route,
): Promise<never> | undefined {
  if (asked === served) return undefined;
  return Promise.reject(
    new RangeError(
      `Cannot acquire from ${adapter} pool as 'route' must be ${
        JSON.stringify(served)
      }: current value is ${JSON.stringify(asked)}`,
    ),
  );
}

/**
 * Call `call` with `owner[field]` set to `value` (deleted when `value` is
 * `undefined`), and put the field back as it was, whatever the call does.
 * The factory pools read their acquire timeout from their options when an
 * acquire starts, synchronously, and take no timeout per call: this is how
 * each acquire gets the one the harness drew for it.
 *
 * @param owner The object that holds the field (a pool, or its options).
 * @param field The field.
 * @param value The value to call with.
 * @param call What to run with it.
 * @returns What `call` returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withFieldSet } from "./_factory_pool.ts";
 *
 * const options: Record<string, unknown> = { acquireTimeoutMillis: 30_000 };
 * assert.equal(withFieldSet(options, "acquireTimeoutMillis", 5, () => options.acquireTimeoutMillis), 5);
 * assert.equal(options.acquireTimeoutMillis, 30_000);
 * withFieldSet(options, "acquireTimeoutMillis", undefined, () => assert.ok(!("acquireTimeoutMillis" in options)));
 * assert.equal(options.acquireTimeoutMillis, 30_000);
 * ```
 */
export function withFieldSet<T>(
  owner: object,
  field: string,
  value: unknown,
  call: () => T,
): T {
  const target = owner as Record<string, unknown>;
  const had = Object.hasOwn(target, field);
  const saved = target[field];
  if (value === undefined) delete target[field];
  else target[field] = value;
  try {
    return call();
  } finally {
    if (had) target[field] = saved;
    else delete target[field];
  }
}

/**
 * A complete {@linkcode PoolConfig} for one route, with every optional
 * setting unset unless given. For tests and examples.
 *
 * @param overrides Fields to set.
 * @returns The config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolConfig } from "./_factory_pool.ts";
 *
 * const config = poolConfig({ maxTotal: 3 });
 * assert.equal(config.maxTotal, 3);
 * assert.equal(config.maxIdleMs, undefined);
 * ```
 */
export function poolConfig(overrides: Partial<PoolConfig> = {}): PoolConfig {
  return poolConfigOf({ routes: ["db"], ...overrides });
}

/** A world on faked global time, as the harness builds one for `timeMode: "global"`. */
export interface GlobalWorld extends World {
  /** The installed driver (also `clock`). */
  readonly driver: GlobalTimeDriver;
}

/**
 * Run `body` in a fresh world on faked global time, and put real time back
 * afterwards whether `body` resolves or throws. For tests and examples.
 *
 * @param body Work to run in the world.
 * @returns What `body` resolves to.
 * @throws {Error} If global time is already faked, or whatever `body` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inGlobalWorld } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async ({ network, driver }) => {
 *   const socket = network.connect("db");
 *   driver.runDue();
 *   assert.equal((await socket).state, "open");
 * });
 * assert.ok(Date.now() > 1_000_000_000_000);
 * ```
 */
export async function inGlobalWorld<T>(body: (world: GlobalWorld) => Promise<T>): Promise<T> {
  const driver = GlobalTimeDriver.install();
  lastDriver = driver;
  try {
    const network = new SimNetwork({ clock: driver });
    let seed = 1;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    return await body({ driver, clock: driver, network, random });
  } finally {
    driver.uninstall();
  }
}

let lastDriver: GlobalTimeDriver | undefined;

/**
 * Put real time back if a world's driver is still installed: a test runner
 * may abandon a test body (an unhandled rejection, a timeout) before its
 * `finally` runs. Call it from `afterEach`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GlobalTimeDriver } from "../../src/clock/mod.ts";
 * import { restoreRealTime } from "./_factory_pool.ts";
 *
 * restoreRealTime();
 * assert.equal(GlobalTimeDriver.active, false);
 * ```
 */
export function restoreRealTime(): void {
  lastDriver?.uninstall();
  lastDriver = undefined;
}

/**
 * Let the pool react: flush microtasks and run due timers until a round
 * changes nothing (bounded), as the harness's settle loop does. For tests.
 *
 * @param world The world to settle.
 * @returns Resolves once quiet.
 * @throws {Error} If the pool stays busy for 500 rounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inGlobalWorld, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   let socketId = 0;
 *   world.network.connect("db").then((socket) => (socketId = socket.id));
 *   await settle(world);
 *   assert.equal(socketId, 1);
 * });
 * ```
 */
export async function settle(world: GlobalWorld): Promise<void> {
  const ledger = world.network.ledger;
  // Pools chain many promise hops between a cause and its effect (tarn's
  // destroy() takes some 30), so quiet means several rounds in a row with
  // nothing new. Each round also yields to the event loop once (a real
  // setImmediate, not a sleep): `process.nextTick` callbacks, which pg-pool
  // uses to hand out idle clients, only run when the microtask queue drains.
  for (let round = 0, quiet = 0; round < 500; round++) {
    const before = ledger.length;
    for (let hop = 0; hop < 12; hop++) await Promise.resolve();
    await new Promise<void>((resolve) => realTimers.setImmediate(resolve));
    const busy = world.driver.runDue() > 0 || ledger.length !== before;
    quiet = busy ? 0 : quiet + 1;
    if (quiet === 4) return;
  }
  throw new Error("the pool never settled");
}

/**
 * Move faked time forward by `ms`, stopping at every timer deadline on the
 * way to let the pool react (as the harness does). For tests.
 *
 * @param world The world to drive.
 * @param ms Milliseconds to advance.
 * @returns Resolves once time has moved and the pool is quiet.
 * @throws {Error} If the pool stays busy at some deadline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advance, inGlobalWorld } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const fired: number[] = [];
 *   const tick = () => {
 *     fired.push(world.driver.now());
 *     if (fired.length < 3) Promise.resolve().then(() => setTimeout(tick, 10));
 *   };
 *   setTimeout(tick, 10);
 *   await advance(world, 100);
 *   assert.deepEqual(fired, [10, 20, 30]);
 * });
 * ```
 */
export async function advance(world: GlobalWorld, ms: number): Promise<void> {
  const { driver } = world;
  const target = driver.now() + ms;
  await settle(world);
  for (let next = driver.nextDeadline(); next !== undefined && next <= target;) {
    driver.advanceTo(Math.max(next, driver.now()));
    await settle(world);
    next = driver.nextDeadline();
  }
  driver.advanceTo(target);
  await settle(world);
}

/**
 * Acquire on the pool's only route and settle: the lease must arrive while the
 * pool settles, without moving time.
 *
 * @param pool The pool under test.
 * @param world Its world.
 * @returns The lease.
 * @throws {Error} If the acquire did not settle, or what it rejected with.
 */
export async function leaseNow<L>(pool: PoolUnderTest<L>, world: GlobalWorld): Promise<L> {
  let outcome: { lease: L } | { error: unknown } | undefined;
  pool.acquire("db", {}).then((lease) => (outcome = { lease }), (error) => (outcome = { error }));
  await settle(world);
  if (outcome === undefined) throw new Error("The acquire did not settle");
  if ("error" in outcome) throw outcome.error;
  return outcome.lease;
}
