import type { InvalidArgument } from "../invalid_arguments.ts";
import { isHeldLeaseCopy, printValue } from "../invalid_arguments.ts";
import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/**
 * Call the pool with one invalid argument (CFG-2): `acquire` with a bad
 * route or timeout, `closeIdle` with a bad threshold, `clear` with an
 * `interruptInUseConnections` that is not a boolean, the release of a held
 * lease with a `reusable` that is not a boolean, or the release of
 * something that is not a lease the pool holds out (`null`, a number, an
 * empty object, a copy of a held lease). The pool must refuse the call and
 * change nothing; a refused release leaves the lease held.
 */
export class BadCallCommand extends StepCommand {
  readonly invalid: InvalidArgument;
  /** The held lease a bad release names or copies, `index mod held` (releases only). */
  readonly index: number;

  constructor(invalid: InvalidArgument, index = 0) {
    super();
    this.invalid = invalid;
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const { argument, value } = this.invalid;
    const shown = printValue(value);
    if (argument === "reusable" || (argument === "lease" && isHeldLeaseCopy(value))) {
      const record = pick(run.held(), this.index);
      if (record === undefined) {
        return run.describeNothing(() => `${run.step}. bad release: nothing held`);
      }
      run.describe(() =>
        `${run.step}. t=${run.now()} ${
          argument === "reusable"
            ? `release #${record.id} with reusable ${shown} (${this.invalid.problem})`
            : `release a copy of lease #${record.id} (another object with its fields)`
        }`
      );
      return run.badCall(this.invalid, record);
    }
    run.describe(() =>
      `${run.step}. t=${run.now()} ${
        this.#call(shown, run.setup.config.routes[0]!)
      } (${this.invalid.problem})`
    );
    run.badCall(this.invalid);
  }

  #call(shown: string, route: string): string {
    switch (this.invalid.argument) {
      case "route":
        return `acquire(${shown})`;
      case "acquireTimeoutMs":
        return `acquire(${JSON.stringify(route)}, { timeoutMs: ${shown} })`;
      case "interruptInUse":
        return `clear({ interruptInUseConnections: ${shown} })`;
      case "lease":
        return `release(${shown})`;
      default:
        return `closeIdle(${shown})`;
    }
  }

  override toString(): string {
    const shown = printValue(this.invalid.value);
    switch (this.invalid.argument) {
      case "reusable":
        return `release(held[${this.index}], { reusable: ${shown} })`;
      case "lease":
        return isHeldLeaseCopy(this.invalid.value)
          ? `release({ ...held[${this.index}] })`
          : `release(${shown})`;
      case "route":
        return `acquire(${shown})`;
      case "acquireTimeoutMs":
        return `acquire(routes[0], { timeoutMs: ${shown} })`;
      case "interruptInUse":
        return `clear({ interruptInUseConnections: ${shown} })`;
      default:
        return `closeIdle(${shown})`;
    }
  }
}
