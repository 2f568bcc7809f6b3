/**
 * `checkPool`: run the property against an adapter, rule by rule, and build
 * the report.
 *
 * @module
 */
import fc from "fast-check";
import { GlobalTimeDriver, type GlobalTimeOwner, realTimers } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import { validateAdapter } from "./adapter.ts";
import { caseArbitrary, DEFAULT_MAX_COMMANDS } from "./case.ts";
import { casesToReplay, type CorpusCase, type CorpusOutcome, replayCorpus } from "./corpus.ts";
import {
  excusing,
  expectationKeyProblem,
  type Expectations,
  expectedEntries,
  type ExpectedEntry,
  type Replayed,
  replayExpectations,
  verdict,
  withoutClauses,
} from "./expectations.ts";
import { checkDeterminism, describeFailure } from "./_failure.ts";
import { firstLine } from "./observations.ts";
import type {
  CorpusNote,
  CorpusReplays,
  Counterexample,
  InconclusiveRuns,
  PoolReport,
  RuleResult,
} from "./result.ts";
import { clauseKey, type Rule, ruleApplies, RuleViolation } from "./rule.ts";
import { RULES } from "./rules/mod.ts";
import { InconclusiveRun } from "./_run_end.ts";
import { type RunCase, runCase } from "./run_case.ts";

export { caseArbitrary } from "./case.ts";
export type { Expectation, Expectations } from "./expectations.ts";
export type { CorpusCase, SavedCase } from "./corpus.ts";

/** Progress of a check, for a progress line. */
export interface CheckProgress {
  /** Adapter being checked. */
  readonly adapter: string;
  /** Runs so far: `randomRuns` and `shrinkRuns` together. */
  readonly runs: number;
  /** Random cases run so far, across all properties. */
  readonly randomRuns: number;
  /** Runs made while shrinking failures so far. */
  readonly shrinkRuns: number;
  /**
   * Which property is running, from 1: a check runs one property over the
   * rules it still judges, and starts another after each failure.
   */
  readonly property: number;
  /** Random cases run so far by this property (it draws at most `runs` of them). */
  readonly propertyRuns: number;
  /** Whether this property found a failure and is shrinking it. */
  readonly shrinking: boolean;
  /** Ids of the rules found failing so far (with `known`: only those no expectation excuses). */
  readonly failed: readonly string[];
  /** Expectation keys (clause or rule ids) of the known deviations found so far. */
  readonly known?: readonly string[];
}

/** Options for {@linkcode checkPool}. */
export interface CheckPoolOptions {
  /** Random runs per property, at most (each rule failure starts a new property over the remaining rules). @default {300} (30 with quick) */
  readonly runs?: number;
  /** Seed of the first property. @default {a random seed, always reported} */
  readonly seed?: number;
  /** Replay this fast-check path (with `seed`). @default {undefined} */
  readonly path?: string;
  /** Rule ids or prefixes (`"LIM"`, `"EXP-2"`) to check. @default {every rule} */
  readonly rules?: readonly string[];
  /** Short sequences and fewer runs, for pre-commit use. @default {false} */
  readonly quick?: boolean;
  /** Longest command sequence. @default {60} (30 with quick) */
  readonly maxCommands?: number;
  /** Rules the adapter is known to break, with the reason. @default {{}} */
  readonly expectations?: Expectations;
  /**
   * Saved cases (a regression corpus) to replay before exploring: each case
   * of this adapter for a selected rule is replayed on its seed and path; one
   * that fails again is reported as a failure (or a known failure) with its
   * counterexample, one that passes is listed as fixed. Replays are counted
   * apart from the runs (`corpus.replays`), their commands among the
   * report's. With a `slice`, only the share with index 0 replays them, so
   * that the shares together replay each case once. @default {[]}
   */
  readonly corpus?: readonly CorpusCase[];
  /** Run one case twice and compare the traces. @default {false} */
  readonly determinism?: boolean;
  /**
   * Stop at the first failure no expectation excuses: it is reported as
   * found, without shrinking (fast-check's `endOnFailure`), and the rules not
   * judged yet are "not verified". For a quick yes or no, such as a
   * mutation-testing judge or a pre-commit hook. @default {false}
   */
  readonly failFast?: boolean;
  /** Real-time budget of one run, ms (while shrinking, at most a tenth of it). @default {10_000} */
  readonly watchdogMs?: number;
  /**
   * Real-time budget of the whole check, ms. A check cut short by it is not
   * ok: the rules it had not found failing are reported not verified.
   * @default {60_000}
   */
  readonly budgetMs?: number;
  /** Called after every run. @default {undefined} */
  readonly onProgress?: (progress: CheckProgress) => void;
  /**
   * Names the check in messages, e.g. when a newer check takes global time
   * over from this one. @default {"<adapter name> (seed <seed>)"}
   */
  readonly label?: string;
  /**
   * The command that checks this adapter, up to and including its adapter
   * flag; a failure's replay line adds seed, path and rule to it.
   * @default {"npx poolcheck --adapter <module exporting the adapter>"}
   */
  readonly replayCommand?: string;
  /**
   * Stops the check when aborted (pass a test's `t.signal`: Node and Deno
   * abort it when the test times out); the rules not yet judged are reported
   * not verified, and faked global time is put back at once.
   * @default {undefined}
   */
  readonly signal?: AbortSignal;
  /**
   * Run only a share of the random runs, so that several checks (CI jobs)
   * together run what one check would: of each property's drawn cases, only
   * those whose position (0, 1, 2, …) is `index` modulo `count` are run, the
   * others pass without running. The checks with `index` 0 to `count - 1`
   * and the same seed run exactly the cases of one check without a slice
   * until one of them finds a failure; a failure's path replays it without
   * a slice. The saved cases of `corpus` are replayed by share 0 alone.
   * @default {undefined (every run)}
   */
  readonly slice?: RunSlice;
}

