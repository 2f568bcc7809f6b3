import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** The network resets the `index`-th open or half-closed socket, failing its in-flight requests. */
export class ResetCommand extends StepCommand {
  readonly index: number;

  constructor(index: number) {
    super();
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const id = pick(run.network.ledger.sockets({ state: ["open", "half-closed"] }), this.index);
    if (id === undefined) return run.describeNothing(() => `${run.step}. reset: no socket`);
    run.network.reset(id);
    run.describe(() => `${run.step}. t=${run.now()} network resets socket #${id}`);
  }

  override toString(): string {
    return `reset(live[${this.index}])`;
  }
}
