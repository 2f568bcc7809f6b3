import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Let virtual time pass. */
export class AdvanceCommand extends StepCommand {
  readonly ms: number;

  constructor(ms: number) {
    super();
    this.ms = ms;
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const from = run.now();
    run.describe(() => `${run.step}. t=${from} advance ${this.ms} ms → t=${from + this.ms}`);
    await run.advanceTo(from + this.ms);
  }

  override toString(): string {
    return `advance(${this.ms})`;
  }
}
