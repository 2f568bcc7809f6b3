import type { Route } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import { mayPopulate } from "./_population.ts";
import { defineRule, type Rule, type StepContext } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { ids, LiveCount } from "./_live.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** LIM-1: live connections never exceed maxTotal. */
export const lim1 = defineRule({
  id: "LIM-1",
  group: "LIM",
  title: "Live connections (connecting + open) never exceed maxTotal",
  rationale:
    "The total limit is what protects the servers and the process from an unbounded number of sockets; a pool that opens one more than allowed under load fails exactly when the limit matters. Connections being established count, since each already holds a socket.",
  source: "Apache HttpCore 5 StrictConnPool (maxTotal); CMAP maxPoolSize",
  needs: [],
  clauses: {
    a: "live connections (connecting and open) never exceed maxTotal",
  },
  start(run) {
    const live = new LiveCount();
    const max = run.setup.config.maxTotal;
    return {
      step({ ledger }: StepContext) {
        for (const event of ledger) {
          live.apply(event);
          if (live.total > max) {
            return {
              clause: "a",
              detail:
                `${live.total} live connections after socket #${event.socketId} (${event.type}) at t=${event.t}; maxTotal is ${max}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** LIM-2: live connections per route never exceed the route's limit. */
export const lim2 = defineRule({
  id: "LIM-2",
  group: "LIM",
  title: "Live connections per route never exceed that route's limit (overrides included)",
  rationale:
    "Per-route limits keep one busy destination from taking every connection and protect each server; an off-by-one here is invisible in light tests and surfaces as overload in production.",
  source: "Apache HttpCore 5 StrictConnPool (defaultMaxPerRoute, setMaxPerRoute)",
  needs: ["maxPerRoute"],
  clauses: {
    a: "a route's live connections never exceed its limit",
  },
  start(run) {
    const live = new LiveCount();
    return {
      step({ ledger }) {
        for (const event of ledger) {
          live.apply(event);
          const limit = run.limitOf(event.route);
          if (live.of(event.route) > limit) {
            return {
              clause: "a",
              detail: `${
                live.of(event.route)
              } live connections to ${event.route} after socket #${event.socketId} (${event.type}) at t=${event.t}; its limit is ${limit}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** LIM-3: connects in progress never exceed maxConnecting. */
export const lim3 = defineRule({
  id: "LIM-3",
  group: "LIM",
  title: "Connections being established never exceed maxConnecting",
  rationale:
    "Bounding concurrent connects avoids connection storms against a recovering server (CMAP's maxConnecting defaults to 2).",
  source: "MongoDB CMAP specification (maxConnecting)",
  needs: ["maxConnecting"],
  clauses: {
    a: "connects in progress never exceed maxConnecting",
  },
  start(run) {
    const live = new LiveCount();
    const max = run.setup.config.maxConnecting ?? Infinity;
    return {
      step({ ledger }) {
        for (const event of ledger) {
          live.apply(event);
          if (live.connecting > max) {
            return {
              clause: "a",
              detail:
                `${live.connecting} connects in progress after socket #${event.socketId} was created at t=${event.t}; maxConnecting is ${max}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/**
 * Acquires that wait in the queue: per route, the pending acquires beyond
 * those the connects in progress on that route can serve.
 */
function waiting(run: RunView): { count: number; newest: number | undefined } {
  const pending = new Map<Route, number[]>();
  for (const record of run.pending()) {
    const ids = pending.get(record.route);
    if (ids === undefined) pending.set(record.route, [record.id]);
    else ids.push(record.id);
  }
  let count = 0;
  let newest: number | undefined;
  for (const [route, ids] of pending) {
    const connecting = run.network.ledger.count({ route, state: "connecting" });
    const beyond = ids.length - connecting;
    if (beyond <= 0) continue;
    count += beyond;
    const last = ids[ids.length - 1]!;
    if (newest === undefined || last > newest) newest = last;
  }
  return { count, newest };
}

/** LIM-4: waiters never exceed maxWaiters; an acquire beyond fails at once. */
export const lim4 = defineRule({
  id: "LIM-4",
  group: "LIM",
  title: "Waiters never exceed maxWaiters; an acquire beyond it fails at once",
  rationale:
    "A bounded wait queue turns overload into fast, explicit failures instead of unbounded memory and latency; the acquire that finds the queue full must fail immediately, not after its timeout. The bound is on waiting: an acquire that finds an idle usable connection of its route, and no older acquire of the route ahead of it, never waits, so a full queue of other routes' waiters is no reason to refuse it (judged from the adapter's rejection kinds). An acquire served by a connect in progress on its route is not waiting in the queue (CMAP's pending connection is not its wait queue), so the waiters are, per route, the pending acquires beyond the connects in progress; a pool that counts them too (a stricter bound) also passes.",
  source:
    "generic-pool maxWaitingClients (acquire refuses only with no spare capacity and no available resource); CMAP waitQueue",
  needs: ["maxWaiters"],
  clauses: {
    a: "acquires waiting beyond the connects in progress never exceed maxWaiters: one beyond it fails at once",
    b: "an acquire that finds an idle connection of its route free, with no older acquire of its route pending, is not refused as over maxWaiters",
  },
  start(run) {
    const max = run.setup.config.maxWaiters ?? Infinity;
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-rejected") continue;
          const a = event.acquire;
          if (a.errorKind !== "waitQueueFull" || a.idleAtStart === undefined) continue;
          return {
            clause: "b",
            detail:
              `acquire #${a.id} (${a.route}) was refused as over maxWaiters (${max}) while socket #${a.idleAtStart} of its route was idle and usable and no older acquire of ${a.route} was pending: it never had to wait`,
          };
        }
        if (run.pending().length <= max) return undefined;
        const { count, newest } = waiting(run);
        if (count <= max) return undefined;
        return {
          clause: "a",
          detail:
            `${count} acquires waiting beyond the connects in progress (newest #${newest}) and still pending; maxWaiters is ${max}`,
        };
      },
    };
  },
});

/** LIM-5: connects in progress never outnumber the acquires that could use them. */
export const lim5 = defineRule({
  id: "LIM-5",
  group: "LIM",
  title:
    "A connect starts only for an acquire no connect in progress will serve: a route's connects in progress never outnumber its pending acquires",
  rationale:
    "Every connection being established should have a caller waiting for it; a pool that dials again for a caller already covered by a connect in progress (a retry loop that does not wait for its first attempt, a timer that re-dials at every tick) multiplies the load on a server that is slow to accept, and stays below its limits while doing it, so LIM-1 to LIM-3 do not see it. It is judged at each connect's start: the route's connects in progress then, this one included, are at most its acquires started before and not yet settled. Connects from before a `clear()` are not counted against the acquires after it (they can only serve a stale connection). A connect that outlives the acquire it was made for (the caller timed out) is no fault, since it was started when it was needed. The kit configures no minimum of idle connections, so a pool that pre-connects breaks the rule; multiplexed pools open one connection per route for any number of requests and are not judged.",
  source:
    "Apache HttpCore 5 StrictConnPool (a connection is allocated only for a pending lease request); CMAP checkOut (a pending connection is created for the requesting thread, up to maxConnecting); generic-pool _dispense (creates at most the waiting clients not covered by resources being created)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a route's connects in progress never outnumber its pending acquires",
  },
  start(run) {
    // Connects in progress, with the route and the clear() generation each was started in.
    const connecting = new Map<number, { route: Route; generation: number }>();
    // The acquires not settled before the last connect judged, in start order, and how many of
    // the run's acquires have been taken in: ledger order only moves forward, so an acquire
    // settled before one connect started was settled before every later one too.
    let open: AcquireRecord[] = [];
    let taken = 0;
    const pendingAt = (route: Route, seq: number): AcquireRecord[] => {
      // Acquires are in start order: those started after `seq` wait for a later connect.
      for (; taken < run.acquires.length && run.acquires[taken]!.startSeq < seq; taken++) {
        open.push(run.acquires[taken]!);
      }
      open = open.filter((a) => a.settleSeq === undefined || a.settleSeq >= seq);
      return open.filter((a) => a.route === route && a.startSeq < seq);
    };
    return {
      step({ ledger }) {
        for (const event of ledger) {
          if (event.type !== "ConnectionCreated") {
            connecting.delete(event.socketId);
            continue;
          }
          // A pool that keeps a minimum opens connections no caller asked for while below it.
          if (mayPopulate(run, event)) continue;
          const generation = run.use(event.socketId)?.generation ?? run.generation;
          connecting.set(event.socketId, { route: event.route, generation });
          let inProgress = 0;
          for (const c of connecting.values()) {
            if (c.route === event.route && c.generation === generation) inProgress++;
          }
          const pending = pendingAt(event.route, event.seq);
          if (inProgress > pending.length) {
            return {
              clause: "a",
              detail:
                `socket #${event.socketId} to ${event.route} started at t=${event.t} made ${inProgress} connects in progress for ${pending.length} pending acquire${
                  pending.length === 1 ? "" : "s"
                } (${ids(pending.map((a) => a.id))})`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** The LIM group. */
export const LIM_RULES: readonly Rule[] = [lim1, lim2, lim3, lim4, lim5];
