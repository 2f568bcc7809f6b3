import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { GlobalTimeDriver } from "../../src/clock/mod.ts";
import { type PoolUnderTest, validateAdapter } from "../../src/harness/adapter.ts";
import type { SimSocket } from "../../src/net/mod.ts";
import { EVICTION_RUN_MS, genericPoolAdapter, genericPoolRejectionKind } from "./generic_pool.ts";
import {
  advance,
  type GlobalWorld,
  inGlobalWorld,
  leaseNow,
  poolConfig,
  restoreRealTime,
  settle,
} from "./_factory_pool.ts";

type Pool = PoolUnderTest<SimSocket>;

/** Acquire and settle; the lease must arrive while the pool settles. */
function lease(pool: Pool, world: GlobalWorld): Promise<SimSocket> {
  return leaseNow(pool, world);
}

function create(world: GlobalWorld, overrides: Parameters<typeof poolConfig>[0] = {}) {
  return genericPoolAdapter.create(poolConfig(overrides), world) as Pool;
}

describe("generic-pool adapter", () => {
  afterEach(restoreRealTime);

  test("is a well-formed adapter on global time", () => {
    validateAdapter(genericPoolAdapter);
    assert.equal(genericPoolAdapter.supports.timeMode, "global");
  });

  test("an acquire opens a socket that connectionOf names", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const socket = await lease(pool, world);
      assert.equal(pool.connectionOf(socket), 1);
      assert.deepEqual(world.network.ledger.live(), [1]);
      assert.deepEqual(pool.stats?.().total, {
        leased: 1,
        available: 0,
        pending: 0,
        connecting: 0,
        max: 2,
      });
    });
  });

  test("released sockets are reused oldest first (fifo: true)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const first = await lease(pool, world);
      const second = await lease(pool, world);
      await pool.release(first, { reusable: true });
      await pool.release(second, { reusable: true });
      assert.equal(pool.connectionOf(await lease(pool, world)), 1);
      assert.equal(world.network.sockets().length, 2);
    });
  });

  test("a broken release closes the socket and the next acquire opens a new one", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      await pool.release(socket, { reusable: false });
      assert.equal(socket.state, "closed");
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("an acquire timeout rejects at its deadline, not before", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      await lease(pool, world);
      let outcome = "pending";
      pool.acquire("db", { timeoutMs: 40 }).catch((e: Error) => (outcome = e.name));
      world.driver.advance(39);
      await settle(world);
      assert.equal(outcome, "pending");
      world.driver.advance(1);
      await settle(world);
      assert.equal(outcome, "TimeoutError");
      assert.equal(pool.stats?.().total.pending, 0);
    });
  });

  test("the evictor closes an idle socket after maxIdle, within one run", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxIdleMs: 100 });
      const socket = await lease(pool, world);
      await pool.release(socket, { reusable: true });
      world.driver.advance(100);
      await settle(world);
      assert.equal(socket.state, "open");
      world.driver.advance(EVICTION_RUN_MS);
      await settle(world);
      assert.equal(socket.state, "closed");
      assert.equal(pool.stats?.().total.available, 0);
    });
  });

  test("a socket the server closed while idle is validated and discarded", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const socket = await lease(pool, world);
      await pool.release(socket, { reusable: true });
      world.network.serverClose(socket.id);
      const next = await lease(pool, world);
      assert.equal(pool.connectionOf(next), 2);
      assert.equal(socket.state, "closed");
      const checks = world.network.ledger.events.filter((e) => e.type === "ConnectionChecked");
      assert.deepEqual(checks.map((e) => e.socketId), [1, 1, 2]);
    });
  });

  test("with maxWaiters queued, the next acquire fails at once", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxWaiters: 1 });
      await lease(pool, world);
      pool.acquire("db", {}).catch(() => {});
      await assert.rejects(pool.acquire("db", {}), /max waitingClients count exceeded/);
    });
  });

  test("releasing a socket that is not on loan is rejected", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const socket = await lease(pool, world);
      await pool.release(socket, { reusable: true });
      await assert.rejects(
        Promise.resolve(pool.release(socket, { reusable: true })),
        /not currently part of this pool/,
      );
    });
  });

  test("close drains waiters, closes every socket and refuses later acquires", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxIdleMs: 1_000 });
      const socket = await lease(pool, world);
      const waiter = pool.acquire("db", {});
      let closed = false;
      pool.close().then(() => (closed = true));
      await assert.rejects(pool.acquire("db", {}), /draining/);
      await pool.release(socket, { reusable: true });
      await settle(world);
      const served = await waiter;
      assert.equal(pool.connectionOf(served), 1);
      assert.equal(closed, false);
      await pool.release(served, { reusable: true });
      await settle(world);
      assert.equal(closed, true);
      assert.deepEqual(world.network.ledger.live(), []);
      assert.equal(world.driver.pendingTimers, 0);
    });
  });

  test("a refused connect is retried for the waiting acquire", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      world.network.configure("db", { connect: "refuse", connectLatencyMs: 10 });
      const acquiring = pool.acquire("db", {});
      await advance(world, 30);
      // Refused at 10, 20 and 30, each followed by a new connect: no backoff.
      assert.equal(world.network.sockets().length, 4);
      world.network.heal();
      await advance(world, 10);
      // Socket 4 was started while refusing, so it is refused too; 5 succeeds.
      assert.equal(pool.connectionOf(await acquiring), 5);
    });
  });

  test("a timeout, a full queue and a draining pool each reject with their own kind", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxWaiters: 1 });
      const socket = await lease(pool, world);
      const errors: unknown[] = [];
      pool.acquire("db", { timeoutMs: 10 }).catch((e) => errors.push(e));
      pool.acquire("db", {}).catch((e) => errors.push(e));
      await advance(world, 10);
      const closing = pool.close();
      pool.acquire("db", {}).catch((e) => errors.push(e));
      await settle(world);
      await pool.release(socket, { reusable: true });
      await settle(world);
      await closing;
      assert.deepEqual(errors.map((e) => pool.rejectionKind?.(e)), [
        "waitQueueFull",
        "timeout",
        "poolClosed",
      ]);
      assert.equal(genericPoolRejectionKind(new RangeError("Cannot acquire")), undefined);
      assert.equal(genericPoolRejectionKind({ name: "TimeoutError" }), undefined);
    });
  });

  test("single route only", async () => {
    await inGlobalWorld(async (world) => {
      assert.throws(() => create(world, { routes: ["a", "b"] }), RangeError);
      await assert.rejects(create(world).acquire("other", {}), RangeError);
    });
  });

  test("global time is put back even when the body throws", async () => {
    await assert.rejects(
      inGlobalWorld(() => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(GlobalTimeDriver.active, false);
  });
});
