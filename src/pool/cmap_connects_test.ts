/* CMAP: background population, connect ownership, idle expiry at check-out. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { flush, track, world } from "./_test_util.ts";
import { ConnectError, PoolClearedError } from "./errors.ts";
import type { PoolEvent } from "./events.ts";

/** Event types, with the reason where there is one. */
function kinds(events: readonly PoolEvent[]): string[] {
  return events.map((e) => e.reason === undefined ? e.type : `${e.type}:${e.reason}`);
}

describe("minPoolSize (CMAP's background population)", () => {
  test("a used route is topped up in the background, at most maxConnecting at a time", async () => {
    const w = world({ minPoolSize: 3, maxConnecting: 2, network: { connectLatencyMs: 5 } });
    assert.equal(w.network.sockets().length, 0); // no route used yet
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(w.pool.stats().total.connecting, 2);
    await w.advance(5);
    assert.equal(leasing.value().socket.id, 1);
    assert.equal(w.network.sockets().length, 3); // the third starts as a slot frees
    await w.advance(5);
    assert.deepEqual(w.pool.stats().total, {
      leased: 1,
      available: 2,
      pending: 0,
      connecting: 0,
      max: 25,
    });
    leasing.value().release();
    await w.advance(1_000);
    assert.equal(w.network.sockets().length, 3); // at the minimum, nothing more opens
    await w.pool.close();
    assert.equal(w.clock.pendingTimers, 0);
  });

  test("minPoolRoutes are populated once ready, before any check-out", async () => {
    const w = world({ startPaused: true, minPoolSize: 2, minPoolRoutes: ["db"] });
    await w.settle();
    assert.equal(w.network.sockets().length, 0);
    w.pool.ready();
    await w.settle();
    assert.deepEqual(kinds(w.events), [
      "PoolReady",
      "ConnectionCreated",
      "ConnectionCreated",
      "ConnectionReady",
      "ConnectionReady",
    ]);
    assert.equal(w.pool.stats().routes["db"]!.available, 2);
    await w.pool.close();
  });

  test("a lost connection is replaced, within maxPerRoute and maxTotal", async () => {
    const w = world({ minPoolSize: 4, maxTotal: 4, maxPerRoute: 2 });
    const a = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(w.pool.stats().routes["a"]!.available, 1); // the route's limit is 2
    const b = track(w.pool.acquire("b"));
    await w.settle();
    assert.equal(w.pool.stats().total.available + w.pool.stats().total.leased, 4);
    w.network.reset(2);
    await w.settle();
    assert.equal(w.live("a").length, 2);
    assert.equal(w.network.sockets().length, 5);
    a.value().release();
    b.value().release();
    await w.pool.close();
  });

  test("nothing is populated while paused; ready() starts it, clear() stops it", async () => {
    const w = world({ startPaused: true, minPoolSize: 2, network: { connectLatencyMs: 5 } });
    await assert.rejects(w.pool.acquire("a"), PoolClearedError); // the route is now known
    await w.advance(100);
    assert.equal(w.network.sockets().length, 0);
    w.pool.ready();
    assert.equal(w.network.sockets().length, 0); // PoolReady first, the background run after
    await w.settle();
    assert.equal(w.pool.stats().total.connecting, 2);
    w.pool.clear();
    await w.advance(5);
    assert.equal(w.network.sockets().length, 2);
    assert.equal(w.live().length, 0); // they completed stale and were closed
    await w.advance(100);
    assert.equal(w.network.sockets().length, 2);
    await w.pool.close();
    assert.equal(w.clock.pendingTimers, 0);
  });

  test("a background connect that fails clears the pool", async () => {
    const w = world({ minPoolSize: 2 });
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    w.network.configure("a", { connect: "refuse" });
    leasing.value().release({ reusable: false });
    await w.settle();
    // The refused background connect (3) clears the pool; the idle one it had opened (2) is stale.
    assert.deepEqual(kinds(w.events).slice(-4), [
      "ConnectionCreated",
      "ConnectionClosed:error",
      "PoolCleared",
      "ConnectionClosed:stale",
    ]);
    await assert.rejects(w.pool.acquire("a"), PoolClearedError);
    await w.pool.close();
  });
});

