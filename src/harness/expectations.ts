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
import type { Counterexample, KnownDeviation, RuleResult } from "./result.ts";
import {
  type Breach,
  clauseId,
  clauseKey,
  type Rule,
  ruleApplies,
  type RuleChecker,
  RuleViolation,
} from "./rule.ts";
import { InconclusiveRun } from "./_run_end.ts";
import { type RunCase, runCase } from "./run_case.ts";
import { caseFromScript, type CaseScript, ScriptError } from "./script.ts";

/**
 * A known deviation: why the pool breaks the rule (or one clause of it) and,
 * optionally, a failure that shows it, replayed when a check does not find
 * the failure by itself: the seed and path a failure's replay line prints,
 * or the failure's `script` (a counterexample's commands as data, in a
 * `--json` report), which replays the same commands after an upgrade of the
 * kit changed how cases are drawn from a seed and a path.
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
  /** The reproduction's commands as data; replayed instead of seed and path when present. */
  readonly script?: CaseScript;
}

/**
 * Known deviations of an adapter. A key is a clause id (`"CLS-2.b"`): that
 * clause of the rule is known broken, and a failure of any other clause of
 * the rule is still a new failure. A key may also be a whole rule id
 * (`"CLS-2"`), which excuses every clause of the rule.
 */
export type Expectations = Readonly<Record<string, string | Expectation>>;

/** One entry of {@linkcode Expectations} that applies to a rule. */
export interface ExpectedEntry {
  /** The entry's key: a clause id, or the rule id for the whole rule. */
  readonly key: string;
  /** The clause's id, or `undefined` when the entry names the whole rule. */
  readonly clause: string | undefined;
  /** The entry. */
  readonly expectation: Expectation;
}

/**
 * What is wrong with an expectation key, or `undefined` when it names a rule
 * of the catalogue or one of its clauses.
 *
 * @param key The key.
 * @param rules The catalogue.
 * @returns The problem, in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectationKeyProblem } from "./expectations.ts";
 * import { RULES } from "./rules/mod.ts";
 *
 * assert.equal(expectationKeyProblem("CLS-2.b", RULES), undefined);
 * assert.match(expectationKeyProblem("CLS-2.z", RULES)!, /CLS-2 has clauses a, b/);
 * ```
 */
export function expectationKeyProblem(key: string, rules: readonly Rule[]): string | undefined {
  const [id, clause, ...rest] = key.split(".");
  const rule = rules.find((r) => r.id === id);
  if (rule === undefined || rest.length > 0) {
    return `names no rule or clause (keys look like LIM-1 or LIM-1.a; groups: ${
      [...new Set(rules.map((r) => r.group))].join(", ")
    })`;
  }
  if (clause !== undefined && !Object.hasOwn(rule.clauses, clause)) {
    return `names no clause of ${rule.id}: ${rule.id} has clauses ${
      Object.keys(rule.clauses).join(", ")
    }`;
  }
  return undefined;
}

/**
 * The entries of `expectations` that apply to a rule: its rule-level entry
 * and its clauses' entries.
 *
 * @param expectations The adapter's known deviations.
 * @param rule The rule.
 * @returns The entries, rule-level first.
 */
export function expectedEntries(expectations: Expectations, rule: Rule): ExpectedEntry[] {
  const entries: ExpectedEntry[] = [];
  const whole = expectationOf(expectations[rule.id]);
  if (whole !== undefined) entries.push({ key: rule.id, clause: undefined, expectation: whole });
  for (const key of Object.keys(rule.clauses)) {
    const id = clauseId(rule.id, key);
    const expectation = expectationOf(expectations[id]);
    if (expectation !== undefined) entries.push({ key: id, clause: id, expectation });
  }
  return entries;
}

/** Whether an entry covers a clause id. */
function covers(entry: ExpectedEntry, clause: string): boolean {
  return entry.clause === undefined || entry.clause === clause;
}

/**
 * The entry that excuses a failure of `clause`, if any.
 *
 * @param entries The rule's entries.
 * @param clause The failing clause's id.
 * @returns The entry, or `undefined` when the failure is new.
 */
export function excusing(
  entries: readonly ExpectedEntry[],
  clause: string,
): ExpectedEntry | undefined {
  return entries.find((e) => e.clause === clause) ?? entries.find((e) => covers(e, clause));
}