/** A share of a check's random runs (see {@linkcode CheckPoolOptions.slice}). */
export interface RunSlice {
  /** Which share, from 0. */
  readonly index: number;
  /** How many shares the runs are cut into. */
  readonly count: number;
}

/**
 * The longest a check with these options can take, in ms: its budget, then
 * one watchdog for describing each failure found and for each recorded
 * reproduction replayed, plus slack for set-up. A test that runs a check
 * should give itself at least this as its timeout, so no runner's default
 * per-test timeout cuts the check off.
 *
 * @param options The check's options.
 * @returns Milliseconds.
 *
 * @example The timeout of a test that runs the default check
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTimeoutMs } from "./check_pool.ts";
 *
 * assert.ok(checkTimeoutMs({}) > 60_000);
 * ```
 */
export function checkTimeoutMs(options: CheckPoolOptions): number {
  const { budgetMs = 60_000, watchdogMs = 10_000, expectations = {} } = options;
  const replays = Object.values(expectations).filter((e) => typeof e !== "string").length +
    (options.corpus?.length ?? 0);
  // Describing a failure replays it once with a trace, under a tenth of the watchdog after the first.
  const describing = watchdogMs + Math.ceil(watchdogMs / 10) * RULES.length;
  const determinism = options.determinism === true ? 2 * watchdogMs : 0;
  return budgetMs + describing + replays * watchdogMs + determinism + 30_000;
}

function selectRules(filter: readonly string[] | undefined): Rule[] {
  if (filter === undefined || filter.length === 0) return [...RULES];
  return RULES.filter((rule) =>
    filter.some((f) => rule.id === f || rule.id.startsWith(`${f}-`) || rule.group === f)
  );
}

