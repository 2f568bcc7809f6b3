/**
 * A simulated Kafka cluster on the kit's simulated network: one broker per
 * route, topics whose partitions each have a leader, and metadata that moves
 * a partition's leadership to a live broker when its leader goes away.
 *
 * It serves what a kafkajs producer needs to start and send (see
 * `_kafka_protocol.ts`): ApiVersions, Metadata v0 and Produce v0 with acks.
 * Connections come from {@linkcode SimKafkaCluster.socketFactory}, kafkajs's
 * `socketFactory` option, so every connect, request, response and close is
 * in the network's ledger, and the kit's faults reach kafkajs as they would
 * over TCP: refused and hanging connects are the route's connect behaviour,
 * resets and server closes act on the simulated socket, and response delays
 * and holds are the route's response behaviour (a multiplexed run holds every
 * response until the harness releases it).
 *
 * @module
 */
import type { Route, SimNetwork, SimResponse } from "../../src/net/mod.ts";
import {
  API_KEYS,
  apiVersionsResponse,
  type BrokerEntry,
  emptyResponse,
  ERROR_CODES,
  frameResponse,
  metadataResponse,
  produceResponse,
  readMetadataRequest,
  readProduceRequest,
  type RequestFrame,
  type TopicEntry,
} from "./_kafka_protocol.ts";
import { type KafkaServer, KafkaSimSocket } from "./_kafka_socket.ts";

/** The port every simulated broker listens on; its host is its route. */
export const BROKER_PORT = 9092;

/** Options for {@linkcode SimKafkaCluster}. */
export interface SimKafkaClusterOptions {
  /** The brokers' routes; the broker on `brokers[i]` has node id `i`. */
  readonly brokers: readonly Route[];
  /**
   * Topics and their partition counts; partition `p` starts led by broker
   * `p % brokers.length`.
   * @default {{}}
   */
  readonly topics?: Readonly<Record<string, number>>;
}

/** What kafkajs's `socketFactory` is called with (kafkajs src/network/socket.js). */
export interface SocketFactoryArgs {
  readonly host: string;
  readonly port: number;
  readonly onConnect: () => void;
}

/** One request a broker received, for tests and reports. */
export interface ReceivedRequest {
  readonly route: Route;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

interface BrokerState {
  readonly route: Route;
  readonly nodeId: number;
  up: boolean;
}

/**
 * A cluster of simulated brokers.
 *
 * @example A broker loss moves leadership
 * ```ts
 * import assert from "node:assert/strict";
 * import { SimNetwork } from "../../src/net/mod.ts";
 * import { VirtualClock } from "../../src/clock/mod.ts";
 * import { SimKafkaCluster } from "./_kafka_broker.ts";
 *
 * const network = new SimNetwork({ clock: new VirtualClock() });
 * const cluster = new SimKafkaCluster(network, { brokers: ["b0", "b1", "b2"], topics: { t: 3 } });
 * assert.equal(cluster.leaderOf("t", 0), "b0");
 * cluster.brokerDown("b0");
 * assert.equal(cluster.leaderOf("t", 0), "b1");
 * ```
 */
export class SimKafkaCluster implements KafkaServer {
  /** The network the brokers live on. */
  readonly network: SimNetwork;
  /** Every request the brokers answered or will answer, in arrival order. */
  readonly received: ReceivedRequest[] = [];
  #brokers: BrokerState[];
  #leaders = new Map<string, number[]>();
  #logEnd = new Map<string, number>();
  #appended = new Map<string, SimResponse>();

  /**
   * @param network Network the brokers live on.
   * @param options Brokers and topics.
   * @throws {RangeError} If no broker is given.
   */
  constructor(network: SimNetwork, options: SimKafkaClusterOptions) {
    const { brokers, topics = {} } = options;
    if (brokers.length === 0) {
      throw new RangeError(
        "Cannot create cluster as 'brokers' must name at least one route: current value is []",
      );
    }
    this.network = network;
    this.#brokers = brokers.map((route, nodeId) => ({ route, nodeId, up: true }));
    for (const [topic, count] of Object.entries(topics)) {
      this.#leaders.set(topic, Array.from({ length: count }, (_, p) => p % brokers.length));
    }
  }

  /**
   * kafkajs's `socketFactory` option: a socket to the broker whose route is
   * `host`, connecting over the simulated network; `onConnect` runs once it
   * is established, as `net.connect`'s listener does.
   */
  readonly socketFactory = ({ host, onConnect }: SocketFactoryArgs): KafkaSimSocket => {
    const socket = new KafkaSimSocket(this.network, host, this);
    socket.once("connect", onConnect);
    return socket;
  };

  /**
   * The bootstrap list a client is given: every broker, as `host:port`.
   *
   * @returns The list.
   */
  bootstrap(): string[] {
    return this.#brokers.map(({ route }) => `${route}:${BROKER_PORT}`);
  }

  /**
   * The route of a partition's leader.
   *
   * @param topic Topic.
   * @param partition Partition.
   * @returns The leader's route, or `undefined` for no live leader or no such partition.
   */
  leaderOf(topic: string, partition: number): Route | undefined {
    const nodeId = this.#leaders.get(topic)?.[partition];
    return nodeId === undefined || nodeId < 0 ? undefined : this.#brokers[nodeId]?.route;
  }

