/**
 * Adapter for kafkajs 2's connection management: Kafka's multiplexed
 * one-connection-per-broker client, judged on the real client over a
 * simulated cluster.
 *
 * Mapping onto the contract:
 * - each route is a broker of a simulated cluster (`_kafka_broker.ts`), with
 *   node id its index in `config.routes`; the topic `poolcheck` has one
 *   partition per broker, partition `i` led by broker `i`;
 * - the pool is kafkajs's per-broker stack, the one its producer sends
 *   through: a `Broker` per node over a `ConnectionPool` built by the
 *   cluster's `connectionPoolBuilder`, as `BrokerPool` builds them
 *   (src/cluster/brokerPool.js `refreshMetadata`), with `Connection` and its
 *   `RequestQueue` underneath (`_kafka_client.ts`). Every connection comes
 *   from kafkajs's `socketFactory` option, answered by the simulated cluster;
 * - `send(route)` is one Produce (acks 1) of one message to the route's
 *   partition. Like `BrokerPool.connectBroker` (src/cluster/brokerPool.js),
 *   it first connects the broker unless `isConnected()`; `Broker.connect`
 *   (src/broker/index.js) opens the connection and asks ApiVersions once.
 *   The send resolves with the simulated response that carried its Produce
 *   response: the broker records which response appended the batch at the
 *   base offset kafkajs reports;
 * - `respond`, `reset`, server closes and connect faults act on the
 *   simulated sockets and routes underneath, as the harness does for every
 *   pool; kafkajs hears them as a TCP client would (`_kafka_socket.ts`);
 * - `close()` disconnects every broker (`Broker.disconnect` →
 *   `ConnectionPool.destroy` → `Connection.disconnect`).
 *
 * What the adapter leaves out, and why, is in docs/kafka.md: the producer's
 * retry loop and metadata refresh (scenario tests in `kafkajs_test.ts`), and
 * Fetch on the second connection kafkajs keeps per broker (a producer sends
 * none; the declaration allows that connection all the same). The request
 * timeout is judged (TMO-5): the connection's is drawn, while each Produce
 * asks the broker to wait for acks up to kafkajs's default 30 s.
 *
 * @module
 */
import type {
  Adapter,
  PoolConfig,
  PoolUnderTest,
  RejectionKind,
  Supports,
  World,
} from "../../src/harness/adapter.ts";
import type { Route, SimResponse } from "../../src/net/types.ts";
import { BROKER_PORT, SimKafkaCluster } from "./_kafka_broker.ts";
import {
  type ConnectionOptions,
  createBroker,
  type KafkaBroker,
  silentLogger,
} from "./_kafka_client.ts";

/** The topic every send produces to: one partition per broker. */
export const KAFKAJS_TOPIC = "poolcheck";

/**
 * kafkajs's default request timeout (src/cluster/index.js: `requestTimeout = 30000`),
 * enforced by `RequestQueue.scheduleRequestTimeoutCheck`, which checks the
 * in-flight requests every `min(requestTimeout, 100)` ms. The produce
 * request's own `timeout` (the broker's wait for acks) keeps it; the
 * connection's request timeout is drawn (range `requestTimeoutMs`).
 */
export const KAFKAJS_REQUEST_TIMEOUT_MS = 30_000;

