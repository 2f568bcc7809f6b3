/**
 * The broker's side of the Kafka wire protocol, as much as a producer needs:
 * request framing, the request header, and the bodies of ApiVersions (v0 to
 * v2), Metadata (v0) and Produce (v0). Every field is read and written with
 * kafkajs's own `Encoder` and `Decoder` (node_modules/kafkajs/src/protocol),
 * following the formats of its request encoders (`requests/<api>/v<n>/request.js`)
 * and response decoders (`…/response.js`), so the bytes are what kafkajs
 * writes and expects. Only the framing glue is written here.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** kafkajs's `Encoder` (src/protocol/encoder.js), the methods used here. */
interface KafkaEncoder {
  readonly buffer: Uint8Array;
  writeInt16(value: number): KafkaEncoder;
  writeInt32(value: number): KafkaEncoder;
  writeInt64(value: number): KafkaEncoder;
  writeString(value: string): KafkaEncoder;
  writeArray(values: readonly (KafkaEncoder | number | string)[], type?: string): KafkaEncoder;
  writeEncoder(value: KafkaEncoder): KafkaEncoder;
  size(): number;
}

/** kafkajs's `Decoder` (src/protocol/decoder.js), the methods used here. */
interface KafkaDecoder {
  readInt16(): number;
  readInt32(): number;
  readString(): string | null;
  readArray<T>(reader: (decoder: KafkaDecoder) => T): T[];
  forward(size: number): void;
  canReadInt32(): boolean;
  canReadBytes(length: number): boolean;
  readBytes(length: number): Uint8Array;
  readAll(): Uint8Array;
}

const Encoder: new () => KafkaEncoder = require("kafkajs/src/protocol/encoder.js");
const Decoder: new (buffer: Buffer) => KafkaDecoder = require(
  "kafkajs/src/protocol/decoder.js",
);

/** API keys the simulated broker serves (kafkajs src/protocol/requests/apiKeys.js). */
export const API_KEYS = { Produce: 0, Metadata: 3, ApiVersions: 18 } as const;

/**
 * The versions the simulated broker announces in its ApiVersions response.
 * kafkajs's `lookup` (src/protocol/requests/index.js) then picks, per API,
 * the highest version both sides know: Metadata v0 and Produce v0.
 */
export const SUPPORTED_VERSIONS: readonly { apiKey: number; min: number; max: number }[] = [
  { apiKey: API_KEYS.Produce, min: 0, max: 0 },
  { apiKey: API_KEYS.Metadata, min: 0, max: 0 },
  { apiKey: API_KEYS.ApiVersions, min: 0, max: 2 },
];

/** Kafka error codes the broker answers with (kafkajs src/protocol/error.js). */
export const ERROR_CODES = {
  none: 0,
  unknownTopicOrPartition: 3,
  notLeaderForPartition: 6,
  unsupportedVersion: 35,
} as const;

/** The header every request starts with (kafkajs src/protocol/request.js). */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** One request frame, its header read, its body still encoded. */
export interface RequestFrame {
  readonly header: RequestHeader;
  readonly body: Uint8Array;
}

/** A Produce v0 request's partitions, and how many messages each carries. */
export interface ProduceRequest {
  readonly acks: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly messages: number }[];
  }[];
}

/**
 * Cut complete frames (a 4-byte size, then that many bytes) off the front of
 * `pending`, as a broker reads them off its socket.
 *
 * @param pending The bytes received and not yet framed.
 * @returns The complete frames and the bytes left over.
 */
export function takeFrames(pending: Uint8Array): { frames: RequestFrame[]; rest: Uint8Array } {
  const frames: RequestFrame[] = [];
  let offset = 0;
  while (pending.length - offset >= 4) {
    const view = new DataView(pending.buffer, pending.byteOffset + offset, 4);
    const size = view.getInt32(0);
    if (pending.length - offset - 4 < size) break;
    const frame = pending.subarray(offset + 4, offset + 4 + size);
    offset += 4 + size;
    const decoder = new Decoder(Buffer.from(frame.buffer, frame.byteOffset, frame.length));
    const header: RequestHeader = {
      apiKey: decoder.readInt16(),
      apiVersion: decoder.readInt16(),
      correlationId: decoder.readInt32(),
      clientId: decoder.readString(),
    };
    frames.push({ header, body: decoder.readAll() });
  }
  return { frames, rest: pending.subarray(offset) };
}

/**
 * Read a Metadata v0 body: the topics asked for (empty: all of them), as
 * kafkajs's requests/metadata/v0/request.js writes them.
 *
 * @param body The request body.
 * @returns The topic names.
 */
export function readMetadataRequest(body: Uint8Array): string[] {
  return decoderOf(body).readArray((d) => d.readString() ?? "");
}