function validateOptions(options: CheckPoolOptions): void {
  const positive = (name: string, value: number | undefined) => {
    if (value === undefined) return;
    if (typeof value !== "number") {
      throw new TypeError(
        `Cannot check pool as '${name}' must be a number: current value is ${value}`,
      );
    }
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot check pool as '${name}' must be a positive integer: current value is ${value}`,
      );
    }
  };
  positive("runs", options.runs);
  positive("maxCommands", options.maxCommands);
  positive("watchdogMs", options.watchdogMs);
  positive("budgetMs", options.budgetMs);
  for (const key of Object.keys(options.expectations ?? {})) {
    const problem = expectationKeyProblem(key, RULES);
    if (problem !== undefined) {
      throw new TypeError(`Cannot check pool as 'expectations' key '${key}' ${problem}`);
    }
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new TypeError(
      `Cannot check pool as 'seed' must be an integer: current value is ${options.seed}`,
    );
  }
  const { slice } = options;
  if (
    slice !== undefined &&
    !(Number.isSafeInteger(slice.count) && slice.count >= 1 && Number.isSafeInteger(slice.index) &&
      slice.index >= 0 && slice.index < slice.count)
  ) {
    throw new RangeError(
      `Cannot check pool as 'slice' must be { index, count } with 0 <= index < count: current value is ${
        JSON.stringify(slice)
      }`,
    );
  }
}

/**
 * Check a pool against every applicable rule. Each property runs until a
 * rule fails; that rule is recorded with its shrunk counterexample and the
 * property starts again over the remaining rules, so one report lists every
 * rule the pool breaks.
 *
 * @param adapter The pool's adapter.
 * @param options Runs, seed, rule filter, expectations.
 * @returns The report.
 * @throws {TypeError} If the adapter or an option is malformed (before any run).
 * @throws {RangeError} If an option is out of range.
 *
 * @example A malformed adapter is rejected before any run
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPool } from "./check_pool.ts";
 *
 * await assert.rejects(checkPool({ name: "broken" } as never), TypeError);
 * ```
 */
export async function checkPool(
  adapter: Adapter,
  options: CheckPoolOptions = {},
): Promise<PoolReport> {
  validateAdapter(adapter);
  validateOptions(options);
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const label = options.label ?? `${adapter.name} (seed ${seed})`;
  const check = new GlobalCheck(label);
  if (adapter.supports.timeMode === "global") {
    check.begin();
    holdGlobalTime(check);
  }
  const { signal } = options;
  const onAbort = () => check.aborted(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await runCheck(adapter, options, seed, check);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    GlobalTimeDriver.uninstallOwnedBy(check);
    check.end();
  }
}

/**
 * Install faked global time once for the whole check, suspended: each run
 * resumes it and suspends it again at its end (see `Run`), instead of
 * installing and uninstalling fake-timers per run, which costs a few tenths
 * of a millisecond. Between runs real time is back, for the check's own code
 * and its caller's progress callback. When global time cannot be faked here
 * (a driver of someone else's without an owner holds it), each run installs
 * on its own and meets the same refusal.
 *
 * @param check The check, owner of global time.
 */
function holdGlobalTime(check: GlobalCheck): void {
  try {
    GlobalTimeDriver.install({ owner: check }).suspend();
  } catch {
    // Reported by the first run, as when every run installed its own.
  }
}

/** The global-time check running now; a newer one means it was abandoned. */
let globalCheck: GlobalCheck | undefined;

/**
 * A check as the holder of global time. Only one check can drive global time;
 * one that starts while an older one still runs means the older one's caller
 * gave up on it (a test runner's per-test timeout does that, and the
 * abandoned promise goes on running), so the older one stops and the newer
 * one takes over.
 */
class GlobalCheck implements GlobalTimeOwner {
  readonly label: string;
  /** Why the check was stopped from outside (abandoned or aborted), once it was. */
  stoppedBecause: string | undefined;

  constructor(label: string) {
    this.label = label;
  }

  begin(): void {
    globalCheck?.takenOver(this);
    globalCheck = this;
  }

  end(): void {
    if (globalCheck === this) globalCheck = undefined;
  }

  takenOver(by: GlobalTimeOwner): void {
    this.#stop(
      `was abandoned, and ${by.label} took global time over`,
      `was still running when ${by.label} started (its test runner gave up on it, e.g. at a per-test timeout); it has been stopped and global time taken over`,
    );
  }

  /** The caller aborted the check (a runner aborts a test's signal at its timeout). */
  aborted(reason: unknown): void {
    const why = reason instanceof Error ? reason.message : String(reason);
    this.#stop(
      `was aborted by its caller (${why})`,
      `was aborted by its caller (${why}); it has been stopped and real time restored`,
    );
    GlobalTimeDriver.uninstallOwnedBy(this);
  }

  #stop(reason: string, warning: string): void {
    if (this.stoppedBecause !== undefined) return;
    this.stoppedBecause = reason;
    console.warn(`poolcheck: ${this.label} ${warning}`);
  }
}

