/**
 * Adapter for pg-pool 3 (`new Pool({ Client, max, … })`), the pool of
 * node-postgres, with a simulated `Client` so no database is needed.
 *
 * Mapping onto the simulated network:
 * - The pool has no notion of routes: it runs single-route, route rules are
 *   not applicable. Each pooled client holds one {@linkcode SimSocket}.
 * - The `Client` option gets {@linkcode SimPgClient}: the part of pg's
 *   `Client` contract pg-pool uses (`connect(cb)`, `end(cb)`, the `error`
 *   and `end` events, `_queryable`, `_ending`, `isConnected()`), with pg's
 *   reactions to the wire (pg/lib/client.js): when the server closes the
 *   connection or it is reset, the client marks itself not queryable, emits
 *   `error` (unless it is ending) and then `end`. A server half-close closes
 *   the socket at once, as Node's `net.Socket` does by default
 *   (`allowHalfOpen: false`).
 * - acquire → `pool.connect(callback)`; the lease is the checked-out client
 *   with that checkout's `done` function (the callback's third argument),
 *   which throws when called twice. release reusable → `done()`; release
 *   broken → `done(error)`, which pg-pool answers by removing the client.
 *   While a client is leased the adapter listens for its `error` event, as
 *   pg's documentation asks of callers (an unheard `error` would throw).
 * - Timeouts: pg-pool has one option, `connectionTimeoutMillis`, for both
 *   waiting in the queue and connecting a new client; `connect()` reads it
 *   synchronously, so the adapter sets it to the acquire's timeout for the
 *   duration of that call (0, none, otherwise). It is not declared as a
 *   separate connect timeout: a waiter served later by a new client connects
 *   with the pool's base value (none).
 * - `maxLifetimeSeconds` is given the drawn TTL in seconds; the pool arms
 *   `seconds * 1000` and timers truncate the delay, so the adapter picks a
 *   double next to `ttlMs / 1000` whose product truncates to `ttlMs` exactly.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import PgPool from "pg-pool";
import type {
  Adapter,
  PoolEventNotice,
  PoolStats,
  PoolUnderTest,
  RejectionKind,
  ReportedEventType,
} from "../../src/harness/adapter.ts";
import type { SimNetwork, SimSocket } from "../../src/net/mod.ts";
import type { Route, SocketId } from "../../src/net/types.ts";
import { onlyRoute, wrongRoute } from "./_factory_pool.ts";

/** What pg-pool calls back with for a checkout: an error, or the client and its `done`. */
type Checkout = (error: Error | undefined, client?: SimPgClient, done?: Done) => void;
/** A checkout's release function; an error argument removes the client. */
type Done = (error?: Error) => void;

/** The pg-pool surface the adapter uses (the package ships no typings). */
interface PgPoolLike {
  connect(callback: Checkout): void;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): void;
  on(
    event: "connect" | "acquire" | "remove",
    listener: (client: SimPgClient) => void,
  ): void;
  on(event: "release", listener: (error: Error | undefined, client: SimPgClient) => void): void;
  readonly options: { connectionTimeoutMillis?: number | undefined };
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** A checked-out client: what the harness holds between acquire and release. */
export interface PgLease {
  /** The client pg-pool handed out. */
  readonly client: SimPgClient;
  /** This checkout's release function. */
  readonly done: Done;
}

/**
 * A stand-in for pg's `Client` on the simulated network: `connect` opens a
 * socket on the route, `end` closes it, and a socket lost to the server or
 * the network is reported the way pg reports it (`error`, then `end`).
 *
 * @example A client reports a reset as pg does
 * ```ts
 * import assert from "node:assert/strict";
 * import { SimPgClient } from "./pg_pool.ts";
 * import { inGlobalWorld, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const client = new SimPgClient(world.network, "db");
 *   client.connect(() => {});
 *   await settle(world);
 *   const errors: Error[] = [];
 *   client.on("error", (error: Error) => errors.push(error));
 *   world.network.reset(client.socketId!);
 *   assert.equal(errors[0]?.message, "Connection terminated unexpectedly");
 *   assert.equal(client._queryable, false);
 * });
 * ```
 */