/**
 * Read a Produce v0 body as kafkajs's requests/produce/v0/request.js writes
 * it: acks, timeout, then per topic its partitions, each with a message set
 * (src/protocol/messageSet: per entry an int64 offset, an int32 size and the
 * message) whose entries are counted, not decoded.
 *
 * @param body The request body.
 * @returns Acks and the partitions with their message counts.
 */
export function readProduceRequest(body: Uint8Array): ProduceRequest {
  const decoder = decoderOf(body);
  const acks = decoder.readInt16();
  decoder.readInt32();
  const topics = decoder.readArray((t) => ({
    topic: t.readString() ?? "",
    partitions: t.readArray((p) => {
      const partition = p.readInt32();
      const setSize = p.readInt32();
      const set = decoderOf(p.readBytes(setSize));
      let messages = 0;
      for (let left = setSize; left >= 12; messages++) {
        set.forward(8);
        const size = set.readInt32();
        set.forward(size);
        left -= 12 + size;
      }
      return { partition, messages };
    }),
  }));
  return { acks, topics };
}

function decoderOf(bytes: Uint8Array): KafkaDecoder {
  return new Decoder(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
}

/** A broker as a Metadata response lists it. */
export interface BrokerEntry {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** A topic as a Metadata response lists it. */
export interface TopicEntry {
  readonly topic: string;
  readonly errorCode: number;
  readonly partitions: readonly {
    readonly partition: number;
    readonly leader: number;
    readonly replicas: readonly number[];
  }[];
}

/**
 * Frame a response: its size, the request's correlation id, the body
 * (kafkajs src/network/connection.js `processData` reads them in that order).
 *
 * @param correlationId The request's correlation id.
 * @param body The encoded body.
 * @returns The bytes to write.
 */
export function frameResponse(correlationId: number, body: KafkaEncoder): Uint8Array {
  const payload = new Encoder().writeInt32(correlationId).writeEncoder(body);
  return new Encoder().writeInt32(payload.size()).writeEncoder(payload).buffer;
}

/**
 * An ApiVersions response body for `version` (0 to 2), as kafkajs's
 * requests/apiVersions/v0/response.js and v1 read it (v2 reads v1's format):
 * an error code, the API ranges, and from v1 on a throttle time.
 *
 * @param version The request's version.
 * @returns The body.
 */
export function apiVersionsResponse(version: number): KafkaEncoder {
  const body = new Encoder()
    .writeInt16(ERROR_CODES.none)
    .writeArray(
      SUPPORTED_VERSIONS.map(({ apiKey, min, max }) =>
        new Encoder().writeInt16(apiKey).writeInt16(min).writeInt16(max)
      ),
    );
  return version >= 1 ? body.writeInt32(0) : body;
}

/**
 * A Metadata v0 response body, as kafkajs's requests/metadata/v0/response.js
 * reads it: brokers, then topics with their partitions' leaders.
 *
 * @param brokers The live brokers.
 * @param topics The topics to describe.
 * @returns The body.
 */
export function metadataResponse(
  brokers: readonly BrokerEntry[],
  topics: readonly TopicEntry[],
): KafkaEncoder {
  return new Encoder()
    .writeArray(
      brokers.map(({ nodeId, host, port }) =>
        new Encoder().writeInt32(nodeId).writeString(host).writeInt32(port)
      ),
    )
    .writeArray(topics.map(({ topic, errorCode, partitions }) =>
      new Encoder()
        .writeInt16(errorCode)
        .writeString(topic)
        .writeArray(partitions.map(({ partition, leader, replicas }) =>
          new Encoder()
            .writeInt16(ERROR_CODES.none)
            .writeInt32(partition)
            .writeInt32(leader)
            .writeArray([...replicas], "int32")
            .writeArray([...replicas], "int32")
        ))
    ));
}

/** One partition's outcome in a Produce response. */
export interface ProduceOutcome {
  readonly partition: number;
  readonly errorCode: number;
  readonly offset: number;
}

/**
 * A Produce v0 response body, as kafkajs's requests/produce/v0/response.js
 * reads it: per topic, per partition an error code and the base offset.
 *
 * @param topics Outcomes per topic.
 * @returns The body.
 */
export function produceResponse(
  topics: readonly { topic: string; partitions: readonly ProduceOutcome[] }[],
): KafkaEncoder {
  return new Encoder().writeArray(
    topics.map(({ topic, partitions }) =>
      new Encoder().writeString(topic).writeArray(
        partitions.map(({ partition, errorCode, offset }) =>
          new Encoder().writeInt32(partition).writeInt16(errorCode).writeInt64(offset)
        ),
      )
    ),
  );
}

/**
 * An empty body, for a request the broker does not serve: kafkajs fails to
 * decode it and rejects that request.
 *
 * @returns The body.
 */
export function emptyResponse(): KafkaEncoder {
  return new Encoder();
}
