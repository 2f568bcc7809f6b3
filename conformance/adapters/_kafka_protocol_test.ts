/**
 * The simulated broker's side of the wire against kafkajs's own side: each
 * request frame is built by kafkajs's request encoders (src/protocol/request.js
 * and requests/<api>/v<n>/request.js) and read back by `_kafka_protocol.ts`;
 * each response the broker frames is read by kafkajs's response decoders
 * (requests/<api>/v<n>/response.js), as `Connection.processData` reads it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  API_KEYS,
  apiVersionsResponse,
  ERROR_CODES,
  frameResponse,
  metadataResponse,
  produceResponse,
  readMetadataRequest,
  readProduceRequest,
  SUPPORTED_VERSIONS,
  takeFrames,
} from "./_kafka_protocol.ts";
import { apiVersions, metadata, produce, readResponse, wireBytes } from "./_kafka_test_util.ts";

describe("simulated broker wire format, against kafkajs's protocol modules", () => {
  test("takeFrames reads kafkajs's request header and waits for a frame's last byte", async () => {
    const first = await wireBytes(metadata.protocol({ version: 0 })({ topics: ["t"] }).request, 7);
    const second = await wireBytes(apiVersions.protocol({ version: 2 })().request, 8);
    const joined = new Uint8Array(first.length + second.length);
    joined.set(first);
    joined.set(second, first.length);
    // Everything but the second frame's last byte: one frame, the rest kept for later.
    const partial = takeFrames(joined.subarray(0, joined.length - 1));
    assert.deepEqual(partial.frames.map((f) => f.header), [
      { apiKey: API_KEYS.Metadata, apiVersion: 0, correlationId: 7, clientId: "poolcheck" },
    ]);
    assert.equal(partial.rest.length, second.length - 1);
    const whole = takeFrames(joined);
    assert.deepEqual(whole.frames.map((f) => f.header.correlationId), [7, 8]);
    assert.deepEqual(whole.frames.map((f) => f.header.apiKey), [
      API_KEYS.Metadata,
      API_KEYS.ApiVersions,
    ]);
    assert.equal(whole.rest.length, 0);
  });

  test("a Metadata v0 request's topics are read as kafkajs wrote them", async () => {
    for (const topics of [[], ["orders"], ["a", "b", "c"]]) {
      const bytes = await wireBytes(metadata.protocol({ version: 0 })({ topics }).request, 1);
      const [frame] = takeFrames(bytes).frames;
      assert.deepEqual(readMetadataRequest(frame!.body), topics);
    }
  });

  test("a Produce v0 request's acks, partitions and message counts are read as kafkajs wrote them", async () => {
    const topicData = [
      {
        topic: "orders",
        partitions: [
          { partition: 0, messages: [{ key: null, value: "a" }] },
          { partition: 2, messages: [{ key: "k", value: "b" }, { key: null, value: "cc" }] },
        ],
      },
      { topic: "audit", partitions: [{ partition: 1, messages: [{ key: null, value: "d" }] }] },
    ];
    for (const acks of [0, 1, -1]) {
      const { request } = produce.protocol({ version: 0 })({ acks, timeout: 30_000, topicData });
      const [frame] = takeFrames(await wireBytes(request, 3)).frames;
      assert.deepEqual(readProduceRequest(frame!.body), {
        acks,
        topics: [
          {
            topic: "orders",
            partitions: [{ partition: 0, messages: 1 }, { partition: 2, messages: 2 }],
          },
          { topic: "audit", partitions: [{ partition: 1, messages: 1 }] },
        ],
      });
    }
  });

  test("ApiVersions responses v0 to v2 decode with kafkajs's decoders and announce the served versions", async () => {
    for (const version of [0, 1, 2]) {
      const bytes = frameResponse(41, apiVersionsResponse(version));
      const { size, correlationId, payload } = readResponse(bytes);
      assert.equal(size, bytes.length - 4);
      assert.equal(correlationId, 41);
      const { response } = apiVersions.protocol({ version })();
      const decoded = await response.parse(await response.decode(payload)) as {
        errorCode: number;
        apiVersions: { apiKey: number; minVersion: number; maxVersion: number }[];
      };
      assert.equal(decoded.errorCode, ERROR_CODES.none);
      assert.deepEqual(
        decoded.apiVersions,
        SUPPORTED_VERSIONS.map(({ apiKey, min, max }) => ({
          apiKey,
          minVersion: min,
          maxVersion: max,
        })),
      );
    }
  });

  test("a Metadata v0 response decodes with kafkajs's decoder: brokers, leaders, no leader as -1", async () => {
    const bytes = frameResponse(
      5,
      metadataResponse(
        [{ nodeId: 0, host: "b0", port: 9092 }, { nodeId: 2, host: "b2", port: 9092 }],
        [{
          topic: "orders",
          errorCode: ERROR_CODES.none,
          partitions: [
            { partition: 0, leader: 2, replicas: [2] },
            { partition: 1, leader: -1, replicas: [] },
          ],
        }],
      ),
    );
    const { correlationId, payload } = readResponse(bytes);
    assert.equal(correlationId, 5);
    const { response } = metadata.protocol({ version: 0 })({ topics: ["orders"] });
    assert.deepEqual(await response.parse(await response.decode(payload)), {
      brokers: [{ nodeId: 0, host: "b0", port: 9092 }, { nodeId: 2, host: "b2", port: 9092 }],
      topicMetadata: [{
        topicErrorCode: 0,
        topic: "orders",
        partitionMetadata: [
          { partitionErrorCode: 0, partitionId: 0, leader: 2, replicas: [2], isr: [2] },
          { partitionErrorCode: 0, partitionId: 1, leader: -1, replicas: [], isr: [] },
        ],
      }],
    });
  });

  test("a Metadata v0 response with an unknown topic fails kafkajs's parse with its error", async () => {
    const { payload } = readResponse(frameResponse(
      6,
      metadataResponse([], [{
        topic: "nope",
        errorCode: ERROR_CODES.unknownTopicOrPartition,
        partitions: [],
      }]),
    ));
    const { response } = metadata.protocol({ version: 0 })({ topics: ["nope"] });
    await assert.rejects(response.parse(await response.decode(payload)), {
      name: "KafkaJSProtocolError",
      type: "UNKNOWN_TOPIC_OR_PARTITION",
    });
  });

  test("a Produce v0 response decodes with kafkajs's decoder: offsets, and not-leader as its error", async () => {
    const { response } = produce.protocol({ version: 0 })({
      acks: 1,
      timeout: 30_000,
      topicData: [],
    });
    const ok = readResponse(frameResponse(
      9,
      produceResponse([{
        topic: "orders",
        partitions: [{ partition: 1, errorCode: ERROR_CODES.none, offset: 12 }],
      }]),
    ));
    assert.equal(ok.correlationId, 9);
    assert.deepEqual(await response.parse(await response.decode(ok.payload)), {
      topics: [{ topicName: "orders", partitions: [{ partition: 1, errorCode: 0, offset: "12" }] }],
    });
    const notLeader = readResponse(frameResponse(
      10,
      produceResponse([{
        topic: "orders",
        partitions: [{ partition: 1, errorCode: ERROR_CODES.notLeaderForPartition, offset: -1 }],
      }]),
    ));
    await assert.rejects(response.parse(await response.decode(notLeader.payload)), {
      name: "KafkaJSProtocolError",
      type: "NOT_LEADER_FOR_PARTITION",
      retriable: true,
    });
  });
});