export class SimPgClient extends EventEmitter {
  /** pg: whether queries may be sent; pg-pool removes a released client that is not. */
  _queryable = false;
  /** pg: `end()` was called; pg-pool removes a released client that is ending. */
  _ending = false;
  #network: SimNetwork;
  #route: Route;
  #socket: SimSocket | undefined;
  #connecting: AbortController | undefined;
  #ended = false;

  /**
   * @param network Network to connect through.
   * @param route Route to connect to.
   */
  constructor(network: SimNetwork, route: Route) {
    super();
    this.#network = network;
    this.#route = route;
  }

  /** Id of the socket, once connected. */
  get socketId(): SocketId | undefined {
    return this.#socket?.id;
  }

  /** Whether a connect is in progress. */
  get connecting(): boolean {
    return this.#connecting !== undefined;
  }

  /**
   * pg-native's probe, which pg-pool's connection timeout uses when the
   * client has no `connection` stream: `false` until connected.
   *
   * @returns Whether the socket is open.
   */
  isConnected(): boolean {
    return this.#socket !== undefined && !this.#ended;
  }

  /**
   * Open the socket.
   *
   * @param callback Called once, with the error if the connect fails or is aborted.
   */
  connect(callback: (error?: Error) => void): void {
    const controller = new AbortController();
    this.#connecting = controller;
    this.#network.connect(this.#route, { signal: controller.signal }).then(
      (socket) => {
        this.#connecting = undefined;
        this.#socket = socket;
        this._queryable = true;
        socket.onHalfClose(() => {
          socket.close("peer-closed");
        });
        socket.onClose(() => this.#lost());
        callback();
      },
      (error: Error) => {
        this.#connecting = undefined;
        this.#ended = true;
        callback(error);
        queueMicrotask(() => this.emit("end"));
      },
    );
  }

  /**
   * Close the client: abort a connect in progress, or close the socket.
   *
   * @param callback Called once the client has ended.
   */
  end(callback?: () => void): void {
    this._ending = true;
    if (this.#connecting !== undefined) {
      this.#connecting.abort(new Error("Connection terminated"));
      callback?.();
      return;
    }
    if (this.#ended || this.#socket === undefined) {
      callback?.();
      return;
    }
    if (callback !== undefined) this.once("end", callback);
    this.#socket.close("end");
  }

  #lost(): void {
    if (this.#ended) return;
    this.#ended = true;
    this._queryable = false;
    if (!this._ending) this.emit("error", new Error("Connection terminated unexpectedly"));
    queueMicrotask(() => this.emit("end"));
  }
}

function clientClass(network: SimNetwork, route: Route): new () => SimPgClient {
  return class extends SimPgClient {
    constructor() {
      super(network, route);
    }
  };
}

function checkout(pool: PgPoolLike, timeoutMs: number | undefined): Promise<PgLease> {
  return new Promise((resolve, reject) => {
    const options = pool.options;
    const saved = options.connectionTimeoutMillis;
    options.connectionTimeoutMillis = timeoutMs ?? 0;
    try {
      pool.connect((error, client, done) => {
        if (error !== undefined || client === undefined || done === undefined) {
          reject(error ?? new Error("pg-pool called back without a client"));
          return;
        }
        // A leased client's `error` event is the caller's to hear (pg's docs).
        client.on("error", ignoreLeasedError);
        resolve({ client, done });
      });
    } finally {
      options.connectionTimeoutMillis = saved;
    }
  });
}

function ignoreLeasedError(): void {}

function adjacentDouble(x: number, steps: number): number {
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = bits[0]! + BigInt(steps);
  return new Float64Array(bits.buffer)[0]!;
}

