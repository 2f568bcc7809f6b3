import type { DrivableClock, TimerId } from "./types.ts";

/** Options for {@linkcode VirtualClock}. */
export interface VirtualClockOptions {
  /**
   * Time the clock starts at, in milliseconds.
   * @default {0}
   */
  start?: number;
}

interface Timer {
  readonly id: TimerId;
  readonly deadline: number;
  readonly callback: () => void;
}

/**
 * A deterministic clock whose time moves only when it is told to.
 *
 * Timers are kept in a binary min-heap ordered by (deadline, id); ids grow with
 * arming order, so two timers due at the same instant run in the order they
 * were armed. Cancelled timers stay in the heap and are skipped when they
 * surface, which keeps `clearTimer` O(1).
 *
 * @example Timers run in deadline order as time advances
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "./virtual_clock.ts";
 *
 * const clock = new VirtualClock();
 * const fired: string[] = [];
 * clock.setTimer(20, () => fired.push(`b@${clock.now()}`));
 * clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
 * clock.advance(15);
 * assert.deepEqual(fired, ["a@10"]);
 * clock.advanceTo(20);
 * assert.deepEqual(fired, ["a@10", "b@20"]);
 * ```
 */
export class VirtualClock implements DrivableClock {
  #now: number;
  #nextId: TimerId = 1;
  #heap: Timer[] = [];
  #armed = new Map<TimerId, Timer>();
  #driving = false;

  /**
   * Create a clock at `options.start`.
   *
   * @param options Start time.
   * @throws {RangeError} If `start` is negative or not finite.
   */
  constructor(options: VirtualClockOptions = {}) {
    const { start = 0 } = options;
    assertTime("create clock", "start", start);
    this.#now = start;
  }

  /** Current virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Number of armed (not yet fired, not cancelled) timers. */
  get pendingTimers(): number {
    return this.#armed.size;
  }

