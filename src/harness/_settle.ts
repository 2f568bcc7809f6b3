import { realTimers } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import type { Ledger } from "../net/mod.ts";
import type { Operations } from "./_operations.ts";

/** Microtask hops per settle round. */
const HOPS = 12;
/**
 * Consecutive quiet rounds that end a settle on global time. Each such round
 * also yields one real macrotask, so a third-party pool's `nextTick` and
 * long promise chains get to run.
 */
const QUIET_GLOBAL = 2;
/**
 * Consecutive quiet rounds that end a settle while a `close()` is pending:
 * a pool may take dozens of promise hops to destroy its connections with
 * nothing reaching the ledger meanwhile (tarn's destroy takes some 30).
 */
const QUIET_CLOSING = 8;
/** Rounds per settle before the pool is declared busy forever. */
const MAX_ROUNDS = 2_000;
/** Timer deadlines crossed by one advance before it is declared a timer storm. */
const MAX_DEADLINES = 5_000;

/** What the settle loop drives and watches. */
export interface Settling {
  readonly clock: DrivableClock;
  readonly ledger: Ledger;
  readonly operations: Operations;
  /** Whether the pool runs on faked global time. */
  readonly global: boolean;
  readonly toleranceMs: number;
  readonly step: number;
  now(): number;
  /** Throw once the run's real-time budget is spent, or the pool storms connects. */
  watchdog(): void;
  /** The error for a pool that never comes to rest (LIV-1, or an inconclusive run). */
  stuck(detail: string): Error;
  /** Add a line to the step's trace (built only when tracing). */
  describe(line: () => string): void;
  /**
   * {@linkcode entries} when the pool last came to rest on virtual time
   * (`-1` before that); kept by the settle loop.
   */
  restedAt: number;
  /** Timers the settle loop has run so far; kept by the settle loop. */
  timersRun: number;
}

/**
 * Everything that can set a pool's code running, counted: calls into the
 * pool, settlements of its promises and recorded outcomes, network events
 * (its sockets' listeners run), and timers fired. Each count only grows, so
 * an unchanged sum means nothing happened.
 */
function entries(run: Settling): number {
  const { operations } = run;
  return operations.calls + operations.activity + run.ledger.length + run.timersRun;
}

function yieldMacrotask(): Promise<void> {
  return new Promise<void>((resolve) => realTimers.setImmediate(resolve));
}

/** How a settle loop treats the timers of the clock. */
interface Rounds {
  /**
   * Whether each round fires the timer due next, and time may move on to
   * follow-up work within the tolerance; `false` fires no timer at all.
   */
  readonly fireTimers: boolean;
}

/** Consecutive quiet rounds that end a settle in the run's present state. */
function quietNeeded(run: Settling): number {
  return run.operations.closing > 0 ? QUIET_CLOSING : run.global ? QUIET_GLOBAL : 1;
}

/**
 * Run rounds of microtask hops (and, on global time, one real macrotask
 * each) until enough of them in a row bring nothing new.
 *
 * @param run What to drive.
 * @param rounds Whether the rounds fire timers.
 * @throws {Error} `run.stuck(…)` if the pool never quiets down.
 */
async function untilQuiet(run: Settling, { fireTimers }: Rounds): Promise<void> {
  const { ledger, operations, clock, global } = run;
  // fake-timers moves a 0 ms timer armed inside a running timer to now+1:
  // on global time, while operations are pending, follow-up work due within
  // the tolerance (at least 1 ms) of the settle's start still belongs to it.
  const reach = global ? run.now() + Math.max(1, run.toleranceMs) : -Infinity;
  // With no timer fired, the quiet rounds needed are those of the start: a
  // close() that settles meanwhile does not shorten the wait.
  const neededAtStart = quietNeeded(run);
  for (let round = 0, quiet = 0; round < MAX_ROUNDS; round++) {
    const before = operations.activity + ledger.length;
    for (let i = 0; i < HOPS; i++) await Promise.resolve();
    // One real macrotask: `process.nextTick` callbacks (pg-pool hands idle
    // clients over on one) run only once the microtask queue drains.
    if (global) await yieldMacrotask();
    // A pool busy without end in one settle still meets the watchdog and the connect-storm guard.
    if (round % 64 === 63) run.watchdog();
    // One due timer per round, so the promise callbacks a timer causes run
    // before the next timer of the same instant fires, as an event loop runs
    // microtasks after each timer callback.
    const ran = fireTimers && clock.runNext() ? 1 : 0;
    run.timersRun += ran;
    if (ran > 0 || operations.activity + ledger.length !== before) {
      quiet = 0;
      continue;
    }
    quiet++;
    if (quiet < (fireTimers ? quietNeeded(run) : neededAtStart)) continue;
    if (!fireTimers) return;
    const next = global && operations.size > 0 ? clock.nextDeadline() : undefined;
    if (next === undefined || next > reach) {
      run.restedAt = entries(run);
      return;
    }
    const from = run.now();
    if (clock.runNext(Math.max(next, from))) run.timersRun++;
    run.describe(() =>
      `   ↳ t=${run.now()} time moved on from t=${from} while the pool settled (its timers due within the ${
        Math.max(1, run.toleranceMs)
      } ms tolerance)`
    );
    quiet = 0;
  }
  throw run.stuck("the pool never settled (busy without end)");
}

