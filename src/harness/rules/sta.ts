import type { Route } from "../../net/types.ts";
import type { RouteStats } from "../adapter.ts";
import type { Rule } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

type Counts = { leased: number; available: number; pending: number; connecting: number };
/** Counts, and per route the leases held on sockets already closed (either way is right). */
type Expected = Counts & { closedLeases: number };

function expected(run: RunView): Map<Route, Expected> {
  const counts = new Map<Route, Expected>();
  const of = (route: Route) => {
    let c = counts.get(route);
    if (c === undefined) {
      counts.set(
        route,
        c = { leased: 0, available: 0, pending: 0, connecting: 0, closedLeases: 0 },
      );
    }
    return c;
  };
  for (const route of run.setup.config.routes) of(route);
  for (const record of run.acquires) {
    if (record.status === "pending") of(record.route).pending++;
  }
  for (const use of run.uses()) {
    const { state, route } = use.socket;
    if (state === "connecting") of(route).connecting++;
    else if (state === "closed") {
      // Still held by its caller: counted as leased until released, or dropped at once.
      if (use.holder !== undefined && use.holder.status === "leased") of(route).closedLeases++;
    } else if (use.holder !== undefined && use.holder.status === "leased") of(route).leased++;
    else of(route).available++;
  }
  return counts;
}

const FIELDS = ["leased", "available", "pending", "connecting"] as const;

function compare(where: string, got: RouteStats | undefined, want: Expected): string | undefined {
  for (const field of FIELDS) {
    const value = got?.[field] ?? 0;
    const slack = field === "leased" ? want.closedLeases : 0;
    if (value < want[field] || value > want[field] + slack) {
      const say = slack === 0 ? `${want[field]}` : `${want[field]} to ${want[field] + slack}`;
      return `stats() ${where}.${field} is ${value}; the ledger and callers say ${say}`;
    }
  }
  return undefined;
}

/** STA-1: reported stats equal the ledger once the pool has settled. */
export const sta1: Rule = {
  id: "STA-1",
  group: "STA",
  title:
    "Reported stats (leased, available, pending, connecting; per route and total) equal the ledger once the pool has settled",
  rationale:
    "Operators size pools and raise alarms from these numbers; stats kept as separate counters drift from the truth (the 139-available-after-keep-alive question). Available counts idle connections not yet closed, expired or not. A lease still held on a connection that has closed (reset or closed by the server) may count as leased until it is released, or not at all: pools differ and both are defensible.",
  source: "Apache HttpCore 5 PoolStats; CMAP (pool counters)",
  needs: ["stats"],
  when: NOT_MULTIPLEXED,
  start(run) {
    return {
      step() {
        if (run.closeSeq !== undefined) return undefined;
        const stats = run.pool.stats!();
        const want = expected(run);
        const total = { leased: 0, available: 0, pending: 0, connecting: 0, closedLeases: 0 };
        for (const [route, counts] of want) {
          for (const field of FIELDS) total[field] += counts[field];
          total.closedLeases += counts.closedLeases;
          const message = compare(`routes[${JSON.stringify(route)}]`, stats.routes[route], counts);
          if (message !== undefined) return message;
        }
        return compare("total", stats.total, total);
      },
    };
  },
};

/** The STA group. */
export const STA_RULES: readonly Rule[] = [sta1];
