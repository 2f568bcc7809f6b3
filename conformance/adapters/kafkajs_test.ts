import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateAdapter } from "../../src/harness/adapter.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";
import { longestBackoff, shortestBackoff } from "../../src/harness/rules/_backoff.ts";
import { API_KEYS } from "./_kafka_protocol.ts";
import {
  advanceBy,
  advanceUntil,
  BROKERS,
  connects,
  kafkaScene,
  SCENARIO,
  settleNow,
  TOPIC,
  track,
} from "./_kafka_test_util.ts";
import { createKafkajsPool, kafkajsAdapter, kafkajsRejectionKind } from "./kafkajs.ts";

const API_NAMES: Record<number, string> = {
  [API_KEYS.Produce]: "Produce",
  [API_KEYS.Metadata]: "Metadata",
  [API_KEYS.ApiVersions]: "ApiVersions",
};

describe("kafkajs adapter", () => {
  test("declares a valid adapter", () => {
    assert.doesNotThrow(() => validateAdapter(kafkajsAdapter));
  });

  test(
    "a send connects its broker, asks ApiVersions once, and resolves with its Produce's response",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0", "b1"], maxInFlight: 2, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world);
        const first = track(pool.send!("b1", { seq: 1 }));
        await advanceUntil(driver, () => first.state !== "pending");
        const second = track(pool.send!("b1", { seq: 2 }));
        await advanceUntil(driver, () => second.state !== "pending");
        assert.deepEqual(
          pool.cluster.received.map((r) => `${r.route} ${API_NAMES[r.apiKey]}`),
          ["b1 ApiVersions", "b1 Produce", "b1 Produce"],
        );
        assert.deepEqual([first.value?.sequence, second.value?.sequence], [2, 3]);
        assert.deepEqual(connects(world.network.ledger.events), [{ route: "b1", t: 0 }]);
        const closing = track(pool.close());
        await settleNow(driver);
        assert.equal(closing.state, "resolved");
        assert.equal(world.network.ledger.closure(1)?.by, "client");
      }),
  );

  test(
    "a reset fails every send in flight, in send order, with a connection error",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 5, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world);
        const warm = track(pool.send!("b0", { seq: 1 }));
        await advanceUntil(driver, () => warm.state !== "pending");
        world.network.configure("b0", { manualResponses: true });
        const sends = [2, 3, 4].map((seq) => track(pool.send!("b0", { seq })));
        await settleNow(driver);
        assert.equal(world.network.socket(1)?.inFlight, 3);
        world.network.reset(1);
        await settleNow(driver);
        assert.deepEqual(sends.map((s) => s.state), ["rejected", "rejected", "rejected"]);
        const orders = sends.map((s) => s.order!);
        assert.deepEqual(orders, [...orders].sort((a, b) => a - b));
        assert.deepEqual(sends.map((s) => kafkajsRejectionKind(s.error)), [
          "connectionError",
          "connectionError",
          "connectionError",
        ]);
        await pool.close();
      }),
  );

  test(
    "a hanging connect fails at connectionTimeout and frees the broker for a new connect",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 40 });
        const pool = await createKafkajsPool(config, world);
        world.network.configure("b0", { connect: "hang" });
        const hung = track(pool.send!("b0", { seq: 1 }));
        await advanceBy(driver, 39);
        assert.equal(hung.state, "pending");
        await advanceBy(driver, 1);
        assert.equal(hung.state, "rejected");
        assert.equal((hung.error as Error).message, "Connection timeout");
        assert.equal(world.network.ledger.closure(1)?.reason, "aborted");
        world.network.configure("b0", { connect: "ok" });
        const next = track(pool.send!("b0", { seq: 2 }));
        await advanceUntil(driver, () => next.state !== "pending");
        assert.equal(next.state, "resolved");
        await pool.close();
      }),
  );

  test(
    "a refused connect rejects the send with a connection error, and the next send connects anew",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world);
        world.network.configure("b0", { connect: "refuse" });
        const refused = track(pool.send!("b0", { seq: 1 }));
        await settleNow(driver);
        assert.equal(refused.state, "rejected");
        assert.equal((refused.error as Error).name, "KafkaJSConnectionError");
        assert.equal(pool.rejectionKind?.(refused.error), "connectionError");
        world.network.configure("b0", { connect: "ok" });
        const next = track(pool.send!("b0", { seq: 2 }));
        await advanceUntil(driver, () => next.state !== "pending");
        assert.equal(next.value?.socketId, 2);
        await pool.close();
      }),
  );

  test(
    "a server close of an idle connection is heard at once: kafkajs closes its side",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world);
        const sent = track(pool.send!("b0", { seq: 1 }));
        await advanceUntil(driver, () => sent.state !== "pending");
        world.network.serverClose(1);
        await settleNow(driver);
        assert.equal(world.network.socket(1)?.state, "closed");
        assert.equal(world.network.ledger.closure(1)?.by, "client");
        assert.equal(pool.brokerOf("b0").isConnected(), false);
        await pool.close();
      }),
  );

  test(
    "while a connection is up, kafkajs keeps a timer due within 1 ms; after close() none",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        // RequestQueue.scheduleCheckPendingRequests (src/network/requestQueue/index.js) arms
        // its timer for `throttledUntil - Date.now()`, negative when nothing throttles, and
        // checkPendingRequests arms it again when it fires: a 1 ms polling loop while the
        // queue lives.
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world);
        const sent = track(pool.send!("b0", { seq: 1 }));
        await advanceUntil(driver, () => sent.state !== "pending");
        for (let ms = 0; ms < 50; ms++) {
          assert.equal(driver.nextDeadline(), driver.now() + 1);
          await advanceBy(driver, 1);
        }
        await pool.close();
        await settleNow(driver);
        await advanceBy(driver, 200);
        assert.equal(driver.nextDeadline(), undefined);
      }),
  );
});

