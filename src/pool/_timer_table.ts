import type { Clock, TimerId } from "../clock/types.ts";
import { type PoolTimer, timerKey } from "./core_state.ts";

/** The core's timers as armed on the clock, found again by their key to cancel them. */
export class TimerTable {
  readonly #clock: Clock;
  readonly #armed = new Map<string, TimerId>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Arm `timer` (replacing one with the same key); `onFire` runs when it falls due. */
  arm(timer: PoolTimer, delayMs: number, onFire: (timer: PoolTimer) => void): void {
    const key = timerKey(timer);
    this.cancel(timer);
    const id = this.#clock.setTimer(delayMs, () => {
      this.#armed.delete(key);
      onFire(timer);
    });
    this.#armed.set(key, id);
  }

  /** Cancel `timer` if it is armed. */
  cancel(timer: PoolTimer): void {
    const key = timerKey(timer);
    const id = this.#armed.get(key);
    if (id === undefined) return;
    this.#armed.delete(key);
    this.#clock.clearTimer(id);
  }
}
