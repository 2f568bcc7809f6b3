import type { DrivableClock, TimerId } from "../clock/types.ts";

/**
 * A clock that forwards to another until the run ends, then freezes: time
 * stays where it was and new timers never fire. A third-party pool may keep
 * working after its run (a `nextTick` chain, a late connect); this keeps it
 * from touching a global-time driver that has been uninstalled.
 */
export class EndableClock implements DrivableClock {
  #inner: DrivableClock;
  #endedAt: number | undefined;

  constructor(inner: DrivableClock) {
    this.#inner = inner;
  }

  /** Freeze the clock at its current time. */
  end(): void {
    this.#endedAt ??= this.#inner.now();
  }

  now(): number {
    return this.#endedAt ?? this.#inner.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    return this.#endedAt === undefined ? this.#inner.setTimer(delayMs, callback) : -1;
  }

  clearTimer(id: TimerId): void {
    if (this.#endedAt === undefined) this.#inner.clearTimer(id);
  }

  advance(ms: number): void {
    if (this.#endedAt === undefined) this.#inner.advance(ms);
  }

  advanceTo(t: number): void {
    if (this.#endedAt === undefined) this.#inner.advanceTo(t);
  }

  runDue(): number {
    return this.#endedAt === undefined ? this.#inner.runDue() : 0;
  }

  runNext(t?: number): boolean {
    return this.#endedAt === undefined ? this.#inner.runNext(t) : false;
  }

  nextDeadline(): number | undefined {
    return this.#endedAt === undefined ? this.#inner.nextDeadline() : undefined;
  }

  get pendingTimers(): number {
    return this.#endedAt === undefined ? this.#inner.pendingTimers : 0;
  }
}
