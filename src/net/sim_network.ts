import type { Clock, TimerId } from "../clock/types.ts";
import { ConnectAbortedError, ConnectRefusedError } from "./errors.ts";
import { Ledger } from "./ledger.ts";
import { type SimSocket, SocketImpl, type Wire } from "./sim_socket.ts";
import type { EndpointBehaviour, RequestId, Route, SocketId } from "./types.ts";

/** Options for {@linkcode SimNetwork}. */
export interface SimNetworkOptions {
  /** Clock every latency and server timer runs on. */
  clock: Clock;
  /**
   * Behaviour of every route not configured otherwise.
   * @default {{}} (connects succeed at once, responses come at once, servers never close idle sockets)
   */
  defaults?: EndpointBehaviour;
}

/** Options for {@linkcode SimNetwork.connect}. */
export interface ConnectOptions {
  /** Aborting it gives up a connect that is still in progress. */
  signal?: AbortSignal;
}

/**
 * A simulated network of endpoints, one per route, on a virtual clock.
 *
 * Every connect, close, request and response is recorded in
 * {@linkcode SimNetwork.ledger}, the witness the conformance rules read.
 * Faults are set per route with {@linkcode SimNetwork.configure} or per
 * socket with {@linkcode SimNetwork.configureSocket}, or injected at once with
 * {@linkcode SimNetwork.serverClose} and {@linkcode SimNetwork.reset}.
 * Nothing happens synchronously inside `connect` or `request`: outcomes
 * arrive when the clock is driven, as on a real network.
 *
 * @example Connecting and serving a request
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "./sim_network.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * network.configure("db", { connectLatencyMs: 10, keepAliveHint: { timeoutMs: 5_000 } });
 * const connecting = network.connect("db");
 * clock.advance(10);
 * const socket = await connecting;
 * const answer = socket.request();
 * clock.runDue();
 * assert.equal((await answer).keepAlive?.timeoutMs, 5_000);
 * assert.deepEqual(network.ledger.events.map((e) => e.type), [
 *   "ConnectionCreated",
 *   "ConnectionReady",
 *   "RequestSent",
 *   "ResponseReceived",
 * ]);
 * ```
 */
export class SimNetwork {
  /** Clock the network runs on. */
  readonly clock: Clock;
  /** Everything the network saw. */
  readonly ledger: Ledger = new Ledger();
  #defaults: EndpointBehaviour;
  #routes = new Map<Route, EndpointBehaviour>();
  #socketOverrides = new Map<SocketId, EndpointBehaviour>();
  /** Each socket's resolved behaviour, built on first use; emptied whenever a setting changes. */
  #resolved = new Map<SocketId, EndpointBehaviour>();
  #sockets: SocketImpl[] = [];
  /** Connects in progress that complete on their own, by socket id, in start order. */
  #landings = new Map<SocketId, Landing>();
  #nextRequestId = 1;
  #wire: Wire;

