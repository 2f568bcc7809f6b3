import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { afterEach, describe, test } from "node:test";
import { deserialize, type Document } from "bson";
import {
  type PoolEventNotice,
  type PoolUnderTest,
  validateAdapter,
} from "../../src/harness/adapter.ts";
import { mongodbAdapter, type MongoLease, mongoRejectionKind } from "./mongodb.ts";
import {
  advance,
  type GlobalWorld,
  inGlobalWorld,
  poolConfig,
  restoreRealTime,
  settle,
} from "./_factory_pool.ts";
import { routedHostCount, routingInstalled } from "./_mongo_net.ts";
import { SimMongoSocket } from "./_mongo_server.ts";
import { encodeRequest, OP_MSG, OP_QUERY, OP_REPLY } from "./_mongo_wire.ts";

type Pool = PoolUnderTest<MongoLease>;

/** A promise's outcome, readable synchronously once the world has settled. */
interface Tracked<T> {
  state: "pending" | "resolved" | "rejected";
  value?: T;
  error?: unknown;
}

function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { state: "pending" };
  promise.then(
    (value) => Object.assign(tracked, { state: "resolved", value }),
    (error) => Object.assign(tracked, { state: "rejected", error }),
  );
  return tracked;
}

async function create(world: GlobalWorld, overrides: Parameters<typeof poolConfig>[0] = {}) {
  return (await mongodbAdapter.create(poolConfig(overrides), world)) as Pool;
}

async function ready(world: GlobalWorld, overrides: Parameters<typeof poolConfig>[0] = {}) {
  const pool = await create(world, overrides);
  await pool.ready?.();
  return pool;
}

async function lease(pool: Pool, world: GlobalWorld, timeoutMs?: number): Promise<MongoLease> {
  const acquiring = track(pool.acquire("db", timeoutMs === undefined ? {} : { timeoutMs }));
  await settle(world);
  if (acquiring.state !== "resolved") throw new Error(`the acquire is ${acquiring.state}`);
  return acquiring.value!;
}

/** The document of a reply the simulated server wrote (OP_REPLY or OP_MSG). */
function replyOf(bytes: Buffer): { opCode: number; responseTo: number; document: Document } {
  const opCode = bytes.readInt32LE(12);
  const offset = opCode === OP_REPLY ? 36 : 21;
  const size = bytes.readInt32LE(offset);
  return {
    opCode,
    responseTo: bytes.readInt32LE(8),
    document: deserialize(bytes.subarray(offset, offset + size)),
  };
}

