import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { track, world } from "./_test_util.ts";
import { WaitQueueFullError } from "./errors.ts";
import type { Lease } from "./lease.ts";

describe("leasing and limits", () => {
  test("acquire() opens a connection, and release() makes it available again", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    const lease = leasing.value();
    assert.equal(lease.route, "a");
    assert.equal(lease.socket.state, "open");
    assert.deepEqual(w.pool.stats().routes["a"], {
      leased: 1,
      available: 0,
      pending: 0,
      connecting: 0,
      max: 5,
    });
    lease.release();
    assert.equal(w.pool.stats().total.available, 1);
    await w.pool.close();
  });

  test("an idle connection of the route is reused before a new one is opened", async () => {
    const w = world();
    const first = w.pool.acquire("a");
    await w.settle();
    (await first).release();
    const second = await w.pool.acquire("a");
    assert.equal(w.network.sockets().length, 1);
    assert.equal(second.socket.id, 1);
    second.release();
    await w.pool.close();
  });

  test("live connections never exceed maxPerRoute; the waiter gets the released one", async () => {
    const w = world({ maxPerRoute: 2, maxTotal: 10 });
    const calls = [0, 1, 2].map(() => track(w.pool.acquire("a")));
    await w.settle();
    assert.deepEqual(calls.map((c) => c.state()), ["fulfilled", "fulfilled", "pending"]);
    assert.equal(w.live("a").length, 2);
    assert.equal(w.pool.stats().routes["a"]!.pending, 1);
    calls[0]!.value().release();
    await w.settle();
    assert.equal(calls[2]!.state(), "fulfilled");
    assert.equal(calls[2]!.value().socket.id, calls[0]!.value().socket.id);
    closeQuietly(w.pool);
  });

  test("per-route overrides replace maxPerRoute", async () => {
    const w = world({ maxPerRoute: 1, maxTotal: 10, maxPerRouteOverrides: { big: 3 } });
    for (let i = 0; i < 4; i++) void w.pool.acquire("big").catch(() => {});
    for (let i = 0; i < 2; i++) void w.pool.acquire("small").catch(() => {});
    await w.settle();
    assert.equal(w.live("big").length, 3);
    assert.equal(w.live("small").length, 1);
    assert.equal(w.pool.stats().routes["big"]!.max, 3);
    closeQuietly(w.pool);
  });

  test("live connections never exceed maxTotal", async () => {
    const w = world({ maxPerRoute: 2, maxTotal: 3, closeIdleOfOtherRoutes: false });
    for (const route of ["a", "a", "b", "b"]) void w.pool.acquire(route).catch(() => {});
    await w.settle();
    assert.equal(w.live().length, 3);
    assert.equal(w.pool.stats().total.pending, 1);
    closeQuietly(w.pool);
  });

  test("connects in progress never exceed maxConnecting", async () => {
    const w = world({ maxConnecting: 2, network: { connectLatencyMs: 10 } });
    const calls = [0, 1, 2, 3].map(() => track(w.pool.acquire("a")));
    await w.settle();
    assert.equal(w.pool.stats().total.connecting, 2);
    assert.equal(w.live().length, 2);
    await w.advance(10);
    assert.equal(w.pool.stats().total.connecting, 2);
    await w.advance(10);
    assert.deepEqual(calls.map((c) => c.state()), Array(4).fill("fulfilled"));
    closeQuietly(w.pool);
  });

  test("an acquire beyond maxWaiters fails at once with WaitQueueFullError", async () => {
    const w = world({ maxPerRoute: 1, maxTotal: 1, maxWaiters: 1 });
    const held = track(w.pool.acquire("a"));
    await w.settle();
    const waiting = track(w.pool.acquire("a"));
    await assert.rejects(w.pool.acquire("a"), (error: unknown) => {
      assert.ok(error instanceof WaitQueueFullError);
      assert.equal(error.message, "Cannot wait for a connection to 'a' as 1 callers already wait");
      return true;
    });
    assert.equal(w.pool.stats().total.pending, 1);
    held.value().release();
    await w.settle();
    assert.equal(waiting.state(), "fulfilled");
    closeQuietly(w.pool);
  });

  test("maxWaiters does not refuse an acquire an idle connection serves at once", async () => {
    const w = world({ maxPerRoute: 1, maxWaiters: 1 });
    const c = track(w.pool.acquire("c"));
    await w.settle();
    c.value().release();
    const a = track(w.pool.acquire("a"));
    await w.settle();
    const waiting = track(w.pool.acquire("a"));
    const served = await w.pool.acquire("c");
    assert.equal(served.socket.id, c.value().socket.id);
    await assert.rejects(w.pool.acquire("b"), WaitQueueFullError);
    assert.equal(waiting.state(), "pending");
    assert.equal(a.state(), "fulfilled");
    closeQuietly(w.pool);
  });

  test("maxWaiters 0 refuses every acquire that would have to wait", async () => {
    const w = world({ maxWaiters: 0 });
    await assert.rejects(w.pool.acquire("a"), WaitQueueFullError);
    assert.equal(w.live().length, 0);
    await w.pool.close();
  });

  test("waiters of one route are served in arrival order", async () => {
    const w = world({ maxPerRoute: 1 });
    const holder = track(w.pool.acquire("a"));
    await w.settle();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => w.pool.acquire("a").then((lease) => (order.push(n), lease)));
    let lease: Lease = holder.value();
    for (const wait of waits) {
      lease.release();
      lease = await wait;
    }
    assert.deepEqual(order, [1, 2, 3]);
    lease.release();
    await w.pool.close();
  });

  test("a waiter blocked by its route's limit does not block waiters of other routes", async () => {
    const w = world({ maxPerRoute: 1, maxTotal: 5 });
    const a1 = track(w.pool.acquire("a"));
    await w.settle();
    const a2 = track(w.pool.acquire("a"));
    const b1 = track(w.pool.acquire("b"));
    await w.settle();
    assert.equal(a1.state(), "fulfilled");
    assert.equal(a2.state(), "pending");
    assert.equal(b1.state(), "fulfilled");
    closeQuietly(w.pool);
  });

  test("a new acquire does not overtake an older waiter of its route", async () => {
    const w = world({ maxPerRoute: 1 });
    const holder = track(w.pool.acquire("a"));
    await w.settle();
    const older = track(w.pool.acquire("a"));
    holder.value().release(); // hands the connection to the older waiter at once
    const newer = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(older.state(), "fulfilled");
    assert.equal(newer.state(), "pending");
    closeQuietly(w.pool);
  });

  for (const [order, expected] of [["lifo", 2], ["fifo", 1]] as const) {
    test(`reuseOrder "${order}" reuses socket ${expected} of two idle ones`, async () => {
      const w = world({ reuseOrder: order });
      const one = track(w.pool.acquire("a"));
      const two = track(w.pool.acquire("a"));
      await w.settle();
      one.value().release();
      await w.advance(1);
      two.value().release();
      const next = await w.pool.acquire("a");
      assert.equal(next.socket.id, expected);
      next.release();
      await w.pool.close();
    });
  }

  test("a full pool closes the least recently used idle connection of another route", async () => {
    const w = world({ maxTotal: 2, maxPerRoute: 2 });
    const b1 = track(w.pool.acquire("b"));
    const c1 = track(w.pool.acquire("c"));
    await w.settle();
    b1.value().release();
    await w.advance(5);
    c1.value().release();
    const a1 = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(a1.state(), "fulfilled");
    assert.equal(w.network.ledger.closure(b1.value().socket.id)?.reason, "evicted");
    assert.equal(w.network.socket(c1.value().socket.id)?.state, "open");
    assert.equal(w.live().length, 2);
    closeQuietly(w.pool);
  });

  test("with closeIdleOfOtherRoutes false a full pool waits instead", async () => {
    const w = world({ maxTotal: 1, maxPerRoute: 1, closeIdleOfOtherRoutes: false });
    const b1 = track(w.pool.acquire("b"));
    await w.settle();
    b1.value().release();
    const a1 = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(a1.state(), "pending");
    assert.equal(w.network.socket(1)?.state, "open");
    closeQuietly(w.pool);
  });

  test("room freed by an expired idle connection found late goes to the older waiter", async () => {
    // Two leased connections of route a fill the pool and outlive their TTL; b waits first,
    // then a. Each release leaves an expired connection that only a's waiter closes, after
    // the serving pass has found b's route full. The first room goes to a's new connect; the
    // second, freed while that connect is still in progress, must go to b.
    const w = world({
      maxTotal: 2,
      maxPerRoute: 2,
      closeIdleOfOtherRoutes: false,
      ttlMs: 5,
      network: { connectLatencyMs: 3 },
    });
    const a1 = track(w.pool.acquire("a"));
    const a2 = track(w.pool.acquire("a"));
    await w.settle();
    const b1 = track(w.pool.acquire("b"));
    await w.advance(10);
    const a3 = track(w.pool.acquire("a"));
    a1.value().release();
    a2.value().release();
    await w.advance(3);
    assert.equal(a3.state(), "fulfilled");
    assert.equal(b1.state(), "fulfilled");
    assert.equal(b1.value().route, "b");
    closeQuietly(w.pool);
  });

  test("leases are disposable: `using` releases at the end of the scope", async () => {
    const w = world();
    const acquiring = w.pool.acquire("a");
    await w.settle();
    {
      using lease = await acquiring;
      assert.equal(lease.socket.state, "open");
    }
    assert.equal(w.pool.stats().total.available, 1);
    {
      using lease = await w.pool.acquire("a");
      lease.release(); // disposing after an explicit release does nothing
    }
    assert.equal(w.pool.stats().total.available, 1);
    await w.pool.close();
  });

  test("routeKey maps targets to routes", async () => {
    const w = world({ routeKey: (target) => target.split("/")[0]! });
    const one = track(w.pool.acquire("shop/1"));
    await w.settle();
    one.value().release();
    const two = await w.pool.acquire("shop/2");
    assert.equal(two.route, "shop");
    assert.equal(two.socket.id, one.value().socket.id);
    two.release();
    await w.pool.close();
  });
});

/** Close a pool that may still have leases out (its close then stays pending). */
function closeQuietly(pool: { close(): Promise<void> }): void {
  void pool.close();
}
