import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConnectRefusedError } from "../net/errors.ts";
import { track, world } from "./_test_util.ts";
import { AcquireTimeoutError, ConnectError, PoolClosedError } from "./errors.ts";

/** Times (relative to the first) at which connects to `route` started. */
function connectTimes(w: ReturnType<typeof world>, route: string): number[] {
  return w.network.ledger.events
    .filter((e) => e.type === "ConnectionCreated" && e.route === route)
    .map((e) => e.t);
}

describe("acquire timeouts", () => {
  for (const [elapsed, state] of [[99, "pending"], [100, "rejected"]] as const) {
    test(`acquire({ timeoutMs: 100 }) is ${state} after ${elapsed} ms`, async () => {
      const w = world({ maxPerRoute: 1 });
      const holder = track(w.pool.acquire("a"));
      await w.settle();
      const waiting = track(w.pool.acquire("a", { timeoutMs: 100 }));
      await w.advance(elapsed);
      assert.equal(waiting.state(), state);
      if (state === "rejected") {
        const error = waiting.error();
        assert.ok(error instanceof AcquireTimeoutError);
        assert.equal(error.message, "Cannot acquire a connection to 'a' within 100 ms");
        assert.equal(w.pool.stats().total.pending, 0);
      }
      holder.value().release();
      await w.settle();
      if (state === "pending") waiting.value().release();
      await w.pool.close();
    });
  }

  test("a connection that arrives after the timeout goes to the next waiter", async () => {
    const w = world({ network: { connectLatencyMs: 50 } });
    const impatient = track(w.pool.acquire("a", { timeoutMs: 10 }));
    const patient = track(w.pool.acquire("a"));
    await w.advance(10);
    assert.equal(impatient.state(), "rejected");
    await w.advance(40);
    assert.equal(patient.state(), "fulfilled");
    patient.value().release();
    await w.pool.close();
  });

  test("a connection that arrives after the timeout with no waiter left goes idle", async () => {
    const w = world({ network: { connectLatencyMs: 50 } });
    const impatient = track(w.pool.acquire("a", { timeoutMs: 10 }));
    await w.advance(50);
    assert.equal(impatient.state(), "rejected");
    assert.equal(w.pool.stats().total.available, 1);
    await w.pool.close();
  });

  test("acquire() rejects an invalid timeoutMs", async () => {
    const w = world();
    await assert.rejects(w.pool.acquire("a", { timeoutMs: -5 }), {
      name: "RangeError",
      message:
        "Cannot acquire a connection as 'timeoutMs' must be a number of milliseconds >= 0: current value is -5",
    });
    await w.pool.close();
  });
});

describe("connect failures", () => {
  test('"reject": a refused connect rejects one waiter with ConnectError', async () => {
    const w = world({ network: { connect: "refuse" } });
    const first = track(w.pool.acquire("a"));
    const second = track(w.pool.acquire("a"));
    await w.settle();
    // Each waiter had its own connect; both are refused.
    for (const call of [first, second]) {
      const error = call.error();
      assert.ok(error instanceof ConnectError);
      assert.ok(error.cause instanceof ConnectRefusedError);
      assert.equal(error.code, "CONNECT_FAILED");
    }
    assert.deepEqual(w.pool.stats().total, {
      leased: 0,
      available: 0,
      pending: 0,
      connecting: 0,
      max: 25,
    });
    await w.pool.close();
  });

  test('"reject": one failure rejects only the oldest waiter; the next gets a new connect', async () => {
    const w = world({ maxPerRoute: 1, network: { connect: "refuse", connectLatencyMs: 10 } });
    const first = track(w.pool.acquire("a"));
    const second = track(w.pool.acquire("a"));
    await w.advance(10);
    assert.equal(first.state(), "rejected");
    assert.equal(second.state(), "pending");
    assert.deepEqual(connectTimes(w, "a"), [0, 10]);
    await w.advance(10);
    assert.equal(second.state(), "rejected");
    await w.pool.close();
  });

  test('"retry": waiters keep waiting through failures and get the first good connection', async () => {
    const w = world({ connectFailure: "retry", reconnectBackoffMs: 100 });
    w.network.configure("a", { connect: "refuse" });
    const waiting = track(w.pool.acquire("a"));
    await w.advance(250);
    assert.equal(waiting.state(), "pending");
    w.network.heal();
    await w.advance(1_000);
    assert.equal(waiting.state(), "fulfilled");
    assert.deepEqual(connectTimes(w, "a"), [0, 100, 200, 300]);
    waiting.value().release();
    await w.pool.close();
  });

  for (const [elapsed, failed] of [[99, false], [100, true]] as const) {
    test(`connect timeout 100 ms: ${failed ? "fails and frees its slot" : "still connecting"} at ${elapsed} ms`, async () => {
      const w = world({ connectTimeoutMs: 100, maxPerRoute: 1, network: { connect: "hang" } });
      const waiting = track(w.pool.acquire("a"));
      await w.advance(elapsed);
      assert.equal(waiting.state(), failed ? "rejected" : "pending");
      assert.equal(w.live("a").length, failed ? 0 : 1);
      assert.equal(w.pool.stats().total.connecting, failed ? 0 : 1);
      if (failed) {
        const error = waiting.error();
        assert.ok(error instanceof ConnectError);
        assert.equal(error.timeoutMs, 100);
        assert.equal(error.message, "Cannot connect to 'a': timed out after 100 ms");
        assert.deepEqual(w.network.ledger.closure(1), { t: 100, by: "client", reason: "aborted" });
      }
      await w.pool.close();
    });
  }
});

