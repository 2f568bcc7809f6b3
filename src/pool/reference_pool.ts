import type { Clock } from "../clock/types.ts";
import type { SimSocket } from "../net/sim_socket.ts";
import type { Route, SimResponse } from "../net/types.ts";
import { type Caller, CallerTable, failureError } from "./_callers.ts";
import { EventHub } from "./_event_hub.ts";
import { SocketTable } from "./_socket_table.ts";
import { TimerTable } from "./_timer_table.ts";
import { checkDuration, describeValue } from "./_validate.ts";
import { PoolCore } from "./core.ts";
import type { Command, Failure, PoolTimer } from "./core_state.ts";
import { LeaseError } from "./errors.ts";
import type { PoolEvent, PoolEventType } from "./events.ts";
import { type Lease, PoolLease, type ReleaseOptions } from "./lease.ts";
import { type PoolConfig, type ReferencePoolOptions, resolvePoolConfig } from "./options.ts";
import type { PoolStats } from "./stats.ts";

/** Options for {@linkcode ReferencePool.acquire}. */
export interface AcquireOptions {
  /** Reject with AcquireTimeoutError when no connection came by then. @default {undefined} (wait) */
  timeoutMs?: number;
}

/** Options for {@linkcode ReferencePool.clear}. */
export interface ClearOptions {
  /**
   * Close leased and connecting connections of older generations at once
   * (CMAP's `interruptInUseConnections`), instead of when they are released
   * or their connect completes. @default {false}
   */
  interruptInUseConnections?: boolean;
}

/**
 * The reference pool: a readable, complete pool with the semantics of Apache
 * HttpClient 5's route pool, Kafka's multiplexed client, the JDK keep-alive
 * cache and MongoDB's CMAP, selected by options. It connects only through
 * `connect` and reads time only from `clock`.
 *
 * This class is the thin async facade: every decision is made by the
 * clock-free `PoolCore`; here the core's commands are carried out
 * (sockets opened and closed, timers armed, promises settled).
 *
 * @example Lease, use and release a connection on virtual time
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { ReferencePool } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const pool = new ReferencePool({ clock, connect: network.connect.bind(network) });
 * const acquiring = pool.acquire("api");
 * clock.runDue(); // the connect completes
 * {
 *   using lease = await acquiring;
 *   const response = lease.socket.request();
 *   clock.runDue();
 *   assert.equal((await response).sequence, 1);
 * }
 * assert.equal(pool.stats().total.available, 1);
 * await pool.close();
 * ```
 */
export class ReferencePool {
  readonly #clock: Clock;
  readonly #config: PoolConfig;
  readonly #core: PoolCore;
  readonly #sockets: SocketTable;
  readonly #timers: TimerTable;
  readonly #acquirers = new CallerTable<Lease>();
  readonly #senders = new CallerTable<SimResponse>();
  /** Senders whose request is on the wire. */
  readonly #written = new CallerTable<SimResponse>();
  readonly #leases = new Map<number, Lease>();
  readonly #issued = new WeakSet<Lease>();
  readonly #events = new EventHub();
  readonly #queue: Command[] = [];
  #draining = false;
  #nextCallerId = 1;
  #closing: { promise: Promise<void>; resolve: () => void } | undefined;

