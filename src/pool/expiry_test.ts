import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { track, type World, world, type WorldOptions } from "./_test_util.ts";

/** Lease a connection, make one request on it, release it; returns its socket id. */
async function useOnce(w: World, target = "a"): Promise<number> {
  const leasing = track(w.pool.acquire(target));
  await w.settle();
  const lease = leasing.value();
  const response = track(lease.socket.request());
  await w.settle();
  assert.equal(response.state(), "fulfilled");
  lease.release();
  return lease.socket.id;
}

/** After `idleMs` of idleness, is the same socket leased again? */
async function reusedAfter(options: WorldOptions, idleMs: number): Promise<boolean> {
  const w = world(options);
  const first = await useOnce(w);
  await w.advance(idleMs);
  const second = await useOnce(w);
  await w.pool.close();
  return first === second;
}

/** One ms before, exactly at, and one ms after a deadline. */
const BOUNDARY = [[-1, true], [0, true], [1, false]] as const;

describe("expiry at lease time (strict deadlines)", () => {
  const CASES: [string, WorldOptions, number][] = [
    ["keep-alive hint timeout=5s", { network: { keepAliveHint: { timeoutMs: 5_000 } } }, 5_000],
    ["default keep-alive 2s", { defaultKeepAliveMs: 2_000 }, 2_000],
    ["TTL 10s", { ttlMs: 10_000 }, 10_000],
    ["idle timeout 1s", { idleTimeoutMs: 1_000 }, 1_000],
  ];
  for (const [name, options, deadline] of CASES) {
    for (const [offset, reused] of BOUNDARY) {
      const idleMs = deadline + offset;
      test(`${name}: ${reused ? "reused" : "not reused"} after ${idleMs} ms`, async () => {
        assert.equal(await reusedAfter(options, idleMs), reused);
      });
    }
  }

  test("an expired connection is closed with reason 'expired' when a lease meets it", async () => {
    const w = world({ defaultKeepAliveMs: 100 });
    const first = await useOnce(w);
    await w.advance(101);
    const second = await useOnce(w);
    assert.notEqual(first, second);
    assert.deepEqual(w.network.ledger.closure(first), { t: 101, by: "client", reason: "expired" });
    await w.pool.close();
  });

  test("the keep-alive deadline never exceeds creation + TTL", async () => {
    const w = world({ ttlMs: 1_000, defaultKeepAliveMs: 60_000 });
    await w.advance(900);
    const first = await useOnce(w); // created at 900, released at 900
    await w.advance(1_001);
    assert.notEqual(await useOnce(w), first);
    await w.pool.close();
  });

  for (const [idleMs, probed] of [[2_000, false], [2_001, true]] as const) {
    test(`validateAfterInactivity 2s: ${probed ? "probed" : "not probed"} after ${idleMs} ms idle`, async () => {
      const w = world();
      const first = await useOnce(w);
      await w.advance(idleMs);
      assert.equal(await useOnce(w), first);
      const checks = w.network.ledger.events.filter((e) => e.type === "ConnectionChecked");
      assert.equal(checks.length, probed ? 1 : 0);
      await w.pool.close();
    });
  }

  test("a connection the server half-closed is closed at once and never leased", async () => {
    const w = world();
    const first = await useOnce(w);
    w.network.serverClose(first);
    assert.equal(w.network.socket(first)?.state, "closed");
    assert.equal(w.network.ledger.closure(first)?.reason, "peerClosed");
    assert.equal(w.pool.stats().total.available, 0);
    assert.notEqual(await useOnce(w), first);
    await w.pool.close();
  });

  test("without observePeerClose, a stale connection is found by validation, not by the event", async () => {
    const w = world({ observePeerClose: false });
    const first = await useOnce(w);
    w.network.serverClose(first);
    assert.equal(w.network.socket(first)?.state, "half-closed", "the pool did not hear it");
    assert.equal(w.pool.stats().total.available, 1);
    await w.advance(2_001);
    const second = await useOnce(w);
    assert.notEqual(second, first);
    assert.deepEqual(
      w.network.ledger.events.filter((e) => e.type === "ConnectionChecked").map((e) => e.socketId),
      [first],
    );
    assert.equal(w.network.ledger.closure(first)?.reason, "peerClosed");
    await w.pool.close();
  });

  test("without observePeerClose, a stale connection inside the validation window is leased (Apache's known gap)", async () => {
    const w = world({ observePeerClose: false });
    const first = await useOnce(w);
    w.network.serverClose(first);
    await w.advance(2_000);
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    const lease = leasing.value();
    assert.equal(lease.socket.id, first);
    assert.equal(lease.socket.state, "half-closed");
    lease.release({ reusable: false });
    await w.pool.close();
  });

  test("a leased connection the server half-closed is closed on release, not reused", async () => {
    const w = world();
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    const lease = leasing.value();
    w.network.serverClose(lease.socket.id);
    lease.release();
    assert.equal(w.network.socket(lease.socket.id)?.state, "closed");
    assert.notEqual(await useOnce(w), lease.socket.id);
    await w.pool.close();
  });

  test("maxUses 2: every socket is leased twice, then closed on release (pg-pool)", async () => {
    const w = world({ maxUses: 2 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await useOnce(w));
    assert.deepEqual(ids, [1, 1, 2, 2, 3]);
    assert.deepEqual(w.network.ledger.closure(1)?.by, "client");
    assert.equal(w.network.socket(2)?.state, "closed");
    assert.equal(w.network.socket(3)?.state, "open");
    await w.pool.close();
  });

  test("maxUses 1: a connection is closed on its first release and never reused", async () => {
    const w = world({ maxUses: 1 });
    assert.deepEqual([await useOnce(w), await useOnce(w)], [1, 2]);
    assert.equal(w.network.socket(1)?.state, "closed");
    await w.pool.close();
  });

  for (const honour of [false, true]) {
    test(`keep-alive max=2 (honourKeepAliveMax ${honour}): no socket serves a third request`, async () => {
      const w = world({ honourKeepAliveMax: honour, network: { keepAliveHint: { max: 2 } } });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await useOnce(w));
      assert.deepEqual(ids, [1, 1, 2, 2, 3]);
      for (const id of new Set(ids)) assert.ok(w.network.ledger.requestsServed(id) <= 2);
      await w.pool.close();
    });
  }
});