/**
 * The rule with some of its clauses no longer judged: their breaches are
 * ignored, so the check goes on to look for the rule's other clauses.
 *
 * @param rule The rule.
 * @param clauses Keys of the clauses to ignore.
 * @returns A rule with the same id that ignores them.
 */
export function withoutClauses(rule: Rule, clauses: ReadonlySet<string>): Rule {
  return {
    ...rule,
    ignoredClauses: clauses,
    start(run) {
      const checker = rule.start(run);
      const keep = (breach: Breach | undefined) =>
        breach === undefined || clauses.has(breach.clause) ? undefined : breach;
      const judged: RuleChecker = {};
      if (checker.step !== undefined) judged.step = (c) => keep(checker.step!.call(checker, c));
      if (checker.healed !== undefined) {
        judged.healed = (c) => keep(checker.healed!.call(checker, c));
      }
      if (checker.closed !== undefined) {
        judged.closed = (c) => keep(checker.closed!.call(checker, c));
      }
      return judged;
    },
  };
}

function notApplicableReason(rule: Rule, adapter: Adapter): string {
  const missing = rule.needs.filter((c) => !adapter.supports.capabilities.includes(c));
  if (missing.length > 0) return `needs capability ${missing.map((c) => `'${c}'`).join(", ")}`;
  return `applies only when ${rule.when?.text ?? "declared"}`;
}

function expectationOf(entry: string | Expectation | undefined): Expectation | undefined {
  return typeof entry === "string" ? { reason: entry } : entry;
}

/** What a check found of one rule. */
export interface Found {
  /** A failure no entry excuses (the first found). */
  readonly failure: Counterexample | undefined;
  /** Failures an entry excuses, by entry key. */
  readonly known: ReadonlyMap<string, Counterexample>;
  /** Replayed reproductions of entries not found by the check, by entry key. */
  readonly replayed: ReadonlyMap<string, Replayed>;
}

/** The verdict of one rule. */
export function verdict(
  rule: Rule,
  adapter: Adapter,
  found: Found,
  expectations: Expectations,
): RuleResult {
  const base = { id: rule.id, title: rule.title };
  const entries = expectedEntries(expectations, rule);
  if (!ruleApplies(rule, adapter.supports)) {
    return { ...base, status: "not-applicable", reason: notApplicableReason(rule, adapter) };
  }
  const known: KnownDeviation[] = [];
  const stale: string[] = [];
  for (const entry of entries) {
    const counterexample = found.known.get(entry.key);
    const { reason } = entry.expectation;
    if (counterexample !== undefined) {
      known.push({ clause: entry.key, reason, counterexample });
      continue;
    }
    const replayed = found.replayed.get(entry.key);
    if (replayed !== undefined && typeof replayed !== "string") {
      known.push({
        clause: entry.key,
        reason: `${reason} (not found by this check; its recorded reproduction still fails)`,
        counterexample: replayed,
      });
      continue;
    }
    stale.push(`${entry.key}: ${reason}${replayed === undefined ? "" : ` (${replayed})`}`);
  }
  const listed = known.length === 0 ? {} : { known };
  if (found.failure !== undefined) {
    const also = known.length === 0
      ? ""
      : ` (known deviations of this rule: ${known.map((k) => k.clause).join(", ")})`;
    return {
      ...base,
      status: "fail",
      ...(also === "" ? {} : { reason: `${found.failure.clause} is not a known deviation${also}` }),
      counterexample: found.failure,
      ...listed,
    };
  }
  if (stale.length > 0) {
    return { ...base, status: "unexpected-pass", reason: stale.join("; "), ...listed };
  }
  if (known.length === 0) return { ...base, status: "pass" };
  return {
    ...base,
    status: "expected-fail",
    reason: known.map((k) => `${k.clause}: ${k.reason}`).join("; "),
    counterexample: known[0]!.counterexample,
    ...listed,
  };
}

/** A replayed reproduction: its counterexample, or why it did not reproduce. */
export type Replayed = Counterexample | string;