/**
 * Seconds `s` whose `s * 1000` truncates to `ms`: timers truncate their delay
 * (Node, and the fake timers), so a product a hair below `ms` would fire 1 ms
 * early. Tries the doubles next to `ms / 1000`, smallest product first.
 */
function lifetimeSeconds(ms: number): number {
  const near = ms / 1000;
  for (let steps = -2; steps <= 4; steps++) {
    const candidate = adjacentDouble(near, steps);
    const product = candidate * 1000;
    if (product >= ms && product < ms + 1) return candidate;
  }
  return near;
}

/**
 * The codes of the socket errors a TCP connect fails with (Node's system
 * errors: refused, reset, aborted, timed out), which pg's `Client` hands to
 * its connect callback as they are (pg/lib/client.js
 * `_handleErrorWhileConnecting`) and pg-pool to the checkout that started
 * the client (index.js `newClient`: `pendingItem.callback(err, …)`). The
 * simulated network fails connects with `ECONNREFUSED` (refused) and
 * `ECONNABORTED` (aborted by the client).
 */
const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
]);

/**
 * The kind of an error pg-pool rejects a checkout with, read as a caller's
 * `catch` block reads it. pg-pool makes plain `Error`s, told apart by their
 * messages, each made in one place (index.js):
 * - "Cannot use a pool after calling end on the pool": `connect()` once
 *   `end()` set `ending`. → `poolClosed`
 * - "timeout exceeded when trying to connect": the timer `connect()` arms
 *   for a checkout it queues, at `connectionTimeoutMillis` (the acquire's
 *   timeout, see the module comment). → `timeout`
 * - "Connection terminated due to connection timeout": `newClient`, when its
 *   own `connectionTimeoutMillis` timer ended a client still connecting
 *   (`timeoutHit`): the connect timed out. → `connectionError`
 * - a connect error of the client, passed through by `newClient`: a socket
 *   error with one of the {@linkcode CONNECT_ERROR_CODES}, or pg's
 *   "Connection terminated unexpectedly" for a stream that ended while
 *   connecting (pg/lib/client.js `_connect`). → `connectionError`
 *
 * pg-pool has no wait-queue bound and no clear. Anything else, such as the
 * adapter's own errors (a route the pool does not serve, never drawn; a
 * callback without a client, which index.js never makes), is not a kind the
 * pool makes: `undefined`.
 *
 * @param error What a checkout was rejected with.
 * @returns Its kind, or `undefined`.
 */
