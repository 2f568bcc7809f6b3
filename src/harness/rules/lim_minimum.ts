/**
 * LIM-6: a pool that keeps a minimum (CMAP's minPoolSize) keeps it while it
 * is ready, and opens nothing while a clear() has paused it.
 *
 * @module
 */
import type { Rule } from "../rule.ts";
import { defineRule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import { mayHaveClearedItself, minimumOf } from "./_population.ts";

/** LIM-6: every route holds its minimum while the pool is ready; nothing is opened while it is paused. */
export const lim6 = defineRule({
  id: "LIM-6",
  group: "LIM",
  title:
    "While the pool is ready, each route holds at least its minimum of connections; while a clear() has paused it, the pool opens none",
  rationale:
    "A minimum pool size is a promise of latency: the first callers after a quiet spell, or after connections expired, find a connection established instead of paying for a handshake. A pool that forgets to top itself up breaks that promise silently, as nothing fails. The other side matters as much: a cleared pool has given up on its server until ready(), and a background task that keeps dialling it (or that runs on after close()) hammers a server known to be down. The minimum is min(minPoolSize, the route's limit) on each route of the run, and counts connections being established, idle and leased alike; it is judged after the pool has settled, and waived while the pool is at maxTotal or at maxConnecting (the pool may not open more), while it may have paused itself after a failed connect and until the next ready(), and during the heal phase.",
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
    /** Ledger positions of each clear() and of the ready() that ended its pause (if it did). */
    const pauses: { from: number; to: number }[] = [];
    let lastReadySeq = 0;
    return {
      step({ callers, ledger }) {
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
        if (run.closeSeq !== undefined || run.paused || run.healing) return undefined;
        if (mayHaveClearedItself(run, lastReadySeq)) return undefined;
        const live = run.network.ledger.live();
        if (live.length >= config.maxTotal) return undefined;
        const connecting = run.network.ledger.count({ state: "connecting" });
        if (config.maxConnecting !== undefined && connecting >= config.maxConnecting) {
          return undefined;
        }
        for (const route of config.routes) {
          const minimum = minimumOf(run, route);
          const held = run.network.ledger.live(route).length;
          if (held < minimum) {
            return {
              clause: "a",
              detail:
                `the pool is ready and settled at t=${run.now()}, yet ${route} holds ${held} connection${
                  held === 1 ? "" : "s"
                } (minimum ${minimum}), with ${live.length} of ${config.maxTotal} in total and ${connecting} connecting`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** Rules of the LIM group about a pool's minimum size. */
export const LIM_MINIMUM_RULES: readonly Rule[] = [lim6];
