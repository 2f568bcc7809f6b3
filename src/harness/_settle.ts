import { realTimers } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import type { Ledger } from "../net/mod.ts";
import type { Operations } from "./_operations.ts";

/** Microtask hops per settle round on virtual time. */
const HOPS = 12;
/**
 * Consecutive quiet rounds that end a settle on virtual time while a
 * `close()` is pending: a pool may take dozens of promise hops to destroy its
 * connections with nothing reaching the ledger meanwhile (tarn's destroy
 * takes some 30). On global time one round runs them all (its real
 * macrotask); there the count only paces the watchdog (see
 * {@linkcode QUIET_GLOBAL}).
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
  /**
   * Real macrotasks the settle loop has waited for so far (global time
   * only); kept by the settle loop.
   */
  macrotasks: number;
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

/**
 * Wait for one real macrotask. Every runtime (Deno, Bun, Node) runs it only
 * once the microtask queue and the `nextTick` queue are both empty, each
 * drained again after the other until neither refills: every promise
 * callback and `nextTick` callback queued before it, and all those they
 * queue in turn, have run by then, however long their chains (node:stream
 * hands data and `end`/`close` over on `nextTick`, pg-pool hands idle clients
 * over on one). Only work queued on the real event loop itself may wait for
 * a later round: a runtime's internal `setImmediate` (node:http closes a
 * parser on one) or real I/O. The pool's own `setImmediate` is faked, a
 * timer like any other.
 */
function drainQueues(): Promise<void> {
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

/**
 * Consecutive quiet rounds that ended a settle on global time when each
 * quiet round waited for a macrotask of its own: 2, or
 * {@linkcode QUIET_CLOSING} while a `close()` is pending. The watchdog and
 * the busy limit still count rounds so (see {@linkcode untilQuietGlobal}).
 */
const QUIET_GLOBAL = 2;

/** Consecutive quiet rounds that end a settle in the run's present state. */
function quietNeeded(run: Settling): number {
  return run.operations.closing > 0 ? QUIET_CLOSING : run.global ? QUIET_GLOBAL : 1;
}

/**
 * Run rounds of microtask hops until enough of them in a row bring nothing
 * new (virtual time).
 *
 * @param run What to drive.
 * @param rounds Whether the rounds fire timers.
 * @throws {Error} `run.stuck(…)` if the pool never quiets down.
 */
async function untilQuietVirtual(run: Settling, { fireTimers }: Rounds): Promise<void> {
  const { ledger, operations, clock } = run;
  // With no timer fired, the quiet rounds needed are those of the start: a
  // close() that settles meanwhile does not shorten the wait.
  const neededAtStart = quietNeeded(run);
  for (let round = 0, quiet = 0; round < MAX_ROUNDS; round++) {
    const before = operations.activity + ledger.length;
    for (let i = 0; i < HOPS; i++) await Promise.resolve();
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
    if (fireTimers) run.restedAt = entries(run);
    return;
  }
  throw run.stuck("the pool never settled (busy without end)");
}

/**
 * Run rounds of one real macrotask each until a round fires no timer (global
 * time). The macrotask runs everything the pool has queued (see
 * {@linkcode drainQueues}): once a round fired no timer, another would run
 * nothing and bring nothing new, so that round ends the settle, or time
 * moves on to follow-up work due within the tolerance.
 *
 * The watchdog (with its connect-storm guard) and the busy limit count
 * rounds as when each quiet round took a macrotask of its own: a round that
 * fires no timer counts as the quiet rounds that ended a settle then
 * ({@linkcode quietNeeded}), plus one if it brought something new. Where a
 * storm is cut short is part of a run's trace, so it must not move.
 *
 * @param run What to drive.
 * @param rounds Whether the rounds fire timers.
 * @throws {Error} `run.stuck(…)` if the pool never quiets down.
 */
async function untilQuietGlobal(run: Settling, { fireTimers }: Rounds): Promise<void> {
  const { ledger, operations, clock } = run;
  // fake-timers moves a 0 ms timer armed inside a running timer to now+1:
  // while operations are pending, follow-up work due within the tolerance
  // (at least 1 ms) of the settle's start still belongs to it.
  const reach = run.now() + Math.max(1, run.toleranceMs);
  const neededAtStart = quietNeeded(run);
  // Rounds counted as above; the watchdog runs at every 64th.
  let counted = 0;
  const count = (rounds: number) => {
    const from = counted;
    counted += rounds;
    if (Math.floor(counted / 64) > Math.floor(from / 64)) run.watchdog();
  };
  while (counted < MAX_ROUNDS) {
    const before = operations.activity + ledger.length;
    run.macrotasks++;
    await drainQueues();
    // The watchdog of this round's own count comes before its timer, as in any round.
    count(1);
    const ran = fireTimers && clock.runNext();
    if (ran) {
      run.timersRun++;
      continue;
    }
    const changed = operations.activity + ledger.length !== before;
    const needed = fireTimers ? quietNeeded(run) : neededAtStart;
    // The quiet rounds (the first of them already counted when nothing changed).
    count(changed ? needed : needed - 1);
    if (counted > MAX_ROUNDS) break;
    if (!fireTimers) return;
    const next = operations.size > 0 ? clock.nextDeadline() : undefined;
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
  // A pool's code runs only when called, when a promise of its settles, when
  // the network tells it something or when a timer fires: with none of those
  // since it came to rest and no timer due, there is nothing to settle. On
  // global time it came to rest after a real macrotask that ran everything
  // it had queued (nextTick included), and time moves on to a timer due
  // within the tolerance while operations are pending, as the loop would.
  if (run.restedAt === entries(run)) {
    const due = run.clock.nextDeadline();
    const horizon = run.global && run.operations.size > 0
      ? run.now() + Math.max(1, run.toleranceMs)
      : run.now();
    if (due === undefined || due > horizon) return Promise.resolve();
  }
  return run.global
    ? untilQuietGlobal(run, { fireTimers: true })
    : untilQuietVirtual(run, { fireTimers: true });
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
  return run.global
    ? untilQuietGlobal(run, { fireTimers: false })
    : untilQuietVirtual(run, { fireTimers: false });
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
