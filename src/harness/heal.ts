/**
 * The end of every run: the heal phase (faults stop, leases are released,
 * time passes every deadline, capacity is probed) and the close phase.
 *
 * @module
 */
import { keepsMinimum } from "./rules/_population.ts";
import type { Route } from "../net/types.ts";
import type { AcquireRecord } from "./observations.ts";
import type { Run } from "./run.ts";
import type { RunSetup } from "./run_view.ts";
import { configuredDeadlines } from "./setup.ts";

/**
 * A time span that passes every deadline a run can arm: the largest
 * configured duration plus one.
 *
 * @param setup The run's parameters.
 * @returns Milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { horizonOf } from "./heal.ts";
 * import type { RunSetup } from "./run_view.ts";
 *
 * const setup = { config: { ttlMs: 500 }, connectLatencyMs: 2 } as unknown as RunSetup;
 * assert.equal(horizonOf(setup), 501);
 * ```
 */
export function horizonOf(setup: RunSetup): number {
  const spans = [...configuredDeadlines(setup), setup.connectLatencyMs, setup.responseLatencyMs];
  let max = 0;
  for (const span of spans) if (span !== undefined && span > max) max = span;
  return max + 1;
}

async function releaseAll(run: Run): Promise<void> {
  for (const record of run.held()) run.release(record, true);
  await run.settle();
}

/**
 * Heal: stop every fault, release every lease, pass every deadline (twice,
 * releasing leases granted meanwhile), probe capacity, then run the
 * `healed` checks.
 *
 * @param run The run.
 */
export async function heal(run: Run): Promise<void> {
  run.healing = true;
  run.step++;
  run.describe(() =>
    `${run.step}. heal: faults stop, every lease released, time passes every deadline`
  );
  run.network.heal();
  // A pool that keeps a minimum may have paused itself after a failed background connect (CMAP).
  if ((run.paused || keepsMinimum(run)) && run.pool.ready !== undefined) run.maintain("ready");
  const horizon = horizonOf(run.setup) + run.supports.toleranceMs;
  // Leases granted to waiters meanwhile are released too, until nothing is held or waiting.
  // A pool that never closes another route's idle connection to make room may leave a waiter
  // behind a pool full of them: as its operator would, the heal frees them with closeIdle().
  const keepsOtherRoutes = !run.supports.policies.closeIdleOfOtherRoutes &&
    run.pool.closeIdle !== undefined;
  for (let round = 0; round < 200; round++) {
    await releaseAll(run);
    if (keepsOtherRoutes && run.acquires.some((a) => a.status === "pending")) {
      run.maintain("closeIdle", 0);
      await run.settle();
    }
    await run.advanceTo(run.now() + horizon);
    const busy = run.acquires.some((a) => a.status === "pending" || a.status === "leased") ||
      run.sends.some((s) => s.status === "pending");
    if (!busy) break;
  }
  // A connect that was hanging before the heal may fail during it and pause such a pool again.
  if (keepsMinimum(run) && run.pool.ready !== undefined && run.closeSeq === undefined) {
    run.maintain("ready");
    await run.settle();
  }
  await run.endStep();
  if (run.closeSeq === undefined && !run.supports.capabilities.includes("multiplexed")) {
    await probeCapacity(run, horizon);
  }
  run.checkPhase("healed");
}

function probePlan(run: Run): [Route, number][] {
  const { routes, maxTotal } = run.setup.config;
  const ledger = run.network.ledger;
  if (run.pool.closeIdle !== undefined || run.supports.policies.closeIdleOfOtherRoutes) {
    const plan: [Route, number][] = [];
    let remaining = maxTotal;
    for (const route of routes) {
      const n = Math.min(run.limitOf(route), remaining);
      remaining -= n;
      if (n > 0) plan.push([route, n]);
    }
    return plan;
  }
  const busiest = [...routes].sort((a, b) => ledger.live(b).length - ledger.live(a).length)[0]!;
  const others = ledger.live().length - ledger.live(busiest).length;
  return [[busiest, Math.max(0, Math.min(run.limitOf(busiest), maxTotal - others))]];
}

/** Let time pass until no connect is in progress (bounded: a hanging one ends at its timeout). */
async function connectsDone(run: Run): Promise<void> {
  for (let i = 0; i < 100 && run.ledger.count({ state: "connecting" }) > 0; i++) {
    await run.advanceTo(run.now() + run.setup.connectLatencyMs + 1);
  }
}

async function probeCapacity(run: Run, horizon: number): Promise<void> {
  // A connect that failed late in the heal (at its connect timeout) armed a
  // reconnect backoff that may outlast the heal's last horizon; capacity is
  // probed once that has run out, or the probe's waiters meet maxWaiters.
  await run.advanceTo(run.now() + horizon);
  run.step++;
  run.probeStep = run.step;
  run.describe(() => `${run.step}. probe: acquire up to every limit`);
  if (run.pool.closeIdle !== undefined) {
    run.maintain("closeIdle", 0);
    await run.settle();
  }
  // A pool that keeps a minimum refills what closeIdle emptied: let its background connects
  // finish first, so they do not hold maxConnecting while the probe's acquires queue.
  const minimum = keepsMinimum(run);
  if (minimum) await connectsDone(run);
  const plan = probePlan(run);
  const records: AcquireRecord[] = [];
  // Every connection the limits allow, not fewer: a pool that leaked k of a route's L slots
  // still serves L - k acquires, so only the acquires that reach the limit see the leak, and a
  // run can leak as many slots as it has steps. A bound below the limits would miss leaks in
  // large pools. The probe's cost is one acquire's work per connection (the pool, the network,
  // the records, the rules on its step), which at maxTotal 256 is most of a run's cost.
  // One at a time, each given time to connect, so maxWaiters never refuses the probe (a pool
  // may count an acquire that waits for its own connect as a waiter); issuing a route's acquires
  // together would save the time steps between them, not that work.
  for (const [route, n] of plan) {
    for (let i = 0; i < n; i++) {
      records.push(run.acquire(route, undefined));
      await run.advanceTo(run.now() + run.setup.connectLatencyMs + 1);
      if (minimum) await connectsDone(run);
    }
  }
  await run.advanceTo(run.now() + horizon);
  const short = plan.filter(([route]) =>
    records.some((r) => r.route === route && r.status !== "leased")
  ).map(([route, n]) =>
    `${route}: ${records.filter((r) => r.route === route && r.status === "leased").length}/${n}`
  );
  run.probe = {
    requested: records.length,
    served: records.filter((r) => r.status === "leased").length,
    detail: short.join(", ") || "all served",
  };
  await run.endStep();
  await releaseAll(run);
  await run.endStep();
}

/**
 * Close the pool (and close it again, which must be harmless), let every
 * deadline pass, then run the `closed` checks.
 *
 * @param run The run.
 */
export async function closeAtEnd(run: Run): Promise<void> {
  run.step++;
  run.describe(() => `${run.step}. close() twice`);
  const horizon = horizonOf(run.setup) + run.supports.toleranceMs;
  if (run.closeSeq === undefined) {
    run.close();
    await run.endStep();
  }
  await releaseAll(run);
  await run.advanceTo(run.now() + horizon);
  run.close();
  await run.endStep();
  run.checkPhase("closed");
}
