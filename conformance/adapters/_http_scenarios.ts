/**
 * Scenarios every HTTP adapter's test runs: each proves one part of the
 * mapping from the pool onto the simulated network, on faked global time.
 *
 * @module
 */
import assert from "node:assert/strict";
import { GlobalTimeDriver } from "../../src/clock/mod.ts";
import {
  type Adapter,
  type PoolConfig,
  type PoolUnderTest,
  validateAdapter,
  validatePoolUnderTest,
  type World,
} from "../../src/harness/adapter.ts";
import { advance, settle, trace, track, withWorld } from "./_http_test_util.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";

/** A config with every optional field unset. */
export function configOf(fields: Partial<PoolConfig> = {}): PoolConfig {
  return poolConfigOf({ defaultKeepAliveMs: 10_000, ...fields });
}

/** What a scenario gets: the pool, its world and the time driver. */
export interface Scene<L> {
  readonly pool: PoolUnderTest<L>;
  readonly world: World;
  readonly driver: GlobalTimeDriver;
  /** Acquire and settle; the lease must have arrived. */
  lease(route?: string): Promise<L>;
  /** Ledger lines. */
  lines(): string[];
}

/** Run `body` with a fresh pool of `adapter` on faked time; the pool is closed and time restored. */
export async function scene<L>(
  adapter: Adapter<L>,
  config: PoolConfig,
  body: (scene: Scene<L>) => Promise<void>,
  before?: () => void,
): Promise<void> {
  await withWorld(async (world, driver) => {
    const pool = await adapter.create(config, world);
    validatePoolUnderTest(adapter.name, pool, adapter.supports);
    const lease = async (route = config.routes[0] ?? "r0") => {
      const box = track(pool.acquire(route, {}));
      await settle(driver);
      if (box.state === "rejected") throw box.error;
      assert.equal(box.state, "resolved", `acquire on ${route} is served`);
      return box.value as L;
    };
    const lines = () => trace(world.network.ledger.events);
    try {
      await body({ pool, world, driver, lease, lines });
    } finally {
      const closing = track(pool.close());
      await settle(driver);
      void closing;
    }
  }, before);
}

/** The adapter is well formed. */
export function declaresWell(adapter: Adapter<unknown>): void {
  validateAdapter(adapter);
}

/** An acquire opens a socket in the ledger; the lease names it. */
export async function acquireOpensSocket<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async ({ pool, lease, lines, world }) => {
    const held = await lease();
    assert.equal(pool.connectionOf(held), 1);
    assert.deepEqual(lines(), [
      "0 ConnectionCreated #1",
      "0 ConnectionReady #1",
      "0 RequestSent #1 requestId=1",
      "0 ResponseReceived #1 requestId=1 sequence=1",
    ]);
    assert.deepEqual(world.network.ledger.live(), [1]);
    pool.release(held, { reusable: true });
  }, before);
}

/** A reusable release makes the socket idle; the next acquire reuses it. */
export async function releaseThenReuse<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async ({ pool, lease, world, driver }) => {
    const first = await lease();
    pool.release(first, { reusable: true });
    await settle(driver);
    assert.deepEqual(world.network.ledger.idle(), [1]);
    const second = await lease();
    assert.equal(pool.connectionOf(second), 1);
    assert.equal(world.network.ledger.sockets().length, 1, "no second socket");
    assert.equal(world.network.ledger.requestsServed(1), 2);
    pool.release(second, { reusable: true });
  }, before);
}

/** A broken release closes the socket (client side); the next acquire opens a new one. */
export async function brokenReleaseCloses<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async ({ pool, lease, world, driver }) => {
    const first = await lease();
    pool.release(first, { reusable: false });
    await settle(driver);
    assert.equal(world.network.ledger.closure(1)?.by, "client");
    const second = await lease();
    assert.equal(pool.connectionOf(second), 2);
    pool.release(second, { reusable: true });
  }, before);
}

/** At the limit an acquire waits, and gets the released socket. */
export async function waiterGetsReleasedSocket<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf({ maxTotal: 1, maxPerRoute: 1 }), async (s) => {
    const first = await s.lease();
    const waiting = track(s.pool.acquire("r0", {}));
    await settle(s.driver);
    assert.equal(waiting.state, "pending");
    assert.equal(s.world.network.ledger.sockets().length, 1);
    s.pool.release(first, { reusable: true });
    await settle(s.driver);
    assert.equal(waiting.state, "resolved");
    assert.equal(s.pool.connectionOf(waiting.value as L), 1);
    s.pool.release(waiting.value as L, { reusable: true });
  }, before);
}

