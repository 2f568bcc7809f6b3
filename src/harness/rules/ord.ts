import type { Route, SocketState } from "../../net/types.ts";
import { mayOwnConnect, ownsConnects } from "./_population.ts";
import type { AcquireRecord } from "../observations.ts";
import { defineRule, type Rule } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import { beingServed, connectsAt, derived, heldOnClosed, waiters } from "./_waiters.ts";

/**
 * An older waiter of the route that `record` was served before: the older
 * acquires still pending when it was served (ignoring those about to time
 * out), when there were more of them than connects in progress on the route
 * at that moment. An acquire bound to a connect in progress of its route is a
 * pending connection, not a waiter (CMAP, LIM-4); which acquires the connects
 * serve is not witnessed, so only the count is judged.
 */
function olderWaiter(
  run: RunView,
  record: AcquireRecord,
  oldest: number,
): { older: AcquireRecord; pending: number; connecting: number } | undefined {
  const margin = run.supports.toleranceMs;
  const older: AcquireRecord[] = [];
  for (let i = record.id - 2; i >= oldest - 1; i--) {
    const candidate = run.acquires[i]!;
    if (candidate.route !== record.route) continue;
    // Served in the same instant is served together: the order in which promises settle
    // within one instant is the order of their callbacks' hops, not of the pool's service.
    const stillWaiting = candidate.status === "pending" ||
      (candidate.settleSeq !== undefined && candidate.settleStep === record.settleStep &&
        candidate.settledAt! > record.settledAt!) ||
      (candidate.status === "rejected" && candidate.settleStep === record.settleStep &&
        candidate.settleOrder! > record.settleOrder!);
    if (!stillWaiting || candidate.startStep === record.settleStep) continue;
    // An acquire on a connect of its own (connectOwnership "acquire") has left the wait queue,
    // and does not come back to it when that connect fails: it is rejected.
    if (mayOwnConnect(run, candidate, record.settleSeq!) || lostOwnConnect(run, candidate)) {
      continue;
    }
    if (
      candidate.timeoutMs !== undefined &&
      candidate.startedAt + candidate.timeoutMs <= record.settledAt! + margin
    ) {
      continue;
    }
    older.push(candidate);
  }
  if (older.length === 0) return undefined;
  const connecting = connectsAt(run, record.route, record.settleSeq!);
  if (older.length <= connecting) return undefined;
  return { older: older[0]!, pending: older.length, connecting };
}

/**
 * A function giving, for the step a served acquire settled in, the id of the
 * oldest acquire that can count as waiting then: one not settled before that
 * step. {@linkcode olderWaiter} skips every acquire settled in an earlier
 * step, and steps only move forward, so a pointer over the acquires walks
 * past those once, and the search costs what is still open, not the run.
 */
function oldestOpen(run: RunView): (step: number) => number {
  let next = 0;
  let last = -Infinity;
  return (step) => {
    if (step < last) return 1;
    last = step;
    const { acquires } = run;
    while (next < acquires.length) {
      const a = acquires[next]!;
      if (a.status === "pending" || a.settleStep === undefined || a.settleStep >= step) break;
      next++;
    }
    return next + 1;
  };
}

/**
 * Whether `record`, rejected, may have been failed by a connect of its own
 * (policy `connectOwnership: "acquire"`): a connect of its route that started
 * after it and closed before it was established, by the time the acquire
 * was rejected, with the kind of a connection error where the adapter reads
 * kinds. Such an acquire left the wait queue for its connect and ended with
 * that connect's failure; it was no waiter a newer acquire could overtake.
 */
function lostOwnConnect(run: RunView, record: AcquireRecord): boolean {
  if (!ownsConnects(run) || record.status !== "rejected" || record.settleSeq === undefined) {
    return false;
  }
  if (record.errorKind != null && record.errorKind !== "connectionError") return false;
  const events = run.network.ledger.events;
  const started = new Set<number>();
  const ready = new Set<number>();
  // Event seq k sits at index k − 1: those after the start, up to the settling.
  for (let i = record.startSeq; i < record.settleSeq && i < events.length; i++) {
    const event = events[i]!;
    if (event.route !== record.route) continue;
    if (event.type === "ConnectionCreated") started.add(event.socketId);
    else if (event.type === "ConnectionReady") ready.add(event.socketId);
    else if (
      event.type === "ConnectionClosed" && started.has(event.socketId) && !ready.has(event.socketId)
    ) return true;
  }
  return false;
}

/** The message's note on connects in progress, when there were any. */
function beyondConnects(found: { pending: number; connecting: number }, route: Route): string {
  if (found.connecting === 0) return "";
  return ` (${found.pending} older acquires of ${route} were pending, only ${found.connecting} of them can have had a connect in progress)`;
}