describe('connectOwnership: "acquire" (CMAP: a connect belongs to its check-out)', () => {
  test("each acquire gets the connection its own connect made, whichever lands first", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const first = track(w.pool.acquire("a"));
    const second = track(w.pool.acquire("a"));
    await w.settle();
    w.clock.moveTo(5);
    w.network.land(2);
    await flush();
    assert.equal(first.state(), "pending");
    assert.equal(second.value().socket.id, 2);
    w.network.land(1);
    await w.settle();
    assert.equal(first.value().socket.id, 1);
    first.value().release();
    second.value().release();
    await w.pool.close();
  });

  test('with "route" ownership the oldest waiter takes the first connection instead', async () => {
    const w = world({ network: { connectLatencyMs: 5 } });
    const first = track(w.pool.acquire("a"));
    const second = track(w.pool.acquire("a"));
    await w.settle();
    w.clock.moveTo(5);
    w.network.land(2);
    await w.settle();
    assert.equal(first.value().socket.id, 2);
    assert.equal(second.value().socket.id, 1);
    first.value().release();
    second.value().release();
    await w.pool.close();
  });

  test("a failed connect rejects the acquire that owns it, not the oldest", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const first = track(w.pool.acquire("a"));
    await w.settle();
    w.network.configure("a", { connect: "refuse" });
    const second = track(w.pool.acquire("a"));
    await w.advance(5);
    assert.ok(second.error() instanceof ConnectError);
    assert.equal(first.value().socket.id, 1);
    const failed = w.events.find((e) => e.type === "ConnectionCheckOutFailed")!;
    assert.equal(failed.checkOutId, 2);
    first.value().release();
    await w.pool.close();
  });

  test("a newcomer takes an idle connection while an older acquire establishes its own", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const held = track(w.pool.acquire("a"));
    await w.advance(5);
    const owner = track(w.pool.acquire("a"));
    await w.settle();
    held.value().release();
    const newcomer = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(newcomer.value().socket.id, 1);
    assert.equal(owner.state(), "pending");
    await w.advance(5);
    assert.equal(owner.value().socket.id, 2);
    owner.value().release();
    newcomer.value().release();
    await w.pool.close();
  });

  test("the acquire timeout does not bound an acquire's own connect; the connect timeout does", async () => {
    const w = world({
      connectOwnership: "acquire",
      connectTimeoutMs: 50,
      network: { connectLatencyMs: 20 },
    });
    const slow = track(w.pool.acquire("a", { timeoutMs: 10 }));
    await w.advance(20);
    assert.equal(slow.value().socket.id, 1);
    slow.value().release();
    w.network.configure("a", { connect: "hang" });
    w.pool.closeIdle(0);
    const hung = track(w.pool.acquire("a", { timeoutMs: 10 }));
    await w.advance(49);
    assert.equal(hung.state(), "pending");
    await w.advance(1);
    assert.ok(hung.error() instanceof ConnectError);
    await w.pool.close();
  });

  test("clear() leaves an acquire on its own connect, which then fails as stale", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const owner = track(w.pool.acquire("a"));
    await w.settle();
    w.pool.clear();
    await w.settle();
    assert.equal(owner.state(), "pending");
    await w.advance(5);
    assert.ok(owner.error() instanceof PoolClearedError);
    assert.deepEqual(w.network.ledger.closure(1), { t: 5, by: "client", reason: "stale" });
    assert.equal(w.pool.stats().total.pending, 0);
    await w.pool.close();
  });

  test("an interrupting clear closes an acquire's own connect before failing the acquire", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const owner = track(w.pool.acquire("a"));
    await w.settle();
    w.events.length = 0;
    w.pool.clear({ interruptInUseConnections: true });
    await w.settle();
    assert.ok(owner.error() instanceof PoolClearedError);
    // CMAP (pool-clear-interrupting-pending-connections): the connection closes, then the
    // check-out that was establishing it fails.
    assert.deepEqual(kinds(w.events), [
      "PoolCleared",
      "ConnectionClosed:stale",
      "ConnectionCheckOutFailed:poolCleared",
    ]);
    await w.pool.close();
  });

  test("an acquire blocked by maxConnecting waits for a population connect, opening none", async () => {
    // CMAP (pool-checkout-minPoolSize-connection-maxConnecting): two checkouts blocked while
    // minPoolSize's two connects run get those two connections; no third connection opens.
    const w = world({
      connectOwnership: "acquire",
      startPaused: true,
      minPoolSize: 2,
      minPoolRoutes: ["a"],
      maxPerRoute: 3,
      maxConnecting: 2,
      network: { connectLatencyMs: 500 },
    });
    w.pool.ready();
    await w.advance(200);
    const first = track(w.pool.acquire("a"));
    const second = track(w.pool.acquire("a"));
    await w.advance(300);
    assert.equal(first.value().socket.id, 1);
    assert.equal(second.value().socket.id, 2);
    assert.equal(w.network.sockets().length, 2);
    first.value().release();
    second.value().release();
    await w.pool.close();
  });

  test("close() fails an acquire on its own connect at once and aborts the connect", async () => {
    const w = world({ connectOwnership: "acquire", network: { connectLatencyMs: 5 } });
    const owner = track(w.pool.acquire("a"));
    await w.settle();
    await w.pool.close();
    assert.equal(owner.error() instanceof Error, true);
    assert.equal((owner.error() as Error).name, "PoolClosedError");
    assert.equal(w.live().length, 0);
  });
});

describe('idleExpiry: "checkout" (CMAP maxIdleTimeMS)', () => {
  test("an idle connection past the limit is closed when a check-out meets it, never by a timer", async () => {
    const w = world({ idleExpiry: "checkout", connectionsMaxIdleMs: 100 });
    const both = [track(w.pool.acquire("a")), track(w.pool.acquire("a"))];
    await w.settle();
    both[1]!.value().release(); // socket 2 idle since 0
    await w.advance(50);
    both[0]!.value().release(); // socket 1 idle since 50
    assert.equal(w.clock.pendingTimers, 0);
    await w.advance(1_000);
    assert.equal(w.live().length, 2); // nothing closed them meanwhile
    const next = track(w.pool.acquire("a"));
    await w.settle();
    // Both perished: each is closed as idle as the check-out meets it, then a new one opens.
    assert.equal(w.network.ledger.closure(1)?.reason, "idle");
    assert.equal(w.network.ledger.closure(2)?.reason, "idle");
    assert.equal(next.value().socket.id, 3);
    next.value().release();
    await w.pool.close();
  });

  test("a connection idle exactly the limit is still checked out", async () => {
    const w = world({ idleExpiry: "checkout", connectionsMaxIdleMs: 100 });
    const first = track(w.pool.acquire("a"));
    await w.settle();
    first.value().release();
    await w.advance(100);
    const again = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(again.value().socket.id, 1);
    again.value().release();
    await w.pool.close();
  });

  test('with "timer" the same limit closes the connection by itself', async () => {
    const w = world({ connectionsMaxIdleMs: 100 });
    const first = track(w.pool.acquire("a"));
    await w.settle();
    first.value().release();
    await w.advance(101);
    assert.deepEqual(w.network.ledger.closure(1), { t: 101, by: "client", reason: "idle" });
    await w.pool.close();
  });
});
