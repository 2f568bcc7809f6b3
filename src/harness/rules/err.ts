import type { LedgerEvent, Route } from "../../net/types.ts";
import { ConnectOwners } from "./_connect_owners.ts";
import { mayHaveClearedItself, ownsConnects } from "./_population.ts";
import type { RejectionKind } from "../adapter.ts";
import { type AcquireRecord, type CallerEvent, errorDefect } from "../observations.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { HalfCloses } from "./_live.ts";
import { routeFailures, untoldFailure } from "./_route_failures.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** ERR-1: a failed connect rejects a waiter (policy "reject"). */
export const err1 = defineRule({
  id: "ERR-1",
  group: "ERR",
  title: "A failed connect rejects or retries per policy and never leaks capacity",
  rationale:
    "When a server refuses connections, the waiter that caused the connect must learn it (or the pool must retry, as declared) rather than wait for a connection that will never come; capacity leaks are caught by LIV-2. A pool whose connects belong to the acquire that started them (policy connectOwnership \"acquire\", CMAP) owes the failure to that acquire and to no one else: failing the route's oldest waiter instead leaves the owner waiting on a connect that is gone, and fails a caller whose own connect may still succeed. Which acquire started a connect is not witnessed; the clause judges the connects whose owner the ledger leaves no doubt about (the only acquire of the route pending when the connect began, other than those already bound to a connect of their own), and reads the kind of a rejection where the adapter can tell it. The waiter a refused connect fails must be told that the server refused: an operator reading the log needs ECONNREFUSED (a server down, a wrong port) to tell it from a timeout or an authentication failure, so the error, or an error it carries as its `cause` (or among an AggregateError's `errors`), has the refusal's code or says in its message that the connect was refused; judged where the adapter tells connection errors apart (capability rejectionKinds) and the refusal was the only failure of the route while the waiter waited.",
  source:
    "CMAP (a check-out that creates a connection waits for that connection; if establishing it fails, that check-out fails with ConnectionCheckOutFailed reason connectionError); Apache HttpCore 5 (failed lease); Node.js net (a refused connect fails with code ECONNREFUSED); pg-pool and undici reject with the socket's own error, the MongoDB driver with a MongoNetworkError whose cause it is",
  needs: [],
  when: {
    text: "connectFailure is reject and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && s.policies.connectFailure === "reject",
  },
  clauses: {
    a: "a refused connect rejects a waiter of its route or is retried, and frees its slot",
    b: 'with connectOwnership "acquire": a refused connect rejects the acquire that started it, and a connection error fails no acquire whose own connect has not failed',
    c: "a waiter failed by a refused connect is told it was refused: its error or one the error carries (cause, errors) has the code ECONNREFUSED or a message that says so",
  },
  start(run) {
    const owners = ownsConnects(run) ? new ConnectOwners(run) : undefined;
    const kinds = run.supports.capabilities.includes("rejectionKinds");
    return {
      step({ ledger, callers }) {
        return refusedUnanswered(run, ledger, callers) ??
          (owners === undefined ? undefined : ownerBreach(owners, ledger, callers)) ??
          (kinds ? refusalUntold(run, callers) : undefined);
      },
    };
  },
});

/** What shows in an error's trail that a connect was refused. */
const REFUSAL = /ECONNREFUSED|refused/i;

/** ERR-1.c: a waiter failed as a connection error after a refusal, not told of it. */
function refusalUntold(run: RunView, callers: readonly CallerEvent[]): Breach<"c"> | undefined {
  const untold = untoldFailure(run, callers, (f) => f.kind === "refused", REFUSAL);
  if (untold === undefined) return undefined;
  const { acquire: a, socketId } = untold;
  return {
    clause: "c",
    detail:
      `acquire #${a.id} (${a.route}) was failed as a connection error when the connect of socket #${socketId} was refused, but neither its error (${a.errorCode}: "${a.errorMessage}") nor one it carries has the code ECONNREFUSED or says that the connect was refused`,
  };
}

