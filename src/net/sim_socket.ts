import type { Clock, TimerId } from "../clock/types.ts";
import { ConnectAbortedError, SocketClosedError } from "./errors.ts";
import type { Ledger } from "./ledger.ts";
import type {
  ClosedBy,
  EndpointBehaviour,
  KeepAliveHint,
  RequestId,
  Route,
  SimResponse,
  SocketId,
  SocketState,
} from "./types.ts";

/**
 * A simulated client socket: what a pool holds, validates, uses and closes.
 * Obtained from `SimNetwork.connect`.
 */
export interface SimSocket {
  /** Unique id within its network. */
  readonly id: SocketId;
  /** Route it connects to. */
  readonly route: Route;
  /** Virtual time the connect started. */
  readonly createdAt: number;
  /** Current state. */
  readonly state: SocketState;
  /** Virtual time it was established, if it was. */
  readonly readyAt: number | undefined;
  /** Last time it was established, sent a request or received a response. */
  readonly lastActiveAt: number;
  /** Requests sent and not yet answered or failed. */
  readonly inFlight: number;
  /** Responses received. */
  readonly requestsServed: number;
  /** Keep-alive hint of the latest response, if it carried one. */
  readonly lastKeepAlive: KeepAliveHint | undefined;
  /**
   * Send a request; resolves with its response, in send order. On a
   * half-closed socket the request fails with reason `peer-closed` and the
   * socket closes, as writing to a socket the server closed does.
   */
  request(): Promise<SimResponse>;
  /** Validation probe (recorded): `true` when the server closed the socket or it is closed. */
  isStale(): boolean;
  /** Close from the client side; idempotent. Aborts a socket still connecting. */
  close(reason?: string): void;
  /** Listen for the server half-closing the socket; returns an unsubscribe function. */
  onHalfClose(listener: () => void): () => void;
  /** Listen for the socket closing, whoever closed it; returns an unsubscribe function. */
  onClose(listener: (by: ClosedBy, reason: string) => void): () => void;
}

/** What a socket needs from its network. */
export interface Wire {
  readonly clock: Clock;
  readonly ledger: Ledger;
  nextRequestId(): RequestId;
  behaviourOf(socket: SocketImpl): EndpointBehaviour;
}

interface Pending {
  readonly id: RequestId;
  readonly resolve: (response: SimResponse) => void;
  readonly reject: (error: SocketClosedError) => void;
  dueAt: number | undefined;
  timer: TimerId | undefined;
}

/** The network's implementation of {@linkcode SimSocket}. */
export class SocketImpl implements SimSocket {
  readonly id: SocketId;
  readonly route: Route;
  readonly createdAt: number;
  #wire: Wire;
  #state: SocketState = "connecting";
  #readyAt: number | undefined;
  #lastActiveAt: number;
  #served = 0;
  #lastKeepAlive: KeepAliveHint | undefined;
  #pending: Pending[] = [];
  #idleTimer: TimerId | undefined;
  #halfCloseListeners = new Set<() => void>();
  #closeListeners = new Set<(by: ClosedBy, reason: string) => void>();
  /** Set while connecting: fails the connect promise. */
  abortConnect: ((error: Error) => void) | undefined;

  constructor(wire: Wire, id: SocketId, route: Route) {
    this.#wire = wire;
    this.id = id;
    this.route = route;
    this.createdAt = wire.clock.now();
    this.#lastActiveAt = this.createdAt;
  }

  get state(): SocketState {
    return this.#state;
  }
  get readyAt(): number | undefined {
    return this.#readyAt;
  }
  get lastActiveAt(): number {
    return this.#lastActiveAt;
  }
  get inFlight(): number {
    return this.#pending.length;
  }
  get requestsServed(): number {
    return this.#served;
  }
  get lastKeepAlive(): KeepAliveHint | undefined {
    return this.#lastKeepAlive;
  }

