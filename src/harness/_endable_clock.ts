import type { DrivableClock, TimerId } from "../clock/types.ts";

/**
 * A clock that forwards to another until the run ends, then freezes: time
 * stays where it was and new timers never fire. A third-party pool may keep
 * working after its run (a `nextTick` chain, a late connect); this keeps it
 * from touching a global-time driver that has been uninstalled. It also
 * freezes by itself once the driver is gone before the run ended (a newer
 * check took global time over from an abandoned one).
 */
export class EndableClock implements DrivableClock {
  #inner: DrivableClock;
  #live: () => boolean;
  #endedAt: number | undefined;
  #last = 0;

  /**
   * @param inner The clock to forward to.
   * @param live Whether `inner` can still be used. @default {always}
   */
  constructor(inner: DrivableClock, live: () => boolean = () => true) {
    this.#inner = inner;
    this.#live = live;
  }

  /** Freeze the clock at its current time. */
  end(): void {
    this.#endedAt ??= this.#running() ? this.#inner.now() : this.#last;
  }

  now(): number {
    if (!this.#running()) return this.#endedAt!;
    return (this.#last = this.#inner.now());
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    return this.#running() ? this.#inner.setTimer(delayMs, callback) : -1;
  }

  clearTimer(id: TimerId): void {
    if (this.#running()) this.#inner.clearTimer(id);
  }

  advance(ms: number): void {
    if (this.#running()) this.#inner.advance(ms);
  }

  advanceTo(t: number): void {
    if (this.#running()) this.#inner.advanceTo(t);
  }

  runDue(): number {
    return this.#running() ? this.#inner.runDue() : 0;
  }

  runNext(t?: number): boolean {
    return this.#running() ? this.#inner.runNext(t) : false;
  }

  nextDeadline(): number | undefined {
    return this.#running() ? this.#inner.nextDeadline() : undefined;
  }

  moveTo(t: number): void {
    if (this.#running()) this.#inner.moveTo(t);
  }

  get pendingTimers(): number {
    return this.#running() ? this.#inner.pendingTimers : 0;
  }

  #running(): boolean {
    if (this.#endedAt !== undefined) return false;
    if (this.#live()) return true;
    this.#endedAt = this.#last;
    return false;
  }
}
