import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Call `clear()` (stale generation, waiters failed, paused) or `ready()`. */
export class ClearCommand extends StepCommand {
  readonly op: "clear" | "ready";

  constructor(op: "clear" | "ready") {
    super();
    this.op = op;
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.maintain(this.op);
    run.describe(() => `${run.step}. t=${run.now()} ${this.op}()`);
  }

  override toString(): string {
    return `${this.op}()`;
  }
}
