import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/**
 * Which idle connection's idle time a `closeIdle` takes as its threshold:
 * the `index mod n`-th longest of the open idle connections, plus `offset`
 * ms, so that the threshold lands on the boundary (`offset` 0: idle exactly
 * the threshold, which "at least" must close) and on either side of it. The
 * longest first: a threshold taken from the shortest would empty the idle
 * set, which the other rules need kept.
 */
export interface IdlePick {
  readonly index: number;
  readonly offset: -1 | 0 | 1;
}

/** Call `closeIdle(ms)`, with a fixed threshold or one taken from an idle connection. */
export class CloseIdleCommand extends StepCommand {
  readonly idleMs: number;
  readonly at: IdlePick | undefined;

  constructor(idleMs: number, at?: IdlePick) {
    super();
    this.idleMs = idleMs;
    this.at = at === undefined ? undefined : Object.freeze({ ...at });
    Object.freeze(this);
  }

  apply(run: Run): void {
    const idleMs = this.#threshold(run);
    run.maintain("closeIdle", idleMs);
    run.describe(() => `${run.step}. t=${run.now()} closeIdle(${idleMs})`);
  }

  /** The fixed threshold, or the picked connection's idle time plus the offset (the fixed one when none is idle). */
  #threshold(run: Run): number {
    if (this.at === undefined) return this.idleMs;
    const now = run.now();
    const idle = run.liveUses()
      .filter((use) =>
        use.idleSince !== undefined &&
        (use.socket.state === "open" || use.socket.state === "half-closed")
      )
      .map((use) => now - use.idleSince!)
      .sort((a, b) => b - a);
    if (idle.length === 0) return this.idleMs;
    return Math.max(0, idle[this.at.index % idle.length]! + this.at.offset);
  }

  override toString(): string {
    if (this.at === undefined) return `closeIdle(${this.idleMs})`;
    const { index, offset } = this.at;
    const shift = offset === 0 ? "" : offset > 0 ? ` + ${offset}` : ` - ${-offset}`;
    return `closeIdle(idleFor[${index}]${shift} or ${this.idleMs})`;
  }
}
