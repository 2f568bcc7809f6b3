import type { LedgerEvent as LedgerFact, Route, SocketId } from "../../net/types.ts";
import { mayHaveClearedItself, selfClearsUpTo } from "./_population.ts";
import type { CloseCause, ReportedEventType, Supports } from "../adapter.ts";
import type { CallerEvent } from "../observations.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** Whether the adapter reports events of any of `types`. */
function reports(supports: Supports, types: readonly ReportedEventType[]): boolean {
  return supports.capabilities.includes("events") &&
    types.some((type) => supports.eventTypes?.includes(type) === true);
}

/** Counts by key, for comparing what the pool said with what happened. */
class Tally<K> {
  readonly #counts = new Map<K, number>();
  /** Every key added, in the order of the additions: comparisons read only what is new. */
  readonly #log: K[] = [];
  /** Per tally compared with: how far each log was read, and the keys that differed then. */
  readonly #against = new Map<Tally<K>, { mine: number; theirs: number; open: Set<K> }>();

  add(key: K, by = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + by);
    this.#log.push(key);
  }

  get(key: K): number {
    return this.#counts.get(key) ?? 0;
  }

  keys(): IterableIterator<K> {
    return this.#counts.keys();
  }

  /**
   * The first key whose count differs from `other`'s, if any: first in this
   * tally's key order, then in `other`'s. Only keys added to either since the
   * last comparison with `other`, and those that differed then, can differ
   * now, so a comparison costs what changed, not every key ever counted.
   */
  differs(other: Tally<K>): K | undefined {
    let state = this.#against.get(other);
    if (state === undefined) {
      state = { mine: 0, theirs: 0, open: new Set() };
      this.#against.set(other, state);
    }
    if (
      state.open.size === 0 && state.mine === this.#log.length &&
      state.theirs === other.#log.length
    ) {
      return undefined;
    }
    for (; state.mine < this.#log.length; state.mine++) state.open.add(this.#log[state.mine]!);
    for (; state.theirs < other.#log.length; state.theirs++) {
      state.open.add(other.#log[state.theirs]!);
    }
    for (const key of state.open) {
      if (this.get(key) === other.get(key)) state.open.delete(key);
    }
    if (state.open.size === 0) return undefined;
    // The same key the full scan finds: the first differing key of this tally, else of `other`.
    for (const key of [...this.keys(), ...other.keys()]) {
      if (state.open.has(key)) return key;
    }
    return undefined;
  }
}

/** "1 ConnectionCreated event" or "2 … events". */
function events(count: number, type: string): string {
  return `${count} ${type} event${count === 1 ? "" : "s"}`;
}

const CONNECTION_TYPES: readonly ReportedEventType[] = [
  "ConnectionCreated",
  "ConnectionReady",
  "ConnectionClosed",
];

/** EVT-1: connection events match the connections on the network. */
export const evt1 = defineRule({
  id: "EVT-1",
  group: "EVT",
  title: "Connection events match the connections the pool opened and closed",
  rationale:
    "Operators watch a pool through its events: dashboards count connections created and closed, and alerts fire on churn. An event for a connection that never existed, or a close that is never reported, makes the dashboard lie exactly when the pool misbehaves. Each clause is judged only for the event types the adapter declares the pool emits.",
  source:
    "CMAP (ConnectionCreated when a connection is created, ConnectionReady once it is established, ConnectionClosed whenever it is closed, including pending ones and at pool close)",
  needs: ["events"],
  when: {
    text: "the pool reports ConnectionCreated, ConnectionReady or ConnectionClosed",
    test: (s) => reports(s, CONNECTION_TYPES),
  },
  clauses: {
    a: "one ConnectionCreated event for each connect the pool starts on a route, and no other",
    b: "a ConnectionReady event names a socket the network established on its route, once, before that socket serves a caller",
    c: "a ConnectionClosed event names a socket of its route that is closed, once; by the end of the run every connection created has one",
  },
  start(run) {
    const declared = new Set(run.supports.eventTypes ?? []);
    const created = new Tally<Route>();
    const createdEvents = new Tally<Route>();
    const closedEvents = new Tally<Route>();
    const socketRoute = new Map<SocketId, Route>();
    const established = new Set<SocketId>();
    const ready = new Set<SocketId>();
    const closed = new Set<SocketId>();
    // Sockets reported closed that the network had not yet shown closed when last judged.
    const unconfirmed = new Set<SocketId>();
    // Callers served in the step, by the socket each got (named only when one breaks clause b).
    const served: { socketId: SocketId; caller: CallerEvent }[] = [];
    const judge = (
      ledger: readonly { type: string; route: Route; socketId: SocketId }[],
      callers: readonly CallerEvent[],
      end: boolean,
    ): Breach<"a" | "b" | "c"> | undefined => {
      for (const event of ledger) {
        socketRoute.set(event.socketId, event.route);
        if (event.type === "ConnectionCreated") created.add(event.route);
        if (event.type === "ConnectionReady") established.add(event.socketId);
      }
      for (const caller of callers) {
        if (caller.kind === "acquire-resolved") {
          served.push({ socketId: caller.acquire.facts!.socketId, caller });
        } else if (caller.kind === "send-resolved" && caller.send.socketId !== undefined) {
          served.push({ socketId: caller.send.socketId, caller });
        }
        if (caller.kind !== "pool-event") continue;
        const { type, route, socketId } = caller.event;
        if (type === "ConnectionCreated") {
          createdEvents.add(route ?? "");
        } else if (type === "ConnectionReady") {
          if (socketId === undefined || !established.has(socketId)) {
            return {
              clause: "b",
              detail: `a ConnectionReady event at t=${caller.t} names ${
                socketId === undefined ? "no socket" : `socket #${socketId}`
              }, which the network has not established`,
            };
          }
          if (socketRoute.get(socketId) !== route) {
            return {
              clause: "b",
              detail:
                `a ConnectionReady event at t=${caller.t} for socket #${socketId} names route ${route}, but the socket is on ${
                  socketRoute.get(socketId)
                }`,
            };
          }
          if (ready.has(socketId)) {
            return {
              clause: "b",
              detail: `a second ConnectionReady event at t=${caller.t} for socket #${socketId}`,
            };
          }
          ready.add(socketId);
        } else if (type === "ConnectionClosed") {
          closedEvents.add(route ?? "");
          if (socketId === undefined) continue;
          if (closed.has(socketId)) {
            return {
              clause: "c",
              detail: `a second ConnectionClosed event at t=${caller.t} for socket #${socketId}`,
            };
          }
          if (socketRoute.get(socketId) !== route) {
            return {
              clause: "c",
              detail:
                `a ConnectionClosed event at t=${caller.t} for socket #${socketId} names route ${route}, but the socket is on ${
                  socketRoute.get(socketId) ?? "no route"
                }`,
            };
          }
          closed.add(socketId);
          unconfirmed.add(socketId);
        }
      }
      if (declared.has("ConnectionCreated")) {
        const route = created.differs(createdEvents);
        if (route !== undefined) {
          return {
            clause: "a",
            detail: `the pool started ${created.get(route)} connect${
              created.get(route) === 1 ? "" : "s"
            } on ${route || "no route"} and reported ${
              events(createdEvents.get(route), "ConnectionCreated")
            }`,
          };
        }
      }
      if (declared.has("ConnectionReady")) {
        const unannounced = served.find((s) => !ready.has(s.socketId));
        if (unannounced !== undefined) {
          return {
            clause: "b",
            detail: `${
              servedWhat(unannounced.caller)
            } was served on socket #${unannounced.socketId}, for which the pool reported no ConnectionReady event`,
          };
        }
      }
      served.length = 0;
      if (declared.has("ConnectionClosed")) {
        for (const socketId of unconfirmed) {
          if (run.network.socket(socketId)?.state === "closed") {
            // Closed for good: it cannot breach this clause again.
            unconfirmed.delete(socketId);
            continue;
          }
          return {
            clause: "c",
            detail: `the pool reported socket #${socketId} closed, but it is still ${
              run.network.socket(socketId)?.state
            }`,
          };
        }
        if (end) {
          const missing = [...ready].find((socketId) => !closed.has(socketId));
          if (missing !== undefined) {
            return {
              clause: "c",
              detail:
                `the pool is closed, but it reported no ConnectionClosed event for socket #${missing}`,
            };
          }
          const route = declared.has("ConnectionCreated")
            ? createdEvents.differs(closedEvents)
            : undefined;
          if (route !== undefined) {
            return {
              clause: "c",
              detail: `the pool is closed, having reported ${
                events(createdEvents.get(route), "ConnectionCreated")
              } and ${events(closedEvents.get(route), "ConnectionClosed")} on ${
                route || "no route"
              }`,
            };
          }
        }
      }
      return undefined;
    };
    return {
      step: ({ ledger, callers }) => judge(ledger, callers, false),
      healed: ({ ledger, callers }) => judge(ledger, callers, false),
      closed: ({ ledger, callers }) => judge(ledger, callers, closedForGood(run)),
    };
  },
});