describe("mongodb adapter", () => {
  afterEach(restoreRealTime);

  test("is a well-formed adapter on global time, paused at start", () => {
    validateAdapter(mongodbAdapter);
    assert.equal(mongodbAdapter.supports.timeMode, "global");
    assert.equal(mongodbAdapter.supports.policies.startsPaused, true);
  });

  test("the simulated server answers OP_QUERY isMaster at once and OP_MSG ping after the response latency", async () => {
    await inGlobalWorld(async (world) => {
      world.network.configure("db", { responseLatencyMs: 5 });
      const socket = new SimMongoSocket(world.network, "db");
      const replies: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => replies.push(chunk));
      socket.write(encodeRequest(OP_QUERY, 7, { isMaster: 1, helloOk: true }));
      await settle(world);
      const hello = replyOf(replies[0]!);
      assert.equal(hello.opCode, OP_REPLY);
      assert.equal(hello.responseTo, 7);
      assert.equal(hello.document.ismaster, true);
      assert.equal(hello.document.connectionId, 1);
      assert.ok(hello.document.maxWireVersion >= 9);
      socket.write(encodeRequest(OP_MSG, 8, { ping: 1, $db: "admin" }));
      await advance(world, 4);
      assert.equal(replies.length, 1);
      await advance(world, 1);
      const ping = replyOf(replies[1]!);
      assert.deepEqual([ping.opCode, ping.responseTo, ping.document.ok], [OP_MSG, 8, 1]);
      assert.deepEqual(
        world.network.ledger.events.map((event) => event.type),
        ["ConnectionCreated", "ConnectionReady", "RequestSent", "ResponseReceived"],
      );
      socket.destroy();
      assert.equal(world.network.socket(1)?.state, "closed");
    });
  });

  test("a new pool refuses check-outs as cleared until ready(), then connects through the simulated network", async () => {
    await inGlobalWorld(async (world) => {
      const before = routedHostCount();
      const pool = await create(world);
      assert.equal(routingInstalled(), true);
      assert.equal(routedHostCount(), before + 1);
      const early = track(pool.acquire("db", {}));
      await settle(world);
      assert.equal(early.state, "rejected");
      assert.equal(pool.rejectionKind?.(early.error), "poolCleared");
      assert.equal(world.network.ledger.length, 0);
      await pool.ready?.();
      const held = await lease(pool, world);
      assert.equal(pool.connectionOf(held), 1);
      // The handshake belongs to establishing the connection: no request in the ledger.
      assert.deepEqual(
        world.network.ledger.events.map((event) => event.type),
        ["ConnectionCreated", "ConnectionReady"],
      );
      assert.deepEqual(pool.stats?.().total, {
        leased: 1,
        available: 0,
        pending: 0,
        connecting: 0,
      });
      pool.release(held, { reusable: true });
      await pool.close();
      await settle(world);
      assert.equal(world.network.socket(1)?.state, "closed");
      // Its host is unrouted again (the original createConnection is back once none is left).
      assert.equal(routedHostCount(), before);
      if (before === 0) assert.equal(routingInstalled(), false);
    });
  });

  test("request() runs the driver's ping on the leased connection", async () => {
    await inGlobalWorld(async (world) => {
      world.network.configure("db", { responseLatencyMs: 3 });
      const pool = await ready(world);
      const held = await lease(pool, world);
      const ping = track(pool.request!(held));
      await advance(world, 2);
      assert.equal(ping.state, "pending");
      await advance(world, 1);
      assert.equal(ping.state, "resolved");
      assert.equal(ping.value?.socketId, 1);
      assert.equal(world.network.socket(1)?.requestsServed, 1);
      pool.release(held, { reusable: true });
      await pool.close();
    });
  });

  test("a reusable release is reused by the next check-out; a broken one is closed", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world, { maxTotal: 2 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      await settle(world);
      assert.equal(pool.stats?.().total.available, 1);
      const again = await lease(pool, world);
      assert.equal(pool.connectionOf(again), 1);
      pool.release(again, { reusable: false });
      await settle(world);
      assert.equal(world.network.socket(1)?.state, "closed");
      const fresh = await lease(pool, world);
      assert.equal(pool.connectionOf(fresh), 2);
      pool.release(fresh, { reusable: true });
      await pool.close();
    });
  });

  test("the operation's waitQueueTimeoutMS rejects a queued check-out at its deadline, not before", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world, { maxTotal: 1 });
      const held = await lease(pool, world);
      const queued = track(pool.acquire("db", { timeoutMs: 50 }));
      await advance(world, 49);
      assert.equal(queued.state, "pending");
      await advance(world, 1);
      assert.equal(queued.state, "rejected");
      assert.equal((queued.error as Error).name, "MongoWaitQueueTimeoutError");
      assert.equal(mongoRejectionKind(queued.error), "timeout");
      pool.release(held, { reusable: true });
      await pool.close();
    });
  });

  test("a refused connect fails its check-out with a network error", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world);
      world.network.configure("db", { connect: "refuse" });
      const refused = track(pool.acquire("db", {}));
      await settle(world);
      assert.equal(refused.state, "rejected");
      assert.equal((refused.error as Error).name, "MongoNetworkError");
      assert.equal(mongoRejectionKind(refused.error), "connectionError");
      await pool.close();
    });
  });

  test("the pool's CMAP events reach the kit with the socket of each connection", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await create(world);
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      await pool.ready?.();
      const held = await lease(pool, world);
      pool.release(held, { reusable: true });
      await pool.close();
      await settle(world);
      const route = "db";
      assert.deepEqual(events, [
        { type: "PoolReady" },
        { type: "ConnectionCheckOutStarted", route },
        { type: "ConnectionCreated", route },
        { type: "ConnectionReady", route, socketId: 1 },
        { type: "ConnectionCheckedOut", route, socketId: 1 },
        { type: "ConnectionCheckedIn", route, socketId: 1 },
        { type: "ConnectionClosed", route, socketId: 1, reason: "poolClosed" },
        { type: "PoolClosed" },
      ]);
    });
  });

  test("below its minimum the pool opens one connection per 100 ms pass (populationIntervalMs)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world, { maxTotal: 3, minPoolSize: 2 });
      await settle(world);
      assert.equal(world.network.ledger.live("db").length, 1);
      await advance(world, 99);
      assert.equal(world.network.ledger.live("db").length, 1);
      await advance(world, 1);
      assert.equal(world.network.ledger.live("db").length, 2);
      assert.equal(mongodbAdapter.supports.ranges.minPoolSize?.[1], 2);
      await pool.close();
    });
  });

  test("waiters are checked out in queue order though a timed one settles a promise hop later (ORD-1 takes one instant as one service)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world, { maxTotal: 2 });
      const a = await lease(pool, world);
      const b = await lease(pool, world);
      const settled: string[] = [];
      const checkedOut: number[] = [];
      pool.events?.((event) => {
        if (event.type === "ConnectionCheckedOut") checkedOut.push(event.socketId!);
      });
      const timed = pool.acquire("db", { timeoutMs: 100 }).then((l) => (settled.push("timed"), l));
      const untimed = pool.acquire("db", {}).then((l) => (settled.push("untimed"), l));
      await settle(world);
      pool.release(a, { reusable: true });
      pool.release(b, { reusable: true });
      await settle(world);
      // The older, timed waiter is served first (the most recently checked-in connection)…
      assert.deepEqual(checkedOut, [2, 1]);
      assert.equal(pool.connectionOf(await timed), 2);
      // …but the untimed waiter's acquire settles first.
      assert.deepEqual(settled, ["untimed", "timed"]);
      pool.release(await untimed, { reusable: true });
      pool.release(await timed, { reusable: true });
      await pool.close();
    });
  });
});

