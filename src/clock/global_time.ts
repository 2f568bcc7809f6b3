import FakeTimers from "@sinonjs/fake-timers";
import timersModule from "node:timers";
import timersPromisesModule from "node:timers/promises";
import { performance as perfHooksPerformance } from "node:perf_hooks";
import process from "node:process";
import type { DrivableClock, TimerId } from "./types.ts";

/**
 * The real timer functions, captured when this module loads, before any fake
 * is installed: a watchdog that must measure real time uses these.
 */
export const realTimers: {
  readonly setTimeout: typeof globalThis.setTimeout;
  readonly clearTimeout: typeof globalThis.clearTimeout;
  readonly setImmediate: (callback: () => void) => unknown;
  readonly now: () => number;
} = {
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: globalThis.clearTimeout.bind(globalThis),
  setImmediate: typeof globalThis.setImmediate === "function"
    ? globalThis.setImmediate.bind(globalThis)
    : (callback: () => void) => globalThis.setTimeout(callback, 0),
  now: Date.now.bind(Date),
};

/**
 * What is faked: timers, Date, performance and hrtime. Microtasks and
 * `nextTick` are left real on purpose: faking them stalls promise-based pools.
 */
export const FAKED_GLOBALS = [
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "clearImmediate",
  "Date",
  "performance",
  "hrtime",
] as const;

/** Options for {@linkcode GlobalTimeDriver.install}. */
export interface GlobalTimeOptions {
  /**
   * Epoch milliseconds the faked `Date.now()` starts at. The driver's own
   * `now()` counts from here, starting at 0. A realistic epoch is the default
   * because some pools treat a timestamp of 0 as "never set".
   * @default {1_700_000_000_000} (2023-11-14T22:13:20Z)
   */
  start?: number;
  /**
   * Who fakes global time (a check, named in messages). A driver installed
   * for an owner that differs from the current driver's owner takes over:
   * the current driver is uninstalled and its owner told, because only one
   * check can hold global time and an owner still holding it while another
   * starts was abandoned (a test runner stops a test at its timeout, but the
   * test's promise goes on running). Without an owner on either side,
   * installing over a driver throws.
   * @default {undefined}
   */
  owner?: GlobalTimeOwner;
}

/** What holds global time: named in messages, told when another owner takes over. */
export interface GlobalTimeOwner {
  /** Names the owner in messages, e.g. `"tarn conformance › ORD rules hold (seed 7)"`. */
  readonly label: string;
  /**
   * Called once when another owner takes global time over: this owner should
   * stop at once (its driver is already uninstalled).
   *
   * @param by The owner that took over.
   */
  takenOver(by: GlobalTimeOwner): void;
}

type FakeClock = ReturnType<typeof FakeTimers.install>;
interface FakeTimer {
  readonly callAt: number;
}

let installed: GlobalTimeDriver | undefined;

/**
 * A property fake-timers replaces: where it lives, and its real and faked
 * descriptors and values. The value matters on its own where the property is
 * an accessor whose setter keeps what was assigned (Node's
 * `globalThis.performance`): the descriptor stays the same, the value read
 * through it changes.
 */
interface Slot {
  readonly target: object;
  readonly key: string;
  readonly real: PropertyDescriptor | undefined;
  readonly realValue: unknown;
  readonly fake: PropertyDescriptor | undefined;
  readonly fakeValue: unknown;
}

/**
 * Every property installing the fake may replace: the globals, `process.hrtime`,
 * the exports of `node:timers` and `node:timers/promises` (fake-timers patches
 * those objects too on Deno, Bun and Node), and `performance.now` of
 * `node:perf_hooks`.
 */
function slotsToWatch(): [object, string][] {
  const slots: [object, string][] = [];
  const add = (target: unknown, keys: readonly string[]) => {
    if ((typeof target !== "object" && typeof target !== "function") || target === null) return;
    for (const key of keys) slots.push([target, key]);
  };
  const timerNames = [
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "setImmediate",
    "clearImmediate",
  ];
  add(globalThis, [...timerNames, "Date", "performance"]);
  add(process, ["hrtime"]);
  add(timersModule, timerNames);
  add(timersPromisesModule, ["setTimeout", "setImmediate", "setInterval", "scheduler"]);
  add(perfHooksPerformance, ["now"]);
  return slots;
}

function sameDescriptor(a: PropertyDescriptor | undefined, b: PropertyDescriptor | undefined) {
  if (a === undefined || b === undefined) return a === b;
  return a.value === b.value && a.get === b.get && a.set === b.set &&
    a.writable === b.writable && a.enumerable === b.enumerable &&
    a.configurable === b.configurable;
}

