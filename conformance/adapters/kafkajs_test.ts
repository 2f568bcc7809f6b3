import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import type {
  ISocketFactory,
  KafkaConfig,
  Producer,
  ProducerConfig,
  RecordMetadata,
} from "kafkajs";
import { type BackoffPolicy, validateAdapter } from "../../src/harness/adapter.ts";
import { checkPool } from "../../src/harness/check_pool.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";
import { longestBackoff, shortestBackoff } from "../../src/harness/rules/_backoff.ts";
import { allowedWait } from "../../src/harness/rules/_operation_backoff.ts";
import { seededRandom } from "../../src/random.ts";
import type { SimKafkaCluster, SocketFactoryArgs } from "./_kafka_broker.ts";
import { API_KEYS, takeFrames } from "./_kafka_protocol.ts";
import {
  advanceBy,
  advanceUntil,
  BROKERS,
  connects,
  type KafkaScene,
  kafkaScene,
  SCENARIO,
  settleNow,
  TOPIC,
  track,
} from "./_kafka_test_util.ts";
import {
  createKafkajsPool,
  KAFKAJS_SUPPORTS,
  kafkajsAdapter,
  kafkajsRejectionKind,
} from "./kafkajs.ts";

const API_NAMES: Record<number, string> = {
  [API_KEYS.Produce]: "Produce",
  [API_KEYS.Metadata]: "Metadata",
  [API_KEYS.ApiVersions]: "ApiVersions",
};

/** A producer send followed by {@linkcode track}. */
type TrackedSend = ReturnType<typeof track<RecordMetadata[]>>;

const require = createRequire(import.meta.url);

/** kafkajs's `Decoder` (src/protocol/decoder.js), the members the wiretap uses. */
interface WireDecoder {
  readonly offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readString(): string | null;
  readArray<T>(reader: (decoder: WireDecoder) => T): T[];
  slice(size: number): WireDecoder;
  forward(size: number): void;
}

const Decoder: new (buffer: Buffer) => WireDecoder = require("kafkajs/src/protocol/decoder.js");

/** kafkajs's retrier (src/retry/index.js): one call runs `fn` until it succeeds or runs out. */
const createRetry: (options: {
  initialRetryTime: number;
  multiplier: number;
  factor: number;
  maxRetryTime: number;
  retries: number;
}) => (fn: () => Promise<unknown>) => Promise<unknown> = require("kafkajs/src/retry/index.js");

/** kafkajs's decoder of one message of a message set (src/protocol/message/decoder.js). */
const decodeMessage: (
  offset: string,
  size: number,
  decoder: WireDecoder,
) => { value: Buffer | null } = require("kafkajs/src/protocol/message/decoder.js");

/**
 * The values of the messages a Produce v0 body carries, in order, read as
 * kafkajs's requests/produce/v0/request.js writes them: acks, timeout, then
 * per topic and partition a message set (per entry an int64 offset, an int32
 * size and the message).
 *
 * @param body The request body.
 * @returns The values.
 */
function producedValues(body: Uint8Array): string[] {
  const decoder = new Decoder(Buffer.from(body.buffer, body.byteOffset, body.length));
  decoder.readInt16();
  decoder.readInt32();
  return decoder.readArray((topic) => {
    topic.readString();
    return topic.readArray((partition) => {
      partition.readInt32();
      const size = partition.readInt32();
      const set = partition.slice(size);
      partition.forward(size);
      const values: string[] = [];
      while (set.offset < size) {
        const offset = set.readInt64().toString();
        values.push(decodeMessage(offset, set.readInt32(), set).value?.toString() ?? "");
      }
      return values;
    }).flat();
  }).flat();
}

/** What kafkajs did on the wire, one line per step, in the order it did it. */
interface Wiretap {
  /** The client option that routes kafkajs's sockets through the tap. */
  readonly socketFactory: ISocketFactory;
  /**
   * `connect b1` when kafkajs opens a socket to b1, `failed b1` when that
   * socket errors (refused, reset), `b0 Metadata` for each request frame it
   * writes, with a Produce's message values after it: `b1 Produce a`.
   */
  readonly log: string[];
}

/**
 * The cluster's socket factory with a tap on it: each socket's writes are cut
 * into request frames and logged as kafkajs writes them, which is the order
 * they reach the broker (the socket serves the frames in the order written).
 *
 * @param cluster The cluster.
 * @returns The tap.
 */
function wiretap(cluster: SimKafkaCluster): Wiretap {
  const log: string[] = [];
  const socketFactory = (args: SocketFactoryArgs) => {
    const socket = cluster.socketFactory(args);
    const route = socket.route;
    log.push(`connect ${route}`);
    socket.on("error", () => log.push(`failed ${route}`));
    let unread = new Uint8Array(0);
    const write = socket.write;
    socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      const joined = new Uint8Array(unread.length + chunk.length);
      joined.set(unread);
      joined.set(chunk, unread.length);
      const { frames, rest: left } = takeFrames(joined);
      unread = left.slice();
      for (const { header, body } of frames) {
        const api = API_NAMES[header.apiKey] ?? `api ${header.apiKey}`;
        const values = header.apiKey === API_KEYS.Produce ? producedValues(body) : [];
        log.push([route, api, ...values].join(" "));
      }
      return Reflect.apply(write, socket, [chunk, ...rest]) as boolean;
    }) as typeof socket.write;
    return socket;
  };
  return { socketFactory: socketFactory as unknown as ISocketFactory, log };
}