/** What kafkajs's connection management declares. */
export const KAFKAJS_SUPPORTS: Supports = {
  // Connection (src/network/connection.js) arms its connection timeout with the
  // global setTimeout, RequestQueue its request-timeout check with setInterval and
  // Date.now(), and Broker's Lock (src/utils/lock.js) its timeout with setTimeout.
  timeMode: "global",
  capabilities: [
    // ConnectionPool.send (src/network/connectionPool.js) puts every request but
    // Fetch on the broker's first connection, shared by all callers; Connection.send
    // matches responses to requests by correlation id (processData → fulfillRequest),
    // so each caller gets its own answer, in the order the broker sends them. On a
    // disconnect (the socket's `error` or `end`), Connection.connect's handlers call
    // rejectRequests → RequestQueue.rejectAll, which fails the requests in flight in
    // send order, then the queued ones (src/network/requestQueue/index.js).
    "multiplexed",
    // Connection.connect arms `connectionTimeout` (kafkajs's default 1000 ms) and,
    // when it fires, rejects the connect and disconnects, which ends the socket:
    // `end()`, not `destroy()`, which a connecting net.Socket defers until it
    // connects, so the connect is not abandoned (TMO-2.a).
    "connectTimeout",
    // Not "reconnectBackoff": kafkajs has none. A request to a disconnected broker
    // connects at once (ConnectionPool.getConnection); the backoff it has is its
    // retrier's, per operation, above this layer (src/retry/index.js, defaults in
    // src/retry/defaults.js: initialRetryTime 300 ms, multiplier 2, factor 0.2,
    // maxRetryTime 30 s, retries 5). Its parameters fit TMO-3's declared policy
    // (ranges for the initial delay and the cap, policies.backoff { multiplier: 2,
    // jitter: 0.2 }), but its jitter compounds from one wait to the next, which
    // the policy's bounds do not (docs/kafka.md). The producer scenarios in
    // kafkajs_test.ts check it instead.
    // kafkajs's errors carry their class in `name` (src/errors.js), which is what a
    // caller's catch block reads (see kafkajsRejectionKind).
    "rejectionKinds",
    // RequestQueue (src/network/requestQueue/index.js), with `enforceRequestTimeout`
    // (the default), checks its in-flight requests every min(requestTimeout, 100) ms
    // and times out one older than requestTimeout (`Date.now() - request.sentAt >
    // request.requestTimeout`): SocketRequest.timeoutRequest rejects it with
    // KafkaJSRequestTimeoutError and the queue deletes it from its in-flight map
    // and sends the next queued request (createSocketRequest's `timeout`).
    "requestTimeout",
  ],
  ranges: {
    // One simulated broker per route (node id = index): up to a cluster of three,
    // as the producer scenarios run. A kafkajs client keeps a Broker per node it
    // learns from Metadata (src/cluster/brokerPool.js refreshMetadata).
    routes: [1, 3],
    // kafkajs has no limit on the total of connections: at most two per broker
    // (connectionsPerRoute below). The total that a run of 3 brokers cannot
    // exceed without breaking INF-1.b first stands for "no limit".
    maxTotal: [6, 6],
    // Drawn, but unused: kafkajs has no per-broker limit to configure (no
    // capability "maxPerRoute"); connectionsPerRoute below says how many it keeps.
    maxPerRoute: [1, 1],
    // RequestQueue.canSendSocketRequestImmediately queues a request while
    // `inflight.size >= maxInFlightRequests` (the client option, default null:
    // unlimited) and sends queued ones first in, first out as responses come
    // back (checkPendingRequests).
    maxInFlight: [1, 5],
    // `connectionTimeout` (src/network/connection.js connect:
    // `setTimeout(onTimeout, this.connectionTimeout)`) takes any number of ms; its
    // default, 1000 (src/index.js), is beyond the times a run draws.
    connectTimeoutMs: [5, 100],
    // At least the connection timeout: ApiVersions, the first request on a new
    // connection, is sent with `requestTimeout: connectionTimeout` (Broker.connect),
    // and a request's timeout is the larger of its own and the queue's
    // (createSocketRequest: `Math.max(defaultRequestTimeout, customRequestTimeout)`).
    requestTimeoutMs: [100, 200],
  },
  policies: {
    // No leases: a multiplexed pool is judged by the INF rules, and no ORD rule
    // reads these three; they document the request queue. Every request to a
    // broker shares one connection, so there is no idle one to choose. Queued
    // requests leave RequestQueue first in, first out (checkPendingRequests:
    // `this.pending.shift()`), as soon as a slot frees (fulfillRequest and the
    // timeout callback call checkPendingRequests at once), so a new request
    // finds a free slot only when none is queued and overtakes nothing. The
    // exception is broker throttling (`throttledUntil`, maybeThrottle), which
    // the simulated broker never asks for (throttle time 0).
    reuseOrder: "any",
    waiterOrder: "fifo",
    overtaking: false,
    // kafkajs closes no connection for idleness or age (it has no
    // connections.max.idle.ms): nothing expires.
    expiry: [],
    // There are no acquires to reject: CLS-1, which reads this, judges acquires
    // only, so it judges nothing here. Requests queued or in flight at close()
    // are drained rather than rejected (Connection.disconnect awaits
    // RequestQueue.waitForPendingRequests before it ends the socket); "drain"
    // would only turn CLS-1 off, while a send made after close() is left to
    // CLS-2.a (docs/kafka.md).
    closeWaiters: "reject",
    // A failed connect rejects (Connection.connect's onError → KafkaJSConnectionError);
    // the retry belongs to the producer's retrier, above this layer.
    connectFailure: "reject",
    // kafkajs has no limit to count against (ranges.maxTotal above); the
    // connections it keeps per broker, idle or busy, are ConnectionPool's two.
    limitsCountIdle: true,
    // Nothing closes a connection of one broker for another's sake: a
    // Connection is disconnected only by its own socket's events, a timeout of
    // its own, or Broker.disconnect (src/network/connection.js, src/broker/index.js).
    closeIdleOfOtherRoutes: false,
    // Connection listens for the socket's `end` and `error` (src/network/socket.js)
    // and on either rejects its requests and disconnects at once.
    closeDetection: "event",
    // The request stays on the wire: only the queue forgets it (its `timeout`
    // deletes it from `inflight`); the connection is not closed, and a late
    // answer finds no request of its correlation id (RequestQueue.fulfillRequest logs
    // "Response without match").
    // The check runs every min(requestTimeout, 100) ms, 100 for the drawn range,
    // and times out a request only once it is strictly older than the timeout.
    requestTimeout: { onTimeout: "abandon", checkPeriodMs: 100 },
  },
  // kafkajs acts on the virtual clock's own timers (timeMode "global"): its
  // connection timeout fires at connectionTimeout exactly; the request timeout's
  // check period is declared in policies.requestTimeout, not as a tolerance.
  toleranceMs: 0,
  // ConnectionPool (src/network/connectionPool.js) builds two Connections per
  // broker (`new Array(2).fill().map(() => new Connection(options))`) and sends
  // Fetch on the second, every other request on the first
  // (getConnectionByRequest: `{ [apiKeys.Fetch]: 1 }[apiKey] || 0`): a client
  // may hold two live connections to a broker, and INF-1.b allows two. The
  // kit's sends are Produce, which use the first only (docs/kafka.md).
  connectionsPerRoute: 2,
};