describe("mongodb adapter, the deviations recorded in its expectation file", () => {
  afterEach(restoreRealTime);

  test("a repeated check-in of a connection another caller holds gives it to a third (LSE-7.a, LSE-1.a)", async () => {
    await inGlobalWorld(async (world) => {
      const pool = await ready(world, { maxTotal: 1 });
      const first = await lease(pool, world);
      pool.release(first, { reusable: true });
      const second = await lease(pool, world);
      const third = track(pool.acquire("db", {}));
      pool.release(first, { reusable: true });
      await settle(world);
      assert.equal(third.state, "resolved");
      assert.equal(pool.connectionOf(third.value!), pool.connectionOf(second));
      await pool.close();
    });
  });

  test("a connect from before clear() that completes after ready() is handed out (CLS-3.a)", async () => {
    await inGlobalWorld(async (world) => {
      world.network.configure("db", { connectLatencyMs: 10 });
      const pool = await ready(world);
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      const acquiring = track(pool.acquire("db", {}));
      await settle(world);
      await pool.clear?.();
      await pool.ready?.();
      await advance(world, 10);
      assert.equal(acquiring.state, "resolved");
      assert.equal(pool.connectionOf(acquiring.value!), 1);
      assert.ok(events.some((event) => event.type === "PoolCleared"));
      await pool.close();
    });
  });

  test("a connect that completes while the pool is paused is closed without a ConnectionClosed event (EVT-1.c)", async () => {
    await inGlobalWorld(async (world) => {
      world.network.configure("db", { connectLatencyMs: 10 });
      const pool = await ready(world);
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      const acquiring = track(pool.acquire("db", {}));
      await settle(world);
      await pool.clear?.();
      await advance(world, 10);
      assert.equal(pool.rejectionKind?.(acquiring.error), "poolCleared");
      assert.equal(world.network.socket(1)?.state, "closed");
      assert.deepEqual(
        events.filter((event) =>
          event.type.startsWith("Connection") && event.type !== "ConnectionCheckOutStarted"
        ).map((event) => event.type),
        [
          "ConnectionCreated",
          "ConnectionCheckOutFailed",
        ],
      );
      await pool.close();
    });
  });
});