/** ERR-1.a: a refused connect of a route whose waiters all still wait. */
function refusedUnanswered(
  run: RunView,
  ledger: readonly LedgerEvent[],
  callers: readonly CallerEvent[],
): Breach<"a"> | undefined {
  const refused = new Map<Route, LedgerEvent>();
  for (const event of ledger) {
    if (
      event.type === "ConnectionClosed" && event.reason === "refused" &&
      !refused.has(event.route)
    ) {
      refused.set(event.route, event);
    }
  }
  for (const [route, failure] of refused) {
    const rejected = callers.some((e) =>
      e.kind === "acquire-rejected" && e.acquire.route === route
    );
    if (rejected) continue;
    // The connect was made for one of the waiters already waiting when it started. If one
    // of them has left since (timed out, say), the failure may be that waiter's alone
    // (CMAP ties a connect to the check-out that started it), and no one else is owed it.
    const created = createdSeq(run.network.ledger.events, failure);
    const owners = run.acquires.filter((a) =>
      a.route === route && a.startSeq < created &&
      (a.settleSeq === undefined || a.settleSeq >= created)
    );
    if (owners.length > 0 && owners.every((a) => a.settleSeq === undefined)) {
      return {
        clause: "a",
        detail:
          `a connect to ${route} was refused, yet no waiter of ${route} was rejected and the ${
            owners.length === 1 ? "one" : owners.length
          } waiting since before it started still ${owners.length === 1 ? "waits" : "wait"}`,
      };
    }
  }
  return undefined;
}

/** ERR-1.b: a refused connect fails its owner, and a connection error only an owner whose connect failed. */
function ownerBreach(
  owners: ConnectOwners,
  ledger: readonly LedgerEvent[],
  callers: readonly CallerEvent[],
): Breach<"b"> | undefined {
  for (const { owner, socketId, failedSeq } of owners.fold(ledger)) {
    if (
      owner.status === "pending" || (owner.facts !== undefined && owner.settleSeq! > failedSeq!)
    ) {
      return {
        clause: "b",
        detail:
          `the connect of socket #${socketId}, which acquire #${owner.id} (${owner.route}) started, was refused, but acquire #${owner.id} ${
            owner.status === "pending" ? "still waits" : `then got socket #${owner.facts!.socketId}`
          }`,
      };
    }
  }
  for (const event of callers) {
    if (event.kind !== "acquire-rejected" || event.acquire.errorKind !== "connectionError") {
      continue;
    }
    const { id, route, settleSeq } = event.acquire;
    if (owners.mayOwnFailed(event.acquire, settleSeq!)) continue;
    const own = owners.of(event.acquire);
    return {
      clause: "b",
      detail: `acquire #${id} (${route}) was failed with a connection error, but ${
        own === undefined
          ? "no connect it may have started had failed"
          : `the connect it started, of socket #${own.socketId}, had not failed`
      }`,
    };
  }
  return undefined;
}

/** Sequence number of the ConnectionCreated event of the socket `event` is about. */
function createdSeq(events: readonly LedgerEvent[], event: LedgerEvent): number {
  for (let i = event.seq - 2; i >= 0; i--) {
    const earlier = events[i]!;
    if (earlier.socketId === event.socketId && earlier.type === "ConnectionCreated") {
      return earlier.seq;
    }
  }
  return 0;
}

/** ERR-2: a connection released as broken is closed and never reused. */
export const err2 = defineRule({
  id: "ERR-2",
  group: "ERR",
  title: "A connection released as broken is closed and never reused",
  rationale:
    "A caller that saw a protocol error cannot know the connection's state; reusing it sends the next request into a corrupted stream.",
  source: "Apache HttpCore 5 (release with reusable=false closes); generic-pool destroy",
  needs: ["releaseBroken"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a connection released as broken is closed",
    b: "a connection released as broken is never handed out again",
  },
  start(run) {
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind === "released" && !event.reusable) {
            const socket = run.network.socket(event.acquire.facts!.socketId);
            if (socket !== undefined && socket.state !== "closed") {
              return {
                clause: "a",
                detail:
                  `socket #${socket.id} released as broken by acquire #${event.acquire.id} is still ${socket.state}`,
              };
            }
          } else if (event.kind === "acquire-resolved") {
            const use = run.use(event.acquire.facts!.socketId);
            if (use?.brokenSeq !== undefined && use.brokenSeq < event.acquire.settleSeq!) {
              return {
                clause: "b",
                detail:
                  `acquire #${event.acquire.id} got socket #${use.socket.id}, which had been released as broken`,
              };
            }
          }
        }
        return undefined;
      },
    };
  },
});