/**
 * kafkajs's connection options for a drawn config, on a simulated cluster.
 *
 * @param config The drawn config.
 * @param cluster The simulated cluster.
 * @returns The options `connectionPoolBuilder` takes.
 */
export function kafkajsConnectionOptions(
  config: PoolConfig,
  cluster: SimKafkaCluster,
): ConnectionOptions {
  return {
    socketFactory: cluster.socketFactory,
    brokers: cluster.bootstrap(),
    clientId: "poolcheck",
    // Unset (no capability): kafkajs's default, src/index.js `connectionTimeout = 1000`.
    connectionTimeout: config.connectTimeoutMs ?? 1_000,
    requestTimeout: config.requestTimeoutMs ?? KAFKAJS_REQUEST_TIMEOUT_MS,
    enforceRequestTimeout: true,
    maxInFlightRequests: config.maxInFlight ?? null,
    logger: silentLogger(),
  };
}

/**
 * The kinds of the errors a send can fail with here, by kafkajs's error
 * `name` (src/errors.js):
 * - `KafkaJSConnectionError`: the socket failed, was refused or reset
 *   (src/network/connection.js connect's `onError`), or the connection timeout
 *   fired (`onTimeout`);
 * - `KafkaJSConnectionClosedError`: the broker closed the connection
 *   (connect's `onEnd` rejects the requests in flight and queued with it);
 * - `KafkaJSRequestTimeoutError`: the request was not answered within the
 *   request timeout (SocketRequest.timeoutRequest), a send's timeout.
 *
 * A Broker's lock timeout (`KafkaJSLockTimeout`) names no kind of the kit's.
 */