/** "acquire #3" or "send #2": the caller an EVT-1 served event is about. */
function servedWhat(caller: CallerEvent): string {
  if (caller.kind === "acquire-resolved") return `acquire #${caller.acquire.id}`;
  if (caller.kind === "send-resolved") return `send #${caller.send.seq}`;
  return caller.kind;
}

/** Whether the run's `close()` resolved (every connection should be gone). */
function closedForGood(run: RunView): boolean {
  return run.closeResolved;
}

const CHECK_OUT_TYPES: readonly ReportedEventType[] = [
  "ConnectionCheckOutStarted",
  "ConnectionCheckedOut",
  "ConnectionCheckOutFailed",
  "ConnectionCheckedIn",
];

/** EVT-2: check-out events match what callers got. */
export const evt2 = defineRule({
  id: "EVT-2",
  group: "EVT",
  title: "Check-out and check-in events match what callers asked, got and gave back",
  rationale:
    "Check-out events are how an application finds who holds its connections and why acquires fail: a lease that is never reported checked in looks like a leak, a failure reported with the wrong reason sends the operator after the wrong cause. Each clause is judged only for the event types the adapter declares the pool emits.",
  source:
    "CMAP (ConnectionCheckOutStarted at every check-out, then exactly one of ConnectionCheckedOut or ConnectionCheckOutFailed with its reason; ConnectionCheckedIn at every check-in)",
  needs: ["events"],
  when: {
    text: "the pool reports check-out events and is not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && reports(s, CHECK_OUT_TYPES),
  },
  clauses: {
    a: "one ConnectionCheckOutStarted event for each acquire, on its route",
    b: "one ConnectionCheckedOut event for each acquire served, naming the socket it got",
    c: "one ConnectionCheckOutFailed event for each acquire rejected, with the reason of its rejection",
    d: "one ConnectionCheckedIn event for each lease given back and accepted, naming its socket; none for a repeated release",
  },
  start(run) {
    const declared = new Set(run.supports.eventTypes ?? []);
    const pairs: {
      clause: "a" | "b" | "c" | "d";
      type: ReportedEventType;
      want: Tally<string>;
      got: Tally<string>;
      what: string;
    }[] = [
      { clause: "a", type: "ConnectionCheckOutStarted", what: "acquires started" },
      { clause: "b", type: "ConnectionCheckedOut", what: "acquires served" },
      { clause: "c", type: "ConnectionCheckOutFailed", what: "acquires rejected" },
      { clause: "d", type: "ConnectionCheckedIn", what: "releases accepted" },
    ].filter((p) => declared.has(p.type as ReportedEventType)).map((p) => ({
      ...p,
      clause: p.clause as "a" | "b" | "c" | "d",
      type: p.type as ReportedEventType,
      want: new Tally<string>(),
      got: new Tally<string>(),
    }));
    const byType = new Map(pairs.map((p) => [p.type, p]));
    const pair = (type: ReportedEventType) => byType.get(type);
    // One string per route and socket, built once: counting by it hashes it once.
    const socketKeys = new Map<string | undefined, Map<SocketId | undefined, string>>();
    const socketKey = (route: string | undefined, socketId: SocketId | undefined) => {
      let keys = socketKeys.get(route);
      if (keys === undefined) socketKeys.set(route, keys = new Map());
      let key = keys.get(socketId);
      if (key === undefined) keys.set(socketId, key = `${route} socket #${socketId}`);
      return key;
    };
    const rejectionKinds = run.supports.capabilities.includes("rejectionKinds");
    const judge = (callers: readonly CallerEvent[]): Breach<"a" | "b" | "c" | "d"> | undefined => {
      for (const caller of callers) {
        switch (caller.kind) {
          case "acquire-started":
            pair("ConnectionCheckOutStarted")?.want.add(caller.acquire.route);
            break;
          case "acquire-resolved": {
            const { route, facts } = caller.acquire;
            pair("ConnectionCheckedOut")?.want.add(socketKey(route, facts!.socketId));
            break;
          }
          case "acquire-rejected": {
            const { route, errorKind } = caller.acquire;
            pair("ConnectionCheckOutFailed")?.want.add(
              errorKind ? `${route} reason ${errorKind}` : route,
            );
            break;
          }
          case "released":
            pair("ConnectionCheckedIn")?.want.add(
              socketKey(caller.acquire.route, caller.acquire.facts!.socketId),
            );
            break;
          case "release-failed":
            pair("ConnectionCheckedIn")?.want.add(
              socketKey(caller.acquire.route, caller.acquire.facts!.socketId),
              -1,
            );
            break;
          case "pool-event": {
            const { type, route, socketId, reason } = caller.event;
            const found = pair(type);
            if (found === undefined) break;
            const key = type === "ConnectionCheckedOut" || type === "ConnectionCheckedIn"
              ? socketKey(route, socketId)
              : type === "ConnectionCheckOutFailed" && rejectionKinds
              ? `${route} reason ${reason}`
              : `${route}`;
            found.got.add(key);
            break;
          }
        }
      }
      for (const { clause, type, want, got, what } of pairs) {
        const key = want.differs(got);
        if (key === undefined) continue;
        return {
          clause,
          detail: `${want.get(key)} ${what} on ${key}, but the pool reported ${
            events(got.get(key), type)
          } there`,
        };
      }
      return undefined;
    };
    return {
      step: ({ callers }) => judge(callers),
      healed: ({ callers }) => judge(callers),
      closed: ({ callers }) => judge(callers),
    };
  },
});

