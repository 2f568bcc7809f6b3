import type { Route } from "../../net/types.ts";
import type { RouteStats } from "../adapter.ts";
import type { Rule } from "../rule.ts";
import type { RunView, SocketUse } from "../run_view.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

type Field = "leased" | "available" | "pending" | "connecting";
type Counts = Record<Field, number>;
/** Counts, with the margin either way that a defensible pool may report (see the rationale). */
type Expected = { want: Counts; above: Counts; below: Counts };

const FIELDS: readonly Field[] = ["leased", "available", "pending", "connecting"];

function zero(): Counts {
  return { leased: 0, available: 0, pending: 0, connecting: 0 };
}

/**
 * Whether the pool learns that an idle connection died only by checking it
 * (policy `closeDetection: "check"`), as Apache's blocking pool and the
 * factory pools (generic-pool testOnBorrow, tarn validate) do. Such a pool
 * cannot tell a dead idle connection from a live one before it validates,
 * evicts or leases it. The declaration is the only witness: the network does
 * not show whether a pool listens for close events.
 */
function learnsDeathByChecking(run: RunView): boolean {
  return run.supports.policies.closeDetection === "check";
}

/**
 * A connection in the pool's hands, not leased, that the network or the
 * server closed (reset, or closed while a request was in flight) and that no
 * caller reported broken: a pool that learns of deaths by checking may still
 * count it as available.
 */
function diedUnchecked(run: RunView, use: SocketUse): boolean {
  if (use.socket.readyAt === undefined || use.brokenSeq !== undefined) return false;
  const by = run.network.ledger.closure(use.socket.id)?.by;
  return by === "network" || by === "server";
}

function expected(run: RunView): Map<Route, Expected> {
  const counts = new Map<Route, Expected>();
  for (const route of run.setup.config.routes) {
    counts.set(route, { want: zero(), above: zero(), below: zero() });
  }
  const of = (route: Route) => {
    let c = counts.get(route);
    if (c === undefined) counts.set(route, c = { want: zero(), above: zero(), below: zero() });
    return c;
  };
  for (const record of run.pending()) of(record.route).want.pending++;
  const checking = learnsDeathByChecking(run);
  for (const use of run.uses()) {
    const { state, route } = use.socket;
    const leased = use.holder !== undefined && use.holder.status === "leased";
    // Closed, released and not counted as available either way: nothing to count.
    if (state === "closed" && !leased && !checking) continue;
    const c = of(route);
    if (state === "connecting") c.want.connecting++;
    else if (state === "closed") {
      // Still held by its caller: counted as leased until released, or dropped at once.
      if (leased) c.above.leased++;
      else if (diedUnchecked(run, use)) c.above.available++;
    } else if (leased) c.want.leased++;
    else c.want.available++;
  }
  // An acquire waiting for a connect in progress on its route may be reported
  // as pending or not (LIM-4: it is not in the wait queue).
  for (const c of counts.values()) c.below.pending = Math.min(c.want.pending, c.want.connecting);
  return counts;
}

/** `route` undefined: the total. The place is named only when the check fails. */
function compare(
  route: Route | undefined,
  got: RouteStats | undefined,
  e: Expected,
): string | undefined {
  for (const field of FIELDS) {
    const value = got?.[field] ?? 0;
    const low = e.want[field] - e.below[field];
    const high = e.want[field] + e.above[field];
    if (value < low || value > high) {
      const say = low === high ? `${low}` : `${low} to ${high}`;
      const where = route === undefined ? "total" : `routes[${JSON.stringify(route)}]`;
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
    "Operators size pools and raise alarms from these numbers; stats kept as separate counters drift from the truth (the 139-available-after-keep-alive question). Available counts idle connections not yet closed, expired or not. Where pools differ defensibly, either count passes: a lease still held on a connection that has closed (reset or closed by the server) may count as leased until it is released, or not at all; an acquire waiting for a connect in progress on its route may count as pending or not (LIM-4); and a pool that learns of dead connections only by checking them (it declares validation before lease, as Apache's blocking pool, generic-pool and tarn do) may count as available a connection the network reset or the server closed while it was idle or leased (and that no caller released as broken) until it validates, evicts or leases it; the network does not show when that happens, so either count passes. A pool that declares no validation can only learn of a close from the socket's close event, and must stop counting it at once.",
  source:
    "Apache HttpCore 5 PoolStats (stale entries stay available until a lease validates them); CMAP (pool counters, pending connections)",
  needs: ["stats"],
  when: NOT_MULTIPLEXED,
  start(run) {
    return {
      step() {
        if (run.closeSeq !== undefined) return undefined;
        const stats = run.pool.stats!();
        const want = expected(run);
        const total: Expected = { want: zero(), above: zero(), below: zero() };
        for (const [route, counts] of want) {
          for (const field of FIELDS) {
            total.want[field] += counts.want[field];
            total.above[field] += counts.above[field];
            total.below[field] += counts.below[field];
          }
          const message = compare(route, stats.routes[route], counts);
          if (message !== undefined) return message;
        }
        return compare(undefined, stats.total, total);
      },
    };
  },
};

/** The STA group. */
export const STA_RULES: readonly Rule[] = [sta1];