/**
 * Flush microtasks and due timers until a round brings nothing new.
 *
 * @param run What to drive.
 * @returns A promise that resolves once the pool is at rest.
 * @throws {Error} `run.stuck(…)` (LIV-1, or an inconclusive end when LIV-1
 * is not active) if the pool never quiets down.
 */
export function settle(run: Settling): Promise<void> {
  // On virtual time a pool's code runs only when called, when a promise of
  // its settles, when the network tells it something or when a timer fires:
  // with none of those since it came to rest and no timer due, there is
  // nothing to settle. On global time a pool may have work queued beyond the
  // harness's sight (nextTick, real I/O).
  if (!run.global && run.restedAt === entries(run)) {
    const due = run.clock.nextDeadline();
    if (due === undefined || due > run.now()) return Promise.resolve();
  }
  return untilQuiet(run, { fireTimers: true });
}

/**
 * Run the promise callbacks (and, on global time, the `nextTick` queue) the
 * pool has pending, without firing any timer, until a round brings nothing
 * new: what an event loop does between two callbacks, here between a
 * caller's action and a timer due at the same instant.
 *
 * @param run What to drive.
 * @returns A promise that resolves once no promise callback brings anything new.
 * @throws {Error} `run.stuck(…)` if the pool never quiets down.
 */
export function drainPromises(run: Settling): Promise<void> {
  return untilQuiet(run, { fireTimers: false });
}

/**
 * Move virtual time to `target`, settling at every timer deadline before it,
 * and stop at `target` without running the timers due then: the caller can
 * act at that instant, in the same macrotask as those timers, before or
 * after them.
 *
 * @param run What to drive.
 * @param target Virtual time to reach.
 * @throws {Error} `run.stuck(…)` on a timer storm, and whatever the watchdog throws.
 */
export async function advanceUntil(run: Settling, target: number): Promise<void> {
  const { clock } = run;
  for (let crossed = 0; crossed < MAX_DEADLINES; crossed++) {
    const next = clock.nextDeadline();
    if (next === undefined || next >= target) {
      if (target > run.now()) clock.moveTo(target);
      return;
    }
    if (clock.runNext(Math.max(next, run.now()))) run.timersRun++;
    await settle(run);
    run.watchdog();
  }
  throw run.stuck(`timer storm: over ${MAX_DEADLINES} deadlines`);
}

/**
 * Move virtual time to `target`, settling at every timer deadline on the way.
 *
 * @param run What to drive.
 * @param target Virtual time to reach.
 * @throws {Error} `run.stuck(…)` on a timer storm, and whatever the watchdog throws.
 */
export async function advanceTo(run: Settling, target: number): Promise<void> {
  const { clock } = run;
  // What the last action set going (a lease handed over at once, say) happens at its own instant,
  // before time moves: a caller that acts and then advances must not see it later.
  await settle(run);
  for (let crossed = 0; crossed < MAX_DEADLINES; crossed++) {
    const next = clock.nextDeadline();
    if (next === undefined || next > target) {
      if (target > run.now()) clock.advanceTo(target);
      await settle(run);
      return;
    }
    if (clock.runNext(Math.max(next, run.now()))) run.timersRun++;
    await settle(run);
    run.watchdog();
  }
  throw run.stuck(`timer storm: over ${MAX_DEADLINES} deadlines`);
}