  request(): Promise<SimResponse> {
    const id = this.#wire.nextRequestId();
    if (this.#state === "connecting") {
      return Promise.reject(new SocketClosedError(this.id, "client-closed"));
    }
    if (this.#state === "closed") {
      return Promise.reject(new SocketClosedError(this.id, this.#closedReason()));
    }
    this.#record({ type: "RequestSent", requestId: id });
    if (this.#state === "half-closed") {
      this.#record({ type: "RequestFailed", requestId: id, reason: "peer-closed" });
      this.#end("server", "peer-closed", "peer-closed");
      return Promise.reject(new SocketClosedError(this.id, "peer-closed"));
    }
    this.#cancelIdleTimer();
    this.#lastActiveAt = this.#wire.clock.now();
    return new Promise<SimResponse>((resolve, reject) => {
      const pending: Pending = { id, resolve, reject, dueAt: undefined, timer: undefined };
      this.#pending.push(pending);
      this.scheduleResponses();
    });
  }

  isStale(): boolean {
    const stale = this.#state !== "open";
    if (this.#state !== "connecting" && this.#state !== "closed") {
      this.#record({ type: "ConnectionChecked", stale });
    }
    return stale;
  }

  close(reason = "client"): void {
    if (this.#state === "closed") return;
    if (this.#state === "connecting") {
      this.#end("client", reason, "client-closed");
      this.abortConnect?.(new ConnectAbortedError(this.route, this.id));
      return;
    }
    this.#end("client", reason, "client-closed");
  }

  onHalfClose(listener: () => void): () => void {
    this.#halfCloseListeners.add(listener);
    return () => this.#halfCloseListeners.delete(listener);
  }

  onClose(listener: (by: ClosedBy, reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Connect completed. */
  establish(): void {
    this.#state = "open";
    this.#readyAt = this.#wire.clock.now();
    this.#lastActiveAt = this.#readyAt;
    this.#record({ type: "ConnectionReady" });
    this.#armIdleTimer();
  }

  /** Connect failed or was abandoned: the socket never opened. */
  failConnect(by: ClosedBy, reason: string): void {
    this.#end(by, reason, "client-closed");
  }

  /** The server closes its side: half-close when idle, close when requests are in flight. */
  serverClose(reason: "idle-timeout" | "max-requests" | "server"): void {
    if (this.#state !== "open") return;
    this.#cancelIdleTimer();
    if (this.#pending.length > 0) {
      this.#end("server", "peer-closed", "peer-closed");
      return;
    }
    this.#state = "half-closed";
    this.#record({ type: "ConnectionHalfClosed", reason });
    for (const listener of [...this.#halfCloseListeners]) listener();
  }

  /** The network resets the connection. */
  reset(): void {
    if (this.#state === "open" || this.#state === "half-closed") {
      this.#end("network", "reset", "reset");
    }
  }

  /**
   * Give every unscheduled request its response time. Responses leave in
   * send order: a request is never answered before the one sent before it.
   */
  scheduleResponses(): void {
    const behaviour = this.#wire.behaviourOf(this);
    if (behaviour.manualResponses === true) return;
    const now = this.#wire.clock.now();
    let floor = now;
    for (const pending of this.#pending) {
      if (pending.dueAt === undefined) {
        pending.dueAt = Math.max(floor, now + (behaviour.responseLatencyMs ?? 0));
        pending.timer = this.#wire.clock.setTimer(pending.dueAt - now, () => this.#respondHead());
      }
      floor = pending.dueAt;
    }
  }

  /** Deliver the oldest held response now; `false` when nothing is in flight. */
  respondNow(): boolean {
    const head = this.#pending[0];
    if (!head || this.#state === "closed") return false;
    if (head.timer !== undefined) this.#wire.clock.clearTimer(head.timer);
    this.#respondHead();
    return true;
  }

  #respondHead(): void {
    const head = this.#pending.shift();
    if (!head) return;
    const clock = this.#wire.clock;
    const hint = this.#wire.behaviourOf(this).keepAliveHint;
    this.#served++;
    this.#lastActiveAt = clock.now();
    this.#lastKeepAlive = hint;
    const response: SimResponse = hint === undefined
      ? { requestId: head.id, socketId: this.id, sequence: this.#served, at: clock.now() }
      : {
        requestId: head.id,
        socketId: this.id,
        sequence: this.#served,
        at: clock.now(),
        keepAlive: hint,
      };
    this.#record(
      hint === undefined
        ? { type: "ResponseReceived", requestId: head.id, sequence: this.#served }
        : { type: "ResponseReceived", requestId: head.id, sequence: this.#served, keepAlive: hint },
    );
    head.resolve(response);
    if (hint?.max !== undefined && this.#served >= hint.max && this.#pending.length === 0) {
      this.serverClose("max-requests");
    } else if (this.#pending.length === 0) {
      this.#armIdleTimer();
    }
  }

  #armIdleTimer(): void {
    const timeout = this.#wire.behaviourOf(this).serverIdleTimeoutMs;
    this.#cancelIdleTimer();
    if (timeout === undefined || this.#state !== "open") return;
    this.#idleTimer = this.#wire.clock.setTimer(timeout, () => {
      this.#idleTimer = undefined;
      this.serverClose("idle-timeout");
    });
  }

  /** Re-arm the server's idle timer after its behaviour changed. */
  rearmIdleTimer(): void {
    if (this.#pending.length === 0) this.#armIdleTimer();
  }

  #cancelIdleTimer(): void {
    if (this.#idleTimer !== undefined) this.#wire.clock.clearTimer(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #end(by: ClosedBy, reason: string, failWith: SocketClosedError["reason"]): void {
    this.#cancelIdleTimer();
    const failed = this.#pending.splice(0);
    for (const pending of failed) {
      if (pending.timer !== undefined) this.#wire.clock.clearTimer(pending.timer);
      this.#record({ type: "RequestFailed", requestId: pending.id, reason: failWith });
    }
    this.#state = "closed";
    this.#record({ type: "ConnectionClosed", by, reason });
    for (const pending of failed) pending.reject(new SocketClosedError(this.id, failWith));
    for (const listener of [...this.#closeListeners]) listener(by, reason);
  }

  #closedReason(): SocketClosedError["reason"] {
    const closure = this.#wire.ledger.closure(this.id);
    if (closure?.by === "network") return "reset";
    if (closure?.by === "server") return "peer-closed";
    return "client-closed";
  }

  #record(
    event:
      | { type: "ConnectionReady" }
      | { type: "ConnectionHalfClosed"; reason: "idle-timeout" | "max-requests" | "server" }
      | { type: "ConnectionClosed"; by: ClosedBy; reason: string }
      | { type: "ConnectionChecked"; stale: boolean }
      | { type: "RequestSent"; requestId: RequestId }
      | {
        type: "ResponseReceived";
        requestId: RequestId;
        sequence: number;
        keepAlive?: KeepAliveHint;
      }
      | {
        type: "RequestFailed";
        requestId: RequestId;
        reason: "reset" | "peer-closed" | "client-closed";
      },
  ): void {
    this.#wire.ledger.record({
      ...event,
      t: this.#wire.clock.now(),
      socketId: this.id,
      route: this.route,
    });
  }
}