/**
 * The Produce lines of a wiretap's log for `route`, each as its message values.
 *
 * @param log The log.
 * @param route The broker.
 * @returns One entry per Produce request written to `route`.
 */
function producedOn(log: readonly string[], route: string): string[] {
  const prefix = `${route} Produce `;
  return log.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
}

/** Send one message to partition 1 of the topic, which b1 leads, with acks 1. */
function sendToB1(producer: Producer, value: string): Promise<RecordMetadata[]> {
  return producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value }] });
}

/**
 * A producer whose sockets go through a wiretap, connected, after one send
 * (`"w"`, to b1) has settled: the metadata is known and b1 is connected.
 *
 * @param scene The scene.
 * @param client Options of the kafkajs client, over the scene's.
 * @param options Options of the producer.
 * @returns The producer, its wiretap, and what the first send returned.
 */
async function warmProducer(
  { driver, cluster, kafka }: KafkaScene,
  client: Partial<KafkaConfig> = {},
  options: ProducerConfig = {},
): Promise<{ producer: Producer; tap: Wiretap; warm: RecordMetadata[] }> {
  const tap = wiretap(cluster);
  const producer = kafka({ ...client, socketFactory: tap.socketFactory }).producer(options);
  const warm = track(producer.connect().then(() => sendToB1(producer, "w")));
  await advanceUntil(driver, () => warm.state !== "pending");
  assert.equal(warm.state, "resolved");
  return { producer, tap, warm: warm.value! };
}

