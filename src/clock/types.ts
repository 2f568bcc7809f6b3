/** Identifier of a timer armed on a {@linkcode Clock}. */
export type TimerId = number;

/**
 * The only source of time the kit and the reference pool read: the current
 * virtual time in milliseconds and one-shot timers on that time line.
 */
export interface Clock {
  /** Current time in milliseconds. Never decreases. */
  now(): number;
  /**
   * Arm a one-shot timer that calls `callback` once `delayMs` have passed.
   * A delay of 0 makes the timer due now; it still runs only when the clock
   * is driven, never synchronously inside this call.
   */
  setTimer(delayMs: number, callback: () => void): TimerId;
  /** Cancel a timer. Cancelling an unknown or already fired timer does nothing. */
  clearTimer(id: TimerId): void;
}

/** A clock whose time line is moved by its owner: the harness, or a test. */
export interface DrivableClock extends Clock {
  /**
   * Move time forward by `ms`, running every timer that falls due on the way
   * in (deadline, arming order) order, including timers armed by those timers.
   */
  advance(ms: number): void;
  /** Like {@linkcode DrivableClock.advance}, to an absolute time `t >= now()`. */
  advanceTo(t: number): void;
  /** Run the timers due at the current time (also those they arm for now); returns how many ran. */
  runDue(): number;
  /**
   * Run only the earliest timer due at or before `t` (default: now), moving
   * time to its deadline; returns whether one ran. A driver that lets
   * promise callbacks run between timers, as an event loop does, calls this
   * instead of running every due timer at once.
   */
  runNext(t?: number): boolean;
  /** Deadline of the earliest armed timer, or `undefined` when none is armed. */
  nextDeadline(): number | undefined;
  /**
   * Move time to `t >= now()` without running any timer: the timers due at
   * exactly `t` stay armed, so a caller can act at that instant before them,
   * in the same macrotask. Throws a RangeError if a timer is due before `t`.
   */
  moveTo(t: number): void;
  /** Number of armed timers. */
  readonly pendingTimers: number;
}
