/**
 * A regression corpus: shrunk failures saved as data, and replayed by a
 * check before it explores, so a failure once found is tried again on every
 * later run whatever the seed. This module holds the saved case's shape and
 * its replay; reading and writing corpus folders is the CLI's
 * (`src/cli/corpus.ts`).
 *
 * @module
 */
import fc from "fast-check";
import type { GlobalTimeOwner } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import { caseArbitrary, DEFAULT_MAX_COMMANDS } from "./case.ts";
import { describeFailure } from "./_failure.ts";
import { type Expectations, expectedEntries, withoutClauses } from "./expectations.ts";
import { firstLine } from "./observations.ts";
import type { Counterexample } from "./result.ts";
import { clauseKey, type Rule, ruleApplies, RuleViolation } from "./rule.ts";
import { RULES } from "./rules/mod.ts";
import { InconclusiveRun } from "./_run_end.ts";
import { type RunCase, runCase } from "./run_case.ts";
import type { RunSetup } from "./run_view.ts";
import { caseFromScript, type CaseScript, ScriptError } from "./script.ts";

/** The format of corpus files this kit writes and reads (a `script` is optional in it). */
export const CORPUS_FORMAT = 1;

/**
 * One shrunk failure as a corpus file holds it: enough to replay it (its
 * script, or else seed, path and `maxCommands`, which pick the case from the
 * generator), and enough for a reader to see what it was (the clause, the
 * message, the setup and the steps).
 */
export interface SavedCase {
  /** Format of the file: {@linkcode CORPUS_FORMAT}. */
  readonly format: number;
  /** Version of the kit that saved it. */
  readonly kit: string;
  /** Name of the adapter it failed. */
  readonly adapter: string;
  /** Id of the rule it broke, e.g. `"LIM-1"`. */
  readonly rule: string;
  /** Id of the clause it broke, e.g. `"LIM-1.a"`. */
  readonly clause: string;
  /** fast-check seed. */
  readonly seed: number;
  /** fast-check path of the shrunk case. */
  readonly path: string;
  /** Longest command sequence the case was drawn with. */
  readonly maxCommands: number;
  /** What broke, as the failure said it. */
  readonly message: string;
  /** The run's drawn parameters, as they were when the case was saved. */
  readonly setup: RunSetup;
  /** The numbered steps of the failure, as its report showed them. */
  readonly steps: readonly string[];
  /** Runtimes the case applies on (a deviation only some runtimes show). @default {every runtime} */
  readonly runtimes?: readonly string[];
  /**
   * The case as data: replayed instead of seed and path when present, so the
   * case means the same after the kit changed how it draws cases.
   */
  readonly script?: CaseScript;
}

/** A saved case handed to a check, with where it came from (a file, for messages). */
export interface CorpusCase extends SavedCase {
  /** Where the case was read from, e.g. `corpus/my-pool/LIM-1.a-3f2c9a1e.json`. */
  readonly source: string;
}

/**
 * How one saved case fared when it was replayed, and how many commands its
 * replay executed (heal and close steps included; 0 when it was skipped
 * before running).
 */
export type CorpusOutcome =
  | {
    readonly kind: "fails";
    readonly saved: CorpusCase;
    readonly commands: number;
    readonly rule: Rule;
    readonly error: RuleViolation;
    readonly counterexample: Counterexample;
    /** Set when the path now draws another setup than the one saved. */
    readonly drift?: string;
  }
  | {
    readonly kind: "passes";
    readonly saved: CorpusCase;
    readonly commands: number;
    readonly drift?: string;
  }
  | {
    readonly kind: "skipped";
    readonly saved: CorpusCase;
    readonly commands: number;
    readonly why: string;
  };

/** What {@linkcode replayCorpus} needs. */
export interface CorpusReplayOptions {
  /** The saved cases (those of other adapters are ignored). */
  readonly cases: readonly CorpusCase[];
  /** The rules the check selected. */
  readonly rules: readonly Rule[];
  readonly expectations: Expectations;
  readonly watchdogMs: number;
  /**
   * The command that checks this adapter with this corpus, for replay lines
   * (a saved script is replayed by such a check before it explores).
   */
  readonly replayCommand: string;
  readonly timeOwner?: GlobalTimeOwner;
  /** Whether the check was abandoned (then nothing more is replayed). */
  readonly abandoned?: () => boolean;
}

/**
 * The saved cases a check with these rules replays: the adapter's, for a
 * selected rule.
 *
 * @param cases Saved cases.
 * @param adapter Adapter name.
 * @param rules Selected rules.
 * @returns The cases to replay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { casesToReplay, type CorpusCase } from "./corpus.ts";
 * import { RULES } from "./rules/mod.ts";
 *
 * const saved = { adapter: "my-pool", rule: "LIM-1" } as CorpusCase;
 * assert.equal(casesToReplay([saved], "my-pool", RULES).length, 1);
 * assert.equal(casesToReplay([saved], "other", RULES).length, 0);
 * ```
 */
