/**
 * kafkajs's own connection classes, loaded from its sources, and the client
 * options the adapter and its tests share.
 *
 * The adapter drives the layer a kafkajs producer sends through: a `Broker`
 * (src/broker/index.js) per node, each over a `ConnectionPool`
 * (src/network/connectionPool.js) built by the cluster's
 * `connectionPoolBuilder` (src/cluster/connectionPoolBuilder.js) exactly as
 * `BrokerPool` builds them (src/cluster/brokerPool.js), with `Connection`
 * (src/network/connection.js) and its `RequestQueue`
 * (src/network/requestQueue/index.js) underneath. These modules are not in
 * kafkajs's typed public surface, so their types are declared here, as far
 * as they are used.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import type { SocketFactoryArgs } from "./_kafka_broker.ts";
import type { KafkaSimSocket } from "./_kafka_socket.ts";

const require = createRequire(import.meta.url);

/** A kafkajs logger (src/loggers/index.js). */
export interface KafkaLogger {
  namespace(name: string): KafkaLogger;
}

/** A kafkajs `ConnectionPool`, the fields read here. */
export interface KafkaConnectionPool {
  readonly host: string;
  readonly port: number;
}

/** One partition's result of a Produce v0 response as kafkajs parses it. */
export interface ProducePartitionResult {
  readonly partition: number;
  readonly errorCode: number;
  readonly offset: string;
}

/** A kafkajs `Broker`, the methods used here. */
export interface KafkaBroker {
  readonly connectionPool: KafkaConnectionPool;
  isConnected(): boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  produce(request: {
    acks: number;
    timeout: number;
    topicData: {
      topic: string;
      partitions: { partition: number; messages: { key: string | null; value: string }[] }[];
    }[];
  }): Promise<{ topics: { topicName: string; partitions: ProducePartitionResult[] }[] }>;
}

/** The options of kafkajs's `connectionPoolBuilder`, the ones set here. */
export interface ConnectionOptions {
  readonly socketFactory: (args: SocketFactoryArgs) => KafkaSimSocket;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly enforceRequestTimeout: boolean;
  readonly maxInFlightRequests: number | null;
  readonly logger: KafkaLogger;
}

const BrokerClass: new (options: {
  connectionPool: KafkaConnectionPool;
  logger: KafkaLogger;
  nodeId: number;
}) => KafkaBroker = require("kafkajs/src/broker/index.js");

const buildConnectionPools: (
  options: ConnectionOptions,
) => { build(destination: { host: string; port: number }): Promise<KafkaConnectionPool> } = require(
  "kafkajs/src/cluster/connectionPoolBuilder.js",
);

const loggers: {
  LEVELS: { NOTHING: number };
  createLogger(options: { level: number; logCreator: () => () => void }): KafkaLogger;
} = require("kafkajs/src/loggers/index.js");

/**
 * A logger that writes nothing (level NOTHING): a run must not print, and
 * kafkajs logs every connection error it meets.
 *
 * @returns The logger.
 */
export function silentLogger(): KafkaLogger {
  return loggers.createLogger({ level: loggers.LEVELS.NOTHING, logCreator: () => () => {} });
}

/**
 * A broker object as kafkajs's `BrokerPool.refreshMetadata` makes one for a
 * node of the metadata: a `ConnectionPool` from the builder for its host and
 * port, wrapped in a `Broker` with its node id.
 *
 * @param options The connection options.
 * @param destination The node's host, port and id.
 * @returns The broker, not yet connected.
 */
export async function createBroker(
  options: ConnectionOptions,
  destination: { host: string; port: number; nodeId: number },
): Promise<KafkaBroker> {
  const { host, port, nodeId } = destination;
  const connectionPool = await buildConnectionPools(options).build({ host, port });
  return new BrokerClass({ connectionPool, logger: options.logger, nodeId });
}

/** The options of kafkajs's retrier (src/retry/index.js; `RetryOptions` in its types). */
export interface RetryOptions {
  readonly initialRetryTime: number;
  readonly maxRetryTime: number;
  readonly multiplier: number;
  readonly factor: number;
  readonly retries: number;
}

/**
 * A kafkajs retrier: runs `fn` until it resolves, bails or has failed
 * `retries + 1` times, waiting between attempts.
 */
export type Retrier = <T>(
  fn: (bail: (error: Error) => void, retryCount: number, retryTime: number) => Promise<T>,
) => Promise<T>;

const RETRY_MODULE = require.resolve("kafkajs/src/retry/index.js");

/**
 * kafkajs's retry module, compiled once from its source with `Math` a
 * parameter: src/retry/index.js draws its jitter from `Math.random`, which a
 * run must take from its seed to be reproducible, and nothing else in the
 * module reads it. Its code runs unchanged, as Node's CommonJS loader would
 * run it, with the module's own `require` for `../errors` and its defaults.
 */
const retryModule = new Function(
  "require",
  "module",
  "exports",
  "process",
  "Math",
  readFileSync(RETRY_MODULE, "utf8"),
) as (
  require: NodeRequire,
  module: { exports: unknown },
  exports: unknown,
  process: unknown,
  math: Math,
) => void;

/**
 * The retry module's `require`, made once, remembering what it returned: a
 * run makes its retrier anew, and resolving `../errors` and `./defaults`
 * through the CommonJS loader again each time cost more than the rest of
 * making it. The loader's cache would hand back the same exports.
 */
const retryRequire: NodeRequire = (() => {
  const loaded = new Map<string, unknown>();
  const load = createRequire(RETRY_MODULE);
  const cached = (id: string): unknown => {
    if (!loaded.has(id)) loaded.set(id, load(id));
    return loaded.get(id);
  };
  return Object.assign(cached, load) as NodeRequire;
})();

/**
 * kafkajs's `createRetry` (src/retry/index.js, what its producer and
 * consumer wrap each operation in), drawing its jitter from `random`.
 *
 * @param options The retrier's options.
 * @param random Numbers in [0, 1) in place of `Math.random`.
 * @returns The retrier.
 */
export function createRetry(options: RetryOptions, random: () => number): Retrier {
  const module = { exports: {} as unknown };
  const math = Object.create(Math, { random: { value: random } }) as Math;
  retryModule(retryRequire, module, module.exports, process, math);
  return (module.exports as (options: RetryOptions) => Retrier)(options);
}
