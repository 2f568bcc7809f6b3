/**
 * A failure's counterexample (replayed with a trace) and the determinism
 * check (one case run twice).
 *
 * @module
 */
import { type CaseScript, caseToScript, ScriptError } from "./script.ts";
import fc from "fast-check";
import type { GlobalTimeOwner } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import type { Counterexample } from "./result.ts";
import { type Rule, ruleApplies, RuleViolation } from "./rule.ts";
import { type RunCase, runCase } from "./run_case.ts";
import { tidyCase } from "./_tidy.ts";

/** Where a failure was found, for its replay line. */
export interface FailureOrigin {
  readonly seed: number;
  readonly path: string;
  readonly watchdogMs: number;
  /** Flags the replay line needs beyond adapter, seed, path and rule. */
  readonly replayFlags: string;
  /** The command that checks this adapter, up to and including its adapter flag. */
  readonly replayCommand: string;
  /** Who holds global time (the check). */
  readonly timeOwner?: GlobalTimeOwner;
  /** The replay line, when seed and path do not replay the case (a saved script). */
  readonly replay?: string;
}

/**
 * A replayed run's trace as a reader wants it: steps whose command found
 * nothing to act on are left out (what happened while they settled goes with
 * the step before), the others numbered 1, 2, 3 … again, and the step in
 * which the rule broke marked.
 *
 * @param lines The run's trace: `N. …` lines, each followed by its outcome lines.
 * @param noopSteps Steps whose command did nothing.
 * @param failing The step in which the rule broke.
 * @param rule The rule's id, for the mark.
 * @returns The lines, and the failing step's new number.
 */
export function readableSteps(
  lines: readonly string[],
  noopSteps: ReadonlySet<number>,
  failing: number,
  rule: string,
): { steps: string[]; step: number } {
  // A pool that broke a rule when it was created (CFG-1) did so before any command.
  const steps: string[] = failing === 0
    ? [`0. create the pool   ← ${rule} breaks in this step`]
    : [];
  let number = 0;
  let step = failing;
  let keeping = true;
  for (const line of lines) {
    const numbered = /^(\d+)\. (.*)$/.exec(line);
    if (numbered === null) {
      if (keeping || steps.length > 0) steps.push(line);
      continue;
    }
    const original = Number(numbered[1]);
    keeping = !noopSteps.has(original) || original === failing;
    if (!keeping) continue;
    number++;
    const mark = original === failing ? `   ← ${rule} breaks in this step` : "";
    if (original === failing) step = number;
    steps.push(`${number}. ${numbered[2]}${mark}`);
  }
  return { steps, step };
}

/** Replay a failing case with a trace and build its counterexample. */
export async function describeFailure(
  adapter: Adapter,
  rules: readonly Rule[],
  value: RunCase,
  error: RuleViolation,
  origin: FailureOrigin,
): Promise<Counterexample> {
  const { seed, path, watchdogMs, replayFlags, replayCommand } = origin;
  // A case found by seed and path is shortened further (its replay repeats this pass); a saved
  // script is described as it is, so that replaying it shows what the report shows.
  if (origin.replay === undefined) {
    ({ value, error } = await tidyCase(adapter, rules, value, error, {
      watchdogMs,
      ...(origin.timeOwner === undefined ? {} : { timeOwner: origin.timeOwner }),
    }));
  }
  const commands = [...value.commands].map(String);
  let lines: readonly string[] = [];
  let noopSteps: ReadonlySet<number> = new Set();
  let ledger: string[] = [];
  let violation = error;
  try {
    await runCase(adapter, value, {
      rules,
      trace: true,
      watchdogMs,
      ...(origin.timeOwner === undefined ? {} : { timeOwner: origin.timeOwner }),
      inspect: (run) => {
        lines = run.lines;
        noopSteps = run.noopSteps;
        const from = run.stepSeq[Math.max(0, Math.min(violation.step, run.step) - 1)] ?? 0;
        ledger = run.network.ledger.since(Math.max(0, from - 6)).slice(0, 40).map((e) =>
          JSON.stringify(e)
        );
      },
    });
  } catch (replayed) {
    if (replayed instanceof RuleViolation && replayed.ruleId === error.ruleId) violation = replayed;
  }
  const rule = error.ruleId;
  const { steps, step } = readableSteps(lines, noopSteps, violation.step, violation.clause);
  return {
    clause: violation.clause,
    message: violation.detail,
    step,
    setup: value.setup,
    commands,
    steps,
    ledger,
    seed,
    path,
    replay: origin.replay ??
      `${replayCommand} --seed ${seed} --path ${path} --rule ${rule}${replayFlags}`,
    ...scriptOf(value),
  };
}

/** The case as a script, when it can be written as one. */
function scriptOf(value: RunCase): { script?: CaseScript } {
  try {
    return { script: caseToScript(value) };
  } catch (error) {
    if (error instanceof ScriptError) return {};
    throw error;
  }
}

/** Run one case twice; a description of the difference when the traces differ. */
export async function checkDeterminism(
  adapter: Adapter,
  arbitrary: fc.Arbitrary<RunCase>,
  seed: number,
  rules: readonly Rule[],
  timeOwner?: GlobalTimeOwner,
): Promise<string | undefined> {
  const [value] = fc.sample(arbitrary, { seed, numRuns: 1 });
  if (value === undefined) return undefined;
  const traces: string[] = [];
  for (let i = 0; i < 2; i++) {
    const commands = [...value.commands];
    try {
      await runCase(adapter, { setup: value.setup, commands }, {
        rules: rules.filter((r) => ruleApplies(r, adapter.supports)),
        trace: true,
        ...(timeOwner === undefined ? {} : { timeOwner }),
        inspect: (run) => traces.push(`${run.network.ledger.serialize()}\n${run.lines.join("\n")}`),
      });
    } catch {
      // A violation ends the run; its trace up to there is still compared.
    }
  }
  if (traces[0] === traces[1]) return undefined;
  return `seed ${seed}: two runs of the same case gave different traces`;
}
