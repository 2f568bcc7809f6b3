/**
 * Expectation files' entries, and the verdict of a rule given what a check
 * found and what the adapter is known to break.
 *
 * @module
 */
import fc from "fast-check";
import type { GlobalTimeOwner } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import { caseArbitrary, DEFAULT_MAX_COMMANDS } from "./case.ts";
import { describeFailure } from "./_failure.ts";
import { firstLine } from "./observations.ts";
import type { Counterexample, RuleResult } from "./result.ts";
import { type Rule, ruleApplies, RuleViolation } from "./rule.ts";
import { InconclusiveRun } from "./_run_end.ts";
import { type RunCase, runCase } from "./run_case.ts";

/**
 * A known deviation: why the pool breaks the rule and, optionally, the seed
 * and path of a failure that shows it (as printed by a failure's replay
 * line), replayed when a check does not find the failure by itself.
 */
export interface Expectation {
  /** Why the pool breaks the rule. */
  readonly reason: string;
  /** Seed of the reproduction. */
  readonly seed?: number;
  /** fast-check path of the reproduction. */
  readonly path?: string;
  /** `maxCommands` the reproduction was found with. @default {60} */
  readonly maxCommands?: number;
}

/** Known deviations of an adapter: rule id → reason, or reason with a reproduction. */
export type Expectations = Readonly<Record<string, string | Expectation>>;

function notApplicableReason(rule: Rule, adapter: Adapter): string {
  const missing = rule.needs.filter((c) => !adapter.supports.capabilities.includes(c));
  if (missing.length > 0) return `needs capability ${missing.map((c) => `'${c}'`).join(", ")}`;
  return `applies only when ${rule.when?.text ?? "declared"}`;
}

function expectationOf(entry: string | Expectation | undefined): Expectation | undefined {
  return typeof entry === "string" ? { reason: entry } : entry;
}

/** The verdict of one rule. */
export function verdict(
  rule: Rule,
  adapter: Adapter,
  failure: Counterexample | undefined,
  expectations: Expectations,
  replayed: Replayed | undefined,
): RuleResult {
  const base = { id: rule.id, title: rule.title };
  const expected = expectationOf(expectations[rule.id]);
  if (!ruleApplies(rule, adapter.supports)) {
    return { ...base, status: "not-applicable", reason: notApplicableReason(rule, adapter) };
  }
  if (failure !== undefined) {
    return expected === undefined
      ? { ...base, status: "fail", counterexample: failure }
      : { ...base, status: "expected-fail", reason: expected.reason, counterexample: failure };
  }
  if (expected === undefined) return { ...base, status: "pass" };
  if (replayed !== undefined && typeof replayed !== "string") {
    return {
      ...base,
      status: "expected-fail",
      reason: `${expected.reason} (not found by this check; its recorded reproduction still fails)`,
      counterexample: replayed,
    };
  }
  const note = replayed === undefined ? "" : ` (${replayed})`;
  return { ...base, status: "unexpected-pass", reason: `${expected.reason}${note}` };
}

/** A replayed reproduction: its counterexample, or why it did not reproduce. */
export type Replayed = Counterexample | string;

/** What {@linkcode replayExpectations} replays. */
export interface ReplayOptions {
  /** Rules that passed and may carry an expectation with a reproduction. */
  readonly rules: readonly Rule[];
  readonly expectations: Expectations;
  readonly watchdogMs: number;
  /** The command that checks this adapter, for replay lines. */
  readonly replayCommand: string;
  /** Who holds global time (the check). */
  readonly timeOwner?: GlobalTimeOwner;
  /** Whether the check was abandoned (then nothing more is replayed). */
  readonly abandoned?: () => boolean;
}

/**
 * Replay the recorded reproduction of every expected rule the check did not
 * find failing: a rare deviation missed by one seed is still a deviation.
 */
export async function replayExpectations(
  adapter: Adapter,
  options: ReplayOptions,
): Promise<Map<string, Replayed>> {
  const replayed = new Map<string, Replayed>();
  for (const rule of options.rules) {
    const expected = expectationOf(options.expectations[rule.id]);
    if (expected?.seed === undefined || expected.path === undefined) continue;
    if (options.abandoned?.()) break;
    replayed.set(rule.id, await replayExpectation(adapter, rule, expected, options));
  }
  return replayed;
}

async function replayExpectation(
  adapter: Adapter,
  rule: Rule,
  expected: Expectation,
  options: ReplayOptions,
): Promise<Replayed> {
  const { seed = 0, path = "", maxCommands = DEFAULT_MAX_COMMANDS } = expected;
  const { watchdogMs, replayCommand, timeOwner } = options;
  const owned = timeOwner === undefined ? {} : { timeOwner };
  const where = `seed ${seed} path ${path}`;
  const property = fc.asyncProperty(caseArbitrary(adapter, maxCommands), async (value) => {
    try {
      await runCase(adapter, value, { rules: [rule], watchdogMs, ...owned });
    } catch (error) {
      if (!(error instanceof InconclusiveRun)) throw error;
    }
  });
  let result: fc.RunDetails<[RunCase]>;
  try {
    result = await fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  } catch (error) {
    return `its recorded reproduction (${where}) cannot be replayed: ${firstLine(error)}`;
  }
  const error = result.errorInstance;
  const value = result.counterexample?.[0];
  if (!result.failed || !(error instanceof RuleViolation) || value === undefined) {
    return `its recorded reproduction (${where}) passes now`;
  }
  if (error.ruleId !== rule.id) return `its recorded reproduction (${where}) fails ${error.ruleId}`;
  return await describeFailure(adapter, [rule], value, error, {
    seed,
    path,
    watchdogMs,
    replayFlags: maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`,
    replayCommand,
    ...owned,
  });
}
