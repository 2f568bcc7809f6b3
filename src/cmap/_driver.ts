import { realTimers } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";

/** Microtask hops per round. */
const HOPS = 12;
/** Rounds (each may run one due timer) before a pool busy without end is declared stuck. */
const MAX_ROUNDS = 20_000;

/** A scenario step that cannot finish: nothing left to happen, or too much virtual time. */
export class StuckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StuckError";
  }
}

/**
 * Drives a scenario on its clock: runs the pool's promise callbacks and the
 * timers due now, and moves virtual time on, timer by timer, only while the
 * main thread waits for something. Never sleeps on the real clock.
 */
export class Driver {
  readonly #clock: DrivableClock;
  readonly #global: boolean;
  readonly #activity: () => number;

  /**
   * @param clock The run's clock.
   * @param global Whether the pool reads faked global time (then each round
   *   also yields one real macrotask, for `nextTick` work).
   * @param activity A count that grows whenever something happens (events,
   *   ledger entries, settled operations).
   */
  constructor(clock: DrivableClock, global: boolean, activity: () => number) {
    this.#clock = clock;
    this.#global = global;
    this.#activity = activity;
  }

  /** Run promise callbacks and the timers due now until a round brings nothing new. */
  async quiesce(): Promise<void> {
    for (let round = 0, quiet = 0; round < MAX_ROUNDS; round++) {
      const before = this.#activity();
      for (let i = 0; i < HOPS; i++) await Promise.resolve();
      if (this.#global) await new Promise<void>((r) => realTimers.setImmediate(r));
      const ran = this.#clock.runNext();
      if (ran || this.#activity() !== before) {
        quiet = 0;
        continue;
      }
      if (++quiet >= (this.#global ? 2 : 1)) return;
    }
    throw new StuckError("the pool never came to rest (busy without end at one instant)");
  }

  /**
   * Drive until `done()` holds, moving virtual time on to each next timer.
   *
   * @param done The condition.
   * @param what What is awaited, for the message.
   * @param limitMs Virtual time allowed, ms.
   * @throws {StuckError} When no timer is left or the limit passes first.
   */
  async until(done: () => boolean, what: string, limitMs: number): Promise<void> {
    const clock = this.#clock;
    const start = clock.now();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await this.quiesce();
      if (done()) return;
      const next = clock.nextDeadline();
      if (next === undefined) {
        throw new StuckError(
          `${what} never completed: nothing was left to happen (no timer armed)`,
        );
      }
      if (next > start + limitMs) {
        throw new StuckError(`${what} did not complete within ${limitMs} ms of virtual time`);
      }
      clock.runNext(Math.max(next, clock.now()));
    }
    throw new StuckError(`${what} never completed: over ${MAX_ROUNDS} timers ran`);
  }
}