describe("closeIdle, closeExpired and the evictor", () => {
  for (const [idleMs, closed] of [[999, false], [1_000, true], [1_001, true]] as const) {
    test(`closeIdle(1000) after ${idleMs} ms idle ${closed ? "closes" : "keeps"} it`, async () => {
      const w = world();
      const id = await useOnce(w);
      await w.advance(idleMs);
      w.pool.closeIdle(1_000);
      assert.equal(w.network.socket(id)?.state, closed ? "closed" : "open");
      await w.pool.close();
    });
  }

  for (const [offset, closed] of [[-1, false], [0, false], [1, true]] as const) {
    test(`closeExpired() at ${500 + offset} ms, deadline 500, ${closed ? "closes" : "keeps"} it`, async () => {
      const w = world({ defaultKeepAliveMs: 500 });
      const id = await useOnce(w);
      await w.advance(500 + offset);
      w.pool.closeExpired();
      assert.equal(w.network.socket(id)?.state, closed ? "closed" : "open");
      await w.pool.close();
    });
  }

  test("closeIdle and closeExpired never touch a leased connection", async () => {
    const w = world({ defaultKeepAliveMs: 10 });
    const leasing = track(w.pool.acquire("a"));
    await w.settle();
    await w.advance(1_000);
    w.pool.closeIdle(0);
    w.pool.closeExpired();
    assert.equal(leasing.value().socket.state, "open");
    leasing.value().release();
    await w.pool.close();
  });

  test("closeIdle rejects a negative threshold", () => {
    const w = world();
    assert.throws(() => w.pool.closeIdle(-1), {
      name: "RangeError",
      message:
        "Cannot close idle connections as 'idleMs' must be a number of milliseconds >= 0: current value is -1",
    });
    void w.pool.close();
  });

  test("the evictor closes expired idle connections on its period", async () => {
    const w = world({ evictionIntervalMs: 1_000, defaultKeepAliveMs: 1_500 });
    const id = await useOnce(w);
    await w.advance(1_000);
    assert.equal(w.network.socket(id)?.state, "open");
    await w.advance(1_000);
    assert.deepEqual(w.network.ledger.closure(id), { t: 2_000, by: "client", reason: "expired" });
    await w.pool.close();
    assert.equal(w.clock.pendingTimers, 0);
  });

  test("the evictor also closes connections idle longer than idleTimeoutMs", async () => {
    const w = world({ evictionIntervalMs: 1_000, idleTimeoutMs: 1_000 });
    const id = await useOnce(w);
    await w.advance(1_000);
    assert.equal(w.network.socket(id)?.state, "open");
    await w.advance(1_000);
    assert.deepEqual(w.network.ledger.closure(id), { t: 2_000, by: "client", reason: "idle" });
    await w.pool.close();
  });

  for (const [offset, open] of [[-1, true], [0, true], [1, false]] as const) {
    test(`connectionsMaxIdleMs 60s: after ${60_000 + offset} ms idle it is ${open ? "open" : "closed"}`, async () => {
      const w = world({ connectionsMaxIdleMs: 60_000 });
      const id = await useOnce(w);
      await w.advance(60_000 + offset);
      assert.equal(w.network.socket(id)?.state, open ? "open" : "closed");
      await w.pool.close();
    });
  }

  test("connectionsMaxIdleMs closes the least recently active first", async () => {
    const w = world({ connectionsMaxIdleMs: 100 });
    const a = track(w.pool.acquire("a"));
    const b = track(w.pool.acquire("b"));
    await w.settle();
    b.value().release();
    await w.advance(10);
    a.value().release();
    await w.advance(200);
    const closures = [a, b].map((t) => w.network.ledger.closure(t.value().socket.id)?.t);
    assert.deepEqual(closures, [111, 101]);
    await w.pool.close();
  });
});

