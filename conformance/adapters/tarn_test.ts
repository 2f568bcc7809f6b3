import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  type PoolEventNotice,
  type PoolUnderTest,
  validateAdapter,
} from "../../src/harness/adapter.ts";
import type { SimSocket } from "../../src/net/mod.ts";
import { REAP_INTERVAL_MS, tarnAdapter, tarnRejectionKind } from "./tarn.ts";
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
  return tarnAdapter.create(poolConfig(overrides), world) as Pool;
}

describe("tarn adapter", () => {
  afterEach(restoreRealTime);

  test("is a well-formed adapter on global time", () => {
    validateAdapter(tarnAdapter);
    assert.equal(tarnAdapter.supports.timeMode, "global");
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
      });
    });
  });

  test("released sockets are reused newest first", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const first = await lease(pool, world);
      const second = await lease(pool, world);
      pool.release(first, { reusable: true });
      pool.release(second, { reusable: true });
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
      // Each lease from the free list is validated first.
      const checks = world.network.ledger.events.filter((e) => e.type === "ConnectionChecked");
      assert.deepEqual(checks.map((e) => e.socketId), [1, 2, 2]);
    });
  });

  test("a broken release closes the socket; validation discards it", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      pool.release(socket, { reusable: false });
      assert.equal(socket.state, "closed");
      const next = pool.acquire("db", {});
      // tarn retries on a 0 ms timer; the connect it starts from inside that
      // timer is armed 1 ms out (fake timers, like Node, bump a nested 0 ms).
      await advance(world, 1);
      assert.equal(pool.connectionOf(await next), 2);
    });
  });

  test("a broken release with a waiter hands the waiter a new socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      const waiter = pool.acquire("db", {});
      pool.release(socket, { reusable: false });
      await advance(world, 1);
      assert.equal(pool.connectionOf(await waiter), 2);
    });
  });

  test("an acquire timeout rejects at its deadline, not before", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      await lease(pool, world);
      let outcome = "pending";
      pool.acquire("db", { timeoutMs: 40 }).catch((e: Error) => (outcome = e.constructor.name));
      await advance(world, 39);
      assert.equal(outcome, "pending");
      await advance(world, 1);
      assert.equal(outcome, "TimeoutError");
      assert.equal(pool.stats?.().total.pending, 0);
    });
  });

  test("the create timeout frees tarn's slot but cannot cancel the connect", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, connectTimeoutMs: 50 });
      world.network.configure("db", { connect: "hang" });
      const acquiring = pool.acquire("db", { timeoutMs: 1_000 });
      await advance(world, 50);
      assert.equal(pool.stats?.().total.connecting, 0);
      assert.equal(world.network.socket(1)?.state, "connecting");
      world.network.heal();
      // Retried after createRetryIntervalMillis (200 ms): a second live socket
      // (its 0 ms connect, armed inside the retry timer, lands 1 ms later).
      await advance(world, 201);
      assert.equal(pool.connectionOf(await acquiring), 2);
      assert.deepEqual(world.network.ledger.live(), [1, 2]);
    });
  });

  test("the reaper closes an idle socket after maxIdle, within one interval", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxIdleMs: 100 });
      const socket = await lease(pool, world);
      pool.release(socket, { reusable: true });
      await advance(world, 99);
      assert.equal(socket.state, "open");
      await advance(world, 1 + REAP_INTERVAL_MS);
      assert.equal(socket.state, "closed");
      assert.equal(pool.stats?.().total.available, 0);
    });
  });

  test("releasing a socket tarn does not hold throws and changes nothing", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const socket = await lease(pool, world);
      pool.release(socket, { reusable: true });
      assert.throws(() => pool.release(socket, { reusable: false }), /not in use/);
      assert.equal(socket.state, "open");
      assert.equal(pool.stats?.().total.available, 1);
    });
  });

  test("close waits for leases, then rejects waiters and closes every socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxIdleMs: 1_000 });
      const socket = await lease(pool, world);
      let waiter = "pending";
      pool.acquire("db", {}).catch((e: Error) => (waiter = e.message));
      let closed = false;
      pool.close().then(() => (closed = true));
      await settle(world);
      assert.equal(waiter, "pending");
      pool.release(socket, { reusable: true });
      await settle(world);
      assert.equal(waiter, "aborted");
      assert.equal(closed, true);
      assert.deepEqual(world.network.ledger.live(), []);
      assert.equal(world.driver.pendingTimers, 0);
    });
  });

  test("single route only", async () => {
    await inGlobalWorld(async (world) => {
      assert.throws(() => create(world, { routes: [] }), RangeError);
      await assert.rejects(create(world).acquire("other", {}), RangeError);
    });
  });

  test("a timeout and a destroyed pool reject with errors of their own kind", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      const errors: unknown[] = [];
      pool.acquire("db", { timeoutMs: 10 }).catch((e) => errors.push(e));
      await advance(world, 10);
      pool.acquire("db", {}).catch((e) => errors.push(e));
      const closing = pool.close();
      pool.release(socket, { reusable: true });
      await settle(world);
      await closing;
      assert.deepEqual(errors.map((e) => pool.rejectionKind?.(e)), ["timeout", "poolClosed"]);
      assert.equal(tarnRejectionKind(new Error("Tarn: opt.max must be an integer > 0")), undefined);
      assert.equal(tarnRejectionKind("aborted"), undefined);
    });
  });

  test("tarn's events are reported as CMAP events on the socket they concern", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      const socket = await lease(pool, world);
      pool.acquire("db", { timeoutMs: 5 }).catch(() => {});
      await advance(world, 5);
      pool.release(socket, { reusable: true });
      const closing = pool.close();
      await settle(world);
      await closing;
      assert.deepEqual(events.map((e) => [e.type, e.socketId, e.reason]), [
        ["ConnectionCheckOutStarted", undefined, undefined],
        ["ConnectionCreated", undefined, undefined],
        ["ConnectionReady", 1, undefined],
        ["ConnectionCheckedOut", 1, undefined],
        ["ConnectionCheckOutStarted", undefined, undefined],
        ["ConnectionCheckOutFailed", undefined, "timeout"],
        ["ConnectionCheckedIn", 1, undefined],
        ["ConnectionClosed", 1, undefined],
        ["PoolClosed", undefined, undefined],
      ]);
      assert.ok(events.every((e) => e.route === "db"));
    });
  });

  test("a failed create is reported closed, with no socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      world.network.configure("db", { connect: "refuse" });
      pool.acquire("db", { timeoutMs: 100 }).catch(() => {});
      await advance(world, 100);
      assert.deepEqual(events.slice(0, 3).map((e) => [e.type, e.socketId, e.reason]), [
        ["ConnectionCheckOutStarted", undefined, undefined],
        ["ConnectionCreated", undefined, undefined],
        ["ConnectionClosed", undefined, "error"],
      ]);
    });
  });
});
