import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  type PoolEventNotice,
  type PoolUnderTest,
  validateAdapter,
} from "../../src/harness/adapter.ts";
import { type PgLease, pgPoolAdapter, pgPoolRejectionKind } from "./pg_pool.ts";
import {
  advance,
  type GlobalWorld,
  inGlobalWorld,
  leaseNow,
  poolConfig,
  restoreRealTime,
  settle,
} from "./_factory_pool.ts";

type Pool = PoolUnderTest<PgLease>;

/** Acquire and settle; the lease must arrive while the pool settles. */
function lease(pool: Pool, world: GlobalWorld): Promise<PgLease> {
  return leaseNow(pool, world);
}

function create(world: GlobalWorld, overrides: Parameters<typeof poolConfig>[0] = {}) {
  return pgPoolAdapter.create(poolConfig(overrides), world) as Pool;
}

describe("pg-pool adapter", () => {
  afterEach(restoreRealTime);

  test("is a well-formed adapter on global time", () => {
    validateAdapter(pgPoolAdapter);
    assert.equal(pgPoolAdapter.supports.timeMode, "global");
  });

  test("an acquire opens a socket that connectionOf names", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 2 });
      world.network.configure("db", { connectLatencyMs: 5 });
      const acquiring = pool.acquire("db", {});
      await settle(world);
      assert.deepEqual(pool.stats?.().total, {
        leased: 0,
        available: 0,
        pending: 0,
        connecting: 1,
      });
      await advance(world, 5);
      const first = await acquiring;
      assert.equal(pool.connectionOf(first), 1);
      assert.deepEqual(world.network.ledger.live(), [1]);
      assert.deepEqual(pool.stats?.().total, {
        leased: 1,
        available: 0,
        pending: 0,
        connecting: 0,
      });
    });
  });

  test("released clients are reused newest first", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const first = await lease(pool, world);
      const second = await lease(pool, world);
      pool.release(first, { reusable: true });
      pool.release(second, { reusable: true });
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("a broken release closes the socket and the next acquire opens a new one", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: false });
      await settle(world);
      assert.equal(world.network.socket(1)?.state, "closed");
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("a second release of the same checkout throws", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      assert.throws(() => pool.release(first, { reusable: true }), /already been released/);
      assert.equal(pool.stats?.().total.available, 1);
    });
  });

  test("a queued acquire times out at its deadline, not before", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      await lease(pool, world);
      let outcome = "pending";
      pool.acquire("db", { timeoutMs: 40 }).catch((e: Error) => (outcome = e.message));
      await advance(world, 39);
      assert.equal(outcome, "pending");
      await advance(world, 1);
      assert.equal(outcome, "timeout exceeded when trying to connect");
      assert.equal(pool.stats?.().total.pending, 0);
    });
  });

  test("an acquire timeout ends a connect that hangs and frees its slot", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      world.network.configure("db", { connect: "hang" });
      let outcome = "pending";
      pool.acquire("db", { timeoutMs: 30 }).catch((e: Error) => (outcome = e.message));
      await advance(world, 30);
      assert.equal(outcome, "Connection terminated due to connection timeout");
      assert.equal(world.network.ledger.closure(1)?.reason, "aborted");
      world.network.heal();
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("an idle client is closed exactly at maxIdle", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxIdleMs: 100 });
      pool.release(await lease(pool, world), { reusable: true });
      await advance(world, 99);
      assert.equal(world.network.socket(1)?.state, "open");
      await advance(world, 1);
      assert.equal(world.network.socket(1)?.state, "closed");
      assert.equal(pool.stats?.().total.available, 0);
    });
  });

  test("the TTL, counted from the connect's success, closes idle clients and leased ones at release", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { ttlMs: 1_001 });
      world.network.configure("db", { connectLatencyMs: 10 });
      const acquiring = [pool.acquire("db", {}), pool.acquire("db", {})];
      await advance(world, 10);
      const [idle, held] = await Promise.all(acquiring);
      pool.release(idle!, { reusable: true });
      await advance(world, 1_000);
      assert.equal(world.network.socket(1)?.state, "open");
      await advance(world, 1);
      assert.equal(world.network.socket(1)?.state, "closed");
      assert.equal(world.network.socket(2)?.state, "open");
      pool.release(held!, { reusable: true });
      await settle(world);
      assert.equal(world.network.socket(2)?.state, "closed");
    });
  });

  test("maxUses 2: a client serves two checkouts and is closed when the second is released", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxUses: 2 });
      pool.release(await lease(pool, world), { reusable: true });
      const second = await lease(pool, world);
      assert.equal(pool.connectionOf(second), 1);
      pool.release(second, { reusable: true });
      await settle(world);
      assert.equal(world.network.socket(1)?.state, "closed");
      assert.equal(pool.stats?.().total.available, 0);
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("an idle client the server closes is removed at once", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      pool.release(await lease(pool, world), { reusable: true });
      world.network.serverClose(1);
      await settle(world);
      assert.equal(world.network.ledger.closure(1)?.reason, "peer-closed");
      assert.equal(pool.stats?.().total.available, 0);
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("a leased client that is reset is removed when released", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const held = await lease(pool, world);
      world.network.reset(pool.connectionOf(held));
      pool.release(held, { reusable: true });
      await settle(world);
      assert.equal(pool.stats?.().total.available, 0);
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("a refused connect rejects its acquire", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      world.network.configure("db", { connect: "refuse" });
      const rejected = assert.rejects(pool.acquire("db", {}), { code: "ECONNREFUSED" });
      await settle(world);
      await rejected;
      assert.equal(pool.stats?.().total.connecting, 0);
    });
  });

  test("close refuses later acquires, leaves queued ones pending, closes every socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const held = await lease(pool, world);
      let waiter = "pending";
      pool.acquire("db", {}).then(() => (waiter = "leased"), () => (waiter = "rejected"));
      let closed = false;
      pool.close().then(() => (closed = true));
      await assert.rejects(pool.acquire("db", {}), /after calling end/);
      pool.release(held, { reusable: true });
      await settle(world);
      assert.equal(closed, true);
      assert.equal(waiter, "pending");
      assert.deepEqual(world.network.ledger.live(), []);
      assert.equal(world.driver.pendingTimers, 0);
    });
  });

  test("each rejection of a checkout is read as its kind", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const errors: unknown[] = [];
      world.network.configure("db", { connect: "refuse" });
      pool.acquire("db", {}).catch((e) => errors.push(e));
      await settle(world);
      world.network.configure("db", { connect: "hang" });
      pool.acquire("db", { timeoutMs: 10 }).catch((e) => errors.push(e));
      await advance(world, 10);
      world.network.heal();
      const held = await lease(pool, world);
      pool.acquire("db", { timeoutMs: 10 }).catch((e) => errors.push(e));
      await advance(world, 10);
      pool.release(held, { reusable: true });
      await pool.close();
      pool.acquire("db", {}).catch((e) => errors.push(e));
      await settle(world);
      assert.deepEqual(errors.map((e) => pool.rejectionKind?.(e)), [
        "connectionError",
        "connectionError",
        "timeout",
        "poolClosed",
      ]);
      assert.equal(
        pgPoolRejectionKind(new Error("pg-pool called back without a client")),
        undefined,
      );
      assert.equal(pgPoolRejectionKind({ code: "ECONNREFUSED" }), undefined);
    });
  });

  test("connect, acquire, release and remove are reported on the client's socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      const again = await lease(pool, world);
      pool.release(again, { reusable: false });
      await settle(world);
      assert.deepEqual(events.map((e) => [e.type, e.socketId]), [
        ["ConnectionReady", 1],
        ["ConnectionCheckedOut", 1],
        ["ConnectionCheckedIn", 1],
        ["ConnectionCheckedOut", 1],
        ["ConnectionCheckedIn", 1],
        ["ConnectionClosed", 1],
      ]);
      assert.ok(events.every((e) => e.route === "db"));
    });
  });

  test("single route only", async () => {
    await inGlobalWorld(async (world) => {
      assert.throws(() => create(world, { routes: ["a", "b"] }), RangeError);
      await assert.rejects(create(world).acquire("other", {}), RangeError);
    });
  });
});