/** Put back one side of a slot: its descriptor, and its value through a setter that keeps it. */
function put(
  { target, key }: Slot,
  descriptor: PropertyDescriptor | undefined,
  value: unknown,
): void {
  if (descriptor === undefined) {
    Reflect.deleteProperty(target, key);
    return;
  }
  Reflect.defineProperty(target, key, descriptor);
  if (descriptor.set !== undefined && Reflect.get(target, key) !== value) {
    Reflect.set(target, key, value);
  }
}

/** Default faked epoch: 2023-11-14T22:13:20Z. */
const DEFAULT_EPOCH = 1_700_000_000_000;

/**
 * Fakes global time (`setTimeout`, `setInterval`, `setImmediate`, `Date`,
 * `performance`, `hrtime`) for third-party pools that read it, and drives it
 * through the same {@linkcode DrivableClock} API as the virtual clock.
 * At most one driver is installed at a time; prefer
 * {@linkcode withGlobalTime}, which always uninstalls.
 *
 * @example Driving a pool's global setTimeout
 * ```ts
 * import assert from "node:assert/strict";
 * import { GlobalTimeDriver } from "./global_time.ts";
 *
 * using driver = GlobalTimeDriver.install({ start: 1_000 });
 * let fired = false;
 * setTimeout(() => (fired = true), 50);
 * driver.advance(50);
 * assert.equal(fired, true);
 * assert.equal(driver.now(), 50);
 * assert.equal(Date.now(), 1_050);
 * ```
 */
export class GlobalTimeDriver implements DrivableClock, Disposable {
  #fake: FakeClock | undefined;
  #start: number;
  #handles = new Map<TimerId, unknown>();
  #nextId: TimerId = 1;
  /** Who installed this driver, if anyone said. */
  readonly owner: GlobalTimeOwner | undefined;

  #slots: readonly Slot[];
  #suspended = false;

  private constructor(
    fake: FakeClock,
    start: number,
    owner: GlobalTimeOwner | undefined,
    slots: readonly Slot[],
  ) {
    this.#fake = fake;
    this.#start = start;
    this.owner = owner;
    this.#slots = slots;
  }

  /**
   * Replace global time with a fake.
   *
   * @param options Start time and owner.
   * @returns The installed driver.
   * @throws {Error} If global time is already faked by a driver of the same
   * owner, or when either driver has no owner.
   * @throws {RangeError} If `start` is negative or not finite.
   */
  static install(options: GlobalTimeOptions = {}): GlobalTimeDriver {
    const { start = DEFAULT_EPOCH, owner } = options;
    if (!Number.isFinite(start) || start < 0) {
      throw new RangeError(
        `Cannot fake global time as 'start' must be a finite number >= 0: current value is ${start}`,
      );
    }
    const previous = installed;
    if (previous !== undefined) {
      const holder = previous.owner;
      if (owner === undefined || holder === undefined || holder === owner) {
        const who = holder === undefined ? "" : ` by ${holder.label}`;
        throw new Error(
          `Cannot fake global time${
            owner === undefined ? "" : ` for ${owner.label}`
          } as it is already faked${who}: uninstall that driver first`,
        );
      }
      previous.uninstall();
      holder.takenOver(owner);
    }
    const watched = slotsToWatch();
    const real = watched.map(([target, key]) => Reflect.getOwnPropertyDescriptor(target, key));
    const realValues = watched.map(([target, key]) => Reflect.get(target, key));
    const fake = FakeTimers.install({
      now: start,
      toFake: [...FAKED_GLOBALS],
      ignoreMissingTimers: true,
    });
    const slots: Slot[] = [];
    watched.forEach(([target, key], i) => {
      const faked = Reflect.getOwnPropertyDescriptor(target, key);
      const fakeValue = Reflect.get(target, key);
      if (sameDescriptor(real[i], faked) && fakeValue === realValues[i]) return;
      slots.push({ target, key, real: real[i], realValue: realValues[i], fake: faked, fakeValue });
    });
    installed = new GlobalTimeDriver(fake, start, owner, slots);
    return installed;
  }

  /** Whether global time is currently faked by a driver. */
  static get active(): boolean {
    return installed !== undefined;
  }

  /**
   * Uninstall the installed driver if `owner` installed it (an owner that is
   * stopped from outside puts real time back at once).
   *
   * @param owner The owner whose driver to uninstall.
   * @returns Whether a driver was uninstalled.
   */
  static uninstallOwnedBy(owner: GlobalTimeOwner): boolean {
    if (installed === undefined || installed.owner !== owner) return false;
    installed.uninstall();
    return true;
  }

