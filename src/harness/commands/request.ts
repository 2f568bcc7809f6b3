import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** Make one request on the `index`-th held lease's connection. */
export class RequestCommand extends StepCommand {
  readonly index: number;

  constructor(index: number) {
    super();
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const record = pick(run.held(), this.index);
    if (record === undefined) {
      return run.describeNothing(() => `${run.step}. request: nothing held`);
    }
    run.request(record);
    run.describe(() =>
      `${run.step}. t=${run.now()} request on #${record.id} (socket #${record.facts?.socketId})`
    );
  }

  override toString(): string {
    return `request(held[${this.index}])`;
  }
}