export function pgPoolRejectionKind(error: unknown): RejectionKind | undefined {
  if (!(error instanceof Error)) return undefined;
  switch (error.message) {
    case "Cannot use a pool after calling end on the pool":
      return "poolClosed";
    case "timeout exceeded when trying to connect":
      return "timeout";
    case "Connection terminated due to connection timeout":
    case "Connection terminated unexpectedly":
      return "connectionError";
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && CONNECT_ERROR_CODES.has(code) ? "connectionError" : undefined;
}

/** The CMAP types pg-pool's events stand for (see {@linkcode subscribePgPoolEvents}). */
export const PG_POOL_EVENT_TYPES: readonly ReportedEventType[] = [
  "ConnectionReady",
  "ConnectionClosed",
  "ConnectionCheckedOut",
  "ConnectionCheckedIn",
];

/**
 * Report pg-pool's events (README "events"; index.js) as the CMAP events
 * they stand for, each on the socket of the client it names:
 * - `connect(client)`: `_acquireClient` emits it for a new client
 *   (`isNew`), after its connect succeeded ("Fired whenever the pool creates
 *   a new pg.Client instance and successfully connects it"):
 *   `ConnectionReady`.
 * - `acquire(client)`: `_acquireClient` emits it whenever it hands a client
 *   to a pending checkout ("Fired whenever a client is acquired from the
 *   pool"): `ConnectionCheckedOut`.
 * - `release(err, client)`: `_release` emits it whenever a checkout's release
 *   function gives the client back (a repeated call throws first,
 *   `_releaseOnce`): `ConnectionCheckedIn`.
 * - `remove(client)`: `_remove` emits it once `client.end()` has called
 *   back, i.e. the client's socket is closed: `ConnectionClosed`.
 *
 * Not reported, because pg-pool has no event for them: a connect that starts
 * (`newClient` emits nothing; `connect` comes only once it succeeded) or
 * fails, a checkout that starts or fails (`connect()` emits nothing), and
 * the end of the pool (`end()` only calls back). `error` is an idle client's
 * error, which `remove` follows.
 *
 * @param pool The pg-pool.
 * @param route Its route.
 * @param listener The kit's listener.
 */
export function subscribePgPoolEvents(
  pool: PgPoolLike,
  route: Route,
  listener: (event: PoolEventNotice) => void,
): void {
  const on = (type: ReportedEventType, client: SimPgClient) => {
    const socketId = client.socketId;
    listener({ type, route, ...(socketId === undefined ? {} : { socketId }) });
  };
  pool.on("connect", (client) => on("ConnectionReady", client));
  pool.on("acquire", (client) => on("ConnectionCheckedOut", client));
  pool.on("release", (_error, client) => on("ConnectionCheckedIn", client));
  pool.on("remove", (client) => on("ConnectionClosed", client));
}

function statsOf(pool: PgPoolLike, clients: Set<SimPgClient>, route: Route): PoolStats {
  // pg-pool reports clients (connecting included), idle ones and waiters; the
  // clients still connecting are counted from the simulated clients.
  let connecting = 0;
  for (const client of clients) if (client.connecting) connecting++;
  const total = {
    leased: pool.totalCount - pool.idleCount - connecting,
    available: pool.idleCount,
    pending: pool.waitingCount,
    connecting,
  };
  return { total, routes: { [route]: total } };
}

/**
 * pg-pool 3.14 judged by the kit.
 *
 * Capabilities and policies, each from pg-pool's index.js:
 * - `acquireTimeout`: `connectionTimeoutMillis` rejects a queued checkout
 *   ("timeout exceeded when trying to connect") and ends a client still
 *   connecting ("Connection terminated due to connection timeout").
 * - `releaseBroken`: `release(err)` → `_remove` → `client.end()`.
 * - `ttl`: `maxLifetimeSeconds`; its timer starts when the connect succeeds
 *   (`_afterConnect`), an idle client is removed then, a leased one at release.
 * - `maxIdle`: `idleTimeoutMillis`, one exact timer per idle client (min 0).
 * - `maxUses`: `_release` adds one to `client._poolUseCount` on every release
 *   and removes the client once it reaches `maxUses` ("remove expended
 *   client"), so a client serves at most `maxUses` checkouts. 0 means no
 *   limit (`maxUses || Infinity` in the constructor), so the range starts at 1.
 * - `stats`: `totalCount`, `idleCount`, `waitingCount`.
 * - `rejectsBadRelease`: a checkout's release throws when called twice
 *   (`_releaseOnce`).
 * - `rejectionKinds`: an ended pool, a queue timeout, a connect timeout and
 *   a failed connect each reject with their own error (see
 *   {@linkcode pgPoolRejectionKind}).
 * - `events`: `connect`, `acquire`, `release` and `remove`, mapped in
 *   {@linkcode subscribePgPoolEvents}.
 * - Reuse order `lifo`: `_idle.push` on release, `_idle.pop` on checkout.
 * - Waiters `fifo`: `_pendingQueue.push`/`shift`. Overtaking is possible: a
 *   new checkout connects a new client at once when the pool is not full and
 *   has no idle client, which happens while a removed client's `end` has not
 *   called back and a waiter is still queued.
 * - Expiry `timer`; a failed connect rejects its checkout; `end()` rejects
 *   later checkouts but leaves queued ones pending (`drop`); the limit `max`
 *   counts idle clients (`_isFull` is `_clients.length >= max`).
 * - Not declared: connect timeout (see above), keep-alive and its `max=M`
 *   hint (`maxUses` counts releases, not the server's hint), maxWaiters,
 *   maxConnecting, routes.
 *
 * @example Leasing, reusing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { pgPoolAdapter } from "./pg_pool.ts";
 * import { inGlobalWorld, poolConfig, settle } from "./_factory_pool.ts";
 *
 * await inGlobalWorld(async (world) => {
 *   const pool = await pgPoolAdapter.create(poolConfig(), world);
 *   const first = pool.acquire("db", {});
 *   await settle(world);
 *   const lease = await first;
 *   assert.equal(pool.connectionOf(lease), 1);
 *   pool.release(lease, { reusable: true });
 *   const closing = pool.close();
 *   await settle(world);
 *   await closing;
 *   assert.equal(world.network.socket(1)?.state, "closed");
 * });
 * ```
 */
export const pgPoolAdapter: Adapter<PgLease> = {
  name: "pg-pool",
  supports: {
    timeMode: "global",
    capabilities: [
      "stats",
      "acquireTimeout",
      "releaseBroken",
      "ttl",
      "maxIdle",
      "maxUses",
      "rejectsBadRelease",
      "rejectionKinds",
      "events",
    ],
    ranges: {
      routes: [1, 1],
      maxTotal: [1, 6],
      maxPerRoute: [1, 6],
      // 0 means "no timeout" to pg-pool.
      acquireTimeoutMs: [1, 2_000],
      ttlMs: [100, 5_000],
      maxIdleMs: [50, 5_000],
      // 0 means "no limit" to pg-pool.
      maxUses: [1, 4],
    },
    policies: {
      reuseOrder: "lifo",
      waiterOrder: "fifo",
      overtaking: true,
      expiry: ["timer"],
      closeWaiters: "drop",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // pg-pool's idle listener removes an idle client when it emits 'error' (index.js makeIdleListener); the simulated Client emits it when the server closes.
      closeDetection: "event",
    },
    toleranceMs: 0,
    eventTypes: PG_POOL_EVENT_TYPES,
  },
  create(config, world): PoolUnderTest<PgLease> {
    const route = onlyRoute("pg-pool", config);
    const { network } = world;
    const clients = new Set<SimPgClient>();
    const Client = clientClass(network, route);
    const pool: PgPoolLike = new PgPool({
      Client: class extends Client {
        constructor() {
          super();
          clients.add(this);
          this.once("end", () => clients.delete(this));
        }
      },
      max: config.maxTotal,
      min: 0,
      // 0 switches the idle timer off (the default would be 10 s).
      idleTimeoutMillis: config.maxIdleMs ?? 0,
      maxLifetimeSeconds: config.ttlMs === undefined ? 0 : lifetimeSeconds(config.ttlMs),
      // Unset, pg-pool's own default (no limit) applies.
      maxUses: config.maxUses,
    });
    // An idle client's error is handled by the pool (it removes the client)
    // and then re-emitted on the pool, where nobody else listens.
    pool.on("error", () => {});
    return {
      acquire: (asked, { timeoutMs }) =>
        wrongRoute("pg-pool", route, asked) ?? checkout(pool, timeoutMs),
      release: ({ client, done }, { reusable }) => {
        done(reusable ? undefined : new Error("released as broken"));
        client.removeListener("error", ignoreLeasedError);
      },
      connectionOf: ({ client }) => {
        const id = client.socketId;
        if (id === undefined) throw new Error("pg-pool handed out a client that is not connected");
        return id;
      },
      close: () => pool.end(),
      stats: () => statsOf(pool, clients, route),
      rejectionKind: pgPoolRejectionKind,
      events: (listener) => subscribePgPoolEvents(pool, route, listener),
    };
  },
};