describe("kafkajs producer on the simulated cluster", () => {
  test(
    "bootstrap: the producer connects to the first bootstrap broker, then learns the leaders",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, kafka }) => {
        const producer = kafka().producer();
        const connecting = track(producer.connect());
        await advanceUntil(driver, () => connecting.state !== "pending");
        assert.equal(connecting.state, "resolved");
        const sent = track(
          producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 2, value: "a" }] }),
        );
        await advanceUntil(driver, () => sent.state !== "pending");
        assert.equal(sent.state, "resolved");
        assert.deepEqual(connects(world.network.ledger.events).map((c) => c.route), ["b0", "b2"]);
        assert.equal(world.network.sockets().length, 2);
        const disconnecting = track(producer.disconnect());
        await settleNow(driver);
        assert.equal(disconnecting.state, "resolved");
      }),
  );

  test(
    "bootstrap asks ApiVersions and Metadata of the seed, then produces to the leader",
    SCENARIO,
    () =>
      kafkaScene(async ({ driver, cluster, kafka }) => {
        const producer = kafka().producer();
        const sent = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "a" }] })
          ),
        );
        await advanceUntil(driver, () => sent.state !== "pending");
        assert.deepEqual(
          cluster.received.map((r) => `${r.route} ${API_NAMES[r.apiKey]}`),
          ["b0 ApiVersions", "b0 Metadata", "b1 Produce"],
        );
        await producer.disconnect();
      }),
  );

  test(
    "metadata refresh after a broker loss: the send retries on the partition's new leader",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, cluster, kafka }) => {
        const producer = kafka({ retry: { initialRetryTime: 300, retries: 3 } }).producer();
        const first = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "a" }] })
          ),
        );
        await advanceUntil(driver, () => first.state !== "pending");
        assert.equal(cluster.leaderOf(TOPIC, 1), "b1");
        cluster.brokerDown("b1");
        assert.equal(cluster.leaderOf(TOPIC, 1), "b2");
        const lostAt = driver.now();
        const before = cluster.received.length;
        const second = track(
          producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "b" }] }),
        );
        await advanceUntil(driver, () => second.state !== "pending");
        assert.equal(second.state, "resolved");
        const after = cluster.received.slice(before).map((r) =>
          `${r.route} ${API_NAMES[r.apiKey]}`
        );
        assert.ok(after.includes("b0 Metadata"), after.join(", "));
        assert.equal(after.at(-1), "b2 Produce");
        // The retry waits the first backoff: 300 ms with jitter factor 0.2.
        const produceAt = world.network.ledger.events.filter((e) =>
          e.type === "ConnectionCreated" && e.route === "b2"
        )[0]!.t;
        assert.ok(produceAt - lostAt >= 240, `retried after ${produceAt - lostAt} ms`);
        assert.ok(produceAt - lostAt <= 360, `retried after ${produceAt - lostAt} ms`);
        await producer.disconnect();
      }),
  );

  test(
    "in-flight limit reached: further Produce requests wait in the client, sent first in first out",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, kafka }) => {
        const producer = kafka().producer({ maxInFlightRequests: 2 });
        const warm = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "w" }] })
          ),
        );
        await advanceUntil(driver, () => warm.state !== "pending");
        world.network.configure("b1", { manualResponses: true });
        const b1 = world.network.sockets().find((s) => s.route === "b1")!;
        const sends = ["a", "b", "c", "d"].map((value) =>
          track(producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value }] }))
        );
        await advanceBy(driver, 20);
        assert.equal(b1.inFlight, 2);
        let most = b1.inFlight;
        for (let answered = 0; answered < 4; answered++) {
          world.network.respond(b1.id);
          await advanceBy(driver, 20);
          most = Math.max(most, b1.inFlight);
        }
        assert.equal(most, 2);
        assert.deepEqual(sends.map((s) => s.state), [
          "resolved",
          "resolved",
          "resolved",
          "resolved",
        ]);
        const offsets = sends.map((s) =>
          Number((s.value as { baseOffset?: string }[])[0]?.baseOffset)
        );
        assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
        world.network.configure("b1", { manualResponses: false });
        await producer.disconnect();
      }),
  );

  test(
    "disconnect with requests in flight: each send fails once, and the wire saw them fail",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, kafka }) => {
        const producer = kafka({ retry: { retries: 0 } }).producer();
        const warm = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "w" }] })
          ),
        );
        await advanceUntil(driver, () => warm.state !== "pending");
        world.network.configure("b1", { manualResponses: true });
        const b1 = world.network.sockets().find((s) => s.route === "b1")!;
        const sends = ["a", "b", "c"].map((value) =>
          track(producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value }] }))
        );
        await settleNow(driver);
        assert.equal(b1.inFlight, 3);
        world.network.reset(b1.id);
        await advanceUntil(driver, () => sends.every((s) => s.state !== "pending"));
        assert.deepEqual(sends.map((s) => s.state), ["rejected", "rejected", "rejected"]);
        for (const send of sends) {
          const cause = (send.error as { cause?: Error }).cause;
          assert.equal(cause?.name, "KafkaJSConnectionError");
        }
        const failed = world.network.ledger.events.filter((e) =>
          e.type === "RequestFailed" && e.socketId === b1.id
        );
        assert.equal(failed.length, 3);
        await producer.disconnect();
      }),
  );

  test(
    "backoff grows ×2 with jitter 0.2 up to maxRetryTime, and starts over after a success",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, cluster, kafka }) => {
        const retry = {
          initialRetryTime: 300,
          multiplier: 2,
          factor: 0.2,
          maxRetryTime: 700,
          retries: 4,
        };
        for (const broker of BROKERS) world.network.configure(broker, { connect: "refuse" });
        const client = kafka({ retry });
        const failing = track(client.producer().connect());
        await advanceUntil(driver, () => failing.state !== "pending");
        assert.equal(failing.state, "rejected");
        assert.equal((failing.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        const times = connects(world.network.ledger.events).map((c) => c.t);
        assert.equal(times.length, retry.retries + 1);
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        // The first wait is within the bounds of the policy these options declare (TMO-3's):
        // 300 ms ± 20 %, [240, 360]. The later ones compound their jitter (checked below).
        const policy = { multiplier: retry.multiplier, jitter: retry.factor };
        const first = [
          shortestBackoff(retry.initialRetryTime, retry.maxRetryTime, 1, policy),
          longestBackoff(retry.initialRetryTime, retry.maxRetryTime, 1, policy),
        ] as const;
        assert.deepEqual(first, [240, 360]);
        assert.ok(gaps[0]! >= first[0] && gaps[0]! <= first[1], `first wait ${gaps[0]}`);
        for (const [i, gap] of gaps.entries()) {
          assert.ok(gap <= retry.maxRetryTime, `wait ${i + 1} is ${gap} ms, above the cap`);
          if (i === 0) continue;
          const before = gaps[i - 1]!;
          // Each wait is the previous one with jitter, times 2, rounded up, then capped.
          const low = Math.min(Math.ceil(before * 0.8) * 2, retry.maxRetryTime);
          const high = Math.min(Math.ceil(before * 1.2) * 2, retry.maxRetryTime);
          assert.ok(gap >= low && gap <= high, `wait ${i + 1} is ${gap} ms after ${before} ms`);
        }
        assert.equal(gaps.at(-1), retry.maxRetryTime);

        // A success, then the brokers fail again: the next wait starts from the first backoff.
        for (const broker of BROKERS) world.network.configure(broker, { connect: "ok" });
        const producer = client.producer();
        const connected = track(producer.connect());
        await advanceUntil(driver, () => connected.state !== "pending");
        assert.equal(connected.state, "resolved");
        await producer.disconnect();
        await settleNow(driver);
        for (const broker of BROKERS) world.network.configure(broker, { connect: "refuse" });
        const seen = connects(world.network.ledger.events).length;
        const again = track(producer.connect());
        await advanceUntil(driver, () => connects(world.network.ledger.events).length >= seen + 2);
        const [a, b] = connects(world.network.ledger.events).slice(seen).map((c) => c.t);
        assert.ok(
          b! - a! >= first[0] && b! - a! <= first[1],
          `first wait after a success ${b! - a!}`,
        );
        await advanceUntil(driver, () => again.state !== "pending");
        assert.equal(cluster.received.length > 0, true);
      }),
  );
});
