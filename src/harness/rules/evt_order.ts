/**
 * EVT-5: the order of a pool's event stream, as MongoDB's connection pool
 * specification (CMAP) lays it out. EVT-1 to EVT-4 count a pool's events
 * against what happened; this rule reads the stream itself: what comes
 * before what, which id an event carries and how long it says something
 * took.
 *
 * @module
 */
import type { Route, SocketId } from "../../net/types.ts";
import type { PoolEventNotice, ReportedEventType } from "../adapter.ts";
import type { CallerEvent } from "../observations.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";

type Clause = "a" | "b" | "c" | "d" | "e";

/** What CMAP lets a closed pool still report: closes, check-ins and failed check-outs. */
const AFTER_CLOSE: ReadonlySet<ReportedEventType> = new Set<ReportedEventType>([
  "ConnectionClosed",
  "ConnectionCheckedIn",
  "ConnectionCheckOutStarted",
  "ConnectionCheckOutFailed",
]);

/** One connection as its events have shown it so far, under its socket or its own id. */
interface Seen {
  ready: boolean;
  closed: boolean;
  /** Check-outs of it not yet checked in. */
  out: number;
  /** Check-outs of it not yet checked in when it closed: each may still check in. */
  outAtClose: number;
}

/** A check-out the pool announced (by its `checkOutId`). */
interface CheckOut {
  readonly t: number;
  answered: boolean;
}

/** The state of one run's event stream, folded one event at a time. */
class EventStream {
  readonly #declared: ReadonlySet<ReportedEventType>;
  readonly #toleranceMs: number;
  #poolClosed = false;
  /** Per route: ConnectionCreated events not yet followed by their ConnectionReady or close. */
  readonly #connecting = new Map<Route, number>();
  /** Per route: ConnectionCheckOutStarted events not yet followed by an outcome. */
  readonly #waiting = new Map<Route, number>();
  readonly #sockets = new Map<SocketId, Seen>();
  readonly #ids = new Map<number, Seen & { readonly createdAt: number }>();
  #lastId: number | undefined;
  readonly #socketOfId = new Map<number, SocketId>();
  readonly #idOfSocket = new Map<SocketId, number>();
  readonly #checkOuts = new Map<number | string, CheckOut>();
  /** Per route: ConnectionCheckedOut events that named no socket, not yet checked in. */
  readonly #anonymous = new Map<Route, number>();
  /** Where and when each socket's connect began on the network. */
  readonly #network = new Map<SocketId, { readonly seq: number; readonly t: number }>();
  /**
   * The largest connection id and connect position linked so far (`undefined`
   * once a socket was linked before its connect was seen): a link above both
   * keeps the order with every earlier one, so it needs no walk over them.
   */
  #highest: { id: number; seq: number } | undefined = { id: -Infinity, seq: -Infinity };

  constructor(declared: readonly ReportedEventType[], toleranceMs: number) {
    this.#declared = new Set(declared);
    this.#toleranceMs = toleranceMs;
  }

  connectStarted(socketId: SocketId, seq: number, t: number): void {
    this.#network.set(socketId, { seq, t });
  }

  /** The first breach `event`, reported at `t`, makes, if any. */
  fold(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    if (this.#poolClosed && !AFTER_CLOSE.has(event.type) && event.type !== "PoolClosed") {
      return { clause: "d", detail: `a ${event.type} event at t=${t}, after PoolClosed` };
    }
    switch (event.type) {
      case "PoolClosed":
        this.#poolClosed = true;
        return undefined;
      case "ConnectionCreated":
        return this.#created(event, t);
      case "ConnectionReady":
        return this.#ready(event, t);
      case "ConnectionCheckOutStarted":
        return this.#started(event, t);
      case "ConnectionCheckedOut": {
        // Both are folded: a breach of one clause leaves the stream's state whole for the others.
        const outcome = this.#outcome(event, t);
        const checkedOut = this.#checkedOut(event, t);
        return outcome ?? checkedOut;
      }
      case "ConnectionCheckOutFailed":
        return this.#outcome(event, t);
      case "ConnectionCheckedIn":
        return this.#checkedIn(event, t);
      case "ConnectionClosed":
        return this.#closed(event, t);
      default:
        return undefined;
    }
  }

