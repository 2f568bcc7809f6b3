import type { LedgerEvent, Route } from "../../net/types.ts";
import { defineRule, type Rule } from "../rule.ts";
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
    "Once a socket is known closed (closed event, failed validation) the pool has no excuse: handing it out guarantees the caller's request fails.",
  source: "CMAP (perished connections are closed during checkout); Apache HttpCore 5 (isStale)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a closed connection is not handed out",
    b: "a connection found stale or closed is not handed out",
  },
  start(run) {
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, settleSeq, id } = event.acquire;
          if (facts!.state === "closed") {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId}, which was already closed`,
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

/** The ERR group. */
export const ERR_RULES: readonly Rule[] = [err1, err2, err3];
