import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Call `close()` (not awaited); later commands run against the closed pool. */
export class CloseCommand extends StepCommand {
  constructor() {
    super();
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.close();
    run.describe(() => `${run.step}. t=${run.now()} close()`);
  }

  override toString(): string {
    return "close()";
  }
}
