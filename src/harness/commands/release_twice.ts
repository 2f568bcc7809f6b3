import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/**
 * Release a lease that was already released, again, reusable or broken (a
 * repeated destroy after a destroy is the "double destroy"). Whatever form
 * either release took, the pool must refuse it when it declares
 * `rejectsBadRelease` (LSE-4), and it must change nothing in any case
 * (LSE-4, LSE-7; the limits and the capacity probe see a freed slot that
 * was never taken).
 */
export class ReleaseTwiceCommand extends StepCommand {
  readonly index: number;
  readonly reusable: boolean;

  constructor(index: number, reusable = true) {
    super();
    this.index = index;
    this.reusable = reusable;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const released = run.acquires.filter((a) => a.status === "released");
    const record = pick(released, this.index);
    if (record === undefined) {
      return run.describeNothing(() => `${run.step}. release again: nothing released`);
    }
    // Described first: the pool's answer may come at once, and its line goes under this one.
    run.describe(() =>
      `${run.step}. t=${run.now()} release #${record.id} again (socket #${record.facts?.socketId})${
        this.reusable ? "" : " as broken"
      }`
    );
    run.releaseAgain(record, this.reusable);
  }

  override toString(): string {
    return `releaseAgain(released[${this.index}]${this.reusable ? "" : ", broken"})`;
  }
}
