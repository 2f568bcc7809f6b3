import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { track, world } from "./_test_util.ts";
import { LeaseError, PoolClearedError, PoolClosedError } from "./errors.ts";
import type { Lease } from "./lease.ts";

describe("release and misuse", () => {
  test("release({ reusable: false }) closes the connection and never reuses it", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    leasing.value().release({ reusable: false });
    assert.deepEqual(w.network.ledger.closure(1), { t: 0, by: "client", reason: "error" });
    const next = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(next.value().socket.id, 2);
    next.value().release();
    await w.pool.close();
  });

  test("a double release throws LeaseError and changes nothing", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    const lease = leasing.value();
    lease.release();
    const other = await w.pool.acquire("a"); // the same connection, leased again
    const before = JSON.stringify(w.pool.stats());
    assert.throws(() => lease.release(), {
      name: "LeaseError",
      message: `Cannot release lease ${lease.id} as it was already released`,
    });
    assert.equal(JSON.stringify(w.pool.stats()), before);
    assert.ok(w.pool.holds(other));
    other.release();
    await w.pool.close();
  });

  test("releasing a lease from another pool or a forged one throws LeaseError", async () => {
    const w = world();
    const other = world();
    const leasing = track(other.pool.acquire("a"));
    await other.settle();
    assert.throws(() => w.pool.release(leasing.value()), (error: unknown) => {
      assert.ok(error instanceof LeaseError);
      assert.equal(error.message, "Cannot release lease 1 as this pool did not hand it out");
      return true;
    });
    const forged = { id: 1, route: "a", socket: leasing.value().socket } as unknown as Lease;
    assert.throws(() => w.pool.release(forged), LeaseError);
    assert.equal(other.pool.stats().total.leased, 1);
    leasing.value().release();
    await Promise.all([w.pool.close(), other.pool.close()]);
  });

  test("release() rejects a non-boolean reusable", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    assert.throws(
      () => leasing.value().release({ reusable: "no" as unknown as boolean }),
      {
        name: "TypeError",
        message: `Cannot release lease as 'reusable' must be a boolean: current value is "no"`,
      },
    );
    assert.equal(w.pool.stats().total.leased, 1);
    leasing.value().release();
    await w.pool.close();
  });

  test("a connection the holder closed is not taken back", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    leasing.value().socket.close();
    assert.equal(w.pool.stats().total.leased, 0);
    leasing.value().release();
    assert.equal(w.pool.stats().total.available, 0);
    await w.pool.close();
  });

  test("a leased connection reset by the network leaves the stats and is not reused", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    w.network.reset(1);
    assert.equal(w.pool.stats().total.leased, 0);
    leasing.value().release();
    const next = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(next.value().socket.id, 2);
    next.value().release();
    await w.pool.close();
  });
});

describe("clear() and ready()", () => {
  test("clear() fails every waiter now, pauses, and makes old connections stale", async () => {
    const w = world({ maxPerRoute: 1 });
    const held = track(w.pool.acquire("a"));
    await w.settle();
    const idle = track(w.pool.acquire("b"));
    await w.settle();
    idle.value().release();
    const waiting = track(w.pool.acquire("a"));
    w.pool.clear();
    await w.settle();
    assert.ok(waiting.error() instanceof PoolClearedError);
    assert.equal(w.network.ledger.closure(2)?.reason, "stale");
    await assert.rejects(w.pool.acquire("a"), {
      name: "PoolClearedError",
      message: "Cannot acquire a connection to 'a' as the pool was cleared and is paused",
    });
    held.value().release();
    assert.equal(w.network.ledger.closure(1)?.reason, "stale");
    w.pool.ready();
    const fresh = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(fresh.value().socket.id, 3);
    fresh.value().release();
    await w.pool.close();
  });

  test("a connect that completes after clear() is closed as stale", async () => {
    const w = world({ network: { connectLatencyMs: 10 } });
    const waiting = track(w.pool.acquire("a"));
    await w.settle();
    w.pool.clear();
    w.pool.ready();
    await w.advance(10);
    assert.ok(waiting.error() instanceof PoolClearedError);
    assert.deepEqual(w.network.ledger.closure(1), { t: 10, by: "client", reason: "stale" });
    await w.pool.close();
  });
});

