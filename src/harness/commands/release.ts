import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/**
 * Release the `index`-th held lease (mod the number held), reusable or
 * broken; with `used`, first make one request on it and wait for the answer,
 * as a real caller does.
 */
export class ReleaseCommand extends StepCommand {
  readonly index: number;
  readonly reusable: boolean;
  readonly used: boolean;

  constructor(index: number, reusable: boolean, used = false) {
    super();
    this.index = index;
    this.reusable = reusable;
    this.used = used;
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const record = pick(run.held(), this.index);
    if (record === undefined) {
      return run.describeNothing(() => `${run.step}. release: nothing held`);
    }
    if (this.used) {
      run.describe(() =>
        `${run.step}. t=${run.now()} request on #${record.id} (socket #${record.facts?.socketId})`
      );
      run.request(record);
      await run.advanceTo(run.now() + run.setup.responseLatencyMs);
      if (record.status !== "leased") return;
    }
    // One number per step: after a request, the release continues the step's line. Described
    // first: the pool's answer may come at once, and its line goes under this one.
    run.describe(() =>
      `${
        this.used ? "   then " : `${run.step}. `
      }t=${run.now()} release #${record.id} (socket #${record.facts?.socketId})${
        this.reusable ? "" : " as broken"
      }`
    );
    run.release(record, this.reusable);
  }

  override toString(): string {
    return `${this.used ? "use and " : ""}release(held[${this.index}]${
      this.reusable ? "" : ", broken"
    })`;
  }
}
