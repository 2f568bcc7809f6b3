/**
 * The simulated cluster's metadata and produce answers as kafkajs reads them:
 * requests built by kafkajs's encoders, answers decoded by its decoders, over
 * three brokers whose leadership moves when one goes away.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "../../src/clock/mod.ts";
import { SimNetwork, type SimResponse } from "../../src/net/mod.ts";
import { SimKafkaCluster } from "./_kafka_broker.ts";
import { type RequestFrame, takeFrames } from "./_kafka_protocol.ts";
import {
  type KafkaRequest,
  metadata,
  produce,
  readResponse,
  wireBytes,
} from "./_kafka_test_util.ts";

/** A three-broker cluster, b0 to b2, with topic `t` of three partitions (p led by b<p>). */
function threeBrokers(): SimKafkaCluster {
  const network = new SimNetwork({ clock: new VirtualClock() });
  return new SimKafkaCluster(network, { brokers: ["b0", "b1", "b2"], topics: { t: 3 } });
}

async function frameOf(request: KafkaRequest, correlationId = 1): Promise<RequestFrame> {
  const [frame] = takeFrames(await wireBytes(request, correlationId)).frames;
  return frame!;
}

/** A stand-in for the simulated response that carries an answer. */
function simResponse(sequence: number): SimResponse {
  return { requestId: sequence, socketId: 1, sequence, at: 0 };
}

interface Metadata {
  readonly brokers: { nodeId: number; host: string }[];
  readonly topicMetadata: { partitionMetadata: { partitionId: number; leader: number }[] }[];
}

/** What `route` answers to a Metadata v0 request for topic `t`, as kafkajs decodes it. */
async function metadataFrom(cluster: SimKafkaCluster, route: string): Promise<Metadata> {
  const { request, response } = metadata.protocol({ version: 0 })({ topics: ["t"] });
  const bytes = cluster.answer(route, await frameOf(request), simResponse(1));
  return await response.decode(readResponse(bytes).payload) as Metadata;
}

function leaders(answer: Metadata): number[] {
  return answer.topicMetadata[0]!.partitionMetadata.map((p) => p.leader);
}

/** What `route` answers to a Produce v0 of `messages` messages to partition `partition` of `t`. */
async function produceTo(
  cluster: SimKafkaCluster,
  route: string,
  partition: number,
  messages: number,
  response: SimResponse,
): Promise<{ partition: number; errorCode: number; offset: string }> {
  const api = produce.protocol({ version: 0 })({
    acks: 1,
    timeout: 30_000,
    topicData: [{
      topic: "t",
      partitions: [{
        partition,
        messages: Array.from({ length: messages }, (_, i) => ({ key: null, value: `m${i}` })),
      }],
    }],
  });
  const bytes = cluster.answer(route, await frameOf(api.request), response);
  const decoded = await api.response.decode(readResponse(bytes).payload) as {
    topics: { partitions: { partition: number; errorCode: number; offset: string }[] }[];
  };
  return decoded.topics[0]!.partitions[0]!;
}

describe("simulated Kafka cluster", () => {
  test("a broker loss moves its partitions to the next live broker, wrapping round, and leaves the metadata", async () => {
    const cluster = threeBrokers();
    assert.deepEqual(leaders(await metadataFrom(cluster, "b0")), [0, 1, 2]);

    cluster.brokerDown("b1");
    assert.equal(cluster.leaderOf("t", 1), "b2");
    assert.equal(cluster.network.behaviourOf("b1").connect, "refuse");
    const afterB1 = await metadataFrom(cluster, "b0");
    assert.deepEqual(afterB1.brokers.map((b) => b.host), ["b0", "b2"]);
    assert.deepEqual(leaders(afterB1), [0, 2, 2]);

    // b2 has the highest node id: what it led goes to the first live broker.
    cluster.brokerDown("b2");
    assert.deepEqual(leaders(await metadataFrom(cluster, "b0")), [0, 0, 0]);

    cluster.brokerDown("b0");
    assert.equal(cluster.leaderOf("t", 0), undefined);
    const none = await metadataFrom(cluster, "b0");
    assert.deepEqual(none.brokers, []);
    assert.deepEqual(leaders(none), [-1, -1, -1]);
  });

  test("a broker that comes back is listed and takes connects, and leads nothing until leadership moves to it", async () => {
    const cluster = threeBrokers();
    cluster.brokerDown("b1");
    cluster.brokerUp("b1");
    assert.equal(cluster.network.behaviourOf("b1").connect, "ok");
    const answer = await metadataFrom(cluster, "b0");
    assert.deepEqual(answer.brokers.map((b) => b.host), ["b0", "b1", "b2"]);
    assert.deepEqual(leaders(answer), [0, 2, 2]);
    // Leadership moves to it when the next broker goes away and it is the next live one.
    cluster.brokerDown("b0");
    assert.deepEqual(leaders(await metadataFrom(cluster, "b2")), [1, 2, 2]);
  });

  test("Produce appends on the leader only, by base offset, and names the response that appended it", async () => {
    const cluster = threeBrokers();
    const [r1, r2, r3] = [simResponse(1), simResponse(2), simResponse(3)];
    assert.deepEqual(await produceTo(cluster, "b1", 1, 2, r1), {
      partition: 1,
      errorCode: 0,
      offset: "0",
    });
    assert.deepEqual(await produceTo(cluster, "b1", 1, 1, r2), {
      partition: 1,
      errorCode: 0,
      offset: "2",
    });
    // b0 does not lead partition 1: error 6, NOT_LEADER_FOR_PARTITION, nothing appended.
    assert.deepEqual(await produceTo(cluster, "b0", 1, 1, r3), {
      partition: 1,
      errorCode: 6,
      offset: "-1",
    });
    assert.equal(cluster.appendedBy("t", 1, 0), r1);
    assert.equal(cluster.appendedBy("t", 1, 2), r2);
    assert.equal(cluster.appendedBy("t", 1, 3), undefined);
    // After b1's loss, b2 leads partition 1 and appends where b1's log ended.
    cluster.brokerDown("b1");
    const r4 = simResponse(4);
    assert.deepEqual(await produceTo(cluster, "b2", 1, 1, r4), {
      partition: 1,
      errorCode: 0,
      offset: "3",
    });
    assert.equal(cluster.appendedBy("t", 1, 3), r4);
    assert.deepEqual(cluster.received.map((r) => `${r.route} ${r.apiKey}`), [
      "b1 0",
      "b1 0",
      "b0 0",
      "b2 0",
    ]);
  });

  test("a Produce with acks 0 is owed no answer; every other request is", async () => {
    const cluster = threeBrokers();
    for (const acks of [0, 1, -1]) {
      const { request } = produce.protocol({ version: 0 })({
        acks,
        timeout: 30_000,
        topicData: [],
      });
      assert.equal(cluster.expectsAnswer("b0", await frameOf(request)), acks !== 0);
    }
    const { request } = metadata.protocol({ version: 0 })({ topics: [] });
    assert.equal(cluster.expectsAnswer("b0", await frameOf(request)), true);
  });
});