const POOL_TYPES: readonly ReportedEventType[] = ["PoolCleared", "PoolReady", "PoolClosed"];

/** EVT-3: pool events match the calls that change the pool's state. */
export const evt3 = defineRule({
  id: "EVT-3",
  group: "EVT",
  title: "Pool events match close(), clear() and ready()",
  rationale:
    "A PoolClosed event is how the rest of an application learns that the pool is gone, and PoolCleared how a monitor learns that every connection was just retired. A pool that reports closing twice, or a clear that never happened, triggers shutdown and reconnect logic for nothing. Each clause is judged only for the event types the adapter declares the pool emits.",
  source:
    "CMAP (PoolClosed once when the pool is closed; PoolCleared when a ready pool is cleared, none when a clear() finds it already paused, as the MongoDB Node.js driver's ConnectionPool.clear does; PoolReady when a paused pool is marked ready)",
  needs: ["events"],
  when: {
    text: "the pool reports PoolClosed, PoolCleared or PoolReady",
    test: (s) => reports(s, POOL_TYPES),
  },
  clauses: {
    a: "no PoolClosed event before close(), exactly one once close() was called",
    b: "a PoolCleared event for each clear() of a ready pool, and none for a clear() of a pool already paused, or without a clear()",
    c: "a PoolReady event for each ready() of a cleared pool, and none without a ready()",
  },
  start(run) {
    const declared = new Set(run.supports.eventTypes ?? []);
    let closeCalled = false;
    // A pool that starts paused (CMAP) owes a PoolReady for its first ready().
    let paused = run.supports.policies.startsPaused === true;
    let closedEvents = 0;
    let lastReadySeq = 0;
    // `noOps`: calls that change nothing and must report nothing (a clear() of a pool already
    // paused: CMAP, and the MongoDB driver's `alreadyPaused`); a ready() has none.
    const clears = { calls: 0, noOps: 0, due: 0, events: 0 };
    const readies = { calls: 0, noOps: 0, due: 0, events: 0 };
    const judge = (callers: readonly CallerEvent[]): Breach<"a" | "b" | "c"> | undefined => {
      for (const caller of callers) {
        if (caller.kind === "close-started") closeCalled = true;
        if (caller.kind === "maintenance" && caller.op === "clear") {
          clears.calls++;
          if (paused) clears.noOps++;
          // A pool that keeps a minimum may have paused itself since the last ready().
          if (!paused && !closeCalled && !mayHaveClearedItself(run, lastReadySeq, caller.seq)) {
            clears.due++;
          }
          paused = true;
        }
        if (caller.kind === "maintenance" && caller.op === "ready") {
          readies.calls++;
          if (paused && !closeCalled) readies.due++;
          paused = false;
          lastReadySeq = caller.seq;
        }
        if (caller.kind !== "pool-event") continue;
        const { type } = caller.event;
        if (type === "PoolClosed") {
          closedEvents++;
          if (!closeCalled) {
            return {
              clause: "a",
              detail: `a PoolClosed event at t=${caller.t}, before close() was called`,
            };
          }
          if (closedEvents > 1) {
            return { clause: "a", detail: `a second PoolClosed event at t=${caller.t}` };
          }
        }
        if (type === "PoolCleared") clears.events++;
        if (type === "PoolReady") readies.events++;
      }
      if (declared.has("PoolClosed") && closeCalled && closedEvents === 0) {
        return {
          clause: "a",
          detail: "close() was called, but the pool reported no PoolClosed event",
        };
      }
      for (
        const [clause, type, count, call] of [
          ["b", "PoolCleared", clears, "clear()"],
          ["c", "PoolReady", readies, "ready()"],
        ] as const
      ) {
        if (!declared.has(type)) continue;
        // A failed connect of a pool that keeps a minimum is a clear it may make by itself (CMAP).
        const allowed = count.calls - count.noOps +
          (type === "PoolCleared" ? selfClearsUpTo(run) : 0);
        if (count.events > allowed || count.events < count.due) {
          return {
            clause,
            detail: `${call} was called ${count.calls} time${
              count.calls === 1 ? "" : "s"
            }, ${count.due} of them on a pool in the state it changes${
              count.noOps > 0 ? ` and ${count.noOps} on a pool already paused` : ""
            }, and the pool reported ${events(count.events, type)}`,
          };
        }
      }
      return undefined;
    };
    return {
      step: ({ callers }) => judge(callers),
      healed: ({ callers }) => judge(callers),
      closed: ({ callers }) => judge(callers),
    };
  },
});