/** ORD-1: waiters of one route are served in arrival order. */
export const ord1 = defineRule({
  id: "ORD-1",
  group: "ORD",
  title: "Waiters of one route are served in arrival order",
  rationale:
    'FIFO service bounds every waiter\'s latency; serving a newer waiter first starves old ones under sustained load, which shows up as timeouts at the tail. An acquire bound to a connect in progress of its route is a pending connection, not a waiter (as in LIM-4): a pool may let it wait for its own connect while a connection freed meanwhile serves a newer acquire. So, per route, only the pending acquires beyond the connects in progress are waiters: the rule fails when a newer acquire is served while more older ones of its route are pending than it had connects in progress. A pool whose connects belong to the acquire that started them (policy connectOwnership "acquire", CMAP) lets each such acquire end with its own connection, whichever lands first: an older acquire is then not counted while a connect of its route that started after it, and went to no other caller, is still live. Acquires served at the same virtual instant are served together: the order in which their promises settle within that instant is the order of the callbacks between the pool and the caller (one more hop for an acquire raced against its timeout), not the order of service.',
  source:
    "Apache HttpCore 5 StrictConnPool (pending queue FIFO); CMAP (older waiters first; a pending connection is not in the wait queue)",
  needs: [],
  when: {
    text: "waiterOrder is fifo and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && s.policies.waiterOrder === "fifo",
  },
  clauses: {
    a: "no waiter is served before an older waiter of its route",
  },
  start(run) {
    const oldest = oldestOpen(run);
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const record = event.acquire;
          if (record.settleStep === record.startStep) continue;
          const found = olderWaiter(run, record, oldest(record.settleStep!));
          if (found !== undefined) {
            const { older } = found;
            return {
              clause: "a",
              detail:
                `waiter #${record.id} (${record.route}, since t=${record.startedAt}) was served at t=${record.settledAt} before the older waiter #${older.id} (since t=${older.startedAt})${
                  beyondConnects(found, record.route)
                }`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** ORD-2: a new acquire does not overtake an older waiter of the same route. */
export const ord2 = defineRule({
  id: "ORD-2",
  group: "ORD",
  title: "A new acquire does not overtake an older waiter of the same route (when declared)",
  rationale:
    'Letting fresh acquires take connections that free up while others wait (barging) improves throughput but can starve waiters indefinitely; a pool that declares no overtaking must hand freed connections to the queue first. An acquire bound to a connect in progress of its route is a pending connection, not a waiter (as in ORD-1 and LIM-4): per route, only the pending acquires beyond the connects in progress are waiters a new acquire must not overtake. A pool whose connects belong to the acquire that started them (policy connectOwnership "acquire", CMAP) takes the acquire out of the queue for its connect and rejects it when that connect fails: an older acquire rejected by then, after a connect of its route that started after it failed, was no waiter.',
  source:
    "CMAP (wait queue fairness; a pending connection is not in the wait queue); generic-pool fifo",
  needs: [],
  when: {
    text: "overtaking is declared false and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && !s.policies.overtaking,
  },
  clauses: {
    a: "a new acquire is not served at once while an older waiter of its route waits",
  },
  start(run) {
    const oldest = oldestOpen(run);
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const record = event.acquire;
          if (record.settleStep !== record.startStep) continue;
          const found = olderWaiter(run, record, oldest(record.settleStep!));
          if (found !== undefined) {
            const { older } = found;
            return {
              clause: "a",
              detail:
                `new acquire #${record.id} (${record.route}) was served at once at t=${record.settledAt} while waiter #${older.id} (since t=${older.startedAt}) kept waiting${
                  beyondConnects(found, record.route)
                }`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/**
 * Whether a route could open one more connection now. Half-closed sockets
 * count: the pool cannot know of a half-close before it probes or uses them.
 * A lease still held on a socket that has closed counts too, against its
 * route and the total: a pool may keep counting it until its holder releases
 * it (see STA-1), so its slot is not spare capacity anyone may demand.
 */
export function hasCapacity(run: RunView, route: Route): boolean {
  const cache = derived(run).capacity;
  let spare = cache.get(route);
  if (spare === undefined) cache.set(route, spare = spareCapacity(run, route));
  return spare;
}

/** Socket states that hold a connection slot. */
export const LIVE: readonly SocketState[] = ["connecting", "open", "half-closed"];

function spareCapacity(run: RunView, route: Route): boolean {
  const ledger = run.network.ledger;
  const total = ledger.count({ state: LIVE }) + heldOnClosed(run, undefined);
  const ofRoute = ledger.count({ route, state: LIVE }) + heldOnClosed(run, route);
  const connecting = ledger.count({ state: "connecting" });
  const { maxTotal, maxConnecting } = run.setup.config;
  const connectCap = run.supports.capabilities.includes("maxConnecting")
    ? maxConnecting
    : undefined;
  return total < maxTotal && ofRoute < run.limitOf(route) &&
    (connectCap === undefined || connecting < connectCap);
}

/**
 * Whether a pool may be backing off a route: a connect of it failed (refused
 * or aborted) and the pool has not dialled it since, at a later instant. Rules
 * that demand a connect do not apply to such a route (TMO-3 judges when its
 * backoff must end). Once the pool dials the route again after its last
 * failure, it has shown that the backoff is over, and the route is judged
 * again: a pool that then dials once for several waiters keeps the others
 * waiting. A dial at the very instant of the failure shows nothing, since the
 * pool may not have heard of the failure yet.
 */
export function mayBeBackingOff(run: RunView, route: Route): boolean {
  return backingOffSince(run, route) !== undefined;
}

/**
 * When the failed connect a route may be backing off from failed (see
 * {@linkcode mayBeBackingOff}), or `undefined` when it cannot be backing off.
 *
 * @param run The run.
 * @param route The route.
 * @returns Virtual time of the route's last failed connect, if the pool has not dialled it since.
 */
export function backingOffSince(run: RunView, route: Route): number | undefined {
  const found = derived(run);
  const events = run.network.ledger.since(found.ledgerSeen);
  found.ledgerSeen += events.length;
  for (const event of events) {
    if (event.type === "ConnectionCreated") found.lastDial.set(event.route, event.t);
    else if (
      event.type === "ConnectionClosed" &&
      (event.reason === "refused" || event.reason === "aborted")
    ) {
      found.lastFailure.set(
        event.route,
        Math.max(event.t, found.lastFailure.get(event.route) ?? 0),
      );
    }
  }
  const failure = found.lastFailure.get(route);
  if (failure === undefined) return undefined;
  const dial = found.lastDial.get(route);
  return dial === undefined || dial <= failure ? failure : undefined;
}

/** ORD-3: no head-of-line blocking across routes. */
export const ord3 = defineRule({
  id: "ORD-3",
  group: "ORD",
  title:
    "No head-of-line blocking across routes: a waiter whose route has capacity is served even when an older waiter of another route is blocked",
  rationale:
    "A queue shared by all routes must not let one saturated destination stall requests to healthy ones; Apache keeps per-route pending lists for this reason. The waiters are, per route, the pending acquires beyond the route's connects in progress (an acquire bound to its own connect is a pending connection, not a waiter: CMAP, LIM-4, ORD-1) and beyond its connections being handed over (one no caller holds yet, with a request in flight: an HTTP agent's lease resolves only with the response head); a route with either in progress is being served. A route whose connect failed is not judged until the pool dials it again at a later instant (it may be backing off; see LIV-3).",
  source:
    "Apache HttpCore 5 StrictConnPool (per-route pending, processPendingRequests); CMAP (pending connections)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a waiter with capacity is not held up behind a blocked waiter of another route",
  },
  start(run) {
    return {
      step() {
        if (run.closeSeq !== undefined || run.paused) return undefined;
        const queued = waiters(run);
        for (const record of queued) {
          if (!hasCapacity(run, record.route) || beingServed(run, record.route)) continue;
          if (mayBeBackingOff(run, record.route)) continue;
          const blocked = queued.find((o) => o.id < record.id && o.route !== record.route);
          if (blocked !== undefined && !hasCapacity(run, blocked.route)) {
            return {
              clause: "a",
              detail:
                `waiter #${record.id} (${record.route}) has capacity but is neither served nor connecting, behind blocked waiter #${blocked.id} (${blocked.route})`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** ORD-4: idle reuse follows the declared order. */
export const ord4 = defineRule({
  id: "ORD-4",
  group: "ORD",
  title: "Idle reuse follows the declared order (LIFO or FIFO)",
  rationale:
    "LIFO keeps a hot set of connections and lets the rest age out; FIFO spreads use evenly. Users pick one for a reason (server-side idle timeouts, load balancing), so a pool must do what it declares.",
  source: "Apache HttpCore 5 PoolReusePolicy (LIFO default, FIFO)",
  needs: [],
  when: {
    text: "reuseOrder is lifo or fifo and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && s.policies.reuseOrder !== "any",
  },
  clauses: {
    a: "the idle connection reused is the one the declared order picks",
  },
  start(run) {
    const lifo = run.supports.policies.reuseOrder === "lifo";
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          // Only an acquire served from the idle set at once is judged, against
          // connections already idle when it started: a waiter takes whatever
          // is released first, which is hand-over, not reuse order. Within one
          // step (the heal phase's probe, say) an acquire may wait for a release
          // with no network event between, so the release count, not the
          // ledger, tells which were idle before it.
          const { facts, id, startReleases } = event.acquire;
          if (event.acquire.settleStep !== event.acquire.startStep) continue;
          const idle = facts!.candidates.filter((c) => c.idleOrder <= startReleases);
          const chosen = idle.find((c) => c.id === facts!.socketId);
          if (chosen === undefined) continue;
          const better = idle.find((c) =>
            lifo ? c.idleOrder > chosen.idleOrder : c.idleOrder < chosen.idleOrder
          );
          if (better !== undefined) {
            return {
              clause: "a",
              detail:
                `acquire #${id} reused socket #${chosen.id} (idle since t=${chosen.idleSince}) although ${
                  lifo ? "LIFO" : "FIFO"
                } picks socket #${better.id} (idle since t=${better.idleSince})`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** The ORD group. */
export const ORD_RULES: readonly Rule[] = [ord1, ord2, ord3, ord4];
