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
 *   partition, run through kafkajs's own retrier (src/retry/index.js) as a
 *   producer runs each send (src/producer/index.js `createRetry`). Each
 *   attempt, like `BrokerPool.connectBroker` (src/cluster/brokerPool.js),
 *   first connects the broker unless `isConnected()`; `Broker.connect`
 *   (src/broker/index.js) opens the connection and asks ApiVersions once.
 *   An attempt whose connect failed before any request reached the wire is
 *   retried after the retrier's backoff; any other failure fails the send
 *   (`bail`), so that the failures of requests on the wire reach their
 *   callers (INF-3, TMO-5). The adapter reports each attempt to the harness
 *   (TMO-3, policy `backoff.scope` `operation`). The send resolves with the
 *   simulated response that carried its Produce response: the broker
 *   records which response appended the batch at the base offset kafkajs
 *   reports;
 * - `respond`, `reset`, server closes and connect faults act on the
 *   simulated sockets and routes underneath, as the harness does for every
 *   pool; kafkajs hears them as a TCP client would (`_kafka_socket.ts`);
 * - `close()` disconnects every broker (`Broker.disconnect` →
 *   `ConnectionPool.destroy` → `Connection.disconnect`).
 *
 * What the adapter leaves out, and why, is in docs/kafka.md: the producer's
 * retries of requests that failed on the wire and its metadata refresh
 * (scenario tests in `kafkajs_test.ts`), and
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
  createRetry,
  type KafkaBroker,
  type RetryOptions,
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
    // kafkajs has no reconnect backoff per broker: a request to a disconnected
    // broker connects at once (ConnectionPool.getConnection). Its backoff is its
    // retrier's, per operation (src/retry/index.js createRetriable), which each
    // send runs through here: an attempt whose connect fails is retried after a
    // wait drawn from the previous one. The ranges below give its
    // initialRetryTime and maxRetryTime, policies.backoff its multiplier and
    // factor, and that its jitter compounds and that it spaces out the attempts
    // of a send.
    "reconnectBackoff",
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
    // The retrier's initialRetryTime (src/retry/defaults.js: 300 ms) and
    // maxRetryTime (30 s), scaled down to the times a run draws; any number of
    // ms is taken (createRetriable uses them as they are).
    reconnectBackoffMs: [5, 60],
    reconnectBackoffMaxMs: [20, 300],
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
    // There are no acquires to reject: CLS-1 judges the sends instead, as
    // closeSends says.
    closeWaiters: "reject",
    // Requests queued or in flight at close() are drained rather than rejected:
    // Broker.disconnect → ConnectionPool.destroy → Connection.disconnect
    // (src/network/connection.js) awaits RequestQueue.waitForPendingRequests
    // before it ends the socket, and that waits for the in-flight map and the
    // pending queue to empty (src/network/requestQueue/index.js).
    closeSends: "drain",
    // A failed connect rejects its attempt (Connection.connect's onError →
    // KafkaJSConnectionError), and the send's retrier tries again after its
    // backoff (no rule reads this for a multiplexed pool: TMO-3 judges the waits,
    // LIV-1 that the send settles).
    connectFailure: "retry",
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
    // kafkajs's retrier (src/retry/index.js): `createRetry` starts it with
    // randomFromRetryTime(factor, initialRetryTime), ceil of a draw in
    // initialRetryTime × [1 − factor, 1 + factor), not capped;
    // calculateExponentialRetryTime makes each next wait
    // min(randomFromRetryTime(factor, previous) × multiplier, maxRetryTime), so
    // the jitter compounds. The defaults (src/retry/defaults.js) are multiplier 2
    // and factor 0.2. Its waits and count live in one retrier call, one per send,
    // so each send starts afresh: scope "operation".
    backoff: { multiplier: 2, jitter: 0.2, compounding: true, scope: "operation" },
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
 * The retrier's multiplier, factor and retries (src/retry/defaults.js); its
 * initialRetryTime and maxRetryTime are drawn.
 */
const KAFKAJS_RETRY = { multiplier: 2, factor: 0.2, retries: 5 } as const;

/**
 * kafkajs's retrier options for a drawn config.
 *
 * @param config The drawn config.
 * @returns The options `createRetry` takes.
 */
