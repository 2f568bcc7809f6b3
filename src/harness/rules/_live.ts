import type { LedgerEvent, Route, SocketId } from "../../net/types.ts";
import type { RunView } from "../run_view.ts";

type Phase = "connecting" | "open" | "gone";

/**
 * Live connections (connecting + open) folded event by event, so a limit can
 * be judged at every instant rather than only at the end of a step. A
 * half-closed socket no longer counts: the server has ended it.
 */
export class LiveCount {
  total = 0;
  connecting = 0;
  #byRoute = new Map<Route, number>();
  #phase = new Map<SocketId, Phase>();

  /** Live connections of a route. */
  of(route: Route): number {
    return this.#byRoute.get(route) ?? 0;
  }

  /** Fold one event. */
  apply(event: LedgerEvent): void {
    const before = this.#phase.get(event.socketId);
    let after: Phase | undefined = before;
    if (event.type === "ConnectionCreated") after = "connecting";
    else if (event.type === "ConnectionReady") after = "open";
    else if (event.type === "ConnectionHalfClosed" || event.type === "ConnectionClosed") {
      after = "gone";
    }
    if (after === before || after === undefined) return;
    this.#phase.set(event.socketId, after);
    const wasLive = before === "connecting" || before === "open";
    const isLive = after === "connecting" || after === "open";
    const delta = (isLive ? 1 : 0) - (wasLive ? 1 : 0);
    this.total += delta;
    this.#byRoute.set(event.route, this.of(event.route) + delta);
    this.connecting += (after === "connecting" ? 1 : 0) - (before === "connecting" ? 1 : 0);
  }
}

/** Format a list of ids for a message. */
export function ids(values: readonly number[]): string {
  return values.length === 0 ? "none" : values.map((v) => `#${v}`).join(", ");
}

/** When each socket was half-closed by the server, folded from the ledger. */
export class HalfCloses {
  #at = new Map<SocketId, number>();

  /** Fold a step's events. */
  fold(events: readonly LedgerEvent[]): void {
    for (const event of events) {
      if (event.type === "ConnectionHalfClosed") this.#at.set(event.socketId, event.seq);
    }
  }

  /** Whether the socket was half-closed before the ledger position `seq`. */
  before(id: SocketId, seq: number): boolean {
    const at = this.#at.get(id);
    return at !== undefined && at < seq;
  }
}

/** A request on the wire: when it was written, and to which route. */
export interface WireRequest {
  readonly t: number;
  readonly route: Route;
}

/**
 * The requests on the wire, folded from the ledger: written (`RequestSent`)
 * and neither answered nor failed yet.
 */
export class OnTheWire {
  readonly #requests = new Map<number, WireRequest>();

  /**
   * Fold a step's events.
   *
   * @param events The step's ledger events.
   * @param settled Called for each request that leaves the wire, with the
   * event that settled it and when it was written.
   */
  fold(
    events: readonly LedgerEvent[],
    settled?: (
      event: Extract<LedgerEvent, { type: "ResponseReceived" | "RequestFailed" }>,
      request: WireRequest,
    ) => void,
  ): void {
    for (const event of events) {
      if (event.type === "RequestSent") {
        this.#requests.set(event.requestId, { t: event.t, route: event.route });
        continue;
      }
      if (event.type !== "ResponseReceived" && event.type !== "RequestFailed") continue;
      const request = this.#requests.get(event.requestId);
      if (request === undefined) continue;
      this.#requests.delete(event.requestId);
      settled?.(event, request);
    }
  }

  /** The requests still on the wire, by request id. */
  entries(): IterableIterator<[number, WireRequest]> {
    return this.#requests.entries();
  }
}

/**
 * The sockets a client closed because a request on them reached its request
 * timeout: for a pool that declares it disconnects on one (policy
 * `requestTimeout.onTimeout` `disconnect`), a request the client's own close
 * failed at or after its deadline. INF-4 and TMO-4.b allow such closes.
 */
export class RequestTimeoutCloses {
  readonly #timeout: number | undefined;
  readonly #wire = new OnTheWire();
  readonly #closed = new Set<SocketId>();

  /** @param run The run: its drawn request timeout and the pool's policy. */
  constructor(run: RunView) {
    this.#timeout = run.supports.policies.requestTimeout?.onTimeout === "disconnect"
      ? run.setup.config.requestTimeoutMs
      : undefined;
  }

  /** Fold a step's events. */
  fold(events: readonly LedgerEvent[]): void {
    const timeout = this.#timeout;
    if (timeout === undefined) return;
    this.#wire.fold(events, (event, request) => {
      if (
        event.type === "RequestFailed" && event.reason === "client-closed" &&
        event.t >= request.t + timeout
      ) this.#closed.add(event.socketId);
    });
  }

  /** Whether the client closed the socket on a timed-out request (events folded so far). */
  has(id: SocketId): boolean {
    return this.#closed.has(id);
  }
}

/**
 * Whether the client closed a socket on its own before close(): not after
 * close(), not after the server half-closed it, and not as a connection from
 * before a clear() (an interrupting clear closes those). TMO-4.b and INF-4
 * judge such closes.
 *
 * @param run The run.
 * @param event A `ConnectionClosed` event.
 * @param halfClosed The half-closes folded so far.
 * @returns `true` when the close is the pool's own doing.
 */
export function closedByPoolBeforeClose(
  run: RunView,
  event: LedgerEvent,
  halfClosed: HalfCloses,
): boolean {
  if (event.type !== "ConnectionClosed" || event.by !== "client") return false;
  if (run.closeSeq !== undefined && event.seq > run.closeSeq) return false;
  if (halfClosed.before(event.socketId, event.seq)) return false;
  return run.use(event.socketId)?.generation === run.generation;
}