describe("reconnect backoff (Kafka's formula)", () => {
  test("backoff grows 50, 100, 200, … capped at 1000, with jitter in [0.8, 1.2)", async () => {
    const w = world({
      connectFailure: "retry",
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1_000,
      random: () => 0.5, // jitter factor exactly 1
    });
    w.network.configure("a", { connect: "refuse" });
    void w.pool.acquire("a").catch(() => {});
    await w.advance(5_000);
    const times = connectTimes(w, "a");
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.deepEqual(gaps.slice(0, 7), [50, 100, 200, 400, 800, 1_000, 1_000]);
    await w.pool.close();
  });

  test("jitter comes from the injected random source", async () => {
    const w = world({
      connectFailure: "retry",
      reconnectBackoffMs: 100,
      reconnectBackoffMaxMs: 10_000,
      random: () => 0,
    });
    w.network.configure("a", { connect: "refuse" });
    void w.pool.acquire("a").catch(() => {});
    await w.advance(300);
    assert.deepEqual(connectTimes(w, "a"), [0, 80, 240]);
    await w.pool.close();
  });

  test("backoff resets only after a successful connection", async () => {
    const w = world({
      connectFailure: "reject",
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1_000,
      random: () => 0.5,
    });
    w.network.configure("a", { connect: "refuse" });
    for (let i = 0; i < 3; i++) {
      void w.pool.acquire("a").catch(() => {});
      await w.advance(1_000);
    }
    assert.deepEqual(connectTimes(w, "a"), [0, 1_000, 2_000]);
    void w.pool.acquire("a").catch(() => {}); // the fourth failure, at 3000: backoff 400
    await w.settle();
    w.network.heal();
    const early = track(w.pool.acquire("a"));
    await w.advance(399);
    assert.equal(early.state(), "pending");
    await w.advance(1);
    assert.equal(early.state(), "fulfilled");
    early.value().release();
    w.pool.closeIdle(0);
    // After that success, the next failure starts over at the base.
    w.network.configure("a", { connect: "refuse" });
    void w.pool.acquire("a").catch(() => {});
    await w.settle();
    const after = track(w.pool.acquire("a"));
    w.network.heal();
    await w.advance(49);
    assert.equal(after.state(), "pending");
    await w.advance(1);
    assert.equal(after.state(), "fulfilled");
    after.value().release();
    await w.pool.close();
  });

  test("close() aborts a hanging connect and rejects its waiter with PoolClosedError", async () => {
    const w = world({ network: { connect: "hang" } });
    const waiting = track(w.pool.acquire("a"));
    await w.settle();
    await w.pool.close();
    assert.equal(waiting.state(), "rejected");
    assert.equal(w.network.ledger.closure(1)?.reason, "aborted");
    assert.ok(waiting.error() instanceof PoolClosedError);
  });
});