export function casesToReplay(
  cases: readonly CorpusCase[],
  adapter: string,
  rules: readonly Rule[],
): CorpusCase[] {
  const ids = new Set(rules.map((rule) => rule.id));
  // A rule this kit does not have is still replayed, to be reported as skipped.
  const known = new Set(RULES.map((rule) => rule.id));
  return cases.filter((c) => c.adapter === adapter && (ids.has(c.rule) || !known.has(c.rule)));
}

/**
 * Replay every saved case of the adapter for the selected rules, each on
 * its own rule, with the rule's other listed clauses excused (as in the
 * check that would find it). A case is skipped, with the reason, when its
 * rule is unknown or no longer applies, or its path no longer fits the
 * case generator; it is never an error.
 *
 * @param adapter The adapter.
 * @param options Cases, rules, expectations.
 * @returns One outcome per replayed case, in order.
 */
export async function replayCorpus(
  adapter: Adapter,
  options: CorpusReplayOptions,
): Promise<CorpusOutcome[]> {
  const outcomes: CorpusOutcome[] = [];
  for (const saved of casesToReplay(options.cases, adapter.name, options.rules)) {
    if (options.abandoned?.()) break;
    outcomes.push(await replaySaved(adapter, saved, options));
  }
  return outcomes;
}

async function replaySaved(
  adapter: Adapter,
  saved: CorpusCase,
  options: CorpusReplayOptions,
): Promise<CorpusOutcome> {
  const rule = options.rules.find((r) => r.id === saved.rule);
  const older = saved.kit === "" ? "" : ` (saved by kit ${saved.kit})`;
  let commands = 0;
  const skipped = (why: string): CorpusOutcome => ({ kind: "skipped", saved, commands, why });
  if (rule === undefined) return skipped(`this kit has no rule ${saved.rule}${older}`);
  if (!ruleApplies(rule, adapter.supports)) {
    return skipped(`${rule.id} does not apply to the adapter any more`);
  }
  const entries = expectedEntries(options.expectations, rule);
  const others = new Set(
    entries.filter((e) => e.clause !== undefined && e.key !== saved.clause)
      .map((e) => clauseKey(e.clause!)),
  );
  const judged = others.size === 0 ? rule : withoutClauses(rule, others);
  const { seed, path, maxCommands = DEFAULT_MAX_COMMANDS } = saved;
  const owned = options.timeOwner === undefined ? {} : { timeOwner: options.timeOwner };
  const play = (value: RunCase) =>
    runCase(adapter, value, {
      rules: [judged],
      watchdogMs: options.watchdogMs,
      inspect: (run) => {
        commands += run.step;
      },
      ...owned,
    });
  if (saved.script !== undefined) {
    let value: RunCase;
    try {
      value = caseFromScript(saved.script);
    } catch (error) {
      if (!(error instanceof ScriptError)) throw error;
      return skipped(`its script cannot be read${older}: ${error.message}`);
    }
    try {
      await play(value);
    } catch (error) {
      if (error instanceof InconclusiveRun) {
        return skipped(`its replay had no verdict: ${error.detail}`);
      }
      if (!(error instanceof RuleViolation)) {
        return skipped(`its replay ended in an error: ${firstLine(error)}`);
      }
      const flags = maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`;
      const counterexample = await describeFailure(adapter, [judged], value, error, {
        seed,
        path,
        watchdogMs: options.watchdogMs,
        replayFlags: flags,
        replayCommand: options.replayCommand,
        // Seed and path draw this case only from the generator that saved it: the check replays
        // its corpus, and so the script, first.
        replay: `${options.replayCommand} --rule ${rule.id}${flags}`,
        ...owned,
      });
      return { kind: "fails", saved, commands, rule, error, counterexample };
    }
    return { kind: "passes", saved, commands };
  }
  let drawn: RunCase | undefined;
  let inconclusive: string | undefined;
  const property = fc.asyncProperty(caseArbitrary(adapter, maxCommands), async (value) => {
    drawn ??= value;
    try {
      await play(value);
    } catch (error) {
      if (!(error instanceof InconclusiveRun)) throw error;
      inconclusive = error.detail;
    }
  });
  let result: fc.RunDetails<[RunCase]>;
  try {
    result = await fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  } catch (error) {
    return skipped(`its path no longer fits the case generator${older}: ${firstLine(error)}`);
  }
  const drift = drawn !== undefined && JSON.stringify(drawn.setup) !== JSON.stringify(saved.setup)
    ? {
      drift: `the case generator changed since${
        older === "" ? " it was saved" : ` kit ${saved.kit} saved it`
      }: its path now draws another setup`,
    }
    : {};
  const error = result.errorInstance;
  const value = result.counterexample?.[0];
  if (result.failed && error instanceof RuleViolation && value !== undefined) {
    const counterexample = await describeFailure(adapter, [judged], value, error, {
      seed,
      path,
      watchdogMs: options.watchdogMs,
      replayFlags: maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`,
      replayCommand: options.replayCommand,
      ...owned,
    });
    return { kind: "fails", saved, commands, rule, error, counterexample, ...drift };
  }
  if (result.failed) return skipped(`its replay ended in an error: ${firstLine(error)}`);
  if (inconclusive !== undefined) return skipped(`its replay had no verdict: ${inconclusive}`);
  return { kind: "passes", saved, commands, ...drift };
}
