import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/sim_network.ts";
import { track, world } from "./_test_util.ts";
import { PoolClearedError } from "./errors.ts";
import type { PoolEvent } from "./events.ts";
import { cmapPreset } from "./presets.ts";
import { ReferencePool } from "./reference_pool.ts";

/** Event types, with the reason where there is one. */
function kinds(events: readonly PoolEvent[]): string[] {
  return events.map((e) => e.reason === undefined ? e.type : `${e.type}:${e.reason}`);
}

describe("startPaused (CMAP: a new pool is paused until ready())", () => {
  test("an acquire fails at once with PoolClearedError until ready(); then it is served", async () => {
    const w = world({ startPaused: true });
    await assert.rejects(w.pool.acquire("a"), {
      name: "PoolClearedError",
      message: "Cannot acquire a connection to 'a' as the pool was cleared and is paused",
    });
    assert.equal(w.network.sockets().length, 0);
    assert.deepEqual(kinds(w.events), [
      "ConnectionCheckOutStarted",
      "ConnectionCheckOutFailed:poolCleared",
    ]);
    w.pool.ready();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(leasing.value().socket.id, 1);
    assert.equal(w.events.filter((e) => e.type === "PoolReady").length, 1);
    leasing.value().release();
    await w.pool.close();
  });

  test("onEvent sees PoolCreated with the options given, and no PoolReady before ready()", async () => {
    const clock = new VirtualClock();
    const network = new SimNetwork({ clock });
    const seen: PoolEvent[] = [];
    const pool = new ReferencePool({
      startPaused: true,
      maxTotal: 3,
      maxPerRoute: 3,
      clock,
      connect: network.connect.bind(network),
      onEvent: (event) => seen.push(event),
    });
    assert.deepEqual(seen, [{
      type: "PoolCreated",
      t: 0,
      options: { startPaused: true, maxTotal: 3, maxPerRoute: 3 },
    }]);
    assert.ok(Object.isFrozen(seen[0]!.options));
    pool.ready();
    assert.deepEqual(kinds(seen), ["PoolCreated", "PoolReady"]);
    await pool.close();
  });

  test("the default pool is ready from the start and announces it", async () => {
    const clock = new VirtualClock();
    const network = new SimNetwork({ clock });
    const seen: string[] = [];
    const pool = new ReferencePool({
      clock,
      connect: network.connect.bind(network),
      onEvent: (event) => seen.push(event.type),
    });
    assert.deepEqual(seen, ["PoolCreated", "PoolReady"]);
    await pool.close();
  });
});