/**
 * The default keep-alive closes an idle socket by its timer, at the
 * deadline (within `slackMs`), not before.
 */
export async function defaultKeepAliveExpires<L>(
  adapter: Adapter<L>,
  slackMs: number,
  before?: () => void,
) {
  await scene(adapter, configOf({ defaultKeepAliveMs: 3_000 }), async (s) => {
    const held = await s.lease();
    s.pool.release(held, { reusable: true });
    await settle(s.driver);
    const releasedAt = s.driver.now();
    await advance(s.driver, 2_900, 100);
    assert.equal(s.world.network.ledger.stateOf(1), "open", "still idle before the deadline");
    await advance(s.driver, 200 + slackMs, 50);
    const closure = s.world.network.ledger.closure(1);
    assert.equal(closure?.by, "client");
    assert.ok(
      closure.t >= releasedAt + 3_000 - slackMs && closure.t <= releasedAt + 3_000 + slackMs,
    );
  }, before);
}

/** A `Keep-Alive: timeout=N` hint shorter than the default closes the idle socket earlier. */
export async function hintShortensKeepAlive<L>(
  adapter: Adapter<L>,
  expectedMs: number,
  before?: () => void,
) {
  await scene(adapter, configOf({ defaultKeepAliveMs: 10_000 }), async (s) => {
    s.world.network.configure("r0", { keepAliveHint: { timeoutMs: 3_000 } });
    const held = await s.lease();
    s.pool.release(held, { reusable: true });
    await settle(s.driver);
    const releasedAt = s.driver.now();
    await advance(s.driver, expectedMs + 100, 50);
    const closure = s.world.network.ledger.closure(1);
    assert.equal(closure?.by, "client", s.lines().join("\n"));
    assert.ok(
      closure.t - releasedAt <= expectedMs + 1,
      `closed after ${closure.t - releasedAt} ms`,
    );
  }, before);
}

/** The server half-closing an idle socket makes the pool close it; the next acquire connects anew. */
export async function serverCloseIsObserved<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async (s) => {
    const held = await s.lease();
    s.pool.release(held, { reusable: true });
    await settle(s.driver);
    s.world.network.serverClose(1);
    await settle(s.driver);
    assert.equal(s.world.network.ledger.stateOf(1), "closed");
    const next = await s.lease();
    assert.equal(s.pool.connectionOf(next), 2);
    s.pool.release(next, { reusable: true });
  }, before);
}

/** A refused connect rejects the acquire that needed it. */
export async function refusedConnectRejects<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async (s) => {
    s.world.network.configure("r0", { connect: "refuse" });
    const box = track(s.pool.acquire("r0", {}));
    await settle(s.driver);
    assert.equal(box.state, "rejected");
    assert.equal((box.error as { code?: string }).code, "ECONNREFUSED");
    s.world.network.heal();
    const next = await s.lease();
    assert.equal(s.pool.connectionOf(next), 2);
    s.pool.release(next, { reusable: true });
  }, before);
}

/** close() closes idle sockets; nothing stays open. */
export async function closeClosesSockets<L>(adapter: Adapter<L>, before?: () => void) {
  await withWorld(async (world, driver) => {
    const pool = await adapter.create(configOf(), world);
    const a = track(pool.acquire("r0", {}));
    const b = track(pool.acquire("r0", {}));
    await settle(driver);
    pool.release(a.value as L, { reusable: true });
    pool.release(b.value as L, { reusable: true });
    await settle(driver);
    assert.deepEqual(world.network.ledger.idle(), [1, 2]);
    const closing = track(pool.close());
    await settle(driver);
    assert.equal(closing.state, "resolved");
    assert.deepEqual(world.network.ledger.live(), []);
  }, before);
}

