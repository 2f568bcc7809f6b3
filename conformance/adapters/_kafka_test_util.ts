/**
 * Test helpers for the kafkajs adapter and its producer scenarios: a world
 * on faked global time with a simulated cluster, a seeded `Math.random`
 * (kafkajs draws its retry jitter and its broker shuffles from it), and a
 * settle loop that moves time one millisecond at a time.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { type ISocketFactory, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import type { GlobalTimeDriver } from "../../src/clock/mod.ts";
import type { World } from "../../src/harness/adapter.ts";
import type { LedgerEvent } from "../../src/net/types.ts";
import { SimKafkaCluster } from "./_kafka_broker.ts";
import { turn, withWorld } from "./_http_test_util.ts";

/** A test's explicit timeout: Bun stops a test after 5 s otherwise. */
export const SCENARIO = { timeout: 60_000 };

/** The brokers of a scenario's cluster. */
export const BROKERS = ["b0", "b1", "b2"] as const;

/** The topic of the scenarios: one partition per broker, partition `i` led by `b<i>`. */
export const TOPIC = "orders";

/** What a scenario gets. */
export interface KafkaScene {
  readonly world: World;
  readonly driver: GlobalTimeDriver;
  readonly cluster: SimKafkaCluster;
  /** A kafkajs client on the cluster, its options merged over the scene's. */
  readonly kafka: (options?: Partial<KafkaConfig>) => Kafka;
}

/**
 * Run `body` in a world on faked global time, with a three-broker cluster
 * and `Math.random` seeded; both are put back whatever `body` does.
 *
 * @param body The scenario.
 * @param seed Seed of `Math.random` for the scenario.
 */
export async function kafkaScene(
  body: (scene: KafkaScene) => Promise<void>,
  seed = 11,
): Promise<void> {
  const random = Math.random;
  let state = seed;
  Math.random = () => ((state = (state * 16807) % 2147483647) - 1) / 2147483646;
  try {
    await withWorld(async (world, driver) => {
      const cluster = new SimKafkaCluster(world.network, {
        brokers: BROKERS,
        topics: { [TOPIC]: BROKERS.length },
      });
      const kafka = (options: Partial<KafkaConfig> = {}) =>
        new Kafka({
          clientId: "scenario",
          brokers: cluster.bootstrap(),
          socketFactory: cluster.socketFactory as unknown as ISocketFactory,
          logLevel: logLevel.NOTHING,
          ...options,
        });
      await body({ world, driver, cluster, kafka });
    });
  } finally {
    Math.random = random;
  }
}

/**
 * Let streams and promises run, and run the timers due now, until quiet;
 * time does not move.
 *
 * @param driver The faked time.
 */
export async function settleNow(driver: GlobalTimeDriver): Promise<void> {
  for (let quiet = 0, i = 0; quiet < 3 && i < 500; i++) {
    await turn();
    quiet = driver.runDue() === 0 ? quiet + 1 : 0;
  }
}

/**
 * Move time on by `ms`, one millisecond at a time, settling after each, so
 * that what kafkajs does between two timers happens at the right instant.
 *
 * @param driver The faked time.
 * @param ms How long.
 */
export async function advanceBy(driver: GlobalTimeDriver, ms: number): Promise<void> {
  await settleNow(driver);
  for (let left = ms; left > 0; left--) {
    driver.advance(1);
    await settleNow(driver);
  }
}

/**
 * Move time on, a millisecond at a time, until `done()` holds.
 *
 * @param driver The faked time.
 * @param done The condition.
 * @param limitMs Give up after this long.
 * @throws {Error} If the condition does not hold within the limit.
 */
export async function advanceUntil(
  driver: GlobalTimeDriver,
  done: () => boolean,
  limitMs = 10_000,
): Promise<void> {
  await settleNow(driver);
  for (let waited = 0; !done(); waited++) {
    if (waited >= limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    driver.advance(1);
    await settleNow(driver);
  }
}

/**
 * The connects the ledger saw, with their routes and times.
 *
 * @param events The ledger.
 * @returns One entry per connect started.
 */
export function connects(events: readonly LedgerEvent[]): { route: string; t: number }[] {
  return events.filter((e) => e.type === "ConnectionCreated").map(({ route, t }) => ({ route, t }));
}

/** Follow a promise's outcome without awaiting it. */
export function track<T>(
  promise: Promise<T>,
): { state: "pending" | "resolved" | "rejected"; value?: T; error?: unknown; order?: number } {
  const box: {
    state: "pending" | "resolved" | "rejected";
    value?: T;
    error?: unknown;
    order?: number;
  } = { state: "pending" };
  promise.then(
    (value) => Object.assign(box, { state: "resolved", value, order: ++settledCount }),
    (error) => Object.assign(box, { state: "rejected", error, order: ++settledCount }),
  );
  return box;
}

let settledCount = 0;

const require = createRequire(import.meta.url);

/** A request as kafkajs's `requests/<api>/index.js` `protocol(...)` builds it. */
export interface KafkaRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<unknown>;
}

/** A response decoder of kafkajs (`requests/<api>/v<n>/response.js`). */
export interface KafkaResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}

/** A kafkajs `requests/<api>/index.js` whose versions take their request's fields. */
export interface KafkaApi {
  readonly protocol: (
    args: { version: number },
  ) => (fields: Record<string, unknown>) => { request: KafkaRequest; response: KafkaResponse };
}

/** kafkajs's ApiVersions requests and responses (src/protocol/requests/apiVersions). */
export const apiVersions: {
  readonly protocol: (
    args: { version: number },
  ) => () => { request: KafkaRequest; response: KafkaResponse };
} = require("kafkajs/src/protocol/requests/apiVersions/index.js");

/** kafkajs's Metadata requests and responses (src/protocol/requests/metadata). */
export const metadata: KafkaApi = require("kafkajs/src/protocol/requests/metadata/index.js");

/** kafkajs's Produce requests and responses (src/protocol/requests/produce). */
export const produce: KafkaApi = require("kafkajs/src/protocol/requests/produce/index.js");

const encodeRequest: (args: {
  correlationId: number;
  clientId: string;
  request: KafkaRequest;
}) => Promise<{ buffer: Uint8Array }> = require("kafkajs/src/protocol/request.js");

const Decoder: new (buffer: Buffer) => {
  readInt32(): number;
  readAll(): Buffer;
} = require("kafkajs/src/protocol/decoder.js");

/**
 * The bytes kafkajs writes for a request: size, header and body, framed by
 * its src/protocol/request.js.
 *
 * @param request The request.
 * @param correlationId Its correlation id.
 * @returns The frame.
 */
export async function wireBytes(request: KafkaRequest, correlationId: number): Promise<Uint8Array> {
  return (await encodeRequest({ correlationId, clientId: "poolcheck", request })).buffer;
}

/**
 * Split a framed response as kafkajs's `Connection.processData` does.
 *
 * @param bytes The framed response.
 * @returns Its size field, correlation id and payload (the body).
 */
export function readResponse(
  bytes: Uint8Array,
): { size: number; correlationId: number; payload: Buffer } {
  const decoder = new Decoder(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const size = decoder.readInt32();
  return { size, correlationId: decoder.readInt32(), payload: decoder.readAll() };
}