/** ERR-3: a connection whose close the pool observed is never handed out. */
export const err3 = defineRule({
  id: "ERR-3",
  group: "ERR",
  title: "A connection whose close the pool has observed is never handed out",
  rationale:
    "Once a socket is known closed (closed event, failed validation) the pool has no excuse: handing it out guarantees the caller's request fails. A pool that declares it hears closes (closeDetection: event) has observed the server's half-close (its FIN) as soon as it arrived: a connection the server half-closed before the caller even asked is known dead, and leasing it sends a request the server will not read; one half-closed while on loan is known dead when its holder gives it back, and keeping it idle only defers that failure to the next caller.",
  source:
    "CMAP (perished connections are closed during checkout); Apache HttpCore 5 (isStale); node:http Agent (a free socket is removed on 'end' and 'close'); pg-pool (an idle client's 'end' or 'error' removes it from the pool)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a closed connection is not handed out",
    b: "a connection found stale or closed is not handed out",
    c: "a pool that hears closes neither hands out nor keeps a connection the server half-closed: not to an acquire begun after the half-close, nor idle once its holder released it",
  },
  start(run) {
    const hears = run.supports.policies.closeDetection === "event";
    const halfClosed = new HalfCloses();
    return {
      step({ callers, ledger }) {
        halfClosed.fold(ledger);
        for (const event of callers) {
          if (hears && event.kind === "released" && event.reusable) {
            const { facts, releaseSeq, id } = event.acquire;
            const socket = run.network.socket(facts!.socketId);
            if (
              socket !== undefined && socket.state !== "closed" &&
              halfClosed.before(socket.id, releaseSeq! + 1)
            ) {
              return {
                clause: "c",
                detail:
                  `socket #${socket.id}, which the server half-closed while acquire #${id} held it, is still ${socket.state} after its release`,
              };
            }
          }
          if (event.kind !== "acquire-resolved") continue;
          const { facts, settleSeq, id, startSeq } = event.acquire;
          if (facts!.state === "closed") {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId}, which was already closed`,
            };
          }
          if (hears && halfClosed.before(facts!.socketId, startSeq)) {
            return {
              clause: "c",
              detail: `acquire #${id} got socket #${
                facts!.socketId
              }, which the server had half-closed before the acquire began`,
            };
          }
          const dead = run.use(facts!.socketId)?.observedDeadSeq;
          if (dead !== undefined && dead < settleSeq!) {
            return {
              clause: "b",
              detail: `acquire #${id} got socket #${
                facts!.socketId
              } after it was found stale or closed`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** ERR-4: a failed acquire or send is rejected with an error object. */
export const err4 = defineRule({
  id: "ERR-4",
  group: "ERR",
  title:
    "A failed acquire or send is rejected with an error object, never a bare value, with a message and a name",
  rationale:
    "Callers handle a pool's failures with the language's error handling: they log `error.message`, branch on `error.code` or the error's class, and keep its stack. A rejection with `undefined`, a string or a number breaks every such handler (reading `message` of `undefined` throws a TypeError in the caller's catch block) and hides why the pool failed: timeout, close, clear, full queue or a refused connect. Which error, and its code, is the pool's choice; that it is an error object is not. An object with a string `message` counts, whatever realm made it. Its message and its `name` must not be empty: a log line and `String(error)` start with the name, and callers and clients compare it (`error.name === \"TimeoutError\"`; kafkajs's retrier treats errors named RangeError, ReferenceError, SyntaxError or TypeError as not retriable).",
  source:
    "CMAP (checkout failures are PoolClosedError, PoolClearedError and WaitQueueTimeoutError); Node.js errors documentation (rejections are Error instances); pg-pool, tarn and generic-pool reject acquires with Error instances (TimeoutError)",
  needs: [],
  clauses: {
    a: "every rejected acquire or send is rejected with an error object",
    b: "the error's message is not empty",
    c: "the error's name is not empty",
  },
  start() {
    return {
      step({ callers }) {
        for (const event of callers) {
          const record = event.kind === "acquire-rejected"
            ? event.acquire
            : event.kind === "send-rejected"
            ? event.send
            : undefined;
          if (record === undefined) continue;
          const what = event.kind === "send-rejected"
            ? `send #${event.send.seq}`
            : `acquire #${(record as AcquireRecord).id}`;
          const defect = errorDefect(record);
          if (defect === "emptyMessage") {
            return {
              clause: "b",
              detail:
                `${what} (${record.route}) was rejected with ${record.errorCode}, whose message is empty`,
            };
          }
          if (defect === "emptyName") {
            return {
              clause: "c",
              detail:
                `${what} (${record.route}) was rejected with ${record.errorCode}, whose name is empty`,
            };
          }
          if (defect !== "notObject") continue;
          return {
            clause: "a",
            detail:
              `${what} (${record.route}) was rejected with ${record.errorCode}, not an error object`,
          };
        }
        return undefined;
      },
    };
  },
});

/** ERR-5: the kind of a rejection is one the caller's history explains. */
export const err5 = defineRule({
  id: "ERR-5",
  group: "ERR",
  title: "A rejection says why, and the reason it gives is true",
  rationale:
    "Callers react to a failure by its kind: they retry after a connection error, back off after a timeout, give up on a closed pool and re-check out after a clear. A pool that reports a timeout when it was closed, or a full queue when it was not full, sends every such handler down the wrong branch. The adapter reads the kind from the error as the pool documents it; the rule checks that something in the caller's history explains it: close() called before the rejection, a clear() while it waited or a pause it started in, its own timeout run out (an acquire's, or a send's request timeout), a wait queue at its bound when it asked, a connect, connection or request on its route that failed while it waited (an HTTP agent's acquire is a request, and a send rides a shared connection).",
  source:
    "CMAP (ConnectionCheckOutFailed reasons poolClosed, timeout, connectionError; PoolClearedError, WaitQueueTimeoutError); Apache HttpCore 5 (lease futures fail with TimeoutException, ConnectException or cancellation on shutdown)",
  needs: ["rejectionKinds"],
  clauses: {
    a: "the adapter recognises every error the pool rejects an acquire or send with",
    b: "the kind of each rejection is explained by what happened to its caller",
  },
  start(run) {
    const maxWaiters = run.setup.config.maxWaiters;
    const requestTimeoutMs = run.setup.config.requestTimeoutMs;
    const pending = new Set<number>();
    const queuedAtStart = new Map<number, number>();
    const pausedAtStart = new Set<number>();
    // Ledger seq of the last ready() before each acquire started: a pool that keeps a minimum may
    // have cleared itself since (a failed background connect), which explains poolCleared too.
    const readyBefore = new Map<number, number>();
    let lastReadySeq = 0;
    let closed = false;
    let paused = run.supports.policies.startsPaused === true;
    const clearedWhileWaiting = new Set<number>();
    const clearedSends = new Set<number>();
    const pendingSends = new Set<number>();
    // A connect, connection or request of the route that failed while the caller waited.
    const failedConnect = (route: Route, from: number, to: number) =>
      routeFailures(run, route, from, to).length > 0;
    const judge = (callers: readonly CallerEvent[]): Breach<"a" | "b"> | undefined => {
      for (const event of callers) {
        switch (event.kind) {
          case "acquire-started":
            queuedAtStart.set(event.acquire.id, pending.size);
            pending.add(event.acquire.id);
            if (paused) pausedAtStart.add(event.acquire.id);
            readyBefore.set(event.acquire.id, lastReadySeq);
            continue;
          case "acquire-resolved":
            pending.delete(event.acquire.id);
            continue;
          case "send-started":
            pendingSends.add(event.send.seq);
            if (paused) clearedSends.add(event.send.seq);
            continue;
          case "send-resolved":
            pendingSends.delete(event.send.seq);
            continue;
          case "close-started":
            closed = true;
            continue;
          case "maintenance":
            if (event.op === "ready") [paused, lastReadySeq] = [false, event.seq];
            if (event.op !== "clear") continue;
            paused = true;
            for (const id of pending) clearedWhileWaiting.add(id);
            for (const seq of pendingSends) clearedSends.add(seq);
            continue;
          case "acquire-rejected": {
            const a = event.acquire;
            pending.delete(a.id);
            const what = `acquire #${a.id} (${a.route})`;
            const because = (kind: RejectionKind): boolean => {
              switch (kind) {
                case "poolClosed":
                  return closed;
                case "poolCleared":
                  return pausedAtStart.has(a.id) || clearedWhileWaiting.has(a.id) ||
                    mayHaveClearedItself(run, readyBefore.get(a.id) ?? 0, a.settleSeq);
                case "timeout":
                  return a.timeoutMs !== undefined &&
                    a.settledAt! - a.startedAt >= a.timeoutMs - run.supports.toleranceMs;
                case "waitQueueFull":
                  return maxWaiters !== undefined && (queuedAtStart.get(a.id) ?? 0) >= maxWaiters;
                case "connectionError":
                  // For an HTTP agent the acquire is the request: the failure of the connection
                  // it was sent on is its connection error too.
                  return failedConnect(a.route, a.startSeq, a.settleSeq!);
              }
            };
            const breach = kindBreach(what, a.errorCode, a.errorKind, because, explainAcquire(a));
            if (breach !== undefined) return breach;
            continue;
          }
          case "send-rejected": {
            const s = event.send;
            pendingSends.delete(s.seq);
            const what = `send #${s.seq} (${s.route})`;
            const because = (kind: RejectionKind): boolean => {
              switch (kind) {
                case "poolClosed":
                  return closed;
                case "poolCleared":
                  return clearedSends.has(s.seq);
                case "timeout":
                  // Its request timed out (capability requestTimeout), no sooner than the
                  // timeout after the send: the write comes at the send or later.
                  return requestTimeoutMs !== undefined &&
                    s.settledAt! - s.startedAt >= requestTimeoutMs - run.supports.toleranceMs;
                case "waitQueueFull":
                  return false;
                case "connectionError":
                  return failedConnect(s.route, s.startSeq, s.settleSeq!);
              }
            };
            const breach = kindBreach(what, s.errorCode, s.errorKind, because, "");
            if (breach !== undefined) return breach;
            continue;
          }
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

/** What a rejected acquire's history holds, for ERR-5's message. */
function explainAcquire(a: AcquireRecord): string {
  const waited = a.settledAt! - a.startedAt;
  return a.timeoutMs === undefined
    ? ` after ${waited} ms with no timeout`
    : ` after ${waited} ms of its ${a.timeoutMs} ms timeout`;
}

const KIND_FACTS: Readonly<Record<RejectionKind, string>> = {
  poolClosed: "close() had not been called",
  poolCleared: "no clear() had failed it and the pool was not paused when it began",
  timeout: "its own timeout had not run out",
  waitQueueFull: "the wait queue was not at its bound when it began",
  connectionError: "no connect, connection or request of its route had failed while it waited",
};

function kindBreach(
  what: string,
  code: string | undefined,
  kind: RejectionKind | null | undefined,
  because: (kind: RejectionKind) => boolean,
  history: string,
): Breach<"a" | "b"> | undefined {
  if (kind === undefined) return undefined;
  if (kind === null) {
    return {
      clause: "a",
      detail: `${what} was rejected with ${code}, which the adapter does not recognise`,
    };
  }
  if (because(kind)) return undefined;
  return {
    clause: "b",
    detail: `${what} was rejected${history} as ${kind} (${code}), but ${KIND_FACTS[kind]}`,
  };
}

/** The ERR group. */
export const ERR_RULES: readonly Rule[] = [err1, err2, err3, err4, err5];