  /**
   * The broker on `route` goes away: its connects are refused, its sockets
   * reset, it leaves the metadata, and the partitions it led move to the
   * next live broker (none live: no leader).
   *
   * @param route The broker's route.
   */
  brokerDown(route: Route): void {
    const broker = this.#broker(route);
    broker.up = false;
    this.network.configure(route, { connect: "refuse" });
    for (const socket of this.network.sockets()) {
      if (socket.route === route) this.network.reset(socket.id);
    }
    const live = this.#brokers.filter((b) => b.up);
    for (const leaders of this.#leaders.values()) {
      leaders.forEach((nodeId, p) => {
        if (nodeId !== broker.nodeId) return;
        const next = live.find((b) => b.nodeId > nodeId) ?? live[0];
        leaders[p] = next?.nodeId ?? -1;
      });
    }
  }

  /**
   * The broker on `route` comes back: it accepts connects and is listed in
   * the metadata again (it leads nothing until leadership moves to it).
   *
   * @param route The broker's route.
   */
  brokerUp(route: Route): void {
    this.#broker(route).up = true;
    this.network.configure(route, { connect: "ok" });
  }

  /**
   * The simulated response that answered the Produce request that appended
   * the record at `offset` (its base offset, as kafkajs reports it).
   *
   * @param topic Topic.
   * @param partition Partition.
   * @param offset Base offset of the appended batch.
   * @returns The response, or `undefined` if no batch starts there.
   */
  appendedBy(topic: string, partition: number, offset: number): SimResponse | undefined {
    return this.#appended.get(`${topic}/${partition}/${offset}`);
  }

  /**
   * Whether the broker answers a request: every request but a Produce with
   * acks 0 (kafkajs's requests/produce/v0/request.js `expectResponse`).
   *
   * @param _route The broker's route.
   * @param frame The request.
   * @returns Whether an answer is owed.
   */
  expectsAnswer(_route: Route, frame: RequestFrame): boolean {
    if (frame.header.apiKey !== API_KEYS.Produce) return true;
    return readProduceRequest(frame.body).acks !== 0;
  }

  /**
   * The response bytes to a request, built at the instant its simulated
   * response arrives (so metadata is as of then).
   *
   * @param route The broker's route.
   * @param frame The request.
   * @param response The simulated response.
   * @returns The framed response.
   */
  answer(route: Route, frame: RequestFrame, response: SimResponse): Uint8Array {
    const { apiKey, apiVersion, correlationId } = frame.header;
    this.received.push({ route, apiKey, apiVersion, correlationId });
    if (apiKey === API_KEYS.ApiVersions && apiVersion <= 2) {
      return frameResponse(correlationId, apiVersionsResponse(apiVersion));
    }
    if (apiKey === API_KEYS.Metadata && apiVersion === 0) {
      return frameResponse(correlationId, this.#metadata(readMetadataRequest(frame.body)));
    }
    if (apiKey === API_KEYS.Produce && apiVersion === 0) {
      return frameResponse(correlationId, this.#produce(route, frame.body, response));
    }
    return frameResponse(correlationId, emptyResponse());
  }

  #metadata(asked: readonly string[]) {
    const brokers: BrokerEntry[] = this.#brokers
      .filter((b) => b.up)
      .map(({ nodeId, route }) => ({ nodeId, host: route, port: BROKER_PORT }));
    const names = asked.length === 0 ? [...this.#leaders.keys()] : asked;
    const topics: TopicEntry[] = names.map((topic) => {
      const leaders = this.#leaders.get(topic);
      if (leaders === undefined) {
        return { topic, errorCode: ERROR_CODES.unknownTopicOrPartition, partitions: [] };
      }
      return {
        topic,
        errorCode: ERROR_CODES.none,
        partitions: leaders.map((leader, partition) => ({
          partition,
          leader,
          replicas: leader < 0 ? [] : [leader],
        })),
      };
    });
    return metadataResponse(brokers, topics);
  }

  #produce(route: Route, body: Uint8Array, response: SimResponse) {
    const nodeId = this.#broker(route).nodeId;
    const request = readProduceRequest(body);
    return produceResponse(request.topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, messages }) => {
        if (this.#leaders.get(topic)?.[partition] !== nodeId) {
          return { partition, errorCode: ERROR_CODES.notLeaderForPartition, offset: -1 };
        }
        const key = `${topic}/${partition}`;
        const offset = this.#logEnd.get(key) ?? 0;
        this.#logEnd.set(key, offset + messages);
        this.#appended.set(`${key}/${offset}`, response);
        return { partition, errorCode: ERROR_CODES.none, offset };
      }),
    })));
  }

  #broker(route: Route): BrokerState {
    const broker = this.#brokers.find((b) => b.route === route);
    if (broker === undefined) {
      throw new RangeError(
        `Cannot find broker as 'route' must name a broker of the cluster: current value is ${route}`,
      );
    }
    return broker;
  }
}