export function kafkajsRetryOptions(config: PoolConfig): RetryOptions {
  return {
    ...KAFKAJS_RETRY,
    // Unset (no capability, as in tests that draw none): kafkajs's defaults.
    initialRetryTime: config.reconnectBackoffMs ?? 300,
    maxRetryTime: config.reconnectBackoffMaxMs ?? 30_000,
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
 *   request timeout (SocketRequest.timeoutRequest), a send's timeout;
 * - `KafkaJSNumberOfRetriesExceeded`: the retrier gave up
 *   (src/retry/index.js), which here it does only on connects that failed.
 *
 * A Broker's lock timeout (`KafkaJSLockTimeout`) names no kind of the kit's.
 */
const KAFKAJS_REJECTION_KINDS: Readonly<Record<string, RejectionKind>> = {
  KafkaJSConnectionError: "connectionError",
  KafkaJSConnectionClosedError: "connectionError",
  KafkaJSRequestTimeoutError: "timeout",
  KafkaJSNumberOfRetriesExceeded: "connectionError",
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

/**
 * Whether an attempt failed in its connect before any request reached the
 * wire: a `KafkaJSConnectionError` (refused, reset or timed out while
 * connecting, src/network/connection.js connect) with no request sent to
 * the route since the attempt began. Only such an attempt is retried: a
 * request that failed on the wire (ApiVersions on a first connect included)
 * must fail a caller (INF-3.b), and one that timed out too (TMO-5.c).
 */
function connectFailed(world: World, route: Route, from: number, error: unknown): boolean {
  if ((error as { name?: unknown } | null)?.name !== "KafkaJSConnectionError") return false;
  return !world.network.ledger.since(from).some((e) =>
    e.type === "RequestSent" && e.route === route
  );
}

/** The pool as the harness drives it, with the cluster and the broker objects for tests. */
export interface KafkajsPool extends PoolUnderTest<never> {
  /** The simulated cluster (for tests). */
  readonly cluster: SimKafkaCluster;
  /** The kafkajs broker object of a route (for tests). */
  readonly brokerOf: (route: Route) => KafkaBroker;
}

/** Options of {@linkcode createKafkajsPool}. */
export interface KafkajsPoolOptions {
  /**
   * The retrier's `retries`: attempts of a send after its first. Tests of a
   * single attempt set 0, which fails a send with its first failure (as
   * kafkajs's `KafkaJSNumberOfRetriesExceeded`, whose `cause` is it).
   *
   * @default 5 (src/retry/defaults.js)
   */
  readonly retries?: number;
}

/**
 * Build the pool for one run: a simulated cluster with a broker per route,
 * and a kafkajs `Broker` per node.
 *
 * @param config The drawn config.
 * @param world The run's world.
 * @param poolOptions The retrier's retries.
 * @returns The pool as the harness drives it.
 * @throws {RangeError} If `retries` is not a non-negative integer.
 */
export async function createKafkajsPool(
  config: PoolConfig,
  world: World,
  poolOptions: KafkajsPoolOptions = {},
): Promise<KafkajsPool> {
  const { retries = KAFKAJS_RETRY.retries } = poolOptions;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(
      `Cannot create pool as 'retries' must be a non-negative integer: current value is ${retries}`,
    );
  }
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
  const retry = createRetry({ ...kafkajsRetryOptions(config), retries }, world.random);
  // A send the pool's close() overtook is not retried: it fails with its attempt.
  let closed = false;
  const produce = async (broker: KafkaBroker, route: Route): Promise<SimResponse> => {
    const partition = config.routes.indexOf(route);
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
  };
  return {
    cluster,
    brokerOf,
    acquire: () =>
      Promise.reject(new Error("kafkajs multiplexes its connections: send, do not acquire")),
    release: () => {},
    connectionOf: () => -1,
    rejectionKind: kafkajsRejectionKind,
    async send(route, request): Promise<SimResponse> {
      const broker = brokerOf(route);
      const attempt = async () => {
        if (!broker.isConnected()) await broker.connect();
        return await produce(broker, route);
      };
      return await retry(async (bail) => {
        request.attemptStarted?.();
        const from = world.network.ledger.length;
        try {
          return await attempt();
        } catch (error) {
          request.attemptFailed?.();
          if (!closed && connectFailed(world, route, from, error)) throw error;
          // Returning after bail() keeps the retrier from arming a wait it would drop.
          bail(error as Error);
          return undefined as never;
        }
      });
    },
    async close(): Promise<void> {
      closed = true;
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
  create: (config, world) => createKafkajsPool(config, world),
};