describe("kafkajs adapter", () => {
  test(
    "TMO-3 judges kafkajs's retrier: it passes as declared, and fails a multiplier or a jitter misdeclared",
    { timeout: 300_000 },
    async () => {
      const verdict = async (backoff: BackoffPolicy) => {
        const policies = { ...KAFKAJS_SUPPORTS.policies, backoff };
        const adapter = { ...kafkajsAdapter, supports: { ...KAFKAJS_SUPPORTS, policies } };
        const report = await checkPool(adapter, { seed: 20_261_121, rules: ["TMO-3"] });
        const result = report.rules.find((r) => r.id === "TMO-3");
        return result?.status === "fail" ? result.counterexample?.clause : result?.status;
      };
      const declared = KAFKAJS_SUPPORTS.policies.backoff!;
      assert.equal(await verdict(declared), "pass");
      assert.equal(await verdict({ ...declared, multiplier: 3 }), "TMO-3.a");
      assert.equal(await verdict({ ...declared, multiplier: 1.5 }), "TMO-3.b");
      const { compounding: _, ...fresh } = declared;
      assert.equal(await verdict(fresh), "TMO-3.b");
    },
  );

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
    "a hanging connect fails the send at connectionTimeout, but its socket keeps connecting",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 40 });
        // One attempt per send: the retrier's own waits are the subject of tests below.
        const pool = await createKafkajsPool(config, world, { retries: 0 });
        world.network.configure("b0", { connect: "hang" });
        const hung = track(pool.send!("b0", { seq: 1 }));
        await advanceBy(driver, 39);
        assert.equal(hung.state, "pending");
        await advanceBy(driver, 1);
        // Connection.connect's onTimeout (src/network/connection.js) rejects the connect with
        // KafkaJSConnectionError('Connection timeout') and calls disconnect(), which calls
        // `this.socket.end()` and `this.socket.unref()`, not destroy(). A net.Socket that is
        // still connecting defers end() until it connects (lib/net.js Socket.prototype._final:
        // `if (this.pending) return this.once('connect', () => this._final(cb))`), and so does
        // the simulated socket: the TCP connect is not abandoned (TMO-2.a).
        assert.equal(hung.state, "rejected");
        assert.equal((hung.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        assert.equal((hung.error as Error).cause instanceof Error, true);
        assert.equal(((hung.error as Error).cause as Error).name, "KafkaJSConnectionError");
        assert.equal((hung.error as Error).message, "Connection timeout");
        assert.equal(world.network.ledger.stateOf(1), "connecting");
        assert.equal(world.network.ledger.closure(1), undefined);
        assert.equal(pool.brokerOf("b0").isConnected(), false);
        // The broker is free all the same: the next send connects on a new socket.
        world.network.configure("b0", { connect: "ok" });
        const next = track(pool.send!("b0", { seq: 2 }));
        await advanceUntil(driver, () => next.state !== "pending");
        assert.equal(next.state, "resolved");
        assert.equal(next.value?.socketId, 2);
        assert.deepEqual(connects(world.network.ledger.events), [
          { route: "b0", t: 0 },
          { route: "b0", t: 40 },
        ]);
        // close() ends socket #2; socket #1, whose connect hangs, is still connecting.
        await pool.close();
        await settleNow(driver);
        assert.equal(world.network.ledger.closure(2)?.by, "client");
        assert.equal(world.network.ledger.stateOf(1), "connecting");
      }),
  );

  test(
    "a connect that completes after connectionTimeout connects, then closes, and leaves the broker counted connected until the broker's end arrives",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 40 });
        const pool = await createKafkajsPool(config, world, { retries: 0 });
        // The broker answers the client's end with its own 10 ms later.
        world.network.configure("b0", { connectLatencyMs: 100, responseLatencyMs: 10 });
        const late = track(pool.send!("b0", { seq: 1 }));
        await advanceBy(driver, 40);
        assert.equal((late.error as Error | undefined)?.message, "Connection timeout");
        assert.equal(world.network.ledger.stateOf(1), "connecting");
        // At 100 ms the connect completes: the socket connects and only then carries out the
        // end() of the timeout's disconnect() (net.Socket's _final waits for 'connect'). The
        // timed-out connect()'s onConnect (src/network/connection.js) runs all the same and sets
        // connectionStatus to CONNECTED.
        await advanceBy(driver, 60);
        const ledger = world.network.ledger.events.map((e) => `${e.t} ${e.type} #${e.socketId}`);
        assert.deepEqual(ledger, [
          "0 ConnectionCreated #1",
          "100 ConnectionReady #1",
          "100 ConnectionClosed #1",
        ]);
        assert.equal(world.network.ledger.closure(1)?.by, "client");
        assert.equal(pool.brokerOf("b0").isConnected(), true);
        // So the next send skips the connect (adapter send, as BrokerPool.connectBroker: only
        // `if (!broker.isConnected())`), and Broker.produce finds no ApiVersions answer:
        // lookupRequest is still notInitializedLookup (src/broker/index.js).
        const next = track(pool.send!("b0", { seq: 2 }));
        await settleNow(driver);
        assert.equal(next.state, "rejected");
        assert.equal((next.error as Error).message, "Broker not connected");
        assert.equal(world.network.ledger.length, 3);
        // The broker's end reaches the socket: Connection's onEnd disconnects, and only now is the
        // broker counted disconnected.
        await advanceBy(driver, 10);
        assert.equal(pool.brokerOf("b0").isConnected(), false);
        await pool.close();
      }),
  );

  test(
    "a refused connect fails the attempt with a connection error, and the next send connects anew",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({ routes: ["b0"], maxInFlight: 1, connectTimeoutMs: 50 });
        const pool = await createKafkajsPool(config, world, { retries: 0 });
        world.network.configure("b0", { connect: "refuse" });
        const refused = track(pool.send!("b0", { seq: 1 }));
        await settleNow(driver);
        assert.equal(refused.state, "rejected");
        assert.equal((refused.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        assert.equal(((refused.error as Error).cause as Error).name, "KafkaJSConnectionError");
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
    "bootstrap with the first broker down: the producer moves to the next one after a backoff",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, cluster, kafka }) => {
        const tap = wiretap(cluster);
        world.network.configure("b0", { connect: "refuse" });
        const producer = kafka({
          socketFactory: tap.socketFactory,
          retry: { initialRetryTime: 300, retries: 3 },
        }).producer();
        const sent = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 2, value: "a" }] })
          ),
        );
        await advanceUntil(driver, () => sent.state !== "pending");
        assert.equal(sent.state, "resolved");
        // BrokerPool.connect (src/cluster/brokerPool.js) meets the refused seed, builds a new
        // seed broker from the next address of the list (connectionPoolBuilder.js takes them in
        // turn), and throws: the move to b1 is the retrier's next attempt, so it waits the first
        // backoff. Kafka's NetworkClient would pick another node (leastLoadedNode) without waiting.
        assert.deepEqual(tap.log, [
          "connect b0",
          "failed b0",
          "connect b1",
          "b1 ApiVersions",
          "b1 Metadata",
          "connect b2",
          "b2 Produce a",
        ]);
        const [refused, next] = connects(world.network.ledger.events);
        assert.deepEqual([refused?.route, next?.route], ["b0", "b1"]);
        assert.equal(world.network.ledger.closure(1)?.reason, "refused");
        const waited = next!.t - refused!.t;
        assert.ok(waited >= 240 && waited <= 360, `moved to b1 after ${waited} ms`);
        await producer.disconnect();
      }),
  );

  test(
    "metadata refresh after a broker loss: the send retries on the partition's new leader",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, cluster, kafka }) => {
        const tap = wiretap(cluster);
        const producer = kafka({
          socketFactory: tap.socketFactory,
          retry: { initialRetryTime: 300, retries: 3 },
        }).producer();
        const first = track(
          producer.connect().then(() =>
            producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "a" }] })
          ),
        );
        await advanceUntil(driver, () => first.state !== "pending");
        assert.equal(cluster.leaderOf(TOPIC, 1), "b1");
        cluster.brokerDown("b1");
        assert.equal(cluster.leaderOf(TOPIC, 1), "b2");
        // kafkajs hears the reset of its idle b1 connection before the next send is made.
        await settleNow(driver);
        const lostAt = driver.now();
        const before = tap.log.length;
        const from = world.network.ledger.length;
        const second = track(
          producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: "b" }] }),
        );
        await advanceUntil(driver, () => second.state !== "pending");
        assert.equal(second.state, "resolved");
        // The send first goes by its stale metadata: its first attempt connects to b1, which
        // refuses. Only then does it ask b0 for metadata, twice in a row: Cluster.findBroker
        // (src/cluster/index.js) refreshes on the KafkaJSConnectionError, and so does
        // sendMessages.js's catch when the error reaches it. The retry goes to b2, the new
        // leader, which needs no ApiVersions: the versions the seed answered are shared.
        assert.deepEqual(tap.log.slice(before), [
          "connect b1",
          "failed b1",
          "b0 Metadata",
          "b0 Metadata",
          "connect b2",
          "b2 Produce b",
        ]);
        const since = world.network.ledger.since(from);
        const b1Attempt = since.find((e) => e.type === "ConnectionClosed" && e.route === "b1");
        assert.deepEqual(
          b1Attempt?.type === "ConnectionClosed" && [b1Attempt.reason, b1Attempt.t],
          ["refused", lostAt],
        );
        // b2 appends after "a": the simulated partition's log carries over to its new leader,
        // as a replica's would.
        assert.equal(second.value?.[0]?.partition, 1);
        assert.equal(second.value?.[0]?.offset, "1");
        // The retry waits the first backoff, 300 ms with jitter factor 0.2, counted from the
        // refused connect (the metadata answers come in the same instant).
        const retriedAt = since.find((e) => e.type === "ConnectionCreated" && e.route === "b2")!.t;
        assert.ok(retriedAt - lostAt >= 240, `retried after ${retriedAt - lostAt} ms`);
        assert.ok(retriedAt - lostAt <= 360, `retried after ${retriedAt - lostAt} ms`);
        await producer.disconnect();
      }),
  );

  test(
    "metadata refresh after the loss of the broker that served it: another connected broker answers",
    SCENARIO,
    () =>
      kafkaScene(async (scene) => {
        const { world, driver, cluster } = scene;
        // b0, the seed, answered ApiVersions and Metadata; b1 is connected for partition 1.
        const { producer, tap } = await warmProducer(scene, {
          retry: { initialRetryTime: 300, retries: 3 },
        });
        cluster.brokerDown("b0");
        assert.equal(cluster.leaderOf(TOPIC, 0), "b1");
        await settleNow(driver);
        const lostAt = driver.now();
        const before = tap.log.length;
        const from = world.network.ledger.length;
        const sent = track(
          producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: "b" }] }),
        );
        await advanceUntil(driver, () => sent.state !== "pending");
        assert.equal(sent.state, "resolved");
        // The stale metadata sends the first attempt to b0, which refuses. The refresh does not
        // go back to the seed: BrokerPool.refreshMetadata asks findConnectedBroker
        // (src/cluster/brokerPool.js), which picks a broker that is connected, b1 here, twice
        // (Cluster.findBroker's refresh and sendMessages.js's). The retry produces on b1, the new
        // leader, over the connection it already has: no connect, no ApiVersions.
        assert.deepEqual(tap.log.slice(before), [
          "connect b0",
          "failed b0",
          "b1 Metadata",
          "b1 Metadata",
          "b1 Produce b",
        ]);
        assert.deepEqual(sent.value?.map((r) => [r.partition, r.offset]), [[0, "0"]]);
        assert.deepEqual(connects(world.network.ledger.since(from)), [{ route: "b0", t: lostAt }]);
        // The Produce waited the first backoff, 300 ms with jitter factor 0.2, after the refusal.
        const b1 = world.network.sockets().find((s) => s.route === "b1" && s.state === "open")!;
        const produced = world.network.ledger.since(from).filter((e) =>
          e.type === "RequestSent" && e.socketId === b1.id
        ).at(-1)!;
        const waited = produced.t - lostAt;
        assert.ok(waited >= 240 && waited <= 360, `produced on b1 after ${waited} ms`);
        await producer.disconnect();
      }),
  );

  test(
    "in-flight limit reached: further Produce requests wait in the client, sent first in first out",
    SCENARIO,
    () =>
      kafkaScene(async (scene) => {
        const { world, driver } = scene;
        const { producer, tap, warm } = await warmProducer(scene, {}, {
          maxInFlightRequests: 2,
        });
        world.network.configure("b1", { manualResponses: true });
        const b1 = world.network.sockets().find((s) => s.route === "b1")!;
        // One send at a time, each let reach kafkajs's RequestQueue before the next is made:
        // sends made in the same instant can overtake one another on their way to it (see the
        // next test), and this one is about the queue.
        const sends: TrackedSend[] = [];
        for (const value of ["a", "b", "c", "d"]) {
          sends.push(
            track(sendToB1(producer, value)),
          );
          await settleNow(driver);
        }
        await advanceBy(driver, 20);
        // Two Produce requests are on the wire; c and d wait in kafkajs's RequestQueue.
        assert.equal(b1.inFlight, 2);
        assert.deepEqual(producedOn(tap.log, "b1"), ["w", "a", "b"]);
        // Each response lets out the oldest request waiting, and only that one
        // (RequestQueue.fulfillRequest → checkPendingRequests, `pending.shift()`).
        const wire: string[][] = [];
        let most = b1.inFlight;
        for (let answered = 0; answered < 4; answered++) {
          world.network.respond(b1.id);
          await advanceBy(driver, 20);
          most = Math.max(most, b1.inFlight);
          wire.push(producedOn(tap.log, "b1"));
        }
        assert.equal(most, 2);
        assert.deepEqual(wire, [
          ["w", "a", "b", "c"],
          ["w", "a", "b", "c", "d"],
          ["w", "a", "b", "c", "d"],
          ["w", "a", "b", "c", "d"],
        ]);
        assert.deepEqual(sends.map((s) => s.state), [
          "resolved",
          "resolved",
          "resolved",
          "resolved",
        ]);
        // The broker appends in the order the requests reach it, so each send's offset is its
        // place on the wire. Produce v0 answers `offset` (requests/produce/v0/response.js), which
        // producer/responseSerializer.js passes on as is: a string, and no `baseOffset`.
        assert.deepEqual(warm.map((r) => r.offset), ["0"]);
        assert.deepEqual(sends.map((s) => s.value?.map((r) => r.offset)), [["1"], ["2"], ["3"], [
          "4",
        ]]);
        // And the sends resolved in the order they were made.
        const orders = sends.map((s) => s.order!);
        assert.deepEqual(orders, [...orders].sort((x, y) => x - y));
        world.network.configure("b1", { manualResponses: false });
        await producer.disconnect();
      }),
  );

  test(
    "sends made in one instant: the last overtakes the one before it on the way to the wire",
    SCENARIO,
    () =>
      kafkaScene(async (scene) => {
        const { driver } = scene;
        // Each send first passes Cluster.addMultipleTargetTopics (src/cluster/index.js), which
        // holds the `mutatingTargetTopics` Lock. Lock.release (src/utils/lock.js) hands the lock
        // to the first waiter and the releaser awaits that hand-over, so a send that wakes the
        // next one leaves the lock later than a send that wakes no one. Every send but the last
        // wakes the next; the last gets out before the one that woke it. So of n sends made at
        // once (n ≥ 2), the last two reach the broker swapped (seen for n = 2 to 6). Kafka's
        // producer appends each record to its partition's batch in the caller's order
        // (RecordAccumulator), which would give a, b, c, d.
        const { producer, tap } = await warmProducer(scene);
        const sends = ["a", "b", "c", "d"].map((value) => track(sendToB1(producer, value)));
        await advanceUntil(driver, () => sends.every((s) => s.state !== "pending"));
        assert.deepEqual(producedOn(tap.log, "b1"), ["w", "a", "b", "d", "c"]);
        assert.deepEqual(sends.map((s) => s.value?.map((r) => r.offset)), [["1"], ["2"], ["4"], [
          "3",
        ]]);
        // They resolve in wire order, not in the order they were made.
        const orders = sends.map((s) => s.order!);
        assert.deepEqual(
          [orders[0], orders[1], orders[3], orders[2]],
          [...orders].sort((x, y) => x - y),
        );
        await producer.disconnect();
      }),
  );

  test(
    "disconnect with requests in flight (reset): each send fails once, oldest first, wire saw it",
    SCENARIO,
    () =>
      kafkaScene(async (scene) => {
        const { world, driver } = scene;
        const { producer, tap } = await warmProducer(scene, { retry: { retries: 0 } }, {
          maxInFlightRequests: 2,
        });
        world.network.configure("b1", { manualResponses: true });
        const b1 = world.network.sockets().find((s) => s.route === "b1")!;
        // One send at a time (see the test above): a and b go on the wire, c waits in the queue.
        const sends: TrackedSend[] = [];
        for (const value of ["a", "b", "c"]) {
          sends.push(
            track(sendToB1(producer, value)),
          );
          await settleNow(driver);
        }
        assert.equal(b1.inFlight, 2);
        assert.deepEqual(producedOn(tap.log, "b1"), ["w", "a", "b"]);
        world.network.reset(b1.id);
        await advanceUntil(driver, () => sends.every((s) => s.state !== "pending"));
        assert.deepEqual(sends.map((s) => s.state), ["rejected", "rejected", "rejected"]);
        // Connection's `onError` calls RequestQueue.rejectAll (src/network/requestQueue/index.js),
        // which rejects `[...inflight.values(), ...pending]`: the requests in flight in the order
        // they were sent (a Map keeps insertion order), then the queued ones first in, first out.
        // For the requests in flight that is Kafka's NetworkClient order too, oldest first
        // (InFlightRequests.clearAll). The failures reach the callers in that order.
        const orders = sends.map((s) => s.order!);
        assert.deepEqual(orders, [...orders].sort((x, y) => x - y));
        // With retries 0 each send fails on its first error, wrapped by the retrier
        // (src/retry/index.js): every one with the same connection error, c's included, though
        // c never reached the wire.
        for (const send of sends) {
          assert.equal((send.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
          const cause = (send.error as { cause?: Error }).cause;
          assert.equal(cause?.name, "KafkaJSConnectionError");
          assert.match(cause?.message ?? "", /^Connection error: /);
        }
        const failed = world.network.ledger.events.filter((e) =>
          e.type === "RequestFailed" && e.socketId === b1.id
        );
        assert.deepEqual(failed.map((e) => e.type === "RequestFailed" && e.reason), [
          "reset",
          "reset",
        ]);
        // Nothing is sent again: no Produce after the reset, on any broker.
        await advanceBy(driver, 1_000);
        assert.deepEqual(tap.log.filter((line) => line.includes(" Produce ")), [
          "b1 Produce w",
          "b1 Produce a",
          "b1 Produce b",
        ]);
        await producer.disconnect();
      }),
  );

  test(
    "disconnect with requests in flight (producer.disconnect()): waits for them, then closes",
    SCENARIO,
    () =>
      kafkaScene(async (scene) => {
        const { world, driver } = scene;
        const { producer, tap } = await warmProducer(scene, {}, {
          maxInFlightRequests: 2,
        });
        world.network.configure("b1", { manualResponses: true });
        const [b0, b1] = ["b0", "b1"].map((route) =>
          world.network.sockets().find((s) => s.route === route)!
        );
        const sends: TrackedSend[] = [];
        for (const value of ["a", "b", "c"]) {
          sends.push(
            track(sendToB1(producer, value)),
          );
          await settleNow(driver);
        }
        assert.equal(b1!.inFlight, 2);
        const disconnecting = track(producer.disconnect());
        await advanceBy(driver, 500);
        // Connection.disconnect (src/network/connection.js) awaits
        // RequestQueue.waitForPendingRequests before it ends the socket: nothing is failed, and
        // b1's connection stays open while a and b are in flight and c is queued. b0's, idle,
        // is ended at once.
        assert.equal(disconnecting.state, "pending");
        assert.deepEqual(sends.map((s) => s.state), ["pending", "pending", "pending"]);
        assert.equal(b1!.state, "open");
        assert.equal(world.network.ledger.closure(b0!.id)?.by, "client");
        // The queue still works while it drains: a's response lets c out onto the wire, after
        // disconnect() was called.
        world.network.respond(b1!.id);
        await advanceBy(driver, 20);
        assert.deepEqual(producedOn(tap.log, "b1"), ["w", "a", "b", "c"]);
        assert.deepEqual(sends.map((s) => s.state), ["resolved", "pending", "pending"]);
        assert.equal(disconnecting.state, "pending");
        world.network.respond(b1!.id);
        await advanceBy(driver, 20);
        assert.equal(disconnecting.state, "pending");
        assert.equal(b1!.state, "open");
        world.network.respond(b1!.id);
        const lastAnswer = driver.now();
        await advanceBy(driver, 20);
        // Every send succeeded, and only then did the client close b1's connection.
        assert.deepEqual(sends.map((s) => s.value?.map((r) => r.offset)), [["1"], ["2"], ["3"]]);
        assert.equal(disconnecting.state, "resolved");
        // In the same instant, but disconnect() resolves just before c's send: the queue counts c
        // done when its response is matched (RequestQueue.fulfillRequest emits the queue-empty
        // event), before the producer has decoded and parsed that response.
        assert.ok(disconnecting.order! < sends[2]!.order!);
        assert.ok(disconnecting.order! > sends[1]!.order!);
        const closure = world.network.ledger.closure(b1!.id);
        assert.equal(closure?.by, "client");
        assert.equal(
          world.network.ledger.events.find((e) =>
            e.type === "ConnectionClosed" && e.socketId === b1!.id
          )?.t,
          lastAnswer,
        );
        assert.equal(world.network.sockets().filter((s) => s.state !== "closed").length, 0);
      }),
  );

  test(
    "backoff grows ×2 with jitter 0.2 up to maxRetryTime, and starts over after a success",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver, kafka }) => {
        const retry = {
          initialRetryTime: 300,
          multiplier: 2,
          factor: 0.2,
          maxRetryTime: 700,
          retries: 4,
        };
        // The first wait is within the bounds of the policy these options declare (TMO-3's):
        // 300 ms ± 20 %, [240, 360]. The later ones compound their jitter: each is the previous
        // one with jitter, times 2, rounded up, then capped (src/retry/index.js).
        const policy = { multiplier: retry.multiplier, jitter: retry.factor };
        const first = [
          shortestBackoff(retry.initialRetryTime, retry.maxRetryTime, 1, policy),
          longestBackoff(retry.initialRetryTime, retry.maxRetryTime, 1, policy),
        ] as const;
        assert.deepEqual(first, [240, 360]);
        const gapsOf = (times: readonly number[]) => times.slice(1).map((t, i) => t - times[i]!);
        const assertBackoff = (gaps: readonly number[], what: string) => {
          assert.ok(gaps[0]! >= first[0] && gaps[0]! <= first[1], `${what}: first wait ${gaps[0]}`);
          for (const [i, gap] of gaps.entries()) {
            assert.ok(gap <= retry.maxRetryTime, `${what}: wait ${i + 1} is ${gap} ms`);
            if (i === 0) continue;
            const before = gaps[i - 1]!;
            const low = Math.min(Math.ceil(before * 0.8) * 2, retry.maxRetryTime);
            const high = Math.min(Math.ceil(before * 1.2) * 2, retry.maxRetryTime);
            assert.ok(
              gap >= low && gap <= high,
              `${what}: wait ${i + 1} is ${gap} ms after ${before} ms`,
            );
          }
        };

        // Every broker refuses: the producer's connect retries with growing waits, up to the cap.
        for (const broker of BROKERS) world.network.configure(broker, { connect: "refuse" });
        const client = kafka({ retry });
        const failing = track(client.producer().connect());
        await advanceUntil(driver, () => failing.state !== "pending");
        assert.equal(failing.state, "rejected");
        assert.equal((failing.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        const times = connects(world.network.ledger.events).map((c) => c.t);
        assert.equal(times.length, retry.retries + 1);
        const gaps = gapsOf(times);
        assertBackoff(gaps, "connect");
        assert.equal(gaps.at(-1), retry.maxRetryTime);

        // Starting over. A retrier's waits and count live in one `retrier(fn)` call
        // (src/retry/index.js: each call starts from `randomFromRetryTime(factor,
        // initialRetryTime)` with retryCount 0, and nothing in it resets on a success), and
        // producer.send makes one such call per send (src/producer/sendMessages.js). So what
        // starts over after a success is the next send: a send that needed retries succeeds,
        // then a later one that fails again waits the first backoff again, and has all its
        // retries.
        for (const broker of BROKERS) world.network.configure(broker, { connect: "ok" });
        const producer = client.producer();
        const send = (value: string) => track(sendToB1(producer, value));
        const warm = track(producer.connect().then(() => send("w")));
        await advanceUntil(driver, () => warm.state !== "pending");
        assert.equal(warm.state, "resolved");
        // b1, partition 1's leader, stops taking connects and loses its connection: each attempt
        // of a send to partition 1 is one refused connect to b1.
        const loseB1 = async () => {
          world.network.configure("b1", { connect: "refuse" });
          for (const socket of world.network.sockets()) {
            if (socket.route === "b1" && socket.state !== "closed") world.network.reset(socket.id);
          }
          await settleNow(driver);
          const from = world.network.ledger.length;
          return () =>
            connects(world.network.ledger.since(from)).filter((c) => c.route === "b1").map((c) =>
              c.t
            );
        };
        const firstAttempts = await loseB1();
        const recovering = send("x");
        // b1 comes back after the third attempt: the send succeeds on its fourth, after three
        // waits that grew.
        await advanceUntil(driver, () => firstAttempts().length >= 3);
        world.network.configure("b1", { connect: "ok" });
        await advanceUntil(driver, () => recovering.state !== "pending");
        assert.equal(recovering.state, "resolved");
        assert.deepEqual(recovering.value?.map((r) => r.offset), ["1"]);
        assert.equal(firstAttempts().length, 4);
        const grown = gapsOf(firstAttempts());
        assertBackoff(grown, "the send that recovered");
        // Its last wait is past the first backoff's range, so a later send that went on from
        // there could not pass for one that started over.
        assert.ok(grown.at(-1)! > first[1], `last wait before the success ${grown.at(-1)}`);

        // The next send meets b1 down again: its waits start from the first backoff, and it gets
        // all its retries (1 + 4 attempts) before it fails.
        const secondAttempts = await loseB1();
        const again = send("y");
        await advanceUntil(driver, () => again.state !== "pending");
        assert.equal(again.state, "rejected");
        assert.equal((again.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        assert.equal((again.error as { cause?: Error }).cause?.name, "KafkaJSConnectionError");
        assert.equal(secondAttempts().length, retry.retries + 1);
        assertBackoff(gapsOf(secondAttempts()), "the later send");
        await producer.disconnect();
      }),
  );

  test(
    "kafkajs's retrier compounds its jitter: its waits stay within TMO-3's compounding bounds, and leave the fresh-jitter ones",
    SCENARIO,
    () =>
      kafkaScene(async ({ driver }) => {
        // kafkajs's createRetriable (src/retry/index.js) jitters the previous wait and doubles
        // that, so the extremes multiply: the adapter declares policies.backoff { compounding:
        // true }. With Math.random pinned at either end, the waits are the bounds TMO-3 derives.
        const options = {
          initialRetryTime: 300,
          multiplier: 2,
          factor: 0.2,
          maxRetryTime: 30_000,
          retries: 3,
        };
        const fresh = { multiplier: options.multiplier, jitter: options.factor };
        const compounding = { ...fresh, compounding: true };
        const waitsWith = async (draw: () => number) => {
          const random = Math.random;
          Math.random = draw;
          try {
            const attempts: number[] = [];
            const failing = track(
              createRetry(options)(() => {
                attempts.push(driver.now());
                return Promise.reject(new Error("retriable"));
              }),
            );
            await advanceUntil(driver, () => failing.state !== "pending");
            assert.equal((failing.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
            return attempts.slice(1).map((t, i) => t - attempts[i]!);
          } finally {
            Math.random = random;
          }
        };
        const high = await waitsWith(() => 1 - 1e-9);
        const low = await waitsWith(() => 0);
        const boundsOf = (policy: BackoffPolicy) =>
          [1, 2, 3].map((k) => [
            shortestBackoff(options.initialRetryTime, options.maxRetryTime, k, policy),
            longestBackoff(options.initialRetryTime, options.maxRetryTime, k, policy),
          ]);
        // ceil(300 × 1.2) = 360, then ceil(360 × 1.2) × 2 = 864, ceil(864 × 1.2) × 2 = 2074.
        assert.deepEqual(high, [360, 864, 2074]);
        // ceil(300 × 0.8) = 240, then ceil(240 × 0.8) × 2 = 384, ceil(384 × 0.8) × 2 = 616.
        assert.deepEqual(low, [240, 384, 616]);
        assert.deepEqual(boundsOf(compounding), [[240, 360], [384, 864], [616, 2074]]);
        // The fresh-jitter bounds, initial × 2^(k−1) ± 20 %, would not hold them.
        const bounds = boundsOf(fresh);
        assert.deepEqual(bounds, [[240, 360], [480, 720], [960, 1440]]);
        for (const k of [1, 2]) {
          assert.ok(high[k]! > bounds[k]![1]!, `wait ${k + 1}: ${high[k]} ms`);
          assert.ok(low[k]! < bounds[k]![0]!, `wait ${k + 1}: ${low[k]} ms`);
        }
        // Any draws: each wait within the bounds TMO-3 derives from the wait before it.
        const backoff = {
          initial: options.initialRetryTime,
          max: options.maxRetryTime,
          policy: compounding,
          tolerance: 0,
        };
        for (const seed of [1, 2, 3, 4, 5]) {
          const waits = await waitsWith(seededRandom(seed));
          for (const [i, wait] of waits.entries()) {
            const [shortest, longest] = allowedWait(backoff, i + 1, waits[i - 1]);
            assert.ok(wait >= shortest && wait <= longest, `seed ${seed}, wait ${i + 1}: ${wait}`);
          }
        }
      }),
  );

  test(
    "the adapter runs a send through kafkajs's retrier: refused connects are retried after its waits, each attempt reported, until it gives up",
    SCENARIO,
    () =>
      kafkaScene(async ({ world, driver }) => {
        const config = poolConfigOf({
          routes: ["b0"],
          maxInFlight: 1,
          connectTimeoutMs: 50,
          reconnectBackoffMs: 20,
          reconnectBackoffMaxMs: 100,
        });
        const pool = await createKafkajsPool(config, world);
        world.network.configure("b0", { connect: "refuse" });
        const attempts: { started: number; failed?: number }[] = [];
        const request = {
          seq: 1,
          attemptStarted: () => attempts.push({ started: driver.now() }),
          attemptFailed: () => attempts.at(-1)!.failed = driver.now(),
        };
        const refused = track(pool.send!("b0", request));
        await advanceUntil(driver, () => refused.state !== "pending");
        assert.equal((refused.error as Error).name, "KafkaJSNumberOfRetriesExceeded");
        assert.equal(pool.rejectionKind?.(refused.error), "connectionError");
        // retries 5 (src/retry/defaults.js): six attempts, each a refused connect.
        assert.equal(attempts.length, 6);
        assert.deepEqual(
          connects(world.network.ledger.events).map((c) => c.t),
          attempts.map((a) => a.started),
        );
        const policy = KAFKAJS_SUPPORTS.policies.backoff!;
        const backoff = { initial: 20, max: 100, policy, tolerance: 0 };
        const waits = attempts.slice(1).map((a, i) => a.started - attempts[i]!.failed!);
        for (const [i, wait] of waits.entries()) {
          const [shortest, longest] = allowedWait(backoff, i + 1, waits[i - 1]);
          assert.ok(wait >= shortest && wait <= longest, `wait ${i + 1}: ${wait} in ${waits}`);
        }
        assert.equal(waits.at(-1), 100);
        await pool.close();
      }),
  );
});