  /** At the end of a run whose every acquire settled: check-outs still owed an outcome. */
  unanswered(): Breach<Clause> | undefined {
    if (!this.#declared.has("ConnectionCheckOutStarted")) return undefined;
    for (const [route, count] of this.#waiting) {
      if (count === 0) continue;
      return {
        clause: "b",
        detail: `every acquire has settled, but ${count} check-out${
          count === 1 ? "" : "s"
        } started on ${
          route || "no route"
        } never had a ConnectionCheckedOut or ConnectionCheckOutFailed`,
      };
    }
    return undefined;
  }

  #created(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const route = event.route ?? "";
    this.#connecting.set(route, (this.#connecting.get(route) ?? 0) + 1);
    const id = event.connectionId;
    if (id === undefined) return undefined;
    if (this.#ids.has(id)) {
      return { clause: "c", detail: `a second ConnectionCreated for connection ${id} at t=${t}` };
    }
    const last = this.#lastId;
    this.#ids.set(id, { ready: false, closed: false, out: 0, outAtClose: 0, createdAt: t });
    this.#lastId = id;
    if (last !== undefined && id < last) {
      return {
        clause: "c",
        detail:
          `ConnectionCreated for connection ${id} at t=${t} comes after that of connection ${last}`,
      };
    }
    return undefined;
  }

  #ready(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const { connectionId: id, socketId } = event;
    const route = event.route ?? "";
    const connecting = this.#connecting.get(route) ?? 0;
    this.#connecting.set(route, Math.max(0, connecting - 1));
    const known = id === undefined ? undefined : this.#ids.get(id);
    // The state is folded whatever the breach, which is returned last.
    let breach: Breach<Clause> | undefined;
    if (this.#declared.has("ConnectionCreated")) {
      if (id !== undefined && known === undefined) {
        breach = {
          clause: "a",
          detail:
            `a ConnectionReady at t=${t} for connection ${id}, which no ConnectionCreated announced`,
        };
      } else if (id === undefined && connecting === 0) {
        breach = {
          clause: "a",
          detail:
            `a ConnectionReady at t=${t} on ${route}, where no connection announced by ConnectionCreated is still connecting`,
        };
      }
    }
    if (breach === undefined && (known?.ready === true || known?.closed === true)) {
      breach = {
        clause: "a",
        detail: `a ConnectionReady at t=${t} for connection ${id}, which was already ${
          known.closed ? "closed" : "ready"
        }`,
      };
    }
    if (known !== undefined) known.ready = true;
    if (socketId !== undefined) {
      const seen = this.#socket(socketId);
      if (breach === undefined && seen.closed) {
        breach = {
          clause: "a",
          detail: `a ConnectionReady at t=${t} for socket #${socketId}, after its ConnectionClosed`,
        };
      }
      seen.ready = true;
    }
    const start = known?.createdAt ??
      (socketId === undefined ? undefined : this.#network.get(socketId)?.t);
    const linked = this.#link(id, socketId);
    return breach ?? linked ??
      this.#duration(event, t, start, `since its connection's ConnectionCreated`);
  }

