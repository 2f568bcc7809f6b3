import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { type PoolUnderTest, validateAdapter } from "../../src/harness/adapter.ts";
import { assertConformant } from "../../src/harness/conformance.ts";
import { checkPool } from "../../src/harness/check_pool.ts";
import { replayExpectations } from "../../src/harness/expectations.ts";
import { RULES } from "../../src/harness/rules/mod.ts";
import { readCorpus } from "../../src/cli/corpus.ts";
import type { SimSocket } from "../../src/net/mod.ts";
import { CORPUS_DIR, loadExpectations } from "../_cli.ts";
import {
  DRAIN_POLL_MS,
  REAP_INTERVAL_MS,
  sequelizePoolAdapter,
  sequelizePoolRejectionKind,
} from "./sequelize_pool.ts";
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
  return sequelizePoolAdapter.create(poolConfig(overrides), world) as Pool;
}

/** A check runs many cases: a timeout of its own, as conformance/bundled_test.ts gives. */
const LONG = { timeout: 600_000 };

describe("sequelize-pool adapter", () => {
  afterEach(restoreRealTime);

  test("is a well-formed adapter on global time", () => {
    validateAdapter(sequelizePoolAdapter);
    assert.equal(sequelizePoolAdapter.supports.timeMode, "global");
    assert.ok(sequelizePoolAdapter.supports.capabilities.includes("maxUses"));
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

  test("released sockets are reused newest first, each validated before it is lent", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world);
      const first = await lease(pool, world);
      const second = await lease(pool, world);
      pool.release(first, { reusable: true });
      pool.release(second, { reusable: true });
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
      const checks = world.network.ledger.events.filter((e) => e.type === "ConnectionChecked");
      assert.deepEqual(checks.map((e) => e.socketId), [2]);
    });
  });

  test("a broken release closes the socket, and a waiter gets a new one", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      const waiter = pool.acquire("db", {});
      await pool.release(socket, { reusable: false });
      await settle(world);
      assert.equal(socket.state, "closed");
      assert.equal(pool.connectionOf(await waiter), 2);
    });
  });

  test("a socket is retired at the release that uses up maxUses", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxUses: 2 });
      const socket = await lease(pool, world);
      pool.release(socket, { reusable: true });
      assert.equal(await lease(pool, world), socket);
      pool.release(socket, { reusable: true });
      await settle(world);
      assert.equal(socket.state, "closed");
      assert.equal(pool.connectionOf(await lease(pool, world)), 2);
    });
  });

  test("an acquire timeout rejects at its deadline, not before", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      await lease(pool, world);
      let outcome: unknown = "pending";
      pool.acquire("db", { timeoutMs: 40 }).catch((e) => (outcome = e));
      await advance(world, 39);
      assert.equal(outcome, "pending");
      await advance(world, 1);
      assert.equal(pool.rejectionKind?.(outcome), "timeout");
      assert.equal(pool.stats?.().total.pending, 0);
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

  test("close serves waiters, resolves within one drain check of the last release, and closes every socket", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const socket = await lease(pool, world);
      const waiter = pool.acquire("db", {});
      let closed = false;
      pool.close().then(() => (closed = true));
      await settle(world);
      const late: unknown[] = [];
      pool.acquire("db", {}).catch((e) => late.push(e));
      pool.release(socket, { reusable: true });
      assert.equal(await waiter, socket);
      pool.release(socket, { reusable: true });
      await advance(world, DRAIN_POLL_MS);
      assert.equal(closed, true);
      assert.equal(socket.state, "closed");
      assert.deepEqual(late.map((e) => pool.rejectionKind?.(e)), ["poolClosed"]);
      assert.equal(world.driver.pendingTimers, 0);
    });
  });

  test("a refused connect rejects the waiter with the connect's error", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      world.network.configure("db", { connect: "refuse" });
      let outcome: unknown;
      pool.acquire("db", {}).catch((e) => (outcome = e));
      await settle(world);
      assert.equal(pool.rejectionKind?.(outcome), "connectionError");
      assert.equal(sequelizePoolRejectionKind(new Error("max must be an integer > 0")), undefined);
      assert.equal(sequelizePoolRejectionKind("Pool acquire operation timeout"), undefined);
    });
  });

  test("the constructor refuses max and a negative maxUses, but takes maxUses 0", async () => {
    await inGlobalWorld((world) => {
      assert.throws(() => create(world, { maxTotal: 0 }), /^Error: max must be an integer > 0$/);
      assert.throws(
        () => create(world, { maxUses: -1 }),
        /^Error: maxUses must be an integer >= 0$/,
      );
      assert.doesNotThrow(() => create(world, { maxUses: 0 }));
      return Promise.resolve();
    });
  });

  test("single route only", async () => {
    await inGlobalWorld(async (world) => {
      assert.throws(() => create(world, { routes: [] }), RangeError);
      await assert.rejects(create(world).acquire("other", {}), RangeError);
    });
  });
});