describe("clear() as CMAP orders it", () => {
  test("PoolCleared comes before the waiters fail and the stale idle connections close", async () => {
    const w = world({ maxPerRoute: 1 });
    const held = track(w.pool.acquire("a"));
    const idle = track(w.pool.acquire("b"));
    await w.settle();
    idle.value().release();
    void w.pool.acquire("a").catch(() => {});
    w.events.length = 0;
    w.pool.clear();
    assert.deepEqual(kinds(w.events), [
      "PoolCleared",
      "ConnectionCheckOutFailed:poolCleared",
      "ConnectionClosed:stale",
    ]);
    assert.equal(w.events[0]!.interruptInUseConnections, false);
    held.value().release();
    await w.pool.close();
  });

  test("clearing a paused pool emits no second PoolCleared, but moves the generation on", async () => {
    const w = world();
    w.pool.clear();
    w.pool.clear();
    assert.equal(w.events.filter((e) => e.type === "PoolCleared").length, 1);
    const refused = await w.pool.acquire("a").catch((error: unknown) => error);
    assert.ok(refused instanceof PoolClearedError);
    // CMAP's rationale: the generation still moves, so the error that caused the clear stops it.
    assert.equal(refused.generation, 2);
    w.pool.ready();
    w.pool.clear();
    assert.equal(w.events.filter((e) => e.type === "PoolCleared").length, 2);
    await w.pool.close();
  });

  test("a stale leased connection closes at check-in and is never checked out again", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    w.pool.clear();
    w.pool.ready();
    assert.equal(w.network.socket(1)?.state, "open");
    leasing.value().release();
    assert.deepEqual(w.network.ledger.closure(1), { t: 0, by: "client", reason: "stale" });
    const next = track(w.pool.acquire("a"));
    await w.settle();
    assert.equal(next.value().socket.id, 2);
    next.value().release();
    await w.pool.close();
  });

  test("clear({ interruptInUseConnections: true }) closes leased and connecting connections now", async () => {
    const w = world({ maxPerRoute: 3, network: { connectLatencyMs: 10 } });
    const leasing = track(w.pool.acquire("a"));
    await w.advance(10);
    const connecting = track(w.pool.acquire("a"));
    await w.settle();
    w.events.length = 0;
    w.pool.clear({ interruptInUseConnections: true });
    await w.settle();
    assert.deepEqual(w.network.ledger.closure(1), { t: 10, by: "client", reason: "stale" });
    assert.equal(w.network.socket(2)?.state, "closed");
    assert.ok(connecting.error() instanceof PoolClearedError);
    assert.deepEqual(kinds(w.events), [
      "PoolCleared",
      "ConnectionCheckOutFailed:poolCleared",
      "ConnectionClosed:stale",
      "ConnectionClosed:stale",
    ]);
    assert.equal(w.events[0]!.interruptInUseConnections, true);
    assert.deepEqual(w.pool.stats().total, {
      leased: 0,
      available: 0,
      pending: 0,
      connecting: 0,
      max: 25,
    });
    // Its holder may still give it back; nothing changes.
    leasing.value().release();
    assert.equal(w.pool.stats().total.available, 0);
    await w.pool.close();
    assert.equal(w.clock.pendingTimers, 0);
  });

  test("clear() rejects a non-boolean interruptInUseConnections", async () => {
    const w = world();
    assert.throws(
      () => w.pool.clear({ interruptInUseConnections: "yes" as unknown as boolean }),
      {
        name: "TypeError",
        message:
          `Cannot clear pool as 'interruptInUseConnections' must be a boolean: current value is "yes"`,
      },
    );
    assert.equal(w.events.length, 0);
    await w.pool.close();
  });
});

describe("CMAP event fields", () => {
  test("checkOutId links a check-out's start to its end; durations are in virtual time", async () => {
    const w = world({ maxPerRoute: 1, network: { connectLatencyMs: 7 } });
    const first = track(w.pool.acquire("a"));
    const timed = track(w.pool.acquire("a", { timeoutMs: 3 }));
    await w.advance(7);
    assert.equal(timed.state(), "rejected");
    first.value().release();
    await w.pool.close();
    const pick = (type: string) =>
      w.events.filter((e) => e.type === type).map((e) => [e.checkOutId, e.durationMs]);
    assert.deepEqual(pick("ConnectionCheckOutStarted"), [[1, undefined], [2, undefined]]);
    assert.deepEqual(pick("ConnectionCheckOutFailed"), [[2, 3]]);
    assert.deepEqual(pick("ConnectionCheckedOut"), [[1, 7]]);
    const ready = w.events.find((e) => e.type === "ConnectionReady")!;
    assert.equal(ready.durationMs, 7);
    for (const event of w.events) {
      assert.equal(event.address, event.route, `${event.type} carries its route as address`);
    }
    assert.ok(w.events.some((e) => e.type === "ConnectionClosed" && e.address === "a"));
  });
});

describe("cmapPreset", () => {
  test("CMAP's defaults: 100 connections, 2 connects at a time, starts paused", async () => {
    const w = world({ ...cmapPreset, network: { connectLatencyMs: 5 } });
    assert.equal(w.pool.stats().total.max, 100);
    await assert.rejects(w.pool.acquire("db:27017"), PoolClearedError);
    w.pool.ready();
    const calls = [1, 2, 3].map(() => track(w.pool.acquire("db:27017")));
    await w.settle();
    assert.equal(w.pool.stats().total.connecting, 2);
    await w.advance(10);
    assert.deepEqual(calls.map((c) => c.value().socket.id), [1, 2, 3]);
    for (const call of calls) call.value().release();
    await w.pool.close();
  });
});
