import type fc from "fast-check";
import type { Run } from "../run.ts";

/**
 * Base of every command: immutable data that runs one operation, then lets
 * the pool settle and checks the rules. `toString` prints the command as a
 * script line; resolved values (lease and socket ids) go to the run's trace.
 */
export abstract class StepCommand implements fc.AsyncCommand<Run, Run> {
  /** Commands are always applicable: their picks resolve against the run. */
  check(): boolean {
    return true;
  }

  /** Run the operation, settle, check. */
  async run(_model: Run, run: Run): Promise<void> {
    run.step++;
    run.stepSeq[run.step] = run.network.ledger.length;
    await this.apply(run);
    await run.endStep();
  }

  /** The operation itself; describes its resolved form with `run.describe`. */
  abstract apply(run: Run): void | Promise<void>;

  /** A script line, e.g. `acquire("r0", timeout)`. */
  abstract toString(): string;
}

/** Pick the `index mod length`-th element, or `undefined` when empty. */
export function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}