async function runCheck(
  adapter: Adapter,
  options: CheckPoolOptions,
  seed: number,
  timeOwner: GlobalCheck,
): Promise<PoolReport> {
  const { quick = false, expectations = {}, determinism = false, watchdogMs = 10_000 } = options;
  const { budgetMs = 60_000, failFast = false } = options;
  const FAIL_FAST = "checking stopped at the first failure (fail fast)";
  const { runs = quick ? 30 : 300, maxCommands = quick ? 30 : DEFAULT_MAX_COMMANDS } = options;
  const { replayCommand = `npx poolcheck --adapter <module exporting ${adapter.name}>` } = options;
  const abandoned = () => timeOwner.stoppedBecause !== undefined;
  const started = realTimers.now();
  const selected = selectRules(options.rules);
  let remaining = selected.filter((rule) => ruleApplies(rule, adapter.supports));
  const failures = new Map<string, Counterexample>();
  // Known deviations found, per rule: entry key → counterexample.
  const known = new Map<string, Map<string, Counterexample>>();
  // Whether the rules judge the violation's clause (a known deviation's clause no longer is).
  const judging = (rules: readonly Rule[], violation: RuleViolation) => {
    const rule = rules.find((r) => r.id === violation.ruleId);
    return rule !== undefined && !rule.ignoredClauses?.has(clauseKey(violation.clause));
  };
  const errors: string[] = [];
  const inconclusive = new Inconclusive();
  let endedEarly = 0;
  const arbitrary = caseArbitrary(adapter, maxCommands);
  const replayFlags = maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`;
  let randomRuns = 0;
  let shrinkRuns = 0;
  let shrinkSteps = 0;
  let executedSteps = 0;
  let properties = 0;
  let propertySeed = seed;
  /** Record a failure of `rule` (breaking `violation.clause`): a new one, or a known deviation. */
  const record = (rule: Rule, violation: RuleViolation, counterexample: Counterexample) => {
    const entry = excusing(expectedEntries(expectations, rule), violation.clause);
    const at = remaining.find((r) => r.id === rule.id);
    if (entry === undefined) {
      if (!failures.has(rule.id)) failures.set(rule.id, counterexample);
      remaining = remaining.filter((r) => r.id !== rule.id);
      return;
    }
    const found = known.get(rule.id) ?? new Map<string, Counterexample>();
    if (!found.has(entry.key)) found.set(entry.key, counterexample);
    known.set(rule.id, found);
    if (at === undefined) return;
    remaining = remaining.filter((r) => r.id !== rule.id);
    if (entry.clause !== undefined) {
      // Only that clause is excused: go on judging the rule's others.
      const before = at.ignoredClauses ?? [];
      remaining.push(withoutClauses(rule, new Set([...before, clauseKey(violation.clause)])));
    }
  };
  // The saved cases first: a failure found once is tried again whatever the seed. Of the
  // checks that share the runs, the first replays them, so that together they replay each once.
  const corpusCases = (options.slice?.index ?? 0) === 0
    ? casesToReplay(options.corpus ?? [], adapter.name, selected)
    : [];
  const corpusOutcomes = await replayCorpus(adapter, {
    cases: corpusCases,
    rules: selected,
    expectations,
    watchdogMs,
    replayCommand,
    timeOwner,
    abandoned,
  });
  for (const outcome of corpusOutcomes) {
    executedSteps += outcome.commands;
    if (outcome.kind === "fails" && !failures.has(outcome.rule.id)) {
      record(outcome.rule, outcome.error, outcome.counterexample);
    }
  }
  const budgetAt = realTimers.now() + budgetMs;
  // Shrinking replays many variants of a failing case: a pool that storms
  // timers must not spend the full watchdog on each.
  const shrinkWatchdogMs = Math.max(1, Math.min(watchdogMs, Math.ceil(watchdogMs / 10)));
  let cutShort = false;
  /** Why the rules not yet found failing were not verified, once checking stopped early. */
  let stoppedBy: string | undefined;
  // A run fast-check abandoned at the time limit still ends (its watchdog is within the budget).
  let inFlight: Promise<number> | undefined;
  if (failFast && failures.size > 0) stoppedBy = FAIL_FAST;
  while (remaining.length > 0 && !cutShort && stoppedBy === undefined) {
    const active = remaining;
    properties++;
    // With a slice: the position of the next drawn case, and whether fast-check is shrinking.
    let drawn = 0;
    let shrinking = false;
    let propertyRuns = 0;
    // The fast-check path of the random case being run: its index among the property's cases.
    let caseIndex = -1;
    let first: RuleViolation | undefined;
    const property = fc.asyncProperty(arbitrary, async (value) => {
      if (!shrinking) caseIndex++;
      // Abandoned: stop drawing cases at once (an interrupt, unlike a skip, ends fc.check).
      if (abandoned()) throw new fc.PreconditionFailure(true);
      const left = budgetAt - realTimers.now();
      if (cutShort || left <= 0) {
        // Out of budget: pass quickly, so a shrink ends on the last failure found.
        cutShort = true;
        return;
      }
      const { slice } = options;
      if (slice !== undefined && !shrinking && drawn++ % slice.count !== slice.index) return;
      const limit = Math.min(first === undefined ? watchdogMs : shrinkWatchdogMs, left);
      if (shrinking) {
        shrinkRuns++;
      } else {
        randomRuns++;
        propertyRuns++;
      }
      try {
        const running = runCase(adapter, value, {
          rules: active,
          watchdogMs: limit,
          timeOwner,
          // Shrinking replays variants of one case; only the exploration counts.
          onEndedEarly: () => first === undefined && endedEarly++,
          // Every run's steps, whether it passed, failed or had no verdict.
          inspect: (run) => {
            executedSteps += run.step;
          },
        });
        inFlight = running;
        await running;
      } catch (error) {
        // An abandoned check's run fails because its global time was taken away: no verdict.
        if (abandoned()) return;
        // A violation of a rule no longer checked cannot be reported again
        // (it would only loop); the run has no verdict.
        const stray = error instanceof RuleViolation && !judging(active, error)
          ? new InconclusiveRun(error.step, `${error.ruleId}, not checked, broke: ${error.detail}`)
          : undefined;
        if (error instanceof InconclusiveRun || stray !== undefined) {
          // No verdict: neither a failure to shrink nor a pass to rely on.
          if (first === undefined) {
            // Only the first property's cases replay as they ran: a later one
            // runs without the rules found failing, which a replay would judge
            // again. A replayed path starts elsewhere: its command is known.
            const replay = options.path === undefined && propertySeed === seed
              ? `${replayCommand} --seed ${seed} --path ${caseIndex} --runs 1${replayFlags}${
                (options.rules ?? []).map((rule) => ` --rule ${rule}`).join("")
              }`
              : undefined;
            inconclusive.add(stray ?? error as InconclusiveRun, replay);
          }
          if (realTimers.now() >= budgetAt) cutShort = true;
          return;
        }
        const watchdog = error instanceof RuleViolation && isWatchdog(error);
        if (watchdog && realTimers.now() >= budgetAt) {
          cutShort = true;
          return;
        }
        // A shrink variant that only runs out of time does not reproduce another failure.
        if (watchdog && first !== undefined && !isWatchdog(first)) return;
        if (first === undefined && error instanceof RuleViolation) first = error;
        shrinking = true;
        throw error;
      } finally {
        options.onProgress?.({
          adapter: adapter.name,
          runs: randomRuns + shrinkRuns,
          randomRuns,
          shrinkRuns,
          property: properties,
          propertyRuns,
          shrinking,
          failed: [...failures.keys()],
          known: [...known.values()].flatMap((found) => [...found.keys()]),
        });
      }
    });
    // fast-check measures with the real Date.now it captured on load.
    const interruptAfterTimeLimit = Math.max(1, budgetAt - realTimers.now());
    const parameters = options.path === undefined || propertySeed !== seed
      ? { seed: propertySeed, numRuns: runs, interruptAfterTimeLimit, endOnFailure: failFast }
      : {
        seed: propertySeed,
        numRuns: runs,
        path: options.path,
        interruptAfterTimeLimit,
        endOnFailure: failFast,
      };
    let result: fc.RunDetails<[RunCase]>;
    try {
      result = await fc.check(property, parameters);
    } catch (error) {
      // fast-check throws before any run when a path does not fit the arbitrary.
      errors.push(`cannot replay seed ${propertySeed} path ${options.path}: ${firstLine(error)}`);
      stoppedBy = "checking stopped: the path could not be replayed";
      break;
    }
    if (result.interrupted) cutShort = true;
    // fast-check's count of the candidates that shrank the case (0 when nothing failed).
    shrinkSteps += result.numShrinks;
    await inFlight?.catch(() => undefined);
    if (abandoned()) {
      stoppedBy = `checking stopped: ${timeOwner.label} ${timeOwner.stoppedBecause}`;
      errors.push(stoppedBy);
      break;
    }
    if (!result.failed) break;
    const error = result.errorInstance;
    const value = result.counterexample?.[0];
    if (!(error instanceof RuleViolation) || value === undefined) {
      errors.push(
        `run failed without a rule violation (seed ${result.seed}, path ${result.counterexamplePath}): ${
          String(error)
        }`,
      );
      stoppedBy = "checking stopped at an error that is not a rule violation";
      break;
    }
    const counterexample = await describeFailure(adapter, active, value, error, {
      seed: result.seed,
      path: result.counterexamplePath ?? "",
      watchdogMs: first === undefined ? watchdogMs : shrinkWatchdogMs,
      replayFlags,
      replayCommand,
      timeOwner,
    });
    record(selected.find((r) => r.id === error.ruleId)!, error, counterexample);
    if (failFast && failures.size > 0) stoppedBy = FAIL_FAST;
    propertySeed = (propertySeed * 1103515245 + 12345) & 0x7fffffff;
  }
  if (cutShort && !abandoned()) {
    stoppedBy = `checking stopped at its real-time budget of ${budgetMs} ms`;
    errors.push(
      `checking stopped at its real-time budget of ${budgetMs} ms after ${
        randomRuns + shrinkRuns
      } runs: ${remaining.map((r) => r.id).join(", ") || "no rule"} not verified`,
    );
  }
  const unverified = new Set(stoppedBy === undefined ? [] : remaining.map((r) => r.id));
  const fromCorpus = corpusVerdicts(corpusOutcomes, selected, expectations);
  const replayed = await replayExpectations(adapter, {
    rules: selected.filter((rule) =>
      ruleApplies(rule, adapter.supports) && !failures.has(rule.id) && !unverified.has(rule.id)
    ),
    expectations,
    watchdogMs,
    replayCommand,
    timeOwner,
    abandoned,
    found: (key) =>
      (known.get(key.split(".")[0]!)?.has(key) ?? false) || fromCorpus.replayedAlready(key),
  });
  for (const [key, why] of fromCorpus.passing) if (!replayed.has(key)) replayed.set(key, why);
  const nondeterminism = determinism && stoppedBy === undefined && !abandoned()
    ? await checkDeterminism(adapter, arbitrary, seed, selected, timeOwner)
    : undefined;
  const rules = selected.map((rule): RuleResult =>
    unverified.has(rule.id)
      ? {
        id: rule.id,
        title: rule.title,
        status: "not-verified",
        reason: stoppedBy!,
      }
      : withEntries(
        verdict(rule, adapter, {
          failure: failures.get(rule.id),
          known: known.get(rule.id) ?? new Map(),
          replayed,
        }, expectations),
        expectedEntries(expectations, rule),
        known.get(rule.id) ?? new Map(),
        replayed,
      )
  );
  const ok = errors.length === 0 && nondeterminism === undefined &&
    rules.every((r) => r.status !== "fail" && r.status !== "unexpected-pass");
  return {
    adapter: adapter.name,
    seed,
    runs: randomRuns + shrinkRuns,
    randomRuns,
    shrinkRuns,
    shrinkSteps,
    commands: executedSteps,
    durationMs: realTimers.now() - started,
    rules,
    ...(nondeterminism === undefined ? {} : { nondeterminism }),
    ...(corpusCases.length === 0 ? {} : { corpus: corpusSummary(corpusOutcomes) }),
    ...inconclusive.summary(),
    ...(endedEarly === 0 ? {} : { endedEarly }),
    errors,
    ok,
  };
}

/**
 * A verdict with what its text says about the expectation entries as data:
 * which known deviations the check's runs did not meet (their recorded
 * reproductions confirmed them), and, for an unexpected pass, which entries
 * nothing confirmed and why, as `verdict` words them.
 */
function withEntries(
  result: RuleResult,
  entries: readonly ExpectedEntry[],
  found: ReadonlyMap<string, Counterexample>,
  replayed: ReadonlyMap<string, Replayed>,
): RuleResult {
  const known = result.known?.map((k) => found.has(k.clause) ? k : { ...k, reproduced: true });
  const listed = known === undefined ? {} : { known };
  if (result.status !== "unexpected-pass") return { ...result, ...listed };
  const stale = entries.filter((e) => !found.has(e.key) && typeof replayed.get(e.key) !== "object")
    .map((e) => {
      const why = replayed.get(e.key);
      return {
        key: e.key,
        reason: e.expectation.reason,
        ...(why === undefined ? {} : { replay: why as string }),
      };
    });
  return { ...result, ...listed, stale };
}

/**
 * What the corpus replays tell the verdicts: the expectation entries whose
 * own reproduction a saved case already replayed (same seed, path and
 * `maxCommands`, so it is not replayed twice), and, for entries a saved case
 * stood for and that no longer fail, why.
 */
function corpusVerdicts(
  outcomes: readonly CorpusOutcome[],
  rules: readonly Rule[],
  expectations: Expectations,
): { replayedAlready(key: string): boolean; passing: Map<string, string> } {
  const tried = new Set<string>();
  const passing = new Map<string, string>();
  const sameCase = (a: { seed?: number; path?: string; maxCommands?: number }) =>
    `${a.seed} ${a.path} ${a.maxCommands ?? DEFAULT_MAX_COMMANDS}`;
  for (const outcome of outcomes) {
    if (outcome.kind === "skipped") continue;
    const rule = rules.find((r) => r.id === outcome.saved.rule);
    if (rule === undefined) continue;
    const entry = excusing(expectedEntries(expectations, rule), outcome.saved.clause);
    if (entry === undefined) continue;
    tried.add(`${entry.key} ${sameCase(outcome.saved)}`);
    if (outcome.kind === "passes" && !passing.has(entry.key)) {
      passing.set(
        entry.key,
        `its saved case ${outcome.saved.source} (seed ${outcome.saved.seed} path ${outcome.saved.path}) passes now`,
      );
    }
  }
  return {
    replayedAlready: (key) => {
      const entry = expectations[key];
      return typeof entry !== "string" && entry !== undefined &&
        tried.has(`${key} ${sameCase(entry)}`);
    },
    passing,
  };
}

/** The report's account of the corpus replays. */
function corpusSummary(outcomes: readonly CorpusOutcome[]): CorpusReplays {
  const note = (outcome: CorpusOutcome, text: string): CorpusNote => ({
    source: outcome.saved.source,
    clause: outcome.saved.clause,
    seed: outcome.saved.seed,
    path: outcome.saved.path,
    note: text,
  });
  const failing: CorpusNote[] = [];
  const fixed: CorpusNote[] = [];
  const skipped: CorpusNote[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === "passes") {
      fixed.push(
        note(outcome, `no longer fails${outcome.drift === undefined ? "" : `; ${outcome.drift}`}`),
      );
    }
    if (outcome.kind === "skipped") skipped.push(note(outcome, outcome.why));
    if (outcome.kind === "fails") {
      const drift = outcome.drift === undefined ? "" : `; ${outcome.drift}`;
      failing.push(note(outcome, `fails again: ${outcome.error.clause}${drift}`));
    }
  }
  return {
    replays: outcomes.length,
    failing,
    fixed,
    skipped,
  };
}

/** Runs that ended without a verdict, and the first few distinct reasons. */
class Inconclusive {
  #runs = 0;
  #reasons = new Set<string>();
  #replay: string | undefined;

  /**
   * @param run How the run ended.
   * @param replay A command that replays it, if one is known.
   */
  add(run: InconclusiveRun, replay?: string): void {
    this.#replay ??= replay;
    this.#runs++;
    // Reasons name pending operations and counts; the kind is what a reader needs.
    const reason = run.detail.replace(/ \(pending: .*\)$/, "");
    if (this.#reasons.size < 5) this.#reasons.add(reason);
  }

  summary(): { inconclusive?: InconclusiveRuns } {
    if (this.#runs === 0) return {};
    return {
      inconclusive: {
        runs: this.#runs,
        reasons: [...this.#reasons],
        ...(this.#replay === undefined ? {} : { replay: this.#replay }),
      },
    };
  }
}

function isWatchdog(violation: RuleViolation): boolean {
  return violation.ruleId === "LIV-1" && violation.detail.startsWith("watchdog:");
}
