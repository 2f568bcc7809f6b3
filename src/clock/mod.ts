/**
 * Virtual time for the kit: a deterministic {@linkcode VirtualClock} for the
 * reference pool and the simulated network, and a {@linkcode GlobalTimeDriver}
 * that fakes global time for third-party pools during a run.
 *
 * @example Advancing a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "./mod.ts";
 *
 * const clock = new VirtualClock({ start: 1_000 });
 * let fired = false;
 * clock.setTimer(5, () => (fired = true));
 * clock.advance(5);
 * assert.equal(fired, true);
 * assert.equal(clock.now(), 1_005);
 * ```
 *
 * @module
 */
export type { Clock, DrivableClock, TimerId } from "./types.ts";
export { VirtualClock, type VirtualClockOptions } from "./virtual_clock.ts";
export {
  FAKED_GLOBALS,
  GlobalTimeDriver,
  type GlobalTimeOptions,
  type GlobalTimeOwner,
  realTimers,
  withGlobalTime,
} from "./global_time.ts";