  /**
   * Create a pool; options are checked at once.
   *
   * @param options Clock, connect function and behaviour (see the presets).
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If an option is out of range or two options contradict.
   */
  constructor(options: ReferencePoolOptions) {
    const { clock, connect, onEvent, ...behaviour } = options ?? {} as ReferencePoolOptions;
    if (
      typeof clock?.now !== "function" || typeof clock.setTimer !== "function" ||
      typeof clock.clearTimer !== "function"
    ) {
      throw new TypeError(
        `Cannot create pool as 'clock' must be a Clock: current value is ${describeValue(clock)}`,
      );
    }
    if (typeof connect !== "function") {
      throw new TypeError(
        `Cannot create pool as 'connect' must be a function: current value is ${
          describeValue(connect)
        }`,
      );
    }
    this.#clock = clock;
    this.#config = resolvePoolConfig(behaviour);
    if (onEvent !== undefined) this.#events.onAny(onEvent);
    this.#timers = new TimerTable(clock);
    this.#sockets = new SocketTable(connect, {
      connected: (id, socket) => this.#execute(this.#core.connected(this.#now(), id, socket.id)),
      connectFailed: (id, error) => this.#execute(this.#core.connectFailed(this.#now(), id, error)),
      halfClosed: (id) => this.#execute(this.#core.halfClosed(this.#now(), id)),
      closed: (id, by) => this.#execute(this.#core.socketClosed(this.#now(), id, by)),
    }, this.#config.observePeerClose);
    this.#core = new PoolCore(this.#config, (id) => this.#sockets.socket(id)?.isStale() ?? true);
    this.#execute(this.#core.start(clock.now(), Object.freeze({ ...behaviour })));
  }

  /**
   * Lease a connection for `target` (its route is `routeKey(target)`).
   *
   * @param target What the caller wants to reach, e.g. a URL.
   * @param options An optional timeout.
   * @returns The lease, once a connection is available.
   * @throws {PoolClosedError} (rejection) If the pool is or gets closed.
   * @throws {PoolClearedError} (rejection) If the pool is or gets cleared.
   * @throws {AcquireTimeoutError} (rejection) At the `timeoutMs` deadline.
   * @throws {WaitQueueFullError} (rejection) If it would wait while `maxWaiters` already do.
   * @throws {ConnectError} (rejection) If the connect opened for it failed ("reject" policy).
   * @throws {TypeError} (rejection) In multiplexed mode (use `send`).
   * @throws {RangeError} (rejection) If `timeoutMs` is invalid.
   */
  acquire(target: string, options: AcquireOptions = {}): Promise<Lease> {
    try {
      if (this.#config.multiplexed) {
        throw new TypeError("Cannot acquire a connection as the pool is multiplexed: use send()");
      }
      const { timeoutMs } = options;
      if (timeoutMs !== undefined) {
        checkDuration("timeoutMs", timeoutMs, { infinite: false, action: "acquire a connection" });
      }
      const route = this.#route(target);
      const id = this.#nextCallerId++;
      const leased = this.#acquirers.add(id, route);
      this.#execute(this.#core.acquire(this.#clock.now(), id, route, timeoutMs));
      return leased;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Give a leased connection back.
   *
   * @param lease A lease this pool handed out and that is still held.
   * @param options `reusable: false` closes the connection.
   * @throws {LeaseError} If the lease was already released or is not from this pool.
   * @throws {TypeError} If `reusable` is not a boolean.
   */
  release(lease: Lease, options: ReleaseOptions = {}): void {
    const { reusable = true } = options;
    if (typeof reusable !== "boolean") {
      throw new TypeError(
        `Cannot release lease as 'reusable' must be a boolean: current value is ${
          describeValue(reusable)
        }`,
      );
    }
    if (!this.holds(lease)) {
      const id = typeof lease?.id === "number" ? lease.id : undefined;
      const issued = typeof lease === "object" && lease !== null && this.#issued.has(lease);
      throw new LeaseError(
        id,
        issued ? "it was already released" : "this pool did not hand it out",
        id === undefined ? describeValue(lease) : undefined,
      );
    }
    this.#leases.delete(lease.id);
    const { socket } = lease;
    this.#execute(this.#core.release(this.#clock.now(), lease.id, {
      reusable,
      keepAlive: socket.lastKeepAlive,
      requestsServed: socket.requestsServed,
    }));
  }

  /**
   * Whether `lease` is currently held from this pool.
   *
   * @param lease Any lease.
   * @returns `true` while it is leased and not released.
   */
  holds(lease: Lease): boolean {
    return typeof lease === "object" && lease !== null && this.#leases.get(lease.id) === lease;
  }

  /**
   * Send a request on the route's shared connection (multiplexed mode).
   * Responses arrive in send order; at most `maxInFlight` are outstanding.
   *
   * @param target What the caller wants to reach.
   * @returns The response.
   * @throws {TypeError} (rejection) If the pool is not multiplexed.
   * @throws {PoolClosedError} (rejection) If the pool is or gets closed.
   * @throws {ConnectError} (rejection) If the connect failed ("reject" policy).
   * @throws {SocketClosedError} (rejection) If the connection dropped with it in flight.
   */
  send(target: string): Promise<SimResponse> {
    try {
      if (!this.#config.multiplexed) {
        throw new TypeError("Cannot send as the pool is not multiplexed: use acquire()");
      }
      const route = this.#route(target);
      const id = this.#nextCallerId++;
      const answered = this.#senders.add(id, route);
      this.#execute(this.#core.send(this.#clock.now(), id, route));
      return answered;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Close idle connections idle for at least `idleMs`; leased ones are untouched.
   *
   * @param idleMs Idle threshold in ms.
   * @throws {RangeError} If `idleMs` is negative or not finite.
   */
  closeIdle(idleMs: number): void {
    checkDuration("idleMs", idleMs, { infinite: false, action: "close idle connections" });
    this.#execute(this.#core.closeIdle(this.#clock.now(), idleMs));
  }

  /** Close idle connections past their TTL or keep-alive deadline; leased ones are untouched. */
  closeExpired(): void {
    this.#execute(this.#core.closeExpired(this.#clock.now()));
  }

  /**
   * CMAP clear: existing connections become stale, every waiter fails now,
   * the pool pauses. Stale idle connections close now, leased ones when
   * released (never leased again), connects in progress when they complete.
   * With `interruptInUseConnections`, leased and connecting ones close now
   * too (reason `stale`). Clearing a paused pool emits no second PoolCleared.
   *
   * @param options Whether to interrupt in-use connections.
   * @throws {TypeError} If `interruptInUseConnections` is not a boolean.
   */
  clear(options: ClearOptions = {}): void {
    const { interruptInUseConnections = false } = options;
    if (typeof interruptInUseConnections !== "boolean") {
      throw new TypeError(
        `Cannot clear pool as 'interruptInUseConnections' must be a boolean: current value is ${
          describeValue(interruptInUseConnections)
        }`,
      );
    }
    this.#execute(this.#core.clear(this.#clock.now(), interruptInUseConnections));
  }

  /** CMAP ready: a cleared pool, or one created with `startPaused`, serves again. */
  ready(): void {
    this.#execute(this.#core.ready(this.#clock.now()));
  }

  /**
   * Close the pool: pending and later calls fail with PoolClosedError, idle
   * connections close now and leased ones when released. Idempotent.
   *
   * @returns Resolves when the pool holds no socket any more.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => (resolve = done));
      this.#closing = { promise, resolve };
      this.#execute(this.#core.close(this.#clock.now()));
    }
    return this.#closing.promise;
  }

  /**
   * Counts derived from the pool's collections, in total and per route.
   *
   * @returns Leased, available, pending, connecting and max.
   */
  stats(): PoolStats {
    return this.#core.stats();
  }

  /**
   * Listen for one kind of pool event. The constructor's events (`PoolCreated`,
   * and `PoolReady` unless the pool starts paused) come before anyone can
   * call this; the `onEvent` option sees them.
   *
   * @param type The event type, e.g. `"ConnectionCheckedOut"`.
   * @param listener Called with each such event; it must not throw.
   * @returns A function that removes the listener.
   */
  on(type: PoolEventType, listener: (event: PoolEvent) => void): () => void {
    return this.#events.on(type, listener);
  }

  #route(target: string): Route {
    if (typeof target !== "string") {
      throw new TypeError(
        `Cannot use target as 'target' must be a string: current value is ${describeValue(target)}`,
      );
    }
    return this.#config.routeKey(target);
  }

  /** Carry out commands in order; commands produced meanwhile join the queue. */
  #execute(commands: readonly Command[]): void {
    this.#queue.push(...commands);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let command = this.#queue.shift(); command; command = this.#queue.shift()) {
        this.#apply(command);
      }
    } finally {
      this.#draining = false;
    }
  }

  #apply(command: Command): void {
    switch (command.type) {
      case "connect":
        return this.#sockets.open(command.connectionId, command.route);
      case "abortConnect":
        return this.#sockets.abort(command.connectionId, command.reason);
      case "close":
        return this.#sockets.close(command.connectionId, command.reason);
      case "grant":
        return this.#grant(command.waiterId, command.connectionId, command.leaseId);
      case "reject":
        return this.#reject(command.waiterId, command.failure);
      case "write":
        return this.#write(command.waiterId, command.connectionId);
      case "armTimer":
        return this.#timers.arm(command.timer, command.delayMs, (timer) => this.#timerFired(timer));
      case "cancelTimer":
        return this.#timers.cancel(command.timer);
      case "emit":
        return this.#events.emit(command.event);
      case "drained":
        return this.#closing?.resolve();
    }
  }

  #now(): number {
    return this.#clock.now();
  }

  #timerFired(timer: PoolTimer): void {
    this.#execute(this.#core.timerFired(this.#now(), timer));
  }

  #grant(callerId: number, connectionId: number, leaseId: number): void {
    const caller = this.#acquirers.take(callerId);
    const socket = this.#sockets.socket(connectionId);
    if (caller === undefined || socket === undefined) return;
    const lease = new PoolLease(this, leaseId, caller.route, socket);
    this.#leases.set(leaseId, lease);
    this.#issued.add(lease);
    caller.resolve(lease);
  }

  #reject(callerId: number, failure: Failure): void {
    const caller = this.#acquirers.take(callerId) ?? this.#senders.take(callerId) ??
      this.#written.take(callerId);
    caller?.reject(failureError(caller.route, failure));
  }

  #write(callerId: number, connectionId: number): void {
    const caller = this.#senders.take(callerId);
    const socket: SimSocket | undefined = this.#sockets.socket(connectionId);
    if (caller === undefined || socket === undefined) return;
    // Held until the request settles: a request timeout fails the caller first.
    this.#written.put(callerId, caller);
    const settled = (outcome: (caller: Caller<SimResponse>) => void) => {
      const waiting = this.#written.take(callerId);
      if (waiting !== undefined) outcome(waiting);
      this.#execute(this.#core.requestSettled(this.#now(), connectionId, callerId));
    };
    socket.request().then(
      (response) => settled((c) => c.resolve(response)),
      (error: Error) => settled((c) => c.reject(error)),
    );
  }
}
