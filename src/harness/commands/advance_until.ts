import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/**
 * Let virtual time pass until an instant given outright, not relative to
 * now (nothing happens when it has passed already). The harness never
 * draws it: it stands in for a time step of a counterexample whose
 * destination must not move when a command before it is taken out.
 */
export class AdvanceUntilCommand extends StepCommand {
  readonly t: number;

  constructor(t: number) {
    super();
    this.t = t;
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const from = run.now();
    const target = Math.max(from, this.t);
    run.describe(() => `${run.step}. t=${from} advance until t=${this.t} → t=${target}`);
    await run.advanceTo(target);
  }

  override toString(): string {
    return `advanceUntil(${this.t})`;
  }
}