const KAFKAJS_REJECTION_KINDS: Readonly<Record<string, RejectionKind>> = {
  KafkaJSConnectionError: "connectionError",
  KafkaJSConnectionClosedError: "connectionError",
  KafkaJSRequestTimeoutError: "timeout",
};

/**
 * The kind of an error kafkajs rejected a send with, read from its `name`.
 *
 * @param error What a send was rejected with.
 * @returns Its kind, or `undefined` for an error that names none.
 */
export function kafkajsRejectionKind(error: unknown): RejectionKind | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return error instanceof Error && typeof name === "string" &&
      Object.hasOwn(KAFKAJS_REJECTION_KINDS, name)
    ? KAFKAJS_REJECTION_KINDS[name]
    : undefined;
}

/** Error of a Produce response that names no batch the cluster appended. */
function unmatchedResponse(route: Route, offset: string): Error {
  return Object.assign(
    new Error(
      `Produce to ${route} reported offset ${offset}, which no simulated response appended`,
    ),
    { code: "ERR_UNMATCHED_RESPONSE" },
  );
}

/** The pool as the harness drives it, with the cluster and the broker objects for tests. */
export interface KafkajsPool extends PoolUnderTest<never> {
  /** The simulated cluster (for tests). */
  readonly cluster: SimKafkaCluster;
  /** The kafkajs broker object of a route (for tests). */
  readonly brokerOf: (route: Route) => KafkaBroker;
}

/**
 * Build the pool for one run: a simulated cluster with a broker per route,
 * and a kafkajs `Broker` per node.
 *
 * @param config The drawn config.
 * @param world The run's world.
 * @returns The pool as the harness drives it.
 */
export async function createKafkajsPool(config: PoolConfig, world: World): Promise<KafkajsPool> {
  const cluster = new SimKafkaCluster(world.network, {
    brokers: config.routes,
    topics: { [KAFKAJS_TOPIC]: config.routes.length },
  });
  const options = kafkajsConnectionOptions(config, cluster);
  const brokers = new Map<Route, KafkaBroker>();
  for (const [nodeId, host] of config.routes.entries()) {
    brokers.set(host, await createBroker(options, { host, port: BROKER_PORT, nodeId }));
  }
  const brokerOf = (route: Route): KafkaBroker => {
    const broker = brokers.get(route);
    if (broker === undefined) {
      throw new RangeError(`Cannot send as 'route' must name a broker: current value is ${route}`);
    }
    return broker;
  };
  return {
    cluster,
    brokerOf,
    acquire: () =>
      Promise.reject(new Error("kafkajs multiplexes its connections: send, do not acquire")),
    release: () => {},
    connectionOf: () => -1,
    rejectionKind: kafkajsRejectionKind,
    async send(route): Promise<SimResponse> {
      const broker = brokerOf(route);
      const partition = config.routes.indexOf(route);
      if (!broker.isConnected()) await broker.connect();
      const result = await broker.produce({
        acks: 1,
        timeout: KAFKAJS_REQUEST_TIMEOUT_MS,
        topicData: [{
          topic: KAFKAJS_TOPIC,
          partitions: [{ partition, messages: [{ key: null, value: `to ${route}` }] }],
        }],
      });
      const offset = result.topics[0]?.partitions[0]?.offset ?? "-1";
      const response = cluster.appendedBy(KAFKAJS_TOPIC, partition, Number(offset));
      if (response === undefined) throw unmatchedResponse(route, offset);
      return response;
    },
    async close(): Promise<void> {
      await Promise.all([...brokers.values()].map((broker) => broker.disconnect()));
    },
  };
}

/**
 * kafkajs 2's connection management (Broker, ConnectionPool, Connection,
 * RequestQueue) over a simulated cluster, sending Produce requests.
 */
export const kafkajsAdapter: Adapter<never> = {
  name: "kafkajs",
  supports: KAFKAJS_SUPPORTS,
  create: createKafkajsPool,
};