describe("seed scenario: 200 leases, keep-alive 5 s, 30 s later", () => {
  async function twoHundredIdle(): Promise<{ w: World; ids: Set<number> }> {
    const w = world({
      maxTotal: 200,
      maxPerRoute: 200,
      network: { keepAliveHint: { timeoutMs: 5_000 } },
    });
    const leasing = Array.from({ length: 200 }, () => track(w.pool.acquire("api")));
    await w.settle();
    const leases = leasing.map((l) => l.value());
    const responses = leases.map((lease) => lease.socket.request());
    await w.settle();
    await Promise.all(responses);
    for (const lease of leases) lease.release();
    await w.advance(30_000);
    return { w, ids: new Set(leases.map((lease) => lease.socket.id)) };
  }

  test("stats still count the 200 expired connections available", async () => {
    const { w } = await twoHundredIdle();
    assert.deepEqual(w.pool.stats().total, {
      leased: 0,
      available: 200,
      pending: 0,
      connecting: 0,
      max: 200,
    });
    assert.equal(w.network.ledger.idle("api").length, 200);
    await w.pool.close();
  });

  test("a lease meets them: every expired one is closed, none is leased", async () => {
    const { w, ids } = await twoHundredIdle();
    const leasing = track(w.pool.acquire("api"));
    await w.settle();
    const lease = leasing.value();
    assert.ok(!ids.has(lease.socket.id));
    assert.deepEqual(w.pool.stats().total, {
      leased: 1,
      available: 0,
      pending: 0,
      connecting: 0,
      max: 200,
    });
    assert.equal(w.network.ledger.live().length, 1);
    lease.release();
    await w.pool.close();
  });

  test("closeExpired() closes all 200", async () => {
    const { w } = await twoHundredIdle();
    w.pool.closeExpired();
    assert.equal(w.pool.stats().total.available, 0);
    assert.equal(w.network.ledger.live().length, 0);
    await w.pool.close();
  });
});