/** Global time is real again after a scenario that fails. */
export async function timeRestoredOnFailure<L>(adapter: Adapter<L>, before?: () => void) {
  await assert.rejects(
    scene(adapter, configOf(), async (s) => {
      await s.lease();
      throw new Error("scenario failed");
    }, before),
    /scenario failed/,
  );
  assert.equal(GlobalTimeDriver.active, false);
  assert.ok(Date.now() > Date.UTC(2020, 0, 1));
}

/** Two routes get their own sockets, each on its route. */
export async function routesAreSeparate<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf({ routes: ["r0", "r1"], maxPerRoute: 1 }), async (s) => {
    const a = await s.lease("r0");
    const b = await s.lease("r1");
    assert.deepEqual([s.pool.connectionOf(a), s.pool.connectionOf(b)], [1, 2]);
    assert.equal(s.world.network.ledger.routeOf(1), "r0");
    assert.equal(s.world.network.ledger.routeOf(2), "r1");
    s.pool.release(a, { reusable: true });
    s.pool.release(b, { reusable: true });
    await settle(s.driver);
    const again = await s.lease("r1");
    assert.equal(s.pool.connectionOf(again), 2);
    s.pool.release(again, { reusable: true });
  }, before);
}

/** A hanging connect is given up after the connect timeout (within `slackMs`); the acquire rejects. */
export async function connectTimeoutFires<L>(
  adapter: Adapter<L>,
  slackMs: number,
  before?: () => void,
) {
  await scene(adapter, configOf({ connectTimeoutMs: 2_000 }), async (s) => {
    s.world.network.configure("r0", { connect: "hang" });
    const box = track(s.pool.acquire("r0", {}));
    await advance(s.driver, 2_000 - slackMs - 1, 100);
    assert.equal(box.state, "pending", "not given up before the timeout");
    await advance(s.driver, 2 * slackMs + 1, 50);
    assert.equal(box.state, "rejected");
    assert.equal((box.error as { code?: string }).code, "UND_ERR_CONNECT_TIMEOUT");
    const closure = s.world.network.ledger.closure(1);
    assert.equal(closure?.by, "client");
    assert.equal(closure.reason, "aborted");
  }, before);
}

/** A connection older than its TTL is not leased again: the next acquire connects anew. */
export async function ttlRetiresConnection<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf({ ttlMs: 5_000, defaultKeepAliveMs: 60_000 }), async (s) => {
    const first = await s.lease();
    s.pool.release(first, { reusable: true });
    await advance(s.driver, 4_000, 500);
    const early = await s.lease();
    assert.equal(s.pool.connectionOf(early), 1, "reused before the TTL");
    s.pool.release(early, { reusable: true });
    await advance(s.driver, 1_100, 100);
    const late = await s.lease();
    assert.equal(s.pool.connectionOf(late), 2, "a new socket after the TTL");
    assert.equal(s.world.network.ledger.stateOf(1), "closed");
    s.pool.release(late, { reusable: true });
  }, before);
}

/**
 * A second request on a held lease is refused and leaves the ledger alone
 * (an HTTP lease is one exchange).
 */
export async function secondRequestRefused<L>(adapter: Adapter<L>, before?: () => void) {
  await scene(adapter, configOf(), async (s) => {
    const held = await s.lease();
    const length = s.world.network.ledger.length;
    assert.equal(typeof s.pool.request, "function");
    await assert.rejects(s.pool.request!(held), /one exchange/);
    await settle(s.driver);
    assert.equal(s.world.network.ledger.length, length);
    s.pool.release(held, { reusable: true });
  }, before);
}

/**
 * Many exchanges on one socket leave its `timeout` listeners bounded: a
 * client that arms and disarms the inactivity timer per request must not
 * pile up listeners (`socketOf` gives the lease's stream).
 */
export async function timeoutListenersBounded<L>(
  adapter: Adapter<L>,
  socketOf: (lease: L) => { listenerCount(event: string): number },
  before?: () => void,
) {
  await scene(adapter, configOf({ maxTotal: 1, maxPerRoute: 1 }), async (s) => {
    let socket: { listenerCount(event: string): number } | undefined;
    for (let i = 0; i < 15; i++) {
      const held = await s.lease();
      assert.equal(s.pool.connectionOf(held), 1);
      socket = socketOf(held);
      s.pool.release(held, { reusable: true });
      await settle(s.driver);
    }
    assert.ok(socket !== undefined && socket.listenerCount("timeout") <= 2);
  }, before);
}
