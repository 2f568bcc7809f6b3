import type { LedgerEvent, SocketId } from "../../net/types.ts";
import { mayOwnConnect } from "./_population.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";
import type { RunView, SocketUse } from "../run_view.ts";
import type { AcquireRecord, CallerEvent } from "../observations.ts";
import { closedByPoolBeforeClose, HalfCloses, OnTheWire, RequestTimeoutCloses } from "./_live.ts";
import { hasCapacity, LIVE } from "./ord.ts";
import { beingServed, waiters } from "./_waiters.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import { type RouteFailure, untoldFailure } from "./_route_failures.ts";
import { backoffPolicy, longestBackoff, shortestBackoff } from "./_backoff.ts";
import { operationBackoffStep } from "./_operation_backoff.ts";

/** TMO-1: an acquire with a timeout settles by its deadline. */
export const tmo1 = defineRule({
  id: "TMO-1",
  group: "TMO",
  title:
    "An acquire with a timeout settles by its deadline (within the declared tolerance), not before",
  rationale:
    "The acquire timeout is the caller's only bound on waiting for a connection; one that never fires hangs a request, and one that fires early fails requests that would have been served. A pool whose connects belong to the acquire that started them (policy connectOwnership \"acquire\", CMAP) stops timing the acquire once its own connect has started, the connect timeout bounding it from then on: such an acquire is not held to its deadline while a connect of its route that started after it, and went to no other caller, is live. A rejection is the acquire timing out when the adapter reads it as kind timeout (capability rejectionKinds); where the adapter reads no kind, when its code or name says so: a check-out failed by its own connect's timeout (CMAP) is a connection error, not an acquire timeout.",
  source: "Apache HttpCore 5 (connectionRequestTimeout); CMAP waitQueueTimeoutMS",
  needs: ["acquireTimeout"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "an acquire does not time out before its deadline",
    b: "an acquire does not stay pending past its deadline",
  },
  start(run) {
    const tolerance = run.supports.toleranceMs;
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-rejected") continue;
          const { timeoutMs, startedAt, settledAt, id } = event.acquire;
          if (timeoutMs === undefined || !timedOut(event.acquire)) continue;
          if (settledAt! < startedAt + timeoutMs) {
            return {
              clause: "a",
              detail: `acquire #${id} timed out at t=${settledAt}, before its deadline t=${
                startedAt + timeoutMs
              }`,
            };
          }
        }
        const now = run.now();
        for (const record of run.pending()) {
          if (record.timeoutMs === undefined) continue;
          const deadline = record.startedAt + record.timeoutMs;
          // CMAP stops timing an acquire once its own connect has started: the connect timeout bounds it.
          if (
            now > deadline + tolerance && !mayOwnConnect(run, record, run.network.ledger.length)
          ) {
            return {
              clause: "b",
              detail:
                `acquire #${record.id} (${record.route}, timeout ${record.timeoutMs} ms) still pending at t=${now}, past its deadline t=${deadline}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/**
 * Whether an acquire or a send was rejected for its timeout: by the kind the
 * adapter reads from the error (capability `rejectionKinds`), else, or when
 * the adapter did not recognise the error, by its code or name. A pool may
 * reject an acquire with an error of its own connect's timeout (CMAP: a
 * check-out whose connect times out fails with that connect's error), which
 * its name alone would pass for an acquire timeout.
 */
function timedOut(
  { errorKind, errorCode }: Pick<AcquireRecord, "errorKind" | "errorCode">,
): boolean {
  if (errorKind !== undefined && errorKind !== null) return errorKind === "timeout";
  return /TIMEOUT|TIMED?_?OUT/i.test(errorCode ?? "");
}

/** TMO-2: a connect that does not complete within the connect timeout fails. */
export const tmo2 = defineRule({
  id: "TMO-2",
  group: "TMO",
  title: "A connect that does not complete within the connect timeout fails and frees its slot",
  rationale:
    "A lost SYN or a black-holed server leaves a connect hanging; without a timeout it holds a slot of the pool forever and every waiter behind it starves. The waiter such a connect fails must be told that the connect timed out, not only that it failed: a timeout points at a network path or an overloaded server, a refusal at a server that is down, and the log is all an operator has. Judged where the adapter tells connection errors apart (capability rejectionKinds) and connects given up no sooner than the timeout were the route's only failures while the waiter waited: the error, or one it carries as its `cause` (or among an AggregateError's `errors`), must say it timed out (a `timeout`, `timed out`, ETIMEDOUT).",
  source:
    "Apache HttpClient 5 (connectTimeout, ConnectTimeoutException); Kafka socket.connection.setup.timeout.ms; undici (ConnectTimeoutError), pg (connection timeout), the MongoDB driver (MongoNetworkTimeoutError)",
  needs: ["connectTimeout"],
  clauses: {
    a: "a connect is abandoned by its connect timeout",
    b: "a waiter failed by a connect timeout is told it timed out: its error or one the error carries (cause, errors) says so",
  },
  start(run) {
    const timeout = run.setup.config.connectTimeoutMs;
    const tolerance = run.supports.toleranceMs;
    const kinds = run.supports.capabilities.includes("rejectionKinds");
    return {
      step({ callers }) {
        if (timeout === undefined) return undefined;
        if (kinds) {
          const untold = timeoutUntold(run, callers, timeout - tolerance);
          if (untold !== undefined) return untold;
        }
        const ledger = run.network.ledger;
        if (ledger.count({ state: "connecting" }) === 0) return undefined;
        const now = run.now();
        for (const id of ledger.sockets({ state: "connecting" })) {
          const socket = run.network.socket(id)!;
          if (now > socket.createdAt + timeout + tolerance) {
            return {
              clause: "a",
              detail:
                `socket #${id} (${socket.route}) still connecting at t=${now}; started t=${socket.createdAt}, connect timeout ${timeout} ms`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** What shows in an error's trail that a connect timed out. */
const TIMED_OUT = /time[ds]?[ -]?out|ETIMEDOUT/i;

/** TMO-2.b: a waiter failed as a connection error after a connect timeout, not told of it. */
function timeoutUntold(
  run: RunView,
  callers: readonly CallerEvent[],
  atLeast: number,
): Breach<"b"> | undefined {
  // Connects given up no sooner than the timeout.
  const timedOut = (f: RouteFailure) =>
    f.kind === "gaveUp" && f.t - run.network.socket(f.socketId)!.createdAt >= atLeast;
  const untold = untoldFailure(run, callers, timedOut, TIMED_OUT);
  if (untold === undefined) return undefined;
  const { acquire: a, socketId } = untold;
  return {
    clause: "b",
    detail:
      `acquire #${a.id} (${a.route}) was failed as a connection error when the connect of socket #${socketId} timed out, but neither its error (${a.errorCode}: "${a.errorMessage}") nor one it carries says that it timed out`,
  };
}

/** A route whose backoff ends at `bound` while acquires wait on it with spare capacity. */
interface Owed {
  readonly route: string;
  readonly bound: number;
  readonly failures: number;
  readonly last: number;
  /** Acquire ids, or for a multiplexed pool send numbers, still owed a connect. */
  readonly waiters: readonly number[];
  readonly kind: "acquire" | "send";
}

/**
 * The callers of a route owed a connect at the end of a step: for a pool
 * that leases whole connections, its waiters (pending acquires beyond its
 * connects and hand-overs in progress), provided no older waiter of another
 * route is blocked on capacity; for a multiplexed pool, its pending sends
 * while the route has no connection open or being opened. Either way only
 * with spare capacity for the route.
 */
function owedCallers(run: RunView, route: string, multiplexed: boolean): number[] {
  if (multiplexed) {
    if (run.network.ledger.count({ route, state: LIVE }) > 0) return [];
    if (!hasCapacity(run, route)) return [];
    return run.sends.filter((s) => s.status === "pending" && s.route === route).map((s) => s.seq);
  }
  const queued = waiters(run);
  const mine = queued.filter((r) => r.route === route);
  if (mine.length === 0) return [];
  if (!hasCapacity(run, route) || beingServed(run, route)) return [];
  if (queued.some((o) => o.id < mine[0]!.id && !hasCapacity(run, o.route))) return [];
  return mine.map((r) => r.id);
}

/** When an owed caller settled: an acquire by its id, a send by its number. */
function settledAtOf(run: RunView, kind: Owed["kind"], id: number): number | undefined {
  return kind === "send" ? run.sends[id - 1]?.settledAt : run.acquires[id - 1]?.settledAt;
}

/** TMO-3: reconnect backoff follows the formula and resets only after success. */
export const tmo3 = defineRule({
  id: "TMO-3",
  group: "TMO",
  title:
    "Reconnect backoff follows the declared policy, initial × multiplier^(failures−1) × jitter (capped), neither shorter nor longer, and resets only after success",
  rationale:
    "Reconnecting at once to a server that refuses connections turns a restart into a connection storm; exponential backoff with jitter spreads clients out, and resetting it only after a success keeps a flapping server from being hammered. The policy is the pool's declared one: the initial delay and the cap drawn from its ranges, its multiplier and its jitter factor j (policies.backoff; left out, Kafka's: multiplier 2, j = 0.2). Both sides are judged. Not too early: a connect after a refusal (and, for a pool that declares its backoff follows disconnects too, policies.backoff.afterDisconnect as Kafka's does, after a connection the server or network ended) waits at least the shortest delay (jitter 1 − j), counting only such failures strictly earlier than the last one, plus one, since failures at one instant may reach the pool after it acted; and a connect started at the instant of a refusal is not judged when a connect landed earlier in the same turn (it became ready or was refused before the refusal), since the pool learns of each landing in a callback of its own, after the whole turn is on the ledger, and may have started it for that landing before it knew of the refusal (one such connect per landing). Not too late: once the longest delay (jitter just under 1 + j, capped at the maximum) plus the tolerance has passed, an acquire of the route that waits beyond its connects in progress, with spare capacity and no older waiter of another route blocked (as LIV-3 judges), has a connect started for it; the failures counted are every refused or abandoned connect and every connection the server or network ended since the route's last established connection (Kafka counts disconnects too), the most a pool may count, so the longest delay a pool may choose. For a multiplexed pool the caller owed a connect is a send pending on a route that has no connection open or being opened. A policy may compound (policies.backoff.compounding, kafkajs's retrier): each delay is the previous one times a jitter factor, rounded up, times the multiplier, capped, the first the initial delay times a jitter factor, rounded up and not capped; its bounds after k failures carry both extremes through every delay. A pool whose backoff spaces out the attempts of each operation rather than the connects of a route (policies.backoff.scope \"operation\", a retrier around each send, multiplexed pools only) reports each attempt of a send, and TMO-3 judges, per send, the wait from the failure of one attempt to the start of the next instead, each send starting afresh: not too early, no shorter than the shortest delay after that many failures of the send; not too late, the next attempt of a send still pending starts within the longest (until close()). With a compounding policy each wait is bounded by the one before it as observed (within the tolerance), since that is what it was drawn from.",
  source:
    "Kafka clients ClusterConnectionStates / ExponentialBackoff (reconnect.backoff.ms, reconnect.backoff.max.ms); kafkajs retry (initialRetryTime, multiplier, factor, maxRetryTime)",
  needs: ["reconnectBackoff"],
  clauses: {
    a: "not too early: a connect after a refusal (or a declared disconnect) waits at least the shortest backoff",
    b: "not too late: a waiter owed a connect gets one within the longest backoff",
  },
  start(run) {
    const { reconnectBackoffMs: base, reconnectBackoffMaxMs: max } = run.setup.config;
    const tolerance = run.supports.toleranceMs;
    const policy = backoffPolicy(run.supports);
    const cap = max ?? base ?? 0;
    const multiplexed = run.supports.capabilities.includes("multiplexed");
    if (policy.scope === "operation") {
      if (base === undefined) return {};
      const judge = operationBackoffStep(run, { initial: base, max: cap, policy, tolerance });
      return { step: judge };
    }
    const afterDisconnect = policy.afterDisconnect === true;
    // Consecutive failures per route since its last success, with their times.
    const failures = new Map<string, number[]>();
    // Everything a pool may count as a failure since the route's last success (the upper side).
    const setbacks = new Map<string, number[]>();
    const connecting = new Set<number>();
    // Routes that owed a connect by some instant, as the previous step left them.
    let owed: Owed[] = [];
    // Connects landing in one turn reach the pool in callbacks of their own, each after every
    // landing of the turn is on the ledger: a connect started for a connection that became ready
    // (a connecting slot freed) may follow, on the ledger, a refusal the pool has not been told
    // of yet. Per instant: the landings not yet taken as the reason of such a connect, and, per
    // route, the position of its latest failure among them.
    let instant = -Infinity;
    const landings: number[] = [];
    const failedAfter = new Map<string, number>();
    return {
      step({ ledger }) {
        if (base === undefined) return undefined;
        // Not too late, within the step: nothing happened before the bound, and a waiter stayed.
        const horizon = Math.min(ledger[0]?.t ?? Infinity, run.now());
        for (const o of owed) {
          if (o.bound >= horizon) continue;
          const stayed = o.waiters.find((id) => {
            const settledAt = settledAtOf(run, o.kind, id);
            return settledAt === undefined || settledAt > o.bound;
          });
          if (stayed !== undefined) return tooLate(o, stayed, horizon);
        }
        for (const event of ledger) {
          if (event.t !== instant) {
            instant = event.t;
            landings.length = 0;
            failedAfter.clear();
          }
          const established = !connecting.has(event.socketId);
          if (event.type === "ConnectionCreated") connecting.add(event.socketId);
          else if (event.type === "ConnectionReady") setbacks.delete(event.route);
          else if (
            event.type === "ConnectionClosed" &&
            (event.by !== "client" || connecting.has(event.socketId))
          ) setbacks.set(event.route, [...(setbacks.get(event.route) ?? []), event.t]);
          if (event.type !== "ConnectionCreated") connecting.delete(event.socketId);
          const failed = failures.get(event.route);
          if (event.type === "ConnectionReady") failures.delete(event.route);
          else if (
            event.type === "ConnectionClosed" &&
            (event.reason === "refused" ||
              (afterDisconnect && established && event.by !== "client"))
          ) {
            failures.set(event.route, [...(failed ?? []), event.t]);
            failedAfter.set(event.route, event.seq);
          } else if (event.type === "ConnectionCreated" && failed !== undefined) {
            // Failures at the same instant may reach the pool after it acted on the
            // first of them, so only those strictly earlier count, plus one.
            const last = failed.at(-1)!;
            const before = failedAfter.get(event.route);
            const reason = before === undefined ? -1 : landings.findIndex((seq) => seq < before);
            if (last === event.t && reason >= 0) {
              // Possibly started for an earlier landing of the turn, before the pool knew.
              landings.splice(reason, 1);
              continue;
            }
            const count = failed.filter((t) => t < last).length + 1;
            const wait = shortestBackoff(base, max ?? base, count, policy);
            if (event.t - last + tolerance < wait) {
              return {
                clause: "a",
                detail: `socket #${event.socketId} to ${event.route} opened at t=${event.t}, ${
                  event.t - last
                } ms after failure ${count} at t=${last}; the backoff allows no earlier than ${wait} ms`,
              };
            }
          }
          if (
            event.type === "ConnectionReady" ||
            (event.type === "ConnectionClosed" && event.reason === "refused")
          ) landings.push(event.seq);
        }
        // Not too late, at the end of the step: who is owed a connect, and since when.
        owed = [];
        if (run.closeSeq !== undefined || run.paused || setbacks.size === 0) return undefined;
        const kind = multiplexed ? "send" : "acquire";
        for (const [route, times] of setbacks) {
          const mine = owedCallers(run, route, multiplexed);
          if (mine.length === 0) continue;
          const last = times.at(-1)!;
          const bound = last + longestBackoff(base, cap, times.length, policy) + tolerance;
          const o = { route, bound, failures: times.length, last, waiters: mine, kind } as const;
          const now = run.now();
          if (bound < now) return tooLate(o, mine[0]!, now);
          owed.push(o);
        }
        return undefined;
      },
    };

    function tooLate(o: Owed, waiter: number, at: number): Breach<"b"> {
      return {
        clause: "b",
        detail: `${
          o.kind === "send" ? "send" : "waiter"
        } #${waiter} (${o.route}) had spare capacity and no connect in progress past t=${o.bound}: after failure ${o.failures} at t=${o.last} the backoff allows at most ${
          o.bound - o.last - tolerance
        } ms, but nothing was started by t=${at}`,
      };
    }
  },
});

/** TMO-4: connections idle longer than the max-idle time are closed, and not before. */
export const tmo4 = defineRule({
  id: "TMO-4",
  group: "TMO",
  title:
    "Connections idle longer than the max-idle time are closed, and a multiplexed connection is not closed as idle before",
  rationale:
    "Closing idle connections before the server or a middlebox does avoids requests racing a remote close, and releases server resources. The other side matters as much for a multiplexed pool, whose one connection per route carries every request: closing it before it has been idle for the max-idle time costs every later request a reconnect (a TCP and often a TLS handshake, and for Kafka a new SASL session and metadata round trip), and closing it with requests in flight fails them for no reason the caller can see. Idle means nothing in flight, counted from the last request or response on the connection; a pool may close at the max-idle time reached or passed (EXP-7 judges the same for pools that lease whole connections). Closes after close(), closes of a connection the server half-closed and closes of a connection from before a clear() are not the idle sweep's and are not judged.",
  source:
    "Kafka connections.max.idle.ms (default 9 minutes; Selector closes a channel only once its last activity is older than the limit); CMAP maxIdleTimeMS",
  needs: ["maxIdle"],
  clauses: {
    a: "a connection idle past the max-idle time is closed",
    b: "a multiplexed connection is closed as idle only once idle for the max-idle time, with nothing in flight",
    c: 'with idleExpiry "checkout", no connection idle longer than the max-idle time is handed out',
  },
  start(run) {
    const maxIdle = run.setup.config.maxIdleMs;
    const tolerance = run.supports.toleranceMs;
    const multiplexed = run.supports.capabilities.includes("multiplexed");
    // CMAP's maxIdleTimeMS is met at check-out: the pool owes no timer, only never to hand one out.
    const atCheckout = run.supports.policies.idleExpiry === "checkout" && !multiplexed;
    const halfClosed = new HalfCloses();
    const timedOut = new RequestTimeoutCloses(run);
    // Per socket: last request or response, and requests failed by the client's own close.
    const lastActive = new Map<SocketId, number>();
    const failedByClose = new Map<SocketId, number>();
    return {
      step({ ledger, callers }) {
        if (maxIdle === undefined) return undefined;
        if (atCheckout) return idleCheckout(callers, maxIdle, tolerance);
        halfClosed.fold(ledger);
        timedOut.fold(ledger);
        if (multiplexed) {
          for (const event of ledger) {
            if (event.type === "ConnectionClosed" && timedOut.has(event.socketId)) continue;
            const early = earlyClose(run, event, maxIdle, lastActive, failedByClose, halfClosed);
            if (early !== undefined) return { clause: "b", detail: early };
          }
        }
        if (run.closeSeq !== undefined) return undefined;
        const now = run.now();
        for (const use of run.liveUses()) {
          const since = idleSince(use, multiplexed);
          if (since !== undefined && now > since + maxIdle + tolerance) {
            return {
              clause: "a",
              detail:
                `socket #${use.socket.id} idle since t=${since} still open at t=${now}; max idle ${maxIdle} ms`,
            };
          }
        }
        return undefined;
      },
      // TMO-4.a's first instant: a pool's idle timer may run between the harness's steps, and a
      // late one is caught at the instant it is late by more than the tolerance.
      due(run) {
        if (maxIdle === undefined || atCheckout || run.closeSeq !== undefined) return undefined;
        let first: number | undefined;
        for (const use of run.liveUses()) {
          const since = idleSince(use, multiplexed);
          if (since === undefined) continue;
          const at = since + maxIdle + tolerance + 1;
          if (first === undefined || at < first) first = at;
        }
        return first;
      },
    };
  },
});

/**
 * Since when an open connection has been idle: a multiplexed one with nothing
 * in flight since its last request or response, a leased one since its release.
 */
function idleSince(use: SocketUse, multiplexed: boolean): number | undefined {
  if (use.socket.state !== "open") return undefined;
  if (!multiplexed) return use.idleSince;
  return use.socket.inFlight === 0 ? use.socket.lastActiveAt : undefined;
}

/** TMO-4.c: the first lease in `callers` of a connection idle past the max-idle time, if any. */
function idleCheckout(
  callers: readonly CallerEvent[],
  maxIdle: number,
  tolerance: number,
): Breach<"c"> | undefined {
  for (const event of callers) {
    if (event.kind !== "acquire-resolved") continue;
    const { id, facts, settledAt } = event.acquire;
    if (facts?.idleSince === undefined || settledAt === undefined) continue;
    if (settledAt - facts.idleSince > maxIdle + tolerance) {
      return {
        clause: "c",
        detail:
          `acquire #${id} got socket #${facts.socketId} at t=${settledAt}, idle since t=${facts.idleSince}; max idle ${maxIdle} ms`,
      };
    }
  }
  return undefined;
}

/**
 * Fold one ledger event of a multiplexed pool; for a close the pool made on
 * its own before close(), say why it was early: requests in flight, or
 * idle less than the max-idle time.
 */
function earlyClose(
  run: RunView,
  event: LedgerEvent,
  maxIdle: number,
  lastActive: Map<SocketId, number>,
  failedByClose: Map<SocketId, number>,
  halfClosed: HalfCloses,
): string | undefined {
  const id = event.socketId;
  switch (event.type) {
    case "ConnectionReady":
    case "RequestSent":
    case "ResponseReceived":
      lastActive.set(id, event.t);
      return undefined;
    case "RequestFailed":
      if (event.reason === "client-closed") failedByClose.set(id, (failedByClose.get(id) ?? 0) + 1);
      else lastActive.set(id, event.t);
      return undefined;
    case "ConnectionClosed":
      break;
    default:
      return undefined;
  }
  const since = lastActive.get(id);
  if (since === undefined || !closedByPoolBeforeClose(run, event, halfClosed)) return undefined;
  const inFlight = failedByClose.get(id) ?? 0;
  if (inFlight > 0) {
    return `the pool closed socket #${id} (${event.route}) at t=${event.t} with ${inFlight} request${
      inFlight === 1 ? "" : "s"
    } in flight`;
  }
  if (event.t < since + maxIdle) {
    return `the pool closed socket #${id} (${event.route}) at t=${event.t}, idle only since t=${since}; max idle ${maxIdle} ms`;
  }
  return undefined;
}

/** TMO-5: a request not answered within the request timeout fails its caller by then. */
export const tmo5 = defineRule({
  id: "TMO-5",
  group: "TMO",
  title:
    "A request not answered within the request timeout fails its caller by then (within the declared tolerance), not before; a pool that disconnects on a timeout closes the connection by then",
  rationale:
    "The request timeout is a caller's bound on a broker that accepted a request and went quiet: without it, a producer waits forever on a partition leader that hung. A request is timed from its write: one queued behind maxInFlight has not started its clock. What becomes of the connection is the pool's declared policy: Kafka's Java client closes it, since responses there are matched by their order and a late answer would be taken for the next request's; kafkajs matches answers by correlation id, fails the caller and forgets the request, leaving it on the wire. Either way the caller must hear of it by the deadline, plus the declared check period of a pool that looks on a timer. A send counts as timed out when the adapter reads its rejection as kind timeout (capability rejectionKinds), else when its code or name says so; that lower bound is counted from the send, which precedes the write.",
  source:
    "Kafka NetworkClient.handleTimedOutRequests (request.timeout.ms, default 30 s: the node is disconnected and its in-flight requests fail); kafkajs RequestQueue (requestTimeout, checked every min(requestTimeout, 100) ms; SocketRequest.timeoutRequest rejects with KafkaJSRequestTimeoutError and the request leaves the in-flight map)",
  needs: ["requestTimeout"],
  clauses: {
    a: "a send does not fail as timed out before the request timeout has passed since it was made",
    b: "a pool that disconnects on a timeout leaves no request on its connection past the request timeout",
    c: "every request that outlived the request timeout on the wire fails a caller by then",
  },
  start(run) {
    const timeout = run.setup.config.requestTimeoutMs;
    const policy = run.supports.policies.requestTimeout;
    const slack = run.supports.toleranceMs + (policy?.checkPeriodMs ?? 0);
    const disconnects = policy?.onTimeout === "disconnect";
    const wire = new OnTheWire();
    /** Requests that outlived the timeout, by route (each counted once). */
    const outlived = new Map<string, number>();
    const counted = new Set<number>();
    const rejected = new Map<string, number>();
    const count = (requestId: number, route: string) => {
      if (counted.has(requestId)) return;
      counted.add(requestId);
      outlived.set(route, (outlived.get(route) ?? 0) + 1);
    };
    const judge = (
      ledger: readonly LedgerEvent[],
      callers: readonly CallerEvent[],
    ): Breach<"a" | "b" | "c"> | undefined => {
      if (timeout === undefined) return undefined;
      for (const event of callers) {
        if (event.kind !== "send-rejected") continue;
        const s = event.send;
        rejected.set(s.route, (rejected.get(s.route) ?? 0) + 1);
        if (timedOut(s) && s.settledAt! < s.startedAt + timeout - run.supports.toleranceMs) {
          return {
            clause: "a",
            detail: `send #${s.seq} (${s.route}) failed as timed out at t=${s.settledAt}, ${
              s.settledAt! - s.startedAt
            } ms after it was made; the request timeout is ${timeout} ms`,
          };
        }
      }
      let breach: Breach<"b"> | undefined;
      wire.fold(ledger, (event, request) => {
        const deadline = request.t + timeout;
        const closing = run.closeSeq !== undefined && event.seq > run.closeSeq;
        if (event.t > deadline + slack && !closing) {
          count(event.requestId, request.route);
          if (disconnects) {
            breach ??= {
              clause: "b",
              detail:
                `request ${event.requestId} on socket #${event.socketId} (${request.route}), sent at t=${request.t}, was still on its connection until t=${event.t} (${
                  event.type === "ResponseReceived" ? "answered" : "failed"
                }); the request timeout is ${timeout} ms and the pool disconnects on a timeout`,
            };
          }
        } else if (
          event.type === "RequestFailed" && event.reason === "client-closed" && !closing &&
          event.t >= deadline
        ) {
          // The client closed the connection at or after the deadline: the request timed out.
          count(event.requestId, request.route);
        }
      });
      if (breach !== undefined) return breach;
      const now = run.now();
      for (const [requestId, request] of wire.entries()) {
        if (now <= request.t + timeout + slack) continue;
        count(requestId, request.route);
        if (disconnects && (run.closeSeq === undefined)) {
          return {
            clause: "b",
            detail:
              `request ${requestId} (${request.route}), sent at t=${request.t}, is still on its connection at t=${now}; the request timeout is ${timeout} ms and the pool disconnects on a timeout`,
          };
        }
      }
      for (const [route, n] of outlived) {
        const told = rejected.get(route) ?? 0;
        if (told >= n) continue;
        const pending = run.sends.filter((s) => s.route === route && s.status === "pending");
        if (pending.length === 0) continue;
        return {
          clause: "c",
          detail: `${n} request${
            n === 1 ? "" : "s"
          } to ${route} outlived the request timeout of ${timeout} ms on the wire by t=${now}, but only ${told} send${
            told === 1 ? " was" : "s were"
          } failed; sends still pending: ${pending.map((s) => `#${s.seq}`).join(", ")}`,
        };
      }
      return undefined;
    };
    return {
      step: ({ ledger, callers }) => judge(ledger, callers),
    };
  },
});

/** The TMO group. */
export const TMO_RULES: readonly Rule[] = [tmo1, tmo2, tmo3, tmo4, tmo5];
