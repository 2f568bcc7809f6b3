/**
 * A command-line usage error: a bad flag, value, adapter module or
 * expectation file. The CLI prints its message and exits with code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./usage_error.ts";
 *
 * const error = new UsageError("Cannot run poolcheck as '--runs' must be at least 1: current value is 0");
 * assert.equal(error.code, "USAGE");
 * ```
 */
export class UsageError extends Error {
  /** Always `"USAGE"`. */
  readonly code = "USAGE" as const;

  /**
   * @param message What is wrong, naming the flag and its value.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}
