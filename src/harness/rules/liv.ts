import type { Rule } from "../rule.ts";
import { certainlyUsable } from "../run_view.ts";
import { hasCapacity, mayBeBackingOff } from "./ord.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** LIV-1: once faults stop and holders release, every acquire settles. */
export const liv1: Rule = {
  id: "LIV-1",
  group: "LIV",
  title: "Once faults stop and holders release, every acquire settles",
  rationale:
    "A pool that loses track of a waiter (a missed wake-up, a leaked slot) hangs its caller forever; after the faults end and every lease is back, nothing may still be waiting.",
  source: "Liveness of every pool; generic-pool and tarn issue histories (stuck acquires)",
  needs: [],
  start(run) {
    return {
      healed() {
        const before = run.probeStep ?? Infinity;
        const acquires = run.acquires.filter((a) => a.status === "pending" && a.startStep < before)
          .map((a) => `acquire #${a.id} (${a.route})`);
        const sends = run.sends.filter((s) => s.status === "pending").map((s) =>
          `send #${s.seq} (${s.route})`
        );
        const stuck = [...acquires, ...sends];
        if (stuck.length > 0) return `still pending after heal: ${stuck.slice(0, 6).join(", ")}`;
        return undefined;
      },
    };
  },
};

/** LIV-2: after everything is released, full capacity is usable again. */
export const liv2: Rule = {
  id: "LIV-2",
  group: "LIV",
  title: "After everything is released, nothing is leased and full capacity is usable again",
  rationale:
    "Every failure path (timeouts, refused connects, broken releases, clears) must give its slot back; a slow leak only shows as a pool that one day serves nobody.",
  source: "Apache HttpCore 5 (leased/available accounting); CMAP (pending connection counts)",
  needs: [],
  when: NOT_MULTIPLEXED,
  start(run) {
    return {
      healed() {
        const probe = run.probe;
        if (probe === undefined) return undefined;
        if (probe.served < probe.requested) {
          return `after heal only ${probe.served} of ${probe.requested} acquires up to the limits were served (${probe.detail})`;
        }
        return undefined;
      },
    };
  },
};

/** LIV-3: a waiter whose route has spare capacity is being served. */
export const liv3: Rule = {
  id: "LIV-3",
  group: "LIV",
  title:
    "While a waiter's route has spare capacity and no backoff applies, the pool is opening a connection or handing one over",
  rationale:
    "A waiter must not sit idle next to free capacity or an idle connection of its route; that is a missed wake-up, and it turns into a timeout for the caller.",
  source: "Apache HttpCore 5 StrictConnPool.processPendingRequests; CMAP checkOut",
  needs: [],
  when: NOT_MULTIPLEXED,
  start(run) {
    return {
      step() {
        if (run.closeSeq !== undefined || run.paused) return undefined;
        const ledger = run.network.ledger;
        const pending = run.acquires.filter((a) => a.status === "pending");
        for (const record of pending) {
          const idle = run.uses().find((u) =>
            u.socket.route === record.route && u.holder === undefined && certainlyUsable(run, u)
          );
          if (idle !== undefined) {
            return `waiter #${record.id} (${record.route}) waits while socket #${idle.socket.id} of its route idles`;
          }
          if (!hasCapacity(run, record.route)) continue;
          if (ledger.sockets({ route: record.route, state: "connecting" }).length > 0) continue;
          if (pending.some((o) => o.id < record.id && !hasCapacity(run, o.route))) continue;
          if (mayBeBackingOff(run, record.route)) continue;
          return `waiter #${record.id} (${record.route}) waits with spare capacity and no connect in progress`;
        }
        return undefined;
      },
    };
  },
};

/** The LIV group. */
export const LIV_RULES: readonly Rule[] = [liv1, liv2, liv3];