  /**
   * Create a network on a clock; every route starts with the defaults.
   *
   * @param options The clock, and default endpoint behaviour.
   * @throws {TypeError} If `clock` is missing.
   * @throws {RangeError} If a default behaviour field is out of range.
   */
  constructor(options: SimNetworkOptions) {
    const { clock, defaults = {} } = options ?? {};
    if (typeof clock?.now !== "function" || typeof clock.setTimer !== "function") {
      throw new TypeError(
        `Cannot create network as 'clock' must be a Clock: current value is ${String(clock)}`,
      );
    }
    validateBehaviour("create network", defaults);
    this.clock = clock;
    this.#defaults = { ...defaults };
    this.#wire = {
      clock,
      ledger: this.ledger,
      nextRequestId: (): RequestId => this.#nextRequestId++,
      behaviourOf: (socket) => {
        let behaviour = this.#resolved.get(socket.id);
        if (behaviour === undefined) {
          behaviour = {
            ...this.behaviourOf(socket.route),
            ...this.#socketOverrides.get(socket.id),
          };
          this.#resolved.set(socket.id, behaviour);
        }
        return behaviour;
      },
    };
  }

  /**
   * Set a route's behaviour, merged over what it had.
   *
   * @param route Route to configure.
   * @param behaviour Fields to change.
   * @throws {RangeError} If a field is out of range; nothing changes then.
   */
  configure(route: Route, behaviour: EndpointBehaviour): void {
    validateBehaviour("configure route", behaviour);
    this.#routes.set(route, { ...this.#routes.get(route), ...behaviour });
    this.#resolved.clear();
    for (const socket of this.#sockets) {
      if (socket.route === route) this.#applyChange(socket, behaviour);
    }
  }

  /**
   * Override behaviour for one socket (latency, hint, manual responses,
   * server idle timeout), merged over its earlier override.
   *
   * @param id Socket to configure.
   * @param behaviour Fields to change.
   * @throws {RangeError} If the socket is unknown or a field is out of range.
   */
  configureSocket(id: SocketId, behaviour: EndpointBehaviour): void {
    validateBehaviour("configure socket", behaviour);
    const socket = this.#require("configure socket", id);
    this.#socketOverrides.set(id, { ...this.#socketOverrides.get(id), ...behaviour });
    this.#resolved.clear();
    this.#applyChange(socket, behaviour);
  }

  /**
   * A route's resolved behaviour: defaults, then the route's own settings.
   *
   * @param route Route to look up.
   * @returns The behaviour in force for new sockets of that route.
   */
  behaviourOf(route: Route): EndpointBehaviour {
    return { ...this.#defaults, ...this.#routes.get(route) };
  }

  /**
   * Start a connect to `route`. It completes (or is refused) after the
   * route's `connectLatencyMs` on the clock; a `hang` connect completes never,
   * only the signal or closing the socket ends it.
   *
   * @param route Route to connect to.
   * @param options An abort signal for the attempt.
   * @returns The established socket.
   * @throws {ConnectRefusedError} (rejection) If the route refuses.
   * @throws {ConnectAbortedError} (rejection) If the attempt is aborted.
   */
  connect(route: Route, options: ConnectOptions = {}): Promise<SimSocket> {
    const { signal } = options;
    const socket = new SocketImpl(this.#wire, this.#sockets.length + 1, route);
    this.#sockets.push(socket);
    this.ledger.record({
      type: "ConnectionCreated",
      t: this.clock.now(),
      socketId: socket.id,
      route,
    });
    const behaviour = this.behaviourOf(route);
    return new Promise<SimSocket>((resolve, reject) => {
      if (signal?.aborted) {
        socket.failConnect("client", "aborted");
        reject(new ConnectAbortedError(route, socket.id, signal.reason));
        return;
      }
      // Armed below unless the connect hangs.
      let timer: TimerId = -1;
      const onAbort = () => {
        this.clock.clearTimer(timer);
        socket.abortConnect = undefined;
        this.#landings.delete(socket.id);
        socket.failConnect("client", "aborted");
        reject(new ConnectAbortedError(route, socket.id, signal?.reason));
      };
      const settle = () => {
        socket.abortConnect = undefined;
        this.#landings.delete(socket.id);
        signal?.removeEventListener("abort", onAbort);
      };
      socket.abortConnect = (error) => {
        this.clock.clearTimer(timer);
        settle();
        reject(error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const outcome = behaviour.connect ?? "ok";
      const complete = () => {
        settle();
        if (outcome === "refuse") {
          socket.failConnect("network", "refused");
          reject(new ConnectRefusedError(route, socket.id));
        } else {
          socket.establish();
          resolve(socket);
        }
      };
      if (outcome === "hang") return;
      const latency = behaviour.connectLatencyMs ?? 0;
      timer = this.clock.setTimer(latency, complete);
      this.#landings.set(socket.id, {
        at: this.clock.now() + latency,
        hold: () => this.clock.clearTimer(timer),
        land: () => {
          this.clock.clearTimer(timer);
          complete();
        },
      });
    });
  }

  /**
   * The connects in progress that will complete (established or refused;
   * hanging ones never do), in start order, each with the time its latency
   * ends (held ones complete when landed).
   *
   * @returns Socket id, route and landing time of each.
   */
  landings(): { socketId: SocketId; route: Route; at: number }[] {
    return [...this.#landings].map(([socketId, { at }]) => ({
      socketId,
      route: this.#sockets[socketId - 1]!.route,
      at,
    }));
  }

  /**
   * Complete a connect in progress now, with the outcome its latency would
   * have brought (established or refused), instead of at its timer. Several
   * connects due at one instant can so complete in any order, in one
   * macrotask, as a real network's events may arrive.
   *
   * @param id Socket whose connect completes.
   * @returns `false` if that connect is not in progress, or hangs.
   *
   * @example Two connects due at the same instant, completing in reverse order
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "../clock/mod.ts";
   * import { SimNetwork } from "./sim_network.ts";
   *
   * const clock = new VirtualClock();
   * const network = new SimNetwork({ clock, defaults: { connectLatencyMs: 2 } });
   * network.connect("a");
   * network.connect("b");
   * assert.deepEqual(network.landings().map((l) => `#${l.socketId} at ${l.at}`), [
   *   "#1 at 2",
   *   "#2 at 2",
   * ]);
   * clock.moveTo(2);
   * network.land(2);
   * network.land(1);
   * assert.deepEqual(
   *   network.ledger.events.filter((e) => e.type === "ConnectionReady").map((e) => e.socketId),
   *   [2, 1],
   * );
   * assert.equal(clock.pendingTimers, 0);
   * ```
   */
  land(id: SocketId): boolean {
    const landing = this.#landings.get(id);
    if (landing === undefined) return false;
    landing.land();
    return true;
  }

  /**
   * Hold a connect in progress past its latency: it completes only when
   * {@linkcode SimNetwork.land} is called (or fails if aborted meanwhile), as
   * a connect that takes longer than usual.
   *
   * @param id Socket whose connect is held.
   * @returns `false` if that connect is not in progress, or hangs.
   */
  hold(id: SocketId): boolean {
    const landing = this.#landings.get(id);
    if (landing === undefined) return false;
    landing.hold();
    return true;
  }

  /**
   * Look up a socket.
   *
   * @param id Socket id.
   * @returns The socket, or `undefined` if none has that id.
   */
  socket(id: SocketId): SimSocket | undefined {
    return this.#sockets[id - 1];
  }

  /**
   * Every socket ever created, in id order.
   *
   * @returns The sockets.
   */
  sockets(): readonly SimSocket[] {
    return this.#sockets;
  }

  /**
   * The server closes a socket now: an idle one becomes half-closed (the
   * client learns it on validation or use, or from the half-close event); one
   * with requests in flight closes and fails them. Does nothing unless open.
   *
   * @param id Socket to close.
   * @throws {RangeError} If the socket is unknown.
   */
  serverClose(id: SocketId): void {
    this.#require("close socket", id).serverClose("server");
  }

  /**
   * Reset a connection: every in-flight request fails, oldest first, and the
   * socket closes. Does nothing unless the socket is open or half-closed.
   *
   * @param id Socket to reset.
   * @throws {RangeError} If the socket is unknown.
   */
  reset(id: SocketId): void {
    this.#require("reset socket", id).reset();
  }

  /**
   * Deliver the oldest held response of a socket (for `manualResponses`).
   *
   * @param id Socket to answer on.
   * @returns `false` when nothing is in flight on that socket.
   * @throws {RangeError} If the socket is unknown.
   */
  respond(id: SocketId): boolean {
    return this.#require("respond", id).respondNow();
  }

  /**
   * Stop every fault: route and socket settings are dropped, connects
   * succeed and responses flow on their own from now on (also where the
   * defaults said otherwise), and responses held for manual delivery are
   * scheduled. Latencies and server idle timeouts of the defaults stay: they
   * are the environment, not faults. Connects already hanging stay hanging
   * (a lost SYN is not retried by the network).
   */
  heal(): void {
    this.#defaults = { ...this.#defaults, connect: "ok", manualResponses: false };
    this.#routes.clear();
    this.#socketOverrides.clear();
    this.#resolved.clear();
    for (const socket of this.#sockets) {
      socket.scheduleResponses();
      socket.rearmIdleTimer();
    }
  }

  #applyChange(socket: SocketImpl, change: EndpointBehaviour): void {
    if ("manualResponses" in change || "responseLatencyMs" in change) socket.scheduleResponses();
    if ("serverIdleTimeoutMs" in change) socket.rearmIdleTimer();
  }

  #require(action: string, id: SocketId): SocketImpl {
    const socket = this.#sockets[id - 1];
    if (!socket) {
      throw new RangeError(`Cannot ${action} as 'id' must name a socket: current value is ${id}`);
    }
    return socket;
  }
}

