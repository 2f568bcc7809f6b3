import { defineRule, type Rule } from "../rule.ts";
import { certainlyUsable } from "../run_view.ts";
import type { Route } from "../../net/types.ts";
import type { RunView } from "../run_view.ts";
import { hasCapacity, mayBeBackingOff } from "./ord.ts";
import { beingServed, connects, handOvers, waiters } from "./_waiters.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** LIV-1: once faults stop and holders release, every acquire settles. */
export const liv1 = defineRule({
  id: "LIV-1",
  group: "LIV",
  title: "Once faults stop and holders release, every acquire settles",
  rationale:
    "A pool that loses track of a waiter (a missed wake-up, a leaked slot) hangs its caller forever; after the faults end and every lease is back, nothing may still be waiting. Waiters that close() left pending in a pool that declares it drops them on close are CLS-1's finding, not this rule's.",
  source: "Liveness of every pool; generic-pool and tarn issue histories (stuck acquires)",
  needs: [],
  clauses: {
    a: "every acquire settles once faults stop and holders release",
    b: "the pool comes to rest within the watchdog's real-time budget",
  },
  start(run) {
    return {
      healed() {
        const before = run.probeStep ?? Infinity;
        // Waiters that close() dropped, as the pool declares, are CLS-1's finding.
        const dropped = run.supports.policies.closeWaiters === "drop" ? run.closeStep ?? -1 : -1;
        const acquires = run.acquires.filter((a) =>
          a.status === "pending" && a.startStep < before && a.startStep > dropped
        ).map((a) => `acquire #${a.id} (${a.route})`);
        const sends = run.sends.filter((s) => s.status === "pending").map((s) =>
          `send #${s.seq} (${s.route})`
        );
        const stuck = [...acquires, ...sends];
        if (stuck.length > 0) {
          return {
            clause: "a",
            detail: `still pending after heal: ${stuck.slice(0, 6).join(", ")}`,
          };
        }
        return undefined;
      },
    };
  },
});

/** LIV-2: after everything is released, full capacity is usable again. */
export const liv2 = defineRule({
  id: "LIV-2",
  group: "LIV",
  title: "After everything is released, nothing is leased and full capacity is usable again",
  rationale:
    "Every failure path (timeouts, refused connects, broken releases, clears) must give its slot back; a slow leak only shows as a pool that one day serves nobody.",
  source: "Apache HttpCore 5 (leased/available accounting); CMAP (pending connection counts)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "after heal, the full capacity can be leased again",
  },
  start(run) {
    return {
      healed() {
        const probe = run.probe;
        if (probe === undefined) return undefined;
        if (probe.served < probe.requested) {
          return {
            clause: "a",
            detail:
              `after heal only ${probe.served} of ${probe.requested} acquires up to the limits were served (${probe.detail})`,
          };
        }
        return undefined;
      },
    };
  },
});

/** LIV-3: a waiter whose route has spare capacity is being served. */
export const liv3 = defineRule({
  id: "LIV-3",
  group: "LIV",
  title:
    "While a waiter's route has spare capacity and no backoff applies, the pool is opening a connection or handing one over",
  rationale:
    "A waiter must not sit idle next to free capacity or an idle connection of its route; that is a missed wake-up, and it turns into a timeout for the caller. An acquire bound to a connect in progress of its route is a pending connection, not a waiter (CMAP; LIM-4 and ORD-1 count the same way): it may wait for its own connect while another connection of its route idles. Nor is an acquire a connection is being handed over to (one no caller holds yet, with a request in flight: an HTTP agent's lease resolves only with the response head), and such a connection is not idle. So the waiters are, per route, the pending acquires beyond the connects and hand-overs in progress, and each of them is owed a connect of its own while its route has spare capacity (maxConnecting included): a pool that dials one connection at a time per route keeps the others waiting behind a connect that may take its whole timeout. A lease still held on a connection that has closed is not free capacity: a pool may count it against its limits until the holder releases it (STA-1). A route whose connect failed (refused or abandoned) may be backing off, and is not judged until the pool dials it again at a later instant (TMO-3 judges when that must come, for a pool that declares a backoff); from then on its backoff is over, and its waiters are judged again: a pool that dials once for all the waiters that piled up behind the failure keeps the others waiting next to free capacity.",
  source:
    "Apache HttpCore 5 StrictConnPool.processPendingRequests; CMAP checkOut (pending connections, up to maxConnecting); generic-pool _dispense (one create per waiting client not covered by a create in progress)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no waiter waits while an idle connection of its route is usable",
    b: "no waiter waits with spare capacity and no connect in progress",
    c: "no waiter beyond the connects in progress of its route waits with spare capacity: each gets a connect of its own",
  },
  start(run) {
    return {
      step() {
        if (run.closeSeq !== undefined || run.paused) return undefined;
        const queued = waiters(run);
        for (const record of queued) {
          const idle = run.liveUses().find((u) =>
            u.socket.route === record.route && u.holder === undefined && certainlyUsable(run, u)
          );
          if (idle !== undefined) {
            return {
              clause: "a",
              detail:
                `waiter #${record.id} (${record.route}) waits while socket #${idle.socket.id} of its route idles${
                  servedBefore(run, record.route)
                }`,
            };
          }
          if (!hasCapacity(run, record.route)) continue;
          if (queued.some((o) => o.id < record.id && !hasCapacity(run, o.route))) continue;
          if (mayBeBackingOff(run, record.route)) continue;
          if (beingServed(run, record.route)) {
            return {
              clause: "c",
              detail: `waiter #${record.id} (${record.route}) waits with spare capacity${
                servedBefore(run, record.route)
              }, and no connect was started for it`,
            };
          }
          return {
            clause: "b",
            detail:
              `waiter #${record.id} (${record.route}) waits with spare capacity and no connect in progress`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The message's note on the route's older acquires taken as served by connects or hand-overs. */
function servedBefore(run: RunView, route: Route): string {
  const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const parts = [];
  const connecting = connects(run, route);
  const handing = handOvers(run, route);
  if (connecting > 0) parts.push(`${counted(connecting, "connect")} in progress`);
  if (handing > 0) parts.push(`${counted(handing, "connection")} being handed over`);
  if (parts.length === 0) return "";
  return ` (beyond the oldest pending acquires of ${route}, taken as served by its ${
    parts.join(" and ")
  })`;
}

/** The LIV group. */
export const LIV_RULES: readonly Rule[] = [liv1, liv2, liv3];