/** What {@linkcode replayExpectations} replays. */
export interface ReplayOptions {
  /** Rules that may carry an expectation entry with a reproduction. */
  readonly rules: readonly Rule[];
  readonly expectations: Expectations;
  readonly watchdogMs: number;
  /** The command that checks this adapter, for replay lines. */
  readonly replayCommand: string;
  /** Who holds global time (the check). */
  readonly timeOwner?: GlobalTimeOwner;
  /** Whether the check was abandoned (then nothing more is replayed). */
  readonly abandoned?: () => boolean;
  /** Whether the check found the entry with this key failing (then it is not replayed). */
  readonly found?: (key: string) => boolean;
}

/**
 * Replay the recorded reproduction of every expectation entry the check did
 * not find failing: a rare deviation missed by one seed is still a deviation.
 * A reproduction of a clause must break that clause.
 */
export async function replayExpectations(
  adapter: Adapter,
  options: ReplayOptions,
): Promise<Map<string, Replayed>> {
  const replayed = new Map<string, Replayed>();
  for (const rule of options.rules) {
    for (const entry of expectedEntries(options.expectations, rule)) {
      const { seed, path, script } = entry.expectation;
      const reproduced = script !== undefined || (seed !== undefined && path !== undefined);
      if (!reproduced || options.found?.(entry.key)) continue;
      if (options.abandoned?.()) return replayed;
      replayed.set(entry.key, await replayExpectation(adapter, rule, entry, options));
    }
  }
  return replayed;
}

async function replayExpectation(
  adapter: Adapter,
  rule: Rule,
  entry: ExpectedEntry,
  options: ReplayOptions,
): Promise<Replayed> {
  const { seed = 0, path = "", maxCommands = DEFAULT_MAX_COMMANDS, script } = entry.expectation;
  const { watchdogMs, replayCommand, timeOwner } = options;
  const owned = timeOwner === undefined ? {} : { timeOwner };
  const where = script === undefined ? `seed ${seed} path ${path}` : "script";
  // The rule's other listed clauses are excused, as in the check that found this one.
  const others = new Set(
    expectedEntries(options.expectations, rule)
      .filter((e) => e.clause !== undefined && e.key !== entry.key)
      .map((e) => clauseKey(e.clause!)),
  );
  const judged = entry.clause === undefined || others.size === 0
    ? rule
    : withoutClauses(rule, others);
  const play = async (value: RunCase) => {
    try {
      await runCase(adapter, value, { rules: [judged], watchdogMs, ...owned });
    } catch (error) {
      if (!(error instanceof InconclusiveRun)) throw error;
    }
  };
  let error: unknown;
  let value: RunCase | undefined;
  if (script !== undefined) {
    try {
      value = caseFromScript(script);
    } catch (problem) {
      if (!(problem instanceof ScriptError)) throw problem;
      return `its recorded reproduction (${where}) cannot be replayed: ${problem.message}`;
    }
    try {
      await play(value);
    } catch (thrown) {
      error = thrown;
    }
  } else {
    const property = fc.asyncProperty(caseArbitrary(adapter, maxCommands), play);
    let result: fc.RunDetails<[RunCase]>;
    try {
      result = await fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
    } catch (problem) {
      return `its recorded reproduction (${where}) cannot be replayed: ${firstLine(problem)}`;
    }
    error = result.failed ? result.errorInstance : undefined;
    value = result.counterexample?.[0];
  }
  if (!(error instanceof RuleViolation) || value === undefined) {
    return `its recorded reproduction (${where}) passes now${
      script === undefined ? STALE_PATH_HINT : ""
    }`;
  }
  if (error.ruleId !== rule.id) return `its recorded reproduction (${where}) fails ${error.ruleId}`;
  if (!covers(entry, error.clause)) {
    return `its recorded reproduction (${where}) fails ${error.clause}, not ${entry.key}`;
  }
  return await describeFailure(adapter, [judged], value, error, {
    seed,
    path,
    watchdogMs,
    replayFlags: maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`,
    replayCommand,
    // A script is replayed by a check with the expectation file, whatever its seed.
    ...(script === undefined ? {} : { replay: `${replayCommand} --rule ${rule.id}` }),
    ...owned,
  });
}

/** Why a seed and path may stop reproducing a failure the pool still has. */
const STALE_PATH_HINT =
  "; after an upgrade of the kit or a change to the adapter's declaration, a seed and path draw another case: record a fresh failure, or give the entry the failure's script";
