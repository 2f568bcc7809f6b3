import type { ClosedBy, LedgerEvent, RequestId, Route, SocketId, SocketState } from "./types.ts";

/** A ledger event before the ledger numbers it. */
export type UnnumberedEvent = LedgerEvent extends infer E
  ? E extends LedgerEvent ? Omit<E, "seq"> : never
  : never;

/** How a socket ended, as the ledger saw it. */
export interface Closure {
  /** Virtual time of the close. */
  readonly t: number;
  /** Who closed it. */
  readonly by: ClosedBy;
  /** Why. */
  readonly reason: string;
}

/** Filter for {@linkcode Ledger.sockets}. */
export interface SocketFilter {
  /** Only sockets of this route. */
  readonly route?: Route;
  /** Only sockets in this state (or any of these states). */
  readonly state?: SocketState | readonly SocketState[];
}

/*
 * Per-socket view, folded from the events as they are appended. Everything
 * here is derivable from `events` alone; the index only saves the rules from
 * rescanning the whole ledger after every step.
 */
interface SocketView {
  readonly route: Route;
  state: SocketState;
  readonly inFlight: RequestId[];
  /** When each request of `inFlight` was sent, at the same index. */
  readonly sentAt: number[];
  /** Seq of every RequestSent on the socket, in order. */
  readonly sent: number[];
  served: number;
  closure: Closure | undefined;
}

const LIVE: readonly SocketState[] = ["connecting", "open", "half-closed"];
const STATES: readonly SocketState[] = ["connecting", "open", "half-closed", "closed"];

/** Sockets per state, in the order of `STATES`. */
type StateCounts = [number, number, number, number];
const INDEX: Readonly<Record<SocketState, 0 | 1 | 2 | 3>> = {
  connecting: 0,
  open: 1,
  "half-closed": 2,
  closed: 3,
};

const NONE: Readonly<StateCounts> = [0, 0, 0, 0];

/** The position of a state in the counts; refuses a string that names none. */
function indexOf(state: SocketState): 0 | 1 | 2 | 3 {
  const index = Object.hasOwn(INDEX, state) ? INDEX[state] : undefined;
  if (index === undefined) {
    throw new RangeError(
      `Cannot count sockets as 'state' must be one of ${STATES.join(", ")}: current value is ${
        String(state)
      }`,
    );
  }
  return index;
}

/**
 * The network's witness: an append-only list of everything that happened on
 * the simulated wire, with virtual times and ids, plus the per-socket views
 * the rules ask about (open, connecting, half-closed, idle, requests served,
 * who closed what).
 *
 * @example Folding events into socket states
 * ```ts
 * import assert from "node:assert/strict";
 * import { Ledger } from "./ledger.ts";
 *
 * const ledger = new Ledger();
 * ledger.record({ type: "ConnectionCreated", t: 0, socketId: 1, route: "a" });
 * ledger.record({ type: "ConnectionReady", t: 5, socketId: 1, route: "a" });
 * assert.equal(ledger.stateOf(1), "open");
 * assert.deepEqual(ledger.idle("a"), [1]);
 * ```
 */
export class Ledger {
  #events: LedgerEvent[] = [];
  #sockets = new Map<SocketId, SocketView>();
  /** The sockets not closed, in id order: what most questions are about. */
  #live = new Map<SocketId, SocketView>();
  /** Sockets per state: every route, and per route (kept as events are folded). */
  #total: StateCounts = [0, 0, 0, 0];
  #byRoute = new Map<Route, StateCounts>();

  /** Every event so far, in order. */
  get events(): readonly LedgerEvent[] {
    return this.#events;
  }

  /** Number of events so far (also the `seq` of the latest one). */
  get length(): number {
    return this.#events.length;
  }

  /**
   * Append an event, numbering it. The network calls this; tests may too.
   *
   * @param event The event without its `seq`.
   * @returns The numbered event.
   * @throws {RangeError} If the event's time is before the previous event's, or
   * if it names a socket the ledger has not seen created.
   */
  record(event: UnnumberedEvent): LedgerEvent {
    const last = this.#events[this.#events.length - 1];
    if (last && event.t < last.t) {
      throw new RangeError(
        `Cannot record event as 't' must not be before the previous event (${last.t}): current value is ${event.t}`,
      );
    }
    // Fixed key order (seq, t, type, socketId, route, then the rest) keeps
    // serialised ledgers comparable byte for byte.
    const head = { seq: this.#events.length + 1, t: 0, type: "", socketId: 0, route: "" };
    const numbered = Object.assign(head, event) as LedgerEvent;
    this.#fold(numbered);
    this.#events.push(numbered);
    return numbered;
  }

