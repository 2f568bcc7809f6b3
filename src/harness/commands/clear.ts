import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/**
 * Call `clear()` (stale generation, waiters failed, paused), with
 * `{ interruptInUseConnections: true }` when `interrupt` is set (capability
 * `interruptInUse`), or `ready()`.
 */
export class ClearCommand extends StepCommand {
  readonly op: "clear" | "ready";
  readonly interrupt: boolean;

  constructor(op: "clear" | "ready", interrupt = false) {
    super();
    this.op = op;
    this.interrupt = op === "clear" && interrupt;
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.maintain(this.op, undefined, this.interrupt);
    run.describe(() => `${run.step}. t=${run.now()} ${this}`);
  }

  override toString(): string {
    return this.interrupt ? "clear({ interruptInUseConnections: true })" : `${this.op}()`;
  }
}
