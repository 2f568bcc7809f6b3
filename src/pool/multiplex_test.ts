import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SocketClosedError } from "../net/errors.ts";
import type { SimResponse } from "../net/types.ts";
import { track, world, type WorldOptions } from "./_test_util.ts";
import { ConnectError, PoolClearedError, PoolClosedError, RequestTimeoutError } from "./errors.ts";
import { kafkaProducerPreset } from "./presets.ts";

function kafka(options: WorldOptions = {}) {
  return world({ ...kafkaProducerPreset, random: () => 0.5, ...options });
}

function createdTimes(w: ReturnType<typeof world>): number[] {
  return w.network.ledger.events.filter((e) => e.type === "ConnectionCreated").map((e) => e.t);
}

describe("multiplexed mode (Kafka)", () => {
  test("at most maxInFlight (5) requests are outstanding; the rest queue in send order", async () => {
    const w = kafka({ network: { manualResponses: true } });
    const sends = Array.from({ length: 8 }, () => track(w.pool.send("broker-1")));
    await w.settle();
    assert.equal(w.network.sockets().length, 1);
    assert.equal(w.network.ledger.inFlight(1).length, 5);
    assert.deepEqual(w.pool.stats().routes["broker-1"], {
      leased: 1,
      available: 0,
      pending: 3,
      connecting: 0,
      max: 1,
    });
    w.network.respond(1);
    await w.settle();
    assert.equal(w.network.ledger.inFlight(1).length, 5);
    while (w.network.respond(1)) await w.settle();
    assert.deepEqual(sends.map((s) => s.value().sequence), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(w.pool.stats().total.available, 1);
    await w.pool.close();
  });

  test("responses reach callers in send order", async () => {
    const w = kafka({ network: { responseLatencyMs: 5 } });
    const order: number[] = [];
    const sends = [1, 2, 3, 4, 5, 6, 7].map((n) =>
      w.pool.send("b").then((response: SimResponse) => (order.push(n), response))
    );
    await w.advance(100);
    const responses = await Promise.all(sends);
    assert.deepEqual(order, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(responses.map((r) => r.sequence), [1, 2, 3, 4, 5, 6, 7]);
    await w.pool.close();
  });

  test("on disconnect every in-flight request fails exactly once, oldest first; queued ones go to the reconnect", async () => {
    const w = kafka({ network: { manualResponses: true } });
    const failures: number[] = [];
    const answered: number[] = [];
    const sends = Array.from({ length: 7 }, (_, n) =>
      w.pool.send("b").then(
        () => void answered.push(n),
        (error: unknown) => {
          assert.ok(error instanceof SocketClosedError);
          failures.push(n);
        },
      ));
    await w.settle();
    w.network.reset(1);
    await w.settle();
    assert.deepEqual(failures, [0, 1, 2, 3, 4]);
    await w.advance(50); // reconnect backoff after one failure
    assert.equal(w.network.sockets().length, 2);
    w.network.heal();
    await w.advance(1);
    await Promise.all(sends);
    assert.deepEqual(failures, [0, 1, 2, 3, 4]);
    assert.deepEqual(answered, [5, 6]);
    await w.pool.close();
  });

  test("reconnect backoff grows with failures and resets after a success", async () => {
    const w = kafka();
    w.network.configure("b", { connect: "refuse" });
    const sent = track(w.pool.send("b"));
    await w.advance(1_600);
    const times = createdTimes(w);
    assert.deepEqual(times.slice(1).map((t, i) => t - times[i]!), [50, 100, 200, 400, 800]);
    w.network.heal();
    await w.advance(1_000);
    assert.equal(sent.state(), "fulfilled");
    const before = createdTimes(w).length;
    const reconnectAt = w.clock.now();
    w.network.reset(before);
    track(w.pool.send("b"));
    await w.advance(100);
    assert.deepEqual(createdTimes(w).slice(before), [reconnectAt + 50]);
    await w.pool.close();
  });

  test("connectionsMaxIdleMs closes the least recently active idle connection first", async () => {
    const w = kafka({ connectionsMaxIdleMs: 1_000 });
    await Promise.all([w.pool.send("a"), w.pool.send("b"), w.advance(0)]);
    await w.advance(300);
    await Promise.all([w.pool.send("a"), w.advance(0)]);
    await w.advance(2_000);
    assert.deepEqual(w.network.ledger.closure(2), { t: 1_001, by: "client", reason: "idle" });
    assert.deepEqual(w.network.ledger.closure(1), { t: 1_301, by: "client", reason: "idle" });
    await w.pool.close();
  });

  test("acquire() is refused in multiplexed mode and send() outside it", async () => {
    const mux = kafka();
    await assert.rejects(mux.pool.acquire("b"), {
      name: "TypeError",
      message: "Cannot acquire a connection as the pool is multiplexed: use send()",
    });
    await mux.pool.close();
    const plain = world();
    await assert.rejects(plain.pool.send("b"), {
      name: "TypeError",
      message: "Cannot send as the pool is not multiplexed: use acquire()",
    });
    await plain.pool.close();
  });

  test("clear() fails queued requests, lets in-flight ones finish, then closes the stale connection", async () => {
    const w = kafka({ maxInFlight: 1, network: { manualResponses: true } });
    const first = track(w.pool.send("b"));
    const second = track(w.pool.send("b"));
    await w.settle();
    w.pool.clear();
    await w.settle();
    assert.ok(second.error() instanceof PoolClearedError);
    assert.equal(w.network.socket(1)?.state, "open");
    w.network.respond(1);
    await w.settle();
    assert.equal(first.state(), "fulfilled");
    assert.deepEqual(w.network.ledger.closure(1), { t: 0, by: "client", reason: "stale" });
    await assert.rejects(w.pool.send("b"), PoolClearedError);
    w.pool.ready();
    const third = track(w.pool.send("b"));
    w.network.heal();
    await w.settle();
    assert.equal(third.value().socketId, 2);
    await w.pool.close();
  });

  test('"reject" policy: a failed connect fails the oldest queued request with ConnectError', async () => {
    const w = kafka({ connectFailure: "reject", network: { connect: "refuse" } });
    const first = track(w.pool.send("b"));
    const second = track(w.pool.send("b"));
    await w.settle();
    assert.ok(first.error() instanceof ConnectError);
    assert.equal(second.state(), "pending");
    await w.advance(50);
    assert.ok(second.error() instanceof ConnectError);
    await w.pool.close();
  });

  test("the same scenario with the default seeded jitter gives the same trace, byte for byte", async () => {
    async function run(): Promise<string> {
      const w = world({ ...kafkaProducerPreset });
      w.network.configure("b", { connect: "refuse" });
      const sends = [track(w.pool.send("b")), track(w.pool.send("b"))];
      await w.advance(3_000);
      w.network.heal();
      await w.advance(2_000);
      assert.deepEqual(sends.map((s) => s.state()), ["fulfilled", "fulfilled"]);
      await w.pool.close();
      return w.network.ledger.serialize() + JSON.stringify(w.events);
    }
    const first = await run();
    assert.equal(await run(), first);
    assert.ok(first.includes("refused"));
  });

  test("close() rejects queued requests and closes the connections", async () => {
    const w = kafka({ maxInFlight: 1, network: { manualResponses: true } });
    const first = track(w.pool.send("b"));
    const second = track(w.pool.send("b"));
    await w.settle();
    await w.pool.close();
    await w.settle();
    assert.ok(second.error() instanceof PoolClosedError);
    assert.ok(first.error() instanceof SocketClosedError);
    assert.equal(w.network.ledger.live().length, 0);
    await assert.rejects(w.pool.send("b"), PoolClosedError);
  });

  test("requestTimeoutMs: an unanswered request times out at its deadline and takes its connection down", async () => {
    const w = kafka({ network: { manualResponses: true }, requestTimeoutMs: 100 });
    const first = track(w.pool.send("b"));
    await w.advance(40);
    const second = track(w.pool.send("b"));
    await w.advance(59);
    assert.equal(first.state(), "pending");
    await w.advance(1);
    // At 100 ms the first request fails as timed out; its connection closes, so the second,
    // in flight on it for 60 ms only, fails with the connection.
    assert.ok(first.error() instanceof RequestTimeoutError, String(first.error()));
    assert.equal((first.error() as RequestTimeoutError).timeoutMs, 100);
    assert.ok(second.error() instanceof SocketClosedError, String(second.error()));
    const closed = w.network.ledger.events.filter((e) => e.type === "ConnectionClosed");
    assert.deepEqual(closed.map((e) => [e.t, e.socketId]), [[100, 1]]);
    // A later send opens a new connection, and an answer in time settles it: no timer is left.
    const third = track(w.pool.send("b"));
    await w.settle();
    assert.equal(w.network.sockets().length, 2);
    w.network.respond(2);
    await w.settle();
    assert.equal(third.state(), "fulfilled");
    await w.advance(1_000);
    assert.equal(w.network.sockets().filter((s) => s.state === "open").length, 1);
    await w.pool.close();
  });

  test("requestTimeoutMs counts from the write, not from the send: a queued request waits untimed", async () => {
    const w = kafka({ network: { manualResponses: true }, requestTimeoutMs: 100, maxInFlight: 1 });
    const first = track(w.pool.send("b"));
    await w.advance(90);
    const queued = track(w.pool.send("b"));
    await w.advance(5);
    w.network.respond(1);
    await w.settle();
    assert.equal(first.state(), "fulfilled");
    // Written at 95 ms, the queued request is due at 195 ms.
    await w.advance(99);
    assert.equal(queued.state(), "pending");
    await w.advance(1);
    assert.ok(queued.error() instanceof RequestTimeoutError, String(queued.error()));
    await w.pool.close();
  });

  test("requestTimeoutMs is refused when it is not a duration above 0", () => {
    for (const requestTimeoutMs of [0, -1, Number.NaN, "30s"]) {
      assert.throws(
        () => kafka({ requestTimeoutMs: requestTimeoutMs as number }),
        /requestTimeoutMs/,
        String(requestTimeoutMs),
      );
    }
  });
});