  /**
   * Arm a one-shot timer due at `now() + delayMs`.
   *
   * @param delayMs Delay in milliseconds, finite and at least 0.
   * @param callback Called once when the timer falls due.
   * @returns The timer's id, for {@linkcode VirtualClock.clearTimer}.
   * @throws {RangeError} If `delayMs` is negative or not finite.
   * @throws {TypeError} If `callback` is not a function.
   */
  setTimer(delayMs: number, callback: () => void): TimerId {
    assertTime("arm timer", "delayMs", delayMs);
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot arm timer as 'callback' must be a function: current value is ${String(callback)}`,
      );
    }
    const timer: Timer = { id: this.#nextId++, deadline: this.#now + delayMs, callback };
    this.#armed.set(timer.id, timer);
    heapPush(this.#heap, timer);
    return timer.id;
  }

  /**
   * Cancel a timer; unknown, fired or already cancelled ids are ignored.
   *
   * @param id The id {@linkcode VirtualClock.setTimer} returned.
   */
  clearTimer(id: TimerId): void {
    this.#armed.delete(id);
  }

  /**
   * Deadline of the earliest armed timer.
   *
   * @returns The deadline in milliseconds, or `undefined` when no timer is armed.
   */
  nextDeadline(): number | undefined {
    return this.#peek()?.deadline;
  }

  /**
   * Move time forward by `ms`, running due timers on the way.
   *
   * @param ms Milliseconds to advance, finite and at least 0.
   * @throws {RangeError} If `ms` is negative or not finite.
   * @throws {Error} If called from inside a timer callback.
   */
  advance(ms: number): void {
    assertTime("advance clock", "ms", ms);
    this.advanceTo(this.#now + ms);
  }

  /**
   * Move time forward to `t`, running every timer due at or before `t` in
   * (deadline, arming order) order, including timers armed while advancing.
   * If a callback throws, time stays at that timer's deadline, the remaining
   * timers stay armed, and the error propagates.
   *
   * @param t Target time, finite and not before `now()`.
   * @throws {RangeError} If `t` is before `now()` or not finite.
   * @throws {Error} If called from inside a timer callback.
   */
  advanceTo(t: number): void {
    assertTime("advance clock", "t", t);
    if (t < this.#now) {
      throw new RangeError(
        `Cannot advance clock as 't' must not be before now (${this.#now}): current value is ${t}`,
      );
    }
    this.#drive(() => {
      for (let timer = this.#peek(); timer && timer.deadline <= t; timer = this.#peek()) {
        this.#fire(timer);
      }
      this.#now = t;
    });
  }

  /**
   * Run the timers due at the current time, including timers they arm with a
   * zero delay.
   *
   * @returns How many timers ran.
   * @throws {Error} If called from inside a timer callback.
   */
  runDue(): number {
    let ran = 0;
    this.#drive(() => {
      for (let timer = this.#peek(); timer && timer.deadline <= this.#now; timer = this.#peek()) {
        this.#fire(timer);
        ran++;
      }
    });
    return ran;
  }

  /**
   * Run only the earliest timer due at or before `t`, moving time to its
   * deadline. A driver that lets promise callbacks run between timers (as
   * an event loop runs microtasks after each timer callback) calls this
   * until it returns `false`, instead of {@linkcode VirtualClock.advanceTo}.
   *
   * @param t Latest deadline to run; defaults to now.
   * @returns Whether a timer ran.
   * @throws {RangeError} If `t` is before `now()` or not finite.
   * @throws {Error} If called from inside a timer callback.
   *
   * @example Two timers due at once, one at a time
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "./virtual_clock.ts";
   *
   * const clock = new VirtualClock();
   * const fired: string[] = [];
   * clock.setTimer(5, () => fired.push("a"));
   * clock.setTimer(5, () => fired.push("b"));
   * assert.equal(clock.runNext(10), true);
   * assert.deepEqual(fired, ["a"]);
   * assert.equal(clock.now(), 5);
   * assert.equal(clock.runNext(), true);
   * assert.equal(clock.runNext(), false);
   * assert.deepEqual(fired, ["a", "b"]);
   * ```
   */
  runNext(t: number = this.#now): boolean {
    assertTime("run next timer", "t", t);
    if (t < this.#now) {
      throw new RangeError(
        `Cannot run next timer as 't' must not be before now (${this.#now}): current value is ${t}`,
      );
    }
    let ran = false;
    this.#drive(() => {
      const timer = this.#peek();
      if (timer === undefined || timer.deadline > t) return;
      this.#fire(timer);
      ran = true;
    });
    return ran;
  }

  /**
   * Move time to `t` without running any timer: timers due at exactly `t`
   * stay armed, so a caller can act at that instant before them, in the same
   * macrotask (then {@linkcode VirtualClock.runNext} runs them).
   *
   * @param t Target time, finite and not before `now()`.
   * @throws {RangeError} If `t` is before `now()`, not finite, or after the
   * deadline of an armed timer.
   *
   * @example Acting at a timer's instant, before it runs
   * ```ts
   * import assert from "node:assert/strict";
   * import { VirtualClock } from "./virtual_clock.ts";
   *
   * const clock = new VirtualClock();
   * const order: string[] = [];
   * clock.setTimer(5, () => order.push("timer"));
   * clock.moveTo(5);
   * order.push(`caller at t=${clock.now()}`);
   * clock.runNext();
   * assert.deepEqual(order, ["caller at t=5", "timer"]);
   * ```
   */
  moveTo(t: number): void {
    assertTime("move clock", "t", t);
    if (t < this.#now) {
      throw new RangeError(
        `Cannot move clock as 't' must not be before now (${this.#now}): current value is ${t}`,
      );
    }
    const due = this.#peek()?.deadline;
    if (due !== undefined && due < t) {
      throw new RangeError(
        `Cannot move clock as 't' must not pass the timer due at ${due}: current value is ${t}`,
      );
    }
    this.#now = t;
  }

  #drive(body: () => void): void {
    if (this.#driving) {
      throw new Error("Cannot drive the clock from inside one of its timer callbacks");
    }
    this.#driving = true;
    try {
      body();
    } finally {
      this.#driving = false;
    }
  }

  #fire(timer: Timer): void {
    heapPop(this.#heap);
    this.#armed.delete(timer.id);
    this.#now = timer.deadline;
    timer.callback();
  }

  /** Earliest live timer, discarding cancelled ones that reached the top. */
  #peek(): Timer | undefined {
    let top = this.#heap[0];
    while (top && this.#armed.get(top.id) !== top) {
      heapPop(this.#heap);
      top = this.#heap[0];
    }
    return top;
  }
}

function assertTime(action: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot ${action} as '${name}' must be a finite number >= 0: current value is ${
        String(value)
      }`,
    );
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id);
}

function heapPush(heap: Timer[], timer: Timer): void {
  heap.push(timer);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent]!;
    if (!before(timer, p)) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = timer;
}

function heapPop(heap: Timer[]): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
    if (!before(heap[child]!, last)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
}
