import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** The server closes the `index`-th open socket (half-close when idle). */
export class ServerCloseCommand extends StepCommand {
  readonly index: number;

  constructor(index: number) {
    super();
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const id = pick(run.network.ledger.sockets({ state: "open" }), this.index);
    if (id === undefined) {
      return run.describeNothing(() => `${run.step}. server close: no open socket`);
    }
    run.network.serverClose(id);
    run.describe(() => `${run.step}. t=${run.now()} server closes socket #${id}`);
  }

  override toString(): string {
    return `serverClose(open[${this.index}])`;
  }
}