  /**
   * Events recorded after a given position.
   *
   * @param seq Position to start after (0 gives every event).
   * @returns The events with a `seq` greater than `seq`.
   */
  since(seq: number): readonly LedgerEvent[] {
    return this.#events.slice(Math.max(0, seq));
  }

  /**
   * State of a socket.
   *
   * @param id Socket id.
   * @returns Its state, or `undefined` for a socket never created.
   */
  stateOf(id: SocketId): SocketState | undefined {
    return this.#sockets.get(id)?.state;
  }

  /**
   * Route of a socket.
   *
   * @param id Socket id.
   * @returns Its route, or `undefined` for a socket never created.
   */
  routeOf(id: SocketId): Route | undefined {
    return this.#sockets.get(id)?.route;
  }

  /**
   * Sockets matching a filter, in id order.
   *
   * @param filter Route and state to match; both optional.
   * @returns Matching socket ids.
   */
  sockets(filter: SocketFilter = {}): SocketId[] {
    const { route, state } = filter;
    const ids: SocketId[] = [];
    // Without closed sockets in the filter, only the live ones need looking at (in id order too).
    const closedToo = state === undefined ||
      (typeof state === "string" ? state === "closed" : state.includes("closed"));
    for (const [id, view] of closedToo ? this.#sockets : this.#live) {
      if (route !== undefined && view.route !== route) continue;
      if (state !== undefined) {
        if (typeof state === "string" ? view.state !== state : !state.includes(view.state)) {
          continue;
        }
      }
      ids.push(id);
    }
    return ids;
  }

