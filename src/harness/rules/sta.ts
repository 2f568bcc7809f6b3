import type { Route } from "../../net/types.ts";
import type { PoolStats, RouteStats } from "../adapter.ts";
import { errorText } from "../observations.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";
import type { RunView, SocketUse } from "../run_view.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import { closedHeld } from "./_waiters.ts";

type Field = "leased" | "available" | "pending" | "connecting";

const FIELDS: readonly Field[] = ["leased", "available", "pending", "connecting"];
const LEASED = 0;
const AVAILABLE = 1;
const PENDING = 2;
const CONNECTING = 3;

/**
 * The counts a pool should report, per place (0 for the total, then one per
 * route) and field, at `place * 4 + field`, with the margin either way that
 * a defensible pool may report (see the rationale). Reused from check to
 * check.
 */
/** A packed array of `n` zeros (a holey one is slower to read and write). */
function zeros(n: number): number[] {
  const counts: number[] = [];
  for (let i = 0; i < n; i++) counts.push(0);
  return counts;
}

class Expected {
  /** The routes in place order (place = index + 1). */
  readonly routes: Route[];
  readonly want: number[];
  readonly above: number[];
  readonly below: number[];

  constructor(routes: readonly Route[]) {
    this.routes = [...routes];
    const size = (routes.length + 1) * 4;
    this.want = zeros(size);
    this.above = zeros(size);
    this.below = zeros(size);
  }

  reset(): void {
    const { want, above, below } = this;
    for (let i = 0; i < want.length; i++) {
      want[i] = 0;
      above[i] = 0;
      below[i] = 0;
    }
  }

  /** Offset of a route's counts; a route the run did not configure gets a place too. */
  at(route: Route): number {
    let place = this.routes.indexOf(route) + 1;
    if (place === 0) {
      place = this.routes.push(route);
      this.want.push(0, 0, 0, 0);
      this.above.push(0, 0, 0, 0);
      this.below.push(0, 0, 0, 0);
    }
    return place * 4;
  }
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

/** The uses of live sockets, then those of closed sockets whose holder still holds the lease. */
function liveAndHeld(run: RunView): SocketUse[] {
  return [...run.liveUses(), ...closedHeld(run)];
}

function expect(run: RunView, e: Expected): void {
  e.reset();
  const { want, above, below } = e;
  for (const record of run.pending()) want[e.at(record.route) + PENDING]!++;
  const checking = learnsDeathByChecking(run);
  // Closed, released and not counted as available either way: nothing to count. So, unless the
  // pool learns of deaths by checking, only live sockets and closed ones still leased count.
  for (const use of checking ? run.uses() : liveAndHeld(run)) {
    const { state, route } = use.socket;
    const leased = use.holder !== undefined && use.holder.status === "leased";
    // Closed, released and not counted as available either way: nothing to count.
    if (state === "closed" && !leased && !checking) continue;
    const at = e.at(route);
    if (state === "connecting") want[at + CONNECTING]!++;
    else if (state === "closed") {
      // Still held by its caller: counted as leased until released, or dropped at once.
      if (leased) above[at + LEASED]!++;
      else if (diedUnchecked(run, use)) above[at + AVAILABLE]!++;
    } else if (leased) want[at + LEASED]!++;
    else want[at + AVAILABLE]!++;
  }
  const end = want.length;
  for (let at = 4; at < end; at += 4) {
    // An acquire waiting for a connect in progress on its route may be reported
    // as pending or not (LIM-4: it is not in the wait queue).
    below[at + PENDING] = Math.min(want[at + PENDING]!, want[at + CONNECTING]!);
    for (let field = 0; field < 4; field++) {
      want[field]! += want[at + field]!;
      above[field]! += above[at + field]!;
      below[field]! += below[at + field]!;
    }
  }
}

/** `route` undefined: the total. The place is named only when the check fails. */
function compare(
  route: Route | undefined,
  got: RouteStats | undefined,
  e: Expected,
  place: number,
): Breach<"c"> | undefined {
  for (let field = 0; field < 4; field++) {
    const name = FIELDS[field]!;
    const value = got?.[name] ?? 0;
    const at = place * 4 + field;
    const low = e.want[at]! - e.below[at]!;
    const high = e.want[at]! + e.above[at]!;
    if (value < low || value > high) {
      const say = low === high ? `${low}` : `${low} to ${high}`;
      const where = route === undefined ? "total" : `routes[${JSON.stringify(route)}]`;
      return {
        clause: "c",
        detail: `stats() ${where}.${name} is ${value}; the ledger and callers say ${say}`,
      };
    }
  }
  return undefined;
}

/** STA-1: reported stats equal the ledger once the pool has settled. */
export const sta1 = defineRule({
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
  asksPool: true,
  clauses: {
    a: "stats() answers",
    b: "stats() returns { total, routes }",
    c: "each count equals what the ledger and callers show",
  },
  start(run) {
    const e = new Expected(run.setup.config.routes);
    return {
      step() {
        if (run.closeSeq !== undefined) return undefined;
        let stats: PoolStats;
        try {
          stats = run.pool.stats!();
        } catch (error) {
          return { clause: "a", detail: `stats() threw ${errorText(error)}` };
        }
        if (typeof stats !== "object" || stats === null || typeof stats.total !== "object") {
          return {
            clause: "b",
            detail: `stats() returned ${
              JSON.stringify(stats) ?? String(stats)
            }, not { total, routes }`,
          };
        }
        expect(run, e);
        for (let i = 0; i < e.routes.length; i++) {
          const route = e.routes[i]!;
          const message = compare(route, stats.routes?.[route], e, i + 1);
          if (message !== undefined) return message;
        }
        return compare(undefined, stats.total, e, 0);
      },
    };
  },
});

/** The STA group. */
export const STA_RULES: readonly Rule[] = [sta1];
