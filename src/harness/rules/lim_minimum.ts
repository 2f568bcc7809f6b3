/**
 * LIM-6: a pool that keeps a minimum (CMAP's minPoolSize) keeps it while it
 * is ready, and opens nothing while a clear() has paused it.
 *
 * @module
 */
import type { LedgerEvent, Route } from "../../net/types.ts";
import type { CallerEvent } from "../observations.ts";
import type { Breach, Rule } from "../rule.ts";
import { defineRule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import { mayHaveClearedItself, minimumOf } from "./_population.ts";
import { heldOnClosed } from "./_waiters.ts";
import { backingOffSince } from "./ord.ts";

/**
 * The virtual time of the last connect that began or ended among `ledger`'s
 * events, if any, adding the sockets established there to `established`.
 */
function lastConnect(ledger: readonly LedgerEvent[], established: Set<number>): number | undefined {
  let last: number | undefined;
  for (const event of ledger) {
    if (event.type === "ConnectionReady") established.add(event.socketId);
    const connect = event.type === "ConnectionCreated" || event.type === "ConnectionReady" ||
      (event.type === "ConnectionClosed" && !established.has(event.socketId));
    if (connect) last = event.t;
  }
  return last;
}

/** The earliest and the latest virtual time of what a step saw, if it saw anything. */
function stepTimes(
  ledger: readonly LedgerEvent[],
  callers: readonly CallerEvent[],
): { first: number; last: number } | undefined {
  let first = Infinity;
  let last = -Infinity;
  const at = (t: number | undefined) => {
    if (t === undefined) return;
    first = Math.min(first, t);
    last = Math.max(last, t);
  };
  for (const event of ledger) at(event.t);
  for (const caller of callers) {
    switch (caller.kind) {
      case "maintenance":
      case "close-started":
      case "pool-event":
      case "close-resolved":
        at(caller.t);
        break;
      case "acquire-started":
        at(caller.acquire.startedAt);
        break;
      case "acquire-resolved":
      case "acquire-rejected":
        at(caller.acquire.settledAt);
        break;
      case "released":
      case "release-accepted":
        at(caller.acquire.releasedAt);
        break;
    }
  }
  return first === Infinity ? undefined : { first, last };
}

/** LIM-6: every route holds its minimum while the pool is ready; nothing is opened while it is paused. */
export const lim6 = defineRule({
  id: "LIM-6",
  group: "LIM",
  title:
    "While the pool is ready, each route holds at least its minimum of connections; while a clear() has paused it, the pool opens none",
  rationale:
    "A minimum pool size is a promise of latency: the first callers after a quiet spell, or after connections expired, find a connection established instead of paying for a handshake. A pool that forgets to top itself up breaks that promise silently, as nothing fails. The other side matters as much: a cleared pool has given up on its server until ready(), and a background task that keeps dialling it (or that runs on after close()) hammers a server known to be down. The minimum is min(minPoolSize, the route's limit) on each route of the run, and counts connections being established, idle and leased alike; it is judged after the pool has settled, and waived while the pool is at maxTotal or at maxConnecting (the pool may not open more), while it may have paused itself after a failed connect and until the next ready(), and during the heal phase; a pool that backs off a route after a failed connect (a declared reconnect backoff, or retries) is not judged on that route until the longest backoff its configuration allows has passed since the failure, or it dials the route again at a later instant. A lease still held on a connection that has closed counts until its holder releases it, as the pool counts a checked-out connection (CMAP). A pool that declares a population interval (supports.populationIntervalMs: CMAP lets a background thread keep the minimum, running every backgroundThreadIntervalMS) may stay below its minimum, with no connect in progress, for that long (plus the tolerance) before it starts one: from when the deficit began, a connect of the pool ended or the pool became ready.",
  source:
    "MongoDB CMAP specification (minPoolSize: the pool's background thread creates connections while the total is below it, only while the pool is ready, no more than maxConnecting at a time; a paused or closed pool creates none; connections checked out and pending count towards the total)",
  needs: ["minPoolSize"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "while the pool is ready and has settled, each route holds at least min(minPoolSize, its limit) connections, connecting, idle or leased, unless the pool is at maxTotal or maxConnecting",
    b: "no connection is opened between a clear() and the next ready()",
  },
  start(run) {
    // Callers that pass every rule (runCase with RULES) get nothing judged on a pool declared otherwise.
    if (!run.supports.capabilities.includes("minPoolSize")) return {};
    const { config } = run.setup;
    const interval = run.supports.populationIntervalMs;
    // A pool that backs off a route after a failed connect (a declared reconnect backoff, or
    // retries) may leave it below its minimum until the longest backoff has passed.
    const backsOff = run.supports.capabilities.includes("reconnectBackoff") ||
      run.supports.policies.connectFailure === "retry";
    const longest = Math.max(config.reconnectBackoffMs ?? 0, config.reconnectBackoffMaxMs ?? 0);
    const backingOff = (route: Route): boolean => {
      if (!backsOff) return false;
      const since = backingOffSince(run, route);
      if (since === undefined) return false;
      // With no declared bound, until the pool dials the route again (as LIV-3).
      return longest === 0 || run.now() < since + longest + tolerance;
    };
    const tolerance = run.supports.toleranceMs;
    /** Ledger positions of each clear() and of the ready() that ended its pause (if it did). */
    const pauses: { from: number; to: number }[] = [];
    let lastReadySeq = 0;
    /** With a population interval: since when each route has been owed a connect. */
    const owedSince = new Map<Route, number>();
    /** Sockets whose connect completed. */
    const established = new Set<number>();
    /** Virtual time at the end of the previous step. */
    let lastNow = run.now();
    const below = (route: Route) => {
      const held = run.network.ledger.live(route).length + heldOnClosed(run, route);
      return { held, minimum: minimumOf(run, route) };
    };
    const judge = (
      callers: readonly CallerEvent[],
      ledger: readonly LedgerEvent[],
    ): Breach<"a" | "b"> | undefined => {
      for (const event of callers) {
        if (event.kind !== "maintenance") continue;
        const open = pauses[pauses.length - 1];
        if (event.op === "clear" && (open === undefined || open.to !== Infinity)) {
          pauses.push({ from: event.seq, to: Infinity });
        }
        if (event.op === "ready") {
          if (open !== undefined && open.to === Infinity) open.to = event.seq;
          lastReadySeq = event.seq;
        }
      }
      for (const event of ledger) {
        if (event.type !== "ConnectionCreated") continue;
        if (run.closeSeq !== undefined && event.seq > run.closeSeq) continue;
        const pause = pauses.find((p) => event.seq > p.from && event.seq <= p.to);
        if (pause !== undefined) {
          return {
            clause: "b",
            detail:
              `socket #${event.socketId} to ${event.route} was opened at t=${event.t}, while a clear() paused the pool and before ready()`,
          };
        }
      }
      const now = run.now();
      const times = stepTimes(ledger, callers);
      const stepStart = lastNow;
      lastNow = now;
      // Owed at the end of the previous step, and nothing happened past the deadline: late.
      for (const [route, since] of owedSince) {
        const deadline = since + interval! + tolerance;
        const until = Math.min(times?.first ?? now, now);
        if (until > deadline) return late(route, since, until);
      }
      const owed = owing();
      for (const route of [...owedSince.keys()]) if (!owed.has(route)) owedSince.delete(route);
      if (interval === undefined) {
        const [route] = owed;
        if (route === undefined) return undefined;
        const { held, minimum } = below(route);
        const live = run.network.ledger.live();
        const connecting = run.network.ledger.count({ state: "connecting" });
        return {
          clause: "a",
          detail:
            `the pool is ready and settled at t=${now}, yet ${route} holds ${held} connection${
              held === 1 ? "" : "s"
            } (minimum ${minimum}), with ${live.length} of ${config.maxTotal} in total and ${connecting} connecting`,
        };
      }
      const connected = lastConnect(ledger, established);
      for (const route of owed) {
        // It became owed in this step: at its last event at the latest. A connect that began
        // or ended in this step was a pass of the task, which times its next one from there.
        const before = owedSince.get(route);
        if (before === undefined) {
          owedSince.set(route, Math.max(stepStart, times?.last ?? stepStart));
        } else if (connected !== undefined) {
          owedSince.set(route, Math.max(before, connected));
        }
        const since = owedSince.get(route)!;
        if (now > since + interval + tolerance) return late(route, since, now);
      }
      return undefined;
    };
    /** The routes below their minimum now, where nothing waives it. */
    const owing = (): Set<Route> => {
      const owed = new Set<Route>();
      if (run.closeSeq !== undefined || run.paused || run.healing) return owed;
      if (mayHaveClearedItself(run, lastReadySeq)) return owed;
      const live = run.network.ledger.live();
      if (live.length + heldOnClosed(run, undefined) >= config.maxTotal) return owed;
      const connecting = run.network.ledger.count({ state: "connecting" });
      if (config.maxConnecting !== undefined && connecting >= config.maxConnecting) return owed;
      // A background task that runs at an interval times its next pass from its last connect.
      if (interval !== undefined && connecting > 0) return owed;
      for (const route of config.routes) {
        const { held, minimum } = below(route);
        if (held >= minimum) continue;
        if (backingOff(route)) continue;
        owed.add(route);
      }
      return owed;
    };
    const late = (route: Route, since: number, until: number): Breach<"a"> => {
      const { held, minimum } = below(route);
      return {
        clause: "a",
        detail:
          `the pool is ready, yet ${route} held fewer connections than its minimum (${minimum}; ${held} now) with no connect in progress from t=${since} to t=${until}, longer than its population interval of ${interval} ms`,
      };
    };
    return {
      step: ({ callers, ledger }) => judge(callers, ledger),
    };
  },
});

/** Rules of the LIM group about a pool's minimum size. */
export const LIM_MINIMUM_RULES: readonly Rule[] = [lim6];