/** A connect in progress that completes on its own: when, and how to complete it now. */
interface Landing {
  readonly at: number;
  readonly hold: () => void;
  readonly land: () => void;
}

const CONNECT_OUTCOMES = ["ok", "refuse", "hang"];

function validateBehaviour(action: string, behaviour: EndpointBehaviour): void {
  if (typeof behaviour !== "object" || behaviour === null) {
    throw new TypeError(
      `Cannot ${action} as 'behaviour' must be an object: current value is ${String(behaviour)}`,
    );
  }
  const durations = ["connectLatencyMs", "responseLatencyMs", "serverIdleTimeoutMs"] as const;
  for (const name of durations) {
    const value = behaviour[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(
        `Cannot ${action} as '${name}' must be a finite number >= 0: current value is ${value}`,
      );
    }
  }
  if (behaviour.connect !== undefined && !CONNECT_OUTCOMES.includes(behaviour.connect)) {
    throw new RangeError(
      `Cannot ${action} as 'connect' must be one of ok, refuse, hang: current value is ${behaviour.connect}`,
    );
  }
  const hint = behaviour.keepAliveHint;
  if (hint?.timeoutMs !== undefined && !(Number.isFinite(hint.timeoutMs) && hint.timeoutMs >= 0)) {
    throw new RangeError(
      `Cannot ${action} as 'keepAliveHint.timeoutMs' must be a finite number >= 0: current value is ${hint.timeoutMs}`,
    );
  }
  if (hint?.max !== undefined && !(Number.isInteger(hint.max) && hint.max >= 1)) {
    throw new RangeError(
      `Cannot ${action} as 'keepAliveHint.max' must be a positive integer: current value is ${hint.max}`,
    );
  }
}