  /**
   * How many sockets match a filter, without listing them: constant time,
   * since the ledger keeps the counts as it folds events.
   *
   * @param filter Route and state to match; both optional.
   * @returns The number of matching sockets.
   * @throws {RangeError} If `state` names no socket state.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Ledger } from "./ledger.ts";
   *
   * const ledger = new Ledger();
   * ledger.record({ type: "ConnectionCreated", t: 0, socketId: 1, route: "a" });
   * ledger.record({ type: "ConnectionCreated", t: 0, socketId: 2, route: "b" });
   * assert.equal(ledger.count({ state: "connecting" }), 2);
   * assert.equal(ledger.count({ route: "a", state: ["open", "connecting"] }), 1);
   * assert.equal(ledger.count({ route: "c" }), 0);
   * ```
   */
  count(filter: SocketFilter = {}): number {
    const { route, state } = filter;
    const counts = (route === undefined ? this.#total : this.#byRoute.get(route)) ?? NONE;
    if (state === undefined) return counts[0] + counts[1] + counts[2] + counts[3];
    if (typeof state === "string") return counts[indexOf(state)];
    for (const one of state) indexOf(one);
    let n = 0;
    for (let i = 0; i < STATES.length; i++) if (state.includes(STATES[i]!)) n += counts[i]!;
    return n;
  }

  /**
   * Sockets not yet closed: connecting, open or half-closed.
   *
   * @param route Only this route, when given.
   * @returns Socket ids in id order.
   */
  live(route?: Route): SocketId[] {
    return this.sockets(route === undefined ? { state: LIVE } : { route, state: LIVE });
  }

  /**
   * Established sockets (open or half-closed) with nothing in flight.
   *
   * @param route Only this route, when given.
   * @returns Socket ids in id order.
   */
  idle(route?: Route): SocketId[] {
    const filter: SocketFilter = route === undefined
      ? { state: ["open", "half-closed"] }
      : { route, state: ["open", "half-closed"] };
    return this.sockets(filter).filter((id) => this.#sockets.get(id)!.inFlight.length === 0);
  }

  /**
   * Requests sent on a socket and not yet answered or failed.
   *
   * @param id Socket id.
   * @returns Request ids in send order.
   */
  inFlight(id: SocketId): readonly RequestId[] {
    return this.#sockets.get(id)?.inFlight ?? [];
  }

  /**
   * When the requests in flight on a socket were sent.
   *
   * @param id Socket id.
   * @returns Virtual times, in send order (as {@linkcode Ledger.inFlight}).
   */
  inFlightSince(id: SocketId): readonly number[] {
    return this.#sockets.get(id)?.sentAt ?? [];
  }

  /**
   * Responses a socket has delivered.
   *
   * @param id Socket id.
   * @returns The count (0 for an unknown socket).
   */
  requestsServed(id: SocketId): number {
    return this.#sockets.get(id)?.served ?? 0;
  }

  /**
   * The first request sent on a socket after a point of the ledger.
   *
   * @param id Socket id.
   * @param seq Ledger seq: only events after it count.
   * @returns Its RequestSent event, or `undefined` if none was sent since.
   */
  firstSentAfter(id: SocketId, seq: number): LedgerEvent | undefined {
    const sent = this.#sockets.get(id)?.sent;
    if (sent === undefined) return undefined;
    let low = 0;
    let high = sent.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (sent[mid]! > seq) high = mid;
      else low = mid + 1;
    }
    return low < sent.length ? this.#events[sent[low]! - 1] : undefined;
  }

  /**
   * How a socket ended.
   *
   * @param id Socket id.
   * @returns Time, closer and reason, or `undefined` while it is not closed.
   */
  closure(id: SocketId): Closure | undefined {
    return this.#sockets.get(id)?.closure;
  }

  /**
   * The ledger as text: one JSON object per line, keys in a fixed order, so
   * two runs can be compared byte for byte.
   *
   * @returns The serialised ledger.
   */
  serialize(): string {
    return this.#events.map((event) => JSON.stringify(event)).join("\n");
  }

  #fold(event: LedgerEvent): void {
    if (event.type === "ConnectionCreated") {
      if (this.#sockets.has(event.socketId)) {
        throw new RangeError(
          `Cannot record event as 'socketId' must be new for ConnectionCreated: current value is ${event.socketId}`,
        );
      }
      const created: SocketView = {
        route: event.route,
        state: "connecting",
        inFlight: [],
        sentAt: [],
        sent: [],
        served: 0,
        closure: undefined,
      };
      this.#sockets.set(event.socketId, created);
      this.#live.set(event.socketId, created);
      let counts = this.#byRoute.get(event.route);
      if (counts === undefined) this.#byRoute.set(event.route, counts = [0, 0, 0, 0]);
      counts[0]++;
      this.#total[0]++;
      return;
    }
    const view = this.#sockets.get(event.socketId);
    if (!view) {
      throw new RangeError(
        `Cannot record event as 'socketId' must name a created socket: current value is ${event.socketId}`,
      );
    }
    const before = view.state;
    foldInto(view, event);
    if (view.state !== before) {
      const counts = this.#byRoute.get(view.route)!;
      const from = INDEX[before];
      const to = INDEX[view.state];
      counts[from]--;
      counts[to]++;
      this.#total[from]--;
      this.#total[to]++;
      if (view.state === "closed") this.#live.delete(event.socketId);
    }
  }
}

function foldInto(view: SocketView, event: LedgerEvent): void {
  switch (event.type) {
    case "ConnectionReady":
      view.state = "open";
      break;
    case "ConnectionHalfClosed":
      view.state = "half-closed";
      break;
    case "ConnectionClosed":
      view.state = "closed";
      view.closure = { t: event.t, by: event.by, reason: event.reason };
      break;
    case "RequestSent":
      view.inFlight.push(event.requestId);
      view.sentAt.push(event.t);
      view.sent.push(event.seq);
      break;
    case "ResponseReceived":
      removeRequest(view, event.requestId);
      view.served++;
      break;
    case "RequestFailed":
      removeRequest(view, event.requestId);
      break;
    default:
      break;
  }
}

function removeRequest(view: SocketView, id: RequestId): void {
  const at = view.inFlight.indexOf(id);
  if (at < 0) return;
  view.inFlight.splice(at, 1);
  view.sentAt.splice(at, 1);
}
