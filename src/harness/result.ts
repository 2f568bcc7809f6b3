/**
 * The shape of a conformance report.
 *
 * @module
 */
import type { CaseScript } from "./script.ts";
import type { RunSetup } from "./run_view.ts";

/**
 * How a rule fared. `not-verified`: the check stopped at its real-time
 * budget before the rule could be judged (never a pass; the report is not
 * ok).
 */
export type RuleStatus =
  | "pass"
  | "fail"
  | "not-applicable"
  | "not-verified"
  | "expected-fail"
  | "unexpected-pass";

/** A shrunk failure of one rule. */
export interface Counterexample {
  /** Id of the clause that broke, e.g. `"LIM-1.a"` (the rule's clauses are listed in RULES.md). */
  readonly clause: string;
  /** What was expected and what happened. */
  readonly message: string;
  /** Step at which it broke, as numbered in `steps` (beyond the commands: heal, probe, close). */
  readonly step: number;
  /** The run's drawn parameters. */
  readonly setup: RunSetup;
  /** The shrunk commands as script lines. */
  readonly commands: readonly string[];
  /** Numbered steps with resolved values, replayed from the shrunk case. */
  readonly steps: readonly string[];
  /** Ledger events around the failure, one per line. */
  readonly ledger: readonly string[];
  /** fast-check seed that reproduces it. */
  readonly seed: number;
  /** fast-check path of the shrunk case. */
  readonly path: string;
  /** A one-line command that replays it. */
  readonly replay: string;
  /**
   * The shrunk case as data (its setup and commands), which replays without
   * the case generator, so after a kit upgrade that draws differently too;
   * what a corpus file saves. Absent when a drawn value is not plain data.
   */
  readonly script?: CaseScript;
}

/** The verdict on one rule. */
export interface RuleResult {
  /** Rule id. */
  readonly id: string;
  /** Rule title. */
  readonly title: string;
  /** The verdict. */
  readonly status: RuleStatus;
  /** Why the rule is not applicable or not verified, or why a failure is expected. */
  readonly reason?: string;
  /**
   * For `fail`: the failure no expectation excuses; for `expected-fail`: the
   * first known deviation's.
   */
  readonly counterexample?: Counterexample;
  /** The known deviations found (or reproduced), clause by clause, when there are any. */
  readonly known?: readonly KnownDeviation[];
  /**
   * For `unexpected-pass`: the expectation entries that nothing confirmed,
   * each with its key (a clause or rule id), the reason it records, and, when
   * its recorded reproduction was replayed and did not fail, what the replay
   * found. `reason` says the same as text; this is what tools (and `poolcheck
   * merge`) read.
   */
  readonly stale?: readonly {
    /** The entry's key: a clause id (`"LSE-4.a"`) or a rule id. */
    readonly key: string;
    /** The reason the expectation file gives. */
    readonly reason: string;
    /** Why its recorded reproduction, replayed, did not confirm it. */
    readonly replay?: string;
  }[];
}

/** A known deviation a check found, or whose recorded reproduction still fails. */
export interface KnownDeviation {
  /** The expectation's key: a clause id, or a rule id for the whole rule. */
  readonly clause: string;
  /** Why the pool deviates, as its expectation says. */
  readonly reason: string;
  /** The failure that shows it. */
  readonly counterexample: Counterexample;
  /**
   * `true` when the check's own runs did not meet the deviation and it was
   * confirmed by replaying the expectation's recorded reproduction; absent
   * when a run of the check found it (a random run, or a saved case of the
   * corpus).
   */
  readonly reproduced?: boolean;
}

/**
 * Runs that ended without a verdict (the pool never came to rest, stormed
 * timers or connects, or overran the watchdog while LIV-1 was not being
 * checked): counted, neither failed nor passed.
 */
export interface InconclusiveRuns {
  /** How many runs. */
  readonly runs: number;
  /** The first few distinct reasons. */
  readonly reasons: readonly string[];
  /**
   * A command that replays one of them (the first drawn before any rule
   * failed: its seed, fast-check path and a single run), absent when every
   * one came later or the check itself replayed a path.
   */
  readonly replay?: string;
}

/** A saved case of the corpus, as a report mentions it. */
export interface CorpusNote {
  /** Where the case was read from (its file). */
  readonly source: string;
  /** The clause it broke when it was saved. */
  readonly clause: string;
  /** The seed of the run that found it. */
  readonly seed: number;
  /** The fast-check path that replays it with that seed. */
  readonly path: string;
  /** What happened to it: why it was skipped, or what changed. */
  readonly note: string;
}

/**
 * The replays of saved cases (the regression corpus) a check made before
 * exploring. They are counted apart from the random and shrink runs
 * (`PoolReport.runs`); the commands they executed are in
 * `PoolReport.commands`.
 */
export interface CorpusReplays {
  /** Saved cases taken up: replayed, or skipped with the reason (`skipped`). */
  readonly replays: number;
  /** Cases that failed again (reported as failures or known failures), with the clause broken. */
  readonly failing: readonly CorpusNote[];
  /** Cases that no longer fail: the pool (or the kit) changed. */
  readonly fixed: readonly CorpusNote[];
  /** Cases that could not be replayed, with the reason (never an error). */
  readonly skipped: readonly CorpusNote[];
}

/** What `checkPool` returns. */
export interface PoolReport {
  /** Adapter name. */
  readonly adapter: string;
  /** The seed the check started from. */
  readonly seed: number;
  /**
   * Runs of the property, across all properties: `randomRuns` and
   * `shrinkRuns` together. Replays of saved cases (`corpus`) and of
   * recorded reproductions are not counted.
   */
  readonly runs: number;
  /**
   * Random cases drawn and run (each judged, or counted without a verdict
   * or as ended early), the run that found each failure included; cases a
   * `slice` left to other checks are not counted. Given with `shrinkRuns`
   * and `shrinkSteps` whenever the check could tell its runs apart (a check
   * stopped in a stuck worker cannot; nor could kits before JSON format 2).
   */
  readonly randomRuns?: number;
  /** Runs made while shrinking failures: every smaller candidate tried, passing or failing. */
  readonly shrinkRuns?: number;
  /**
   * Shrink steps: the shrink runs whose smaller case still failed and so
   * replaced the counterexample (fast-check's `numShrinks`, summed over the
   * properties that failed).
   */
  readonly shrinkSteps?: number;
  /**
   * Commands executed by the counted runs (random runs, shrink runs and
   * corpus replays), heal and close steps included.
   */
  readonly commands: number;
  /** Real time taken, ms. */
  readonly durationMs: number;
  /** One verdict per selected rule, in catalogue order. */
  readonly rules: readonly RuleResult[];
  /** Replays of saved cases, when the check was given a corpus. */
  readonly corpus?: CorpusReplays;
  /** Runs without a verdict, when there were any. */
  readonly inconclusive?: InconclusiveRuns;
  /**
   * Runs that stopped before their last command, when there were any: the
   * pool accepted a second release of a lease while LSE-4 was not checked
   * (it had already failed, or was not selected). Their steps up to that
   * point were judged; their heal and close phases never ran.
   */
  readonly endedEarly?: number;
  /** Whether a second run of a seed gave a different trace (only with `determinism`). */
  readonly nondeterminism?: string;
  /** Errors that are not rule violations (the adapter or harness crashed), if any. */
  readonly errors: readonly string[];
  /** `true` when no rule failed unexpectedly, nothing passed unexpectedly, and no error occurred. */
  readonly ok: boolean;
}