/** What the run showed about one socket, for explaining why it closed. */
interface SocketHistory {
  /** Ledger position of its `ConnectionCreated`. */
  createdSeq: number;
  established: boolean;
  /** The server closed or half-closed it. */
  byServer: boolean;
  /** It failed: refused or reset by the network, a request on it failed, or it was released broken. */
  failed: boolean;
  /** Acquires served on it. */
  leases: number;
}

/** A `ConnectionClosed` event waiting for the end of its step to be judged. */
interface ClosedNotice {
  readonly reason: string | undefined;
  readonly socketId: SocketId | undefined;
  readonly t: number;
}

/** The capabilities whose deadlines can make a connection expire. */
const EXPIRY_CAPABILITIES = ["ttl", "defaultKeepAlive", "keepAliveHint"] as const;

/** EVT-4: the reason of a ConnectionClosed event is one its connection's history explains. */
export const evt4 = defineRule({
  id: "EVT-4",
  group: "EVT",
  title: "A ConnectionClosed event gives a reason the connection's history explains",
  rationale:
    "The reason of a closed connection is what an operator reads to tell a server dropping connections from an idle timeout, a clear after a failover or a bug in the application's release path. A pool that blames the server for its own broken releases, or reports connections stale without a clear, sends them after the wrong cause. The adapter maps each reason the pool gives onto the kit's causes (`supports.closeReasons`); each cause needs its event in the run: close() for poolClosed, a clear() after the connect started for stale, a broken release, failed connect, reset or failed request for error (and the server closing the socket too, for a pool that has no reason of its own for that: CMAP's reasons count a peer close as an error), the server closing the socket for peerClosed, a declared idle limit or a closeIdle() at that instant for idle, a declared deadline or a closeExpired() then for expired, maxUses leases for maxUses, a connect that never completed for aborted.",
  source:
    "CMAP (ConnectionClosed reasons stale, idle, error and poolClosed, each with the condition that produces it); Apache HttpCore 5 CloseMode and the keep-alive and TTL expiry causes",
  needs: ["events"],
  when: {
    text:
      "the pool reports ConnectionClosed and the adapter maps its reasons (supports.closeReasons)",
    test: (s) => reports(s, ["ConnectionClosed"]) && s.closeReasons !== undefined,
  },
  clauses: {
    a: "every ConnectionClosed event gives one of the reasons the adapter lists",
    b: "the cause of each reason is explained by what happened to the pool and to that connection before the event",
  },
  start(run) {
    const reasons = run.supports.closeReasons ?? {};
    const namesPeerClose = Object.values(reasons).includes("peerClosed");
    const capabilities = run.supports.capabilities;
    const sockets = new Map<SocketId, SocketHistory>();
    const pending: ClosedNotice[] = [];
    const closeIdleAt = new Set<number>();
    const closeExpiredAt = new Set<number>();
    let closeCalled = false;
    let lastClearSeq = -1;
    let anyFailure = false;
    const history = (socketId: SocketId) => {
      let found = sockets.get(socketId);
      if (found === undefined) {
        found = { createdSeq: 0, established: false, byServer: false, failed: false, leases: 0 };
        sockets.set(socketId, found);
      }
      return found;
    };
    const unexplained = (cause: CloseCause, notice: ClosedNotice): string | undefined => {
      const socket = notice.socketId === undefined ? undefined : sockets.get(notice.socketId);
      switch (cause) {
        case "poolClosed":
          return closeCalled ? undefined : "close() was not called";
        case "stale":
          // A pool that keeps a minimum clears itself when a background connect fails (CMAP).
          if (socket !== undefined && mayHaveClearedItself(run, socket.createdSeq)) {
            return undefined;
          }
          if (lastClearSeq < 0) return "clear() was never called";
          if (socket !== undefined && socket.createdSeq > lastClearSeq) {
            return "its connect started after the last clear()";
          }
          return undefined;
        case "error":
          if (socket === undefined) {
            const connectUnfinished = [...sockets.values()].some((other) => !other.established);
            return anyFailure || connectUnfinished
              ? undefined
              : "nothing failed in the run and every connect completed";
          }
          // A pool with no reason of its own for a peer close reports one as an error (CMAP).
          if (socket.byServer && !namesPeerClose) return undefined;
          return socket.failed || !socket.established
            ? undefined
            : `it was never released broken, reset or failed${
              namesPeerClose ? "" : ", nor closed by the server"
            }, and its connect succeeded`;
        case "peerClosed":
          if (socket === undefined) return "it names no socket the server could have closed";
          return socket.byServer ? undefined : "the server neither closed nor half-closed it";
        case "idle":
          return capabilities.includes("maxIdle") || closeIdleAt.has(notice.t)
            ? undefined
            : "the pool declares no idle limit (capability maxIdle) and closeIdle() was not called then";
        case "expired":
          return EXPIRY_CAPABILITIES.some((c) => capabilities.includes(c)) ||
              closeExpiredAt.has(notice.t)
            ? undefined
            : "the pool declares no deadline (ttl, defaultKeepAlive, keepAliveHint) and closeExpired() was not called then";
        case "maxUses": {
          const limit = run.setup.config.maxUses;
          if (!capabilities.includes("maxUses") || limit === undefined) {
            return "the pool declares no maxUses";
          }
          const leases = socket?.leases ?? 0;
          return leases >= limit ? undefined : `it was leased ${leases} time(s) of ${limit}`;
        }
        case "maxRequests":
          return capabilities.includes("keepAliveMax")
            ? undefined
            : "the pool declares no keep-alive max (capability keepAliveMax)";
        case "evicted":
          return run.supports.policies.closeIdleOfOtherRoutes
            ? undefined
            : "the pool declares it never closes another route's idle connections (closeIdleOfOtherRoutes)";
        case "aborted":
          return socket === undefined || !socket.established
            ? undefined
            : "its connect had completed";
      }
    };
    const judge = (
      ledger: readonly LedgerFact[],
      callers: readonly CallerEvent[],
    ): Breach<"a" | "b"> | undefined => {
      for (const event of ledger) {
        const socket = history(event.socketId);
        switch (event.type) {
          case "ConnectionCreated":
            socket.createdSeq = event.seq;
            break;
          case "ConnectionReady":
            socket.established = true;
            break;
          case "ConnectionHalfClosed":
            socket.byServer = true;
            break;
          case "ConnectionClosed":
            if (event.by === "server") socket.byServer = true;
            if (event.by === "network") socket.failed = anyFailure = true;
            break;
          case "RequestFailed":
            socket.failed = anyFailure = true;
            break;
        }
      }
      for (const caller of callers) {
        switch (caller.kind) {
          case "close-started":
            closeCalled = true;
            break;
          case "maintenance":
            if (caller.op === "clear") lastClearSeq = caller.seq;
            if (caller.op === "closeIdle") closeIdleAt.add(caller.t);
            if (caller.op === "closeExpired") closeExpiredAt.add(caller.t);
            break;
          case "acquire-resolved":
            history(caller.acquire.facts!.socketId).leases++;
            break;
          case "acquire-rejected":
            if (caller.acquire.errorKind === "connectionError") anyFailure = true;
            break;
          case "released":
            if (!caller.reusable) {
              history(caller.acquire.facts!.socketId).failed = anyFailure = true;
            }
            break;
          case "bad-release":
            if (caller.reusable === false) {
              history(caller.acquire.facts!.socketId).failed = anyFailure = true;
            }
            break;
          case "send-rejected":
            anyFailure = true;
            if (caller.send.socketId !== undefined) history(caller.send.socketId).failed = true;
            break;
          case "pool-event":
            if (caller.event.type === "ConnectionClosed") {
              const { reason, socketId } = caller.event;
              pending.push({ reason, socketId, t: caller.t });
            }
            break;
        }
      }
      // Judged once the whole step is seen: a pool may report the close
      // before the harness records the release or the call that caused it.
      while (pending.length > 0) {
        const notice = pending.shift()!;
        const which = notice.socketId === undefined ? "" : ` for socket #${notice.socketId}`;
        const cause = notice.reason === undefined ? undefined : reasons[notice.reason];
        if (cause === undefined) {
          return {
            clause: "a",
            detail: `a ConnectionClosed event${which} at t=${notice.t} gives ${
              notice.reason === undefined
                ? "no reason"
                : `the reason ${JSON.stringify(notice.reason)}`
            }, which the adapter does not list (it lists ${
              Object.keys(reasons).map((r) => JSON.stringify(r)).join(", ")
            })`,
          };
        }
        const why = unexplained(cause, notice);
        if (why !== undefined) {
          return {
            clause: "b",
            detail: `a ConnectionClosed event${which} at t=${notice.t} gives the reason ${
              JSON.stringify(notice.reason)
            } (${cause}), but ${why}`,
          };
        }
      }
      return undefined;
    };
    return {
      step: ({ ledger, callers }) => judge(ledger, callers),
      healed: ({ ledger, callers }) => judge(ledger, callers),
      closed: ({ ledger, callers }) => judge(ledger, callers),
    };
  },
});

/** The EVT group. */
export const EVT_RULES: readonly Rule[] = [evt1, evt2, evt3, evt4];