  #started(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const route = event.route ?? "";
    this.#waiting.set(route, (this.#waiting.get(route) ?? 0) + 1);
    const id = event.checkOutId;
    if (id === undefined) return undefined;
    if (this.#checkOuts.has(id)) {
      return {
        clause: "b",
        detail: `a second ConnectionCheckOutStarted for check-out ${JSON.stringify(id)} at t=${t}`,
      };
    }
    this.#checkOuts.set(id, { t, answered: false });
    return undefined;
  }

  /** A check-out's outcome: after its own start, and only one. */
  #outcome(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    if (!this.#declared.has("ConnectionCheckOutStarted")) return undefined;
    const route = event.route ?? "";
    const waiting = this.#waiting.get(route) ?? 0;
    if (waiting === 0) {
      return {
        clause: "b",
        detail: `a ${event.type} at t=${t} on ${
          route || "no route"
        }, where no check-out started is waiting for its outcome`,
      };
    }
    this.#waiting.set(route, waiting - 1);
    const id = event.checkOutId;
    if (id === undefined) return undefined;
    const checkOut = this.#checkOuts.get(id);
    if (checkOut === undefined || checkOut.answered) {
      return {
        clause: "b",
        detail: `a ${event.type} at t=${t} for check-out ${JSON.stringify(id)}, ${
          checkOut === undefined
            ? "which no ConnectionCheckOutStarted began"
            : "which had already had its outcome"
        }`,
      };
    }
    checkOut.answered = true;
    return this.#duration(event, t, checkOut.t, "since its ConnectionCheckOutStarted");
  }

  #checkedOut(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const { socketId, connectionId } = event;
    if (socketId === undefined) {
      // Which socket it lent is EVT-2.b's to judge; its check-in is then not judged here.
      const route = event.route ?? "";
      this.#anonymous.set(route, (this.#anonymous.get(route) ?? 0) + 1);
      return undefined;
    }
    const seen = this.#socket(socketId);
    if (this.#declared.has("ConnectionReady") && !seen.ready) {
      return {
        clause: "a",
        detail:
          `a ConnectionCheckedOut at t=${t} names socket #${socketId}, before its ConnectionReady`,
      };
    }
    if (seen.closed) {
      return {
        clause: "a",
        detail:
          `a ConnectionCheckedOut at t=${t} names socket #${socketId}, after its ConnectionClosed`,
      };
    }
    seen.out++;
    return this.#link(connectionId, socketId);
  }

  #checkedIn(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const { socketId, connectionId } = event;
    if (socketId === undefined || !this.#declared.has("ConnectionCheckedOut")) return undefined;
    const seen = this.#socket(socketId);
    const route = event.route ?? "";
    const anonymous = this.#anonymous.get(route) ?? 0;
    if (seen.out === 0 && anonymous > 0) {
      this.#anonymous.set(route, anonymous - 1);
      return this.#link(connectionId, socketId);
    }
    if (seen.out === 0) {
      return {
        clause: "a",
        detail:
          `a ConnectionCheckedIn at t=${t} names socket #${socketId}, which no ConnectionCheckedOut had lent out`,
      };
    }
    const breach: Breach<Clause> | undefined = seen.closed && seen.outAtClose === 0
      ? {
        clause: "a",
        detail:
          `a ConnectionCheckedIn at t=${t} names socket #${socketId}, after its ConnectionClosed, which came while no one held it`,
      }
      : undefined;
    seen.out--;
    if (seen.closed && seen.outAtClose > 0) seen.outAtClose--;
    const linked = this.#link(connectionId, socketId);
    return breach ?? linked;
  }

  #closed(event: PoolEventNotice, t: number): Breach<Clause> | undefined {
    const { socketId, connectionId: id } = event;
    const known = id === undefined ? undefined : this.#ids.get(id);
    const seen = socketId === undefined ? undefined : this.#socket(socketId);
    const ready = known?.ready ?? seen?.ready ?? false;
    if (!ready) {
      const route = event.route ?? "";
      this.#connecting.set(route, Math.max(0, (this.#connecting.get(route) ?? 0) - 1));
    }
    const twice = EventStream.#closeOnce(known, t, "connection ", id) ??
      EventStream.#closeOnce(seen, t, "socket #", socketId);
    if (twice !== undefined) return twice;
    if (id !== undefined && known === undefined && this.#declared.has("ConnectionCreated")) {
      return {
        clause: "a",
        detail:
          `a ConnectionClosed at t=${t} for connection ${id}, which no ConnectionCreated announced`,
      };
    }
    return this.#link(id, socketId);
  }

  /** Mark a connection closed, or find it closed already (`kind` and `id` name it). */
  static #closeOnce(
    state: Seen | undefined,
    t: number,
    kind: string,
    id: number | undefined,
  ): Breach<Clause> | undefined {
    if (state === undefined) return undefined;
    if (state.closed) {
      return { clause: "a", detail: `a second ConnectionClosed at t=${t} for ${kind}${id}` };
    }
    state.closed = true;
    state.outAtClose = state.out;
    return undefined;
  }

  #socket(socketId: SocketId): Seen {
    let seen = this.#sockets.get(socketId);
    if (seen === undefined) {
      seen = { ready: false, closed: false, out: 0, outAtClose: 0 };
      this.#sockets.set(socketId, seen);
    }
    return seen;
  }

  /** A connection id names one socket for good, and ids follow the order of the connects. */
  #link(id: number | undefined, socketId: SocketId | undefined): Breach<Clause> | undefined {
    if (id === undefined || socketId === undefined) return undefined;
    const socket = this.#socketOfId.get(id);
    const other = this.#idOfSocket.get(socketId);
    if (socket === socketId && other === id) return undefined;
    if (socket !== undefined || other !== undefined) {
      return {
        clause: "c",
        detail: socket !== undefined && socket !== socketId
          ? `connection ${id} named socket #${socket}, and now socket #${socketId}`
          : `socket #${socketId} was connection ${other}, and is now called connection ${id}`,
      };
    }
    this.#socketOfId.set(id, socketId);
    this.#idOfSocket.set(socketId, id);
    const mine = this.#network.get(socketId)?.seq;
    const highest = this.#highest;
    if (mine === undefined) {
      this.#highest = undefined;
      return undefined;
    }
    if (highest !== undefined) {
      const above = id > highest.id && mine > highest.seq;
      highest.id = Math.max(highest.id, id);
      highest.seq = Math.max(highest.seq, mine);
      if (above) return undefined;
    }
    for (const [otherId, otherSocket] of this.#socketOfId) {
      const theirs = this.#network.get(otherSocket)?.seq;
      if (otherId === id || theirs === undefined || (otherId < id) === (theirs < mine)) continue;
      return {
        clause: "c",
        detail: `connection ${id} (socket #${socketId}) began its connect ${
          mine < theirs ? "before" : "after"
        } connection ${otherId} (socket #${otherSocket}), but its id is ${
          id < otherId ? "smaller" : "larger"
        }`,
      };
    }
    return undefined;
  }

  /** A reported duration: not negative, and the virtual time since `start`. */
  #duration(
    event: PoolEventNotice,
    t: number,
    start: number | undefined,
    since: string,
  ): Breach<Clause> | undefined {
    const reported = event.durationMs;
    if (reported === undefined) return undefined;
    const elapsed = start === undefined ? undefined : t - start;
    if (
      reported >= 0 &&
      (elapsed === undefined || Math.abs(reported - elapsed) <= this.#toleranceMs)
    ) {
      return undefined;
    }
    return {
      clause: "e",
      detail: `a ${event.type} at t=${t} says ${reported} ms${
        elapsed === undefined ? "" : `; ${elapsed} ms of virtual time have passed ${since}`
      }`,
    };
  }
}

