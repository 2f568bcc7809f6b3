import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** Release an already released lease again (the pool must refuse). */
export class ReleaseTwiceCommand extends StepCommand {
  readonly index: number;

  constructor(index: number) {
    super();
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const released = run.acquires.filter((a) => a.status === "released");
    const record = pick(released, this.index);
    if (record === undefined) {
      return run.describeNothing(() => `${run.step}. release again: nothing released`);
    }
    run.releaseAgain(record);
    run.describe(() =>
      `${run.step}. t=${run.now()} release #${record.id} again (socket #${record.facts?.socketId})`
    );
  }

  override toString(): string {
    return `releaseAgain(released[${this.index}])`;
  }
}