describe("close()", () => {
  test("close() rejects pending and later acquires with PoolClosedError", async () => {
    const w = world({ maxPerRoute: 1 });
    const held = track(w.pool.acquire("a"));
    await w.settle();
    const waiting = track(w.pool.acquire("a"));
    const closing = track(w.pool.close());
    await w.settle();
    assert.ok(waiting.error() instanceof PoolClosedError);
    await assert.rejects(w.pool.acquire("a"), {
      name: "PoolClosedError",
      message: "Cannot acquire a connection to 'a' as the pool is closed",
    });
    assert.equal(closing.state(), "pending");
    held.value().release();
    await w.settle();
    assert.equal(closing.state(), "fulfilled");
  });

  test("close() closes idle connections now and leased ones on release; opens nothing new", async () => {
    const w = world();
    const a = track(w.pool.acquire("a"));
    const b = track(w.pool.acquire("b"));
    await w.settle();
    b.value().release();
    const closing = w.pool.close();
    assert.deepEqual(w.network.ledger.closure(2), { t: 0, by: "client", reason: "poolClosed" });
    assert.equal(w.network.socket(1)?.state, "open");
    a.value().release();
    assert.deepEqual(w.network.ledger.closure(1), { t: 0, by: "client", reason: "poolClosed" });
    await closing;
    assert.equal(w.network.ledger.live().length, 0);
    assert.equal(w.network.sockets().length, 2);
  });

  test("close() is idempotent and leaves no timer armed", async () => {
    const w = world({ evictionIntervalMs: 1_000, connectionsMaxIdleMs: 5_000 });
    const first = w.pool.close();
    assert.equal(w.pool.close(), first);
    await first;
    assert.equal(w.clock.pendingTimers, 0);
    assert.deepEqual(
      w.events.filter((e) => e.type === "PoolClosed").length,
      1,
    );
  });
});

describe("stats() and events", () => {
  test("stats() per route and total follow the collections", async () => {
    const w = world({ maxPerRoute: 2, network: { connectLatencyMs: 10 } });
    const calls = ["a", "a", "a", "b"].map((route) => track(w.pool.acquire(route)));
    await w.settle();
    assert.deepEqual(w.pool.stats(), {
      total: { leased: 0, available: 0, pending: 4, connecting: 3, max: 25 },
      routes: {
        a: { leased: 0, available: 0, pending: 3, connecting: 2, max: 2 },
        b: { leased: 0, available: 0, pending: 1, connecting: 1, max: 2 },
      },
    });
    await w.advance(10);
    calls[3]!.value().release();
    assert.deepEqual(w.pool.stats().total, {
      leased: 2,
      available: 1,
      pending: 1,
      connecting: 0,
      max: 25,
    });
    for (const call of calls.slice(0, 2)) call.value().release();
    await w.settle();
    calls[2]!.value().release();
    await w.pool.close();
  });

  test("events follow CMAP's vocabulary and order", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    leasing.value().release({ reusable: false });
    await w.pool.close();
    assert.deepEqual(
      w.events.map((e) => [e.type, e.reason ?? ""]),
      [
        ["ConnectionCheckOutStarted", ""],
        ["ConnectionCreated", ""],
        ["ConnectionReady", ""],
        ["ConnectionCheckedOut", ""],
        ["ConnectionCheckedIn", ""],
        ["ConnectionClosed", "error"],
        ["PoolClosed", ""],
      ],
    );
    const checkedOut = w.events.find((e) => e.type === "ConnectionCheckedOut")!;
    assert.deepEqual(checkedOut, {
      type: "ConnectionCheckedOut",
      t: 0,
      route: "a",
      address: "a",
      connectionId: 1,
      leaseId: 1,
      socketId: 1,
      checkOutId: 1,
      durationMs: 0,
    });
  });

  test("on() returns an unsubscribe function", async () => {
    const w = world();
    const seen: string[] = [];
    const off = w.pool.on("ConnectionCheckOutStarted", (e) => seen.push(e.route ?? ""));
    void w.pool.acquire("a").then((lease) => lease.release());
    off();
    void w.pool.acquire("b").then((lease) => lease.release());
    await w.settle();
    assert.deepEqual(seen, ["a"]);
    await w.pool.close();
  });
});
