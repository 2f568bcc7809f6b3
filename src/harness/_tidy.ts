/**
 * A last shrinking pass over a counterexample, after fast-check's.
 *
 * fast-check shrinks a command sequence by taking commands out, one at a
 * time, and by shrinking each command's own values. A time step that aims
 * at a deadline ("just before the third deadline armed") or moves by a
 * span measures from where the steps before it left time: take out an
 * earlier command that moved time, and the later step lands elsewhere, so
 * the failure goes and fast-check keeps the command. This pass tries what
 * fast-check cannot: take a command out and, in the same candidate, pin the
 * first time step after it to the instant it reached before, with an
 * {@linkcode AdvanceUntilCommand}. A candidate is kept when it breaks the
 * same clause of the same rule. It is deterministic, so a replay of the
 * seed and path finds the same result.
 *
 * @module
 */
import type fc from "fast-check";
import type { GlobalTimeOwner } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import { AdvanceCommand } from "./commands/advance.ts";
import { AdvanceToDeadlineCommand } from "./commands/advance_to_deadline.ts";
import { AdvanceUntilCommand } from "./commands/advance_until.ts";
import type { RunCommand } from "./commands/mod.ts";
import { type Rule, RuleViolation } from "./rule.ts";
import type { Run } from "./run.ts";
import { type RunCase, runCase } from "./run_case.ts";

/** Options of {@linkcode tidyCase}. */
export interface TidyOptions {
  /** Real-time budget of one run, ms. */
  readonly watchdogMs: number;
  /** Who holds global time (the check). */
  readonly timeOwner?: GlobalTimeOwner;
}

/** A command that only lets time pass, whose destination can be pinned. */
function movesTimeOnly(command: RunCommand): boolean {
  return command instanceof AdvanceCommand || command instanceof AdvanceToDeadlineCommand ||
    command instanceof AdvanceUntilCommand;
}

/** A command wrapped to note the virtual time when its step ends, failing or not. */
class Timed implements fc.AsyncCommand<Run, Run> {
  readonly #inner: RunCommand;
  readonly #ends: number[];
  readonly #at: number;

  constructor(inner: RunCommand, ends: number[], at: number) {
    this.#inner = inner;
    this.#ends = ends;
    this.#at = at;
  }

  check(model: Readonly<Run>): boolean {
    return this.#inner.check(model);
  }

  async run(model: Run, real: Run): Promise<void> {
    try {
      await this.#inner.run(model, real);
    } finally {
      this.#ends[this.#at] = real.now();
    }
  }

  toString(): string {
    return String(this.#inner);
  }
}

/**
 * Shorten a failing case where taking a command out needs a later time step
 * pinned to keep the failure.
 *
 * @param adapter The adapter.
 * @param rules The rules the case was judged with.
 * @param value The case, as fast-check shrank it.
 * @param error The violation it leads to.
 * @param options Budgets.
 * @returns The shortest case found and its violation (the input when none
 * is shorter).
 */
export async function tidyCase(
  adapter: Adapter,
  rules: readonly Rule[],
  value: RunCase,
  error: RuleViolation,
  options: TidyOptions,
): Promise<{ value: RunCase; error: RuleViolation }> {
  let commands = [...value.commands];
  let found = error;
  const attempt = async (
    candidate: readonly RunCommand[],
    ends?: number[],
  ): Promise<RuleViolation | undefined> => {
    try {
      await runCase(adapter, {
        setup: value.setup,
        commands: ends === undefined
          ? candidate
          : candidate.map((command, i) => new Timed(command, ends, i)),
      }, {
        rules,
        watchdogMs: options.watchdogMs,
        ...(options.timeOwner === undefined ? {} : { timeOwner: options.timeOwner }),
      });
    } catch (thrown) {
      if (
        thrown instanceof RuleViolation && thrown.ruleId === error.ruleId &&
        thrown.clause === error.clause
      ) return thrown;
    }
    return undefined;
  };
  // Where each step left time, in a run of the current case.
  let ends: number[] | undefined;
  for (let i = commands.length - 1; i >= 0; i--) {
    const without = commands.filter((_, k) => k !== i);
    // The first time step after the one taken out, pinned to where it went.
    const next = without.findIndex((command, k) => k >= i && movesTimeOnly(command));
    if (next === -1) continue;
    if (ends === undefined) {
      ends = [];
      if (await attempt(commands, ends) === undefined) break; // It no longer fails: leave it.
    }
    const at = ends[next + 1];
    if (at === undefined) continue;
    const pinned = without.map((command, k) => k === next ? new AdvanceUntilCommand(at) : command);
    const violation = await attempt(pinned);
    if (violation === undefined) continue;
    commands = pinned;
    found = violation;
    ends = undefined;
  }
  return commands.length === [...value.commands].length
    ? { value, error }
    : { value: { setup: value.setup, commands }, error: found };
}