  /**
   * The installed driver, if `owner` installed it and it is suspended: an
   * owner that runs many runs installs once, suspends between runs, and
   * each run resumes it (see {@linkcode GlobalTimeDriver.suspend}).
   *
   * @param owner The owner.
   * @returns The suspended driver of `owner`, if any.
   */
  static suspendedFor(owner: GlobalTimeOwner): GlobalTimeDriver | undefined {
    return installed !== undefined && installed.owner === owner && installed.#suspended
      ? installed
      : undefined;
  }

  /** The installed driver's owner, if a driver is installed and has one. */
  static get owner(): GlobalTimeOwner | undefined {
    return installed?.owner;
  }

  /** Whether this driver is still installed (suspended or not). */
  get installed(): boolean {
    return this.#fake !== undefined;
  }

  /** Whether real time is back while this driver stays installed (see {@linkcode GlobalTimeDriver.suspend}). */
  get suspended(): boolean {
    return this.#suspended;
  }

  /**
   * Put the real timers, `Date`, `performance` and `hrtime` back, as
   * {@linkcode GlobalTimeDriver.uninstall} does, but keep the fake for
   * {@linkcode GlobalTimeDriver.resume}, which is far cheaper than
   * installing anew. Timers armed meanwhile are real ones. No-op when
   * suspended or uninstalled already.
   *
   * @example Real time between two runs on one fake
   * ```ts
   * import assert from "node:assert/strict";
   * import { GlobalTimeDriver } from "./global_time.ts";
   *
   * using driver = GlobalTimeDriver.install({ start: 1_000 });
   * driver.advance(50);
   * driver.suspend();
   * assert.ok(Date.now() > 1_000_000_000_000);
   * driver.resume();
   * assert.equal(driver.now(), 0);
   * assert.equal(Date.now(), 1_000);
   * ```
   */
  suspend(): void {
    if (this.#fake === undefined || this.#suspended) return;
    this.#suspended = true;
    for (const slot of this.#slots) put(slot, slot.real, slot.realValue);
  }

  /**
   * Fake global time again after {@linkcode GlobalTimeDriver.suspend}, as a
   * fresh install would: time back at the start, no timer armed (those armed
   * before are dropped unrun), timer ids from 1 again. No-op unless suspended.
   *
   * @throws {Error} If the driver was uninstalled.
   */
  resume(): void {
    const fake = this.#clock() as FakeClock & { duringTick?: boolean };
    if (!this.#suspended) return;
    fake.reset();
    fake.duringTick = false;
    this.#handles.clear();
    this.#nextId = 1;
    for (const slot of this.#slots) put(slot, slot.fake, slot.fakeValue);
    this.#suspended = false;
  }

  /** Faked time, in milliseconds since the driver's start. */
  now(): number {
    return this.#clock().now - this.#start;
  }

  /** Number of timers armed on the fake, including those a pool armed. */
  get pendingTimers(): number {
    return this.#clock().countTimers();
  }

  /**
   * Arm a timer on the fake clock.
   *
   * @param delayMs Delay, finite and at least 0.
   * @param callback Called once when due.
   * @returns The timer's id.
   * @throws {RangeError} If `delayMs` is negative or not finite.
   */
  setTimer(delayMs: number, callback: () => void): TimerId {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(
        `Cannot arm timer as 'delayMs' must be a finite number >= 0: current value is ${delayMs}`,
      );
    }
    const id = this.#nextId++;
    const fake = this.#clock() as FakeClock & { duringTick: boolean };
    // fake-timers turns a 0 ms delay armed inside a running timer into 1 ms.
    // The kit's own zero-delay timers (a connect or response "at once") must
    // stay at the current instant, as on the virtual clock.
    const duringTick = fake.duringTick;
    if (delayMs === 0) fake.duringTick = false;
    try {
      const handle = fake.setTimeout(() => {
        this.#handles.delete(id);
        callback();
      }, delayMs);
      this.#handles.set(id, handle);
    } finally {
      fake.duringTick = duringTick;
    }
    return id;
  }

  /**
   * Cancel a timer armed with {@linkcode GlobalTimeDriver.setTimer}.
   *
   * @param id Its id; unknown ids are ignored.
   */
  clearTimer(id: TimerId): void {
    const handle = this.#handles.get(id);
    if (handle === undefined) return;
    this.#handles.delete(id);
    this.#clock().clearTimeout(handle as Parameters<FakeClock["clearTimeout"]>[0]);
  }

  /**
   * Deadline of the earliest timer armed on the fake, by anyone.
   *
   * @returns Milliseconds since the driver's start, or `undefined`.
   */
  nextDeadline(): number | undefined {
    const timers = (this.#clock() as unknown as { timers?: Map<unknown, FakeTimer> }).timers;
    if (timers === undefined || timers.size === 0) return undefined;
    let first = Infinity;
    for (const timer of timers.values()) first = Math.min(first, timer.callAt);
    return first - this.#start;
  }

  /**
   * Move faked time forward by `ms`, running due timers in order.
   *
   * @param ms Milliseconds, finite and at least 0.
   * @throws {RangeError} If `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `Cannot advance clock as 'ms' must be a finite number >= 0: current value is ${ms}`,
      );
    }
    this.#clock().tick(ms);
  }

  /**
   * Move faked time forward to `t` (relative to the start).
   *
   * @param t Target time, not before `now()`.
   * @throws {RangeError} If `t` is before `now()` or not finite.
   */
  advanceTo(t: number): void {
    const now = this.now();
    if (!Number.isFinite(t) || t < now) {
      throw new RangeError(
        `Cannot advance clock as 't' must be a finite number not before now (${now}): current value is ${t}`,
      );
    }
    this.#clock().tick(t - now);
  }

  /**
   * Run the timers due now.
   *
   * @returns How many ran.
   */
  runDue(): number {
    let ran = 0;
    for (let due = this.nextDeadline(); due !== undefined && due <= this.now();) {
      this.#clock().next();
      ran++;
      due = this.nextDeadline();
    }
    return ran;
  }

  /**
   * Run only the earliest timer due at or before `t`, moving faked time to
   * its deadline.
   *
   * @param t Latest deadline to run; defaults to now.
   * @returns Whether a timer ran.
   * @throws {RangeError} If `t` is before `now()` or not finite.
   */
  runNext(t: number = this.now()): boolean {
    const now = this.now();
    if (!Number.isFinite(t) || t < now) {
      throw new RangeError(
        `Cannot run next timer as 't' must be a finite number not before now (${now}): current value is ${t}`,
      );
    }
    const due = this.nextDeadline();
    if (due === undefined || due > t) return false;
    this.#clock().next();
    return true;
  }

  /**
   * Move faked time to `t` (relative to the start) without running any
   * timer: timers due at exactly `t` stay armed, so a caller can act at that
   * instant before them, in the same macrotask.
   *
   * @param t Target time, not before `now()` nor after the next deadline.
   * @throws {RangeError} If `t` is before `now()`, not finite, or after the
   * deadline of an armed timer.
   */
  moveTo(t: number): void {
    const now = this.now();
    if (!Number.isFinite(t) || t < now) {
      throw new RangeError(
        `Cannot move clock as 't' must be a finite number not before now (${now}): current value is ${t}`,
      );
    }
    const due = this.nextDeadline();
    if (due !== undefined && due < t) {
      throw new RangeError(
        `Cannot move clock as 't' must not pass the timer due at ${due}: current value is ${t}`,
      );
    }
    // Assigning the fake's time moves Date and performance.now and leaves the
    // timers' absolute deadlines as they are (setSystemTime would shift them).
    (this.#clock() as FakeClock & { now: number }).now = this.#start + t;
  }

  /** Put the real timers, Date and performance back. Idempotent. */
  uninstall(): void {
    if (!this.#fake) return;
    const fake = this.#fake;
    // fake-timers puts back what it replaced from the faked state.
    if (this.#suspended) { for (const slot of this.#slots) put(slot, slot.fake, slot.fakeValue); }
    this.#suspended = false;
    this.#fake = undefined;
    this.#handles.clear();
    if (installed === this) installed = undefined;
    fake.uninstall();
  }

  /** Same as {@linkcode GlobalTimeDriver.uninstall}. */
  [Symbol.dispose](): void {
    this.uninstall();
  }

  #clock(): FakeClock {
    if (!this.#fake) throw new Error("Cannot use the global time driver after it was uninstalled");
    return this.#fake;
  }
}

/**
 * Run `body` with global time faked, and put real time back afterwards,
 * whether `body` resolves or throws.
 *
 * @param body Work to run; it gets the driver.
 * @param options Start time.
 * @returns What `body` resolves to.
 * @throws {Error} If global time is already faked, or whatever `body` throws.
 *
 * @example Real time is back after the body, even when it throws
 * ```ts
 * import assert from "node:assert/strict";
 * import { withGlobalTime } from "./global_time.ts";
 *
 * await assert.rejects(withGlobalTime(() => Promise.reject(new Error("boom"))));
 * assert.ok(Date.now() > 1_000_000_000_000);
 * ```
 */
export async function withGlobalTime<T>(
  body: (driver: GlobalTimeDriver) => Promise<T>,
  options: GlobalTimeOptions = {},
): Promise<T> {
  const driver = GlobalTimeDriver.install(options);
  try {
    return await body(driver);
  } finally {
    driver.uninstall();
  }
}