/** EVT-5: the event stream comes in CMAP's order, with consistent ids and true durations. */
export const evt5 = defineRule({
  id: "EVT-5",
  group: "EVT",
  title: "Events come in the order things happen, with consistent ids and true durations",
  rationale:
    "A monitor rebuilds the pool's state from its event stream: it opens a connection's record at ConnectionCreated, marks it usable at ConnectionReady, and attributes check-outs, check-ins and the close to it by its id; it pairs each check-out's outcome with its start and charts the durations the events carry. A check-out reported before its connection was ready, an outcome with no start, two connections under one id, a connection created after the pool said it closed, or a duration that does not match the clock leaves that monitor with records that contradict each other. Each clause judges only what the declared event types and the fields the events carry can show: the pairing of a check-out by its checkOutId, the connection ids (connectionId), and the durations (durationMs) where events carry them; without ids, ConnectionCreated and ConnectionReady are paired by route, a check-out's start and outcome by route, and connections by socket. The kit does not model PoolCreated, which a pool emits before anyone can listen, so CMAP's 'PoolCreated comes first' is not judged. After PoolClosed, CMAP lets a pool still report what close() or a late release does (ConnectionClosed, ConnectionCheckedIn) and check-outs that fail (ConnectionCheckOutStarted, ConnectionCheckOutFailed).",
  source:
    "MongoDB CMAP specification (ConnectionCreated, then ConnectionReady once established; ConnectionCheckOutStarted, then exactly one of ConnectionCheckedOut or ConnectionCheckOutFailed; connection ids unique and increasing in creation order; a closed pool creates and checks out nothing; durationMS since ConnectionCreated or since ConnectionCheckOutStarted)",
  needs: ["events"],
  clauses: {
    a: "a connection's events follow its life: ConnectionCreated before its ConnectionReady, which comes before any ConnectionCheckedOut naming it; a ConnectionCheckedIn after a check-out of it; nothing naming it after its ConnectionClosed but the check-in of a lease that held it then",
    b: "every ConnectionCheckedOut and ConnectionCheckOutFailed follows a ConnectionCheckOutStarted of its own (the one with its checkOutId, where events carry one), exactly one outcome per check-out started",
    c: "connection ids (connectionId, where events carry one) are unique, increase in the order of the ConnectionCreated events and of the connects on the network, and each stays with one socket",
    d: "after PoolClosed the pool reports nothing but ConnectionClosed, ConnectionCheckedIn, and ConnectionCheckOutStarted and ConnectionCheckOutFailed of check-outs that fail",
    e: "a durationMs (where events carry one) is not negative and is the virtual time since its start (ConnectionReady: its ConnectionCreated; ConnectionCheckedOut, ConnectionCheckOutFailed: their ConnectionCheckOutStarted), within the declared tolerance",
  },
  start(run) {
    const stream = new EventStream(run.supports.eventTypes ?? [], run.supports.toleranceMs);
    // Acquires whose start the rule saw and whose outcome it has not: a pool's last events may
    // come after the run stopped listening, and then the outcomes are not owed.
    const unsettled = new Set<number>();
    const judge = (
      ledger: readonly { type: string; socketId: SocketId; seq: number; t: number }[],
      callers: readonly CallerEvent[],
    ): Breach<Clause> | undefined => {
      let first: Breach<Clause> | undefined;
      for (const event of ledger) {
        if (event.type === "ConnectionCreated") {
          stream.connectStarted(event.socketId, event.seq, event.t);
        }
      }
      for (const caller of callers) {
        if (caller.kind === "acquire-started") unsettled.add(caller.acquire.id);
        if (caller.kind === "acquire-resolved" || caller.kind === "acquire-rejected") {
          unsettled.delete(caller.acquire.id);
        }
        if (caller.kind !== "pool-event") continue;
        // Every event is folded, past a breach too, so that a clause a known deviation
        // excuses leaves the stream's state whole for the other clauses.
        const breach = stream.fold(caller.event, caller.t);
        first ??= breach;
      }
      return first;
    };
    return {
      step: ({ ledger, callers }) => judge(ledger, callers),
      healed: ({ ledger, callers }) => judge(ledger, callers),
      closed: ({ ledger, callers }) =>
        judge(ledger, callers) ??
          (run.closeResolved && unsettled.size === 0 ? stream.unanswered() : undefined),
    };
  },
});

/** The EVT rules about the stream's order. */
export const EVT_ORDER_RULES: readonly Rule[] = [evt5];
