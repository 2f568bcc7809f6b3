import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Call `closeIdle(ms)`. */
export class CloseIdleCommand extends StepCommand {
  readonly idleMs: number;

  constructor(idleMs: number) {
    super();
    this.idleMs = idleMs;
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.maintain("closeIdle", this.idleMs);
    run.describe(() => `${run.step}. t=${run.now()} closeIdle(${this.idleMs})`);
  }

  override toString(): string {
    return `closeIdle(${this.idleMs})`;
  }
}