describe("sequelize-pool adapter, the deviations recorded in its expectation file", () => {
  afterEach(restoreRealTime);

  test("a repeated release of a socket lent again gives it to a third caller (LSE-1.a, STA-1.c)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      const second = await lease(pool, world);
      assert.equal(second, first);
      pool.release(first, { reusable: true });
      assert.equal(pool.stats?.().total.leased, 0);
      assert.equal(await lease(pool, world), second);
    });
  });

  test("a repeated broken release closes the socket under its new holder (LSE-6.b)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      const second = await lease(pool, world);
      await pool.release(first, { reusable: false });
      assert.equal(second.state, "closed");
    });
  });

  test("a stale idle socket makes two connects for one waiter (LIM-5.a)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 2, maxPerRoute: 2 });
      const socket = await lease(pool, world);
      pool.release(socket, { reusable: true });
      world.network.serverClose(socket.id);
      await settle(world);
      pool.acquire("db", {});
      await settle(world);
      assert.equal(socket.state, "closed");
      assert.deepEqual(world.network.ledger.live(), [2, 3]);
      assert.equal(pool.stats?.().total.available, 1);
    });
  });

  test("a release by one of two holders retires the socket just handed to a waiter (ERR-3.a)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = create(world, { maxTotal: 1, maxPerRoute: 1, maxUses: 4 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      const second = await lease(pool, world);
      pool.release(first, { reusable: true });
      const third = await lease(pool, world);
      assert.equal(third, second);
      let got: SimSocket | undefined;
      pool.acquire("db", {}).then((socket) => (got = socket));
      pool.release(second, { reusable: true });
      pool.release(third, { reusable: true });
      await settle(world);
      assert.equal(got, first);
      assert.equal(first.state, "closed");
    });
  });

  test("every recorded reproduction still breaks its clause", LONG, async () => {
    const expectations = await loadExpectations(sequelizePoolAdapter.name);
    const replayed = await replayExpectations(sequelizePoolAdapter, {
      rules: RULES,
      expectations,
      watchdogMs: 10_000,
      replayCommand: "deno task conformance --adapter sequelize-pool",
    });
    assert.ok(replayed.size >= 10);
    const stale = [...replayed].flatMap(([key, outcome]) =>
      typeof outcome === "string" ? [`${key}: ${outcome}`] : []
    );
    assert.deepEqual(stale, []);
  });

  test("the check at CI's seed matches the expectation file", LONG, async () => {
    const expectations = await loadExpectations(sequelizePoolAdapter.name);
    const { cases: corpus } = await readCorpus(CORPUS_DIR, sequelizePoolAdapter.name);
    assertConformant(
      await checkPool(sequelizePoolAdapter, {
        seed: 20_261_121,
        expectations,
        corpus,
        budgetMs: 240_000,
      }),
    );
  });
});
