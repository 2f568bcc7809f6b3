import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Call `closeExpired()`. */
export class CloseExpiredCommand extends StepCommand {
  constructor() {
    super();
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.maintain("closeExpired");
    run.describe(() => `${run.step}. t=${run.now()} closeExpired()`);
  }

  override toString(): string {
    return "closeExpired()";
  }
}
