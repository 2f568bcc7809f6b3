import type { LedgerEvent, Route } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import { defineRule, type Rule } from "../rule.ts";
import { HalfCloses } from "./_live.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** ERR-1: a failed connect rejects a waiter (policy "reject"). */
export const err1 = defineRule({
  id: "ERR-1",
  group: "ERR",
  title: "A failed connect rejects or retries per policy and never leaks capacity",
  rationale:
    "When a server refuses connections, the waiter that caused the connect must learn it (or the pool must retry, as declared) rather than wait for a connection that will never come; capacity leaks are caught by LIV-2.",
  source:
    "CMAP (ConnectionCheckOutFailed reason connectionError); Apache HttpCore 5 (failed lease)",
  needs: [],
  when: {
    text: "connectFailure is reject and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && s.policies.connectFailure === "reject",
  },
  clauses: {
    a: "a refused connect rejects a waiter of its route or is retried, and frees its slot",
  },
  start(run) {
    return {
      step({ ledger, callers }) {
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
      },
    };
  },
});

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
  title: "A failed acquire or send is rejected with an error object, never a bare value",
  rationale:
    "Callers handle a pool's failures with the language's error handling: they log `error.message`, branch on `error.code` or the error's class, and keep its stack. A rejection with `undefined`, a string or a number breaks every such handler (reading `message` of `undefined` throws a TypeError in the caller's catch block) and hides why the pool failed: timeout, close, clear, full queue or a refused connect. Which error, and its code, is the pool's choice; that it is an error object is not. An object with a string `message` counts, whatever realm made it.",
  source:
    "CMAP (checkout failures are PoolClosedError, PoolClearedError and WaitQueueTimeoutError); Node.js errors documentation (rejections are Error instances); pg-pool, tarn and generic-pool reject acquires with Error instances (TimeoutError)",
  needs: [],
  clauses: {
    a: "every rejected acquire or send is rejected with an error object",
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
          if (record === undefined || record.errorObject !== false) continue;
          const what = event.kind === "send-rejected"
            ? `send #${event.send.seq}`
            : `acquire #${(record as AcquireRecord).id}`;
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

/** The ERR group. */
export const ERR_RULES: readonly Rule[] = [err1, err2, err3, err4];
