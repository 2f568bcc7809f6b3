/**
 * The report's vocabulary, defined once: the name of every status a report
 * can show, what it means, and the legend every human-facing report carries.
 * The text, JSON, JUnit, Markdown and HTML renderers all take their words
 * from here; JSON keeps the machine values of `RuleStatus` as they are.
 *
 * @module
 */
import { count } from "../harness/counterexample_text.ts";
import type {
  Counterexample,
  KnownDeviation,
  PoolReport,
  RuleResult,
  RuleStatus,
} from "../harness/result.ts";

/**
 * What a report counts of runs rather than rules: runs that ended without a
 * verdict (`PoolReport.inconclusive`) and runs that ended early
 * (`PoolReport.endedEarly`).
 */
export type RunStatus = "inconclusive" | "ended-early";

/** Every status a report can show: a rule's verdict or a kind of run. */
export type ReportStatus = RuleStatus | RunStatus;

/**
 * The one human name of each status. Every renderer shows these words (the
 * text report writes in capitals the ones that make a report fail; the
 * Markdown and HTML reports put an icon before them); JSON keeps the machine
 * values, and lists these names under `statusNames`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATUS_NAMES } from "./statuses.ts";
 *
 * assert.equal(STATUS_NAMES["expected-fail"], "known failure");
 * assert.equal(STATUS_NAMES.inconclusive, "without a verdict");
 * ```
 */
export const STATUS_NAMES: Readonly<Record<ReportStatus, string>> = Object.freeze({
  "pass": "pass",
  "fail": "fail",
  "expected-fail": "known failure",
  "unexpected-pass": "unexpected pass",
  "not-applicable": "not applicable",
  "not-verified": "not verified",
  "inconclusive": "without a verdict",
  "ended-early": "ended early",
});

/**
 * What each status means, in a few words: the legend's text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATUS_MEANINGS } from "./statuses.ts";
 *
 * assert.match(STATUS_MEANINGS["unexpected-pass"], /out of date/);
 * ```
 */
export const STATUS_MEANINGS: Readonly<Record<ReportStatus, string>> = Object.freeze({
  "pass": "no judged run broke the rule",
  "fail": "a run broke it (shrunk counterexample given)",
  "expected-fail": "it fails as the expectation file records",
  "unexpected-pass": "listed as failing, but it did not fail: the expectation is out of date",
  "not-applicable": "the adapter does not declare what the rule needs",
  "not-verified": "checking stopped before the rule was judged",
  "inconclusive": "runs the harness could not bring to rest, neither passed nor failed",
  "ended-early": "runs stopped at an accepted second release, judged up to there",
});

/**
 * The icon the Markdown and HTML reports put before each name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATUS_ICONS } from "./statuses.ts";
 *
 * assert.equal(STATUS_ICONS.fail, "❌");
 * ```
 */
export const STATUS_ICONS: Readonly<Record<ReportStatus, string>> = Object.freeze({
  "pass": "✅",
  "fail": "❌",
  "expected-fail": "⚠️",
  "unexpected-pass": "❗",
  "not-applicable": "➖",
  "not-verified": "⏳",
  "inconclusive": "❔",
  "ended-early": "⏹️",
});

/**
 * The order statuses are listed in, in legends and summaries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATUS_ORDER } from "./statuses.ts";
 *
 * assert.equal(STATUS_ORDER.length, 8);
 * ```
 */
export const STATUS_ORDER: readonly ReportStatus[] = Object.freeze([
  "pass",
  "fail",
  "expected-fail",
  "unexpected-pass",
  "not-applicable",
  "not-verified",
  "inconclusive",
  "ended-early",
]);

/**
 * Whether a status makes a report fail (`ok` is false): a failure, an
 * unexpected pass, or a rule not verified (which always comes with an error).
 *
 * @param status The status.
 * @returns `true` for `fail`, `unexpected-pass` and `not-verified`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failsReport } from "./statuses.ts";
 *
 * assert.equal(failsReport("expected-fail"), false);
 * assert.equal(failsReport("unexpected-pass"), true);
 * ```
 */
export function failsReport(status: ReportStatus): boolean {
  return status === "fail" || status === "unexpected-pass" || status === "not-verified";
}

/**
 * How a report of a given style writes a status: the name, in capitals in
 * text when the status makes the report fail, after an icon in Markdown.
 *
 * @param status The status.
 * @param style `text` for terminals, `markdown` for Markdown and HTML.
 * @returns E.g. `FAIL`, `known failure`, `⚠️ known failure`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusLabel } from "./statuses.ts";
 *
 * assert.equal(statusLabel("fail", "text"), "FAIL");
 * assert.equal(statusLabel("not-applicable", "text"), "not applicable");
 * assert.equal(statusLabel("expected-fail", "markdown"), "⚠️ known failure");
 * ```
 */
export function statusLabel(status: ReportStatus, style: "text" | "markdown"): string {
  const name = STATUS_NAMES[status];
  if (style === "markdown") return `${STATUS_ICONS[status]} ${name}`;
  return failsReport(status) ? name.toUpperCase() : name;
}

/**
 * The statuses that occur in some reports, in {@linkcode STATUS_ORDER}.
 *
 * @param reports The reports.
 * @returns Each status that a rule has or a run count shows, once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusesIn } from "./statuses.ts";
 *
 * const report = { adapter: "x", seed: 1, runs: 3, commands: 9, durationMs: 1, errors: [], ok: true,
 *   rules: [{ id: "LIM-1", title: "t", status: "pass" as const }], endedEarly: 1 };
 * assert.deepEqual(statusesIn([report]), ["pass", "ended-early"]);
 * ```
 */
export function statusesIn(reports: readonly PoolReport[]): ReportStatus[] {
  const found = new Set<ReportStatus>();
  for (const report of reports) {
    for (const rule of report.rules) found.add(rule.status);
    if (report.inconclusive !== undefined) found.add("inconclusive");
    if (report.endedEarly !== undefined) found.add("ended-early");
  }
  return STATUS_ORDER.filter((status) => found.has(status));
}

/**
 * The one-line legend of a report: each status that occurs, by its name,
 * with what it means. Text legends say that capitals make a report fail.
 *
 * @param statuses The statuses to explain (those of {@linkcode statusesIn}).
 * @param style `text` or `markdown` (HTML uses the Markdown form).
 * @returns One line, without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { legend } from "./statuses.ts";
 *
 * assert.equal(
 *   legend(["pass", "fail"], "text"),
 *   "legend: pass = no judged run broke the rule; FAIL = a run broke it (shrunk counterexample given); capitals: the report fails",
 * );
 * assert.match(legend(["expected-fail"], "markdown"), /^Legend: ⚠️ known failure: it fails as/);
 * ```
 */
export function legend(statuses: readonly ReportStatus[], style: "text" | "markdown"): string {
  if (style === "markdown") {
    return `Legend: ${
      statuses.map((s) => `${statusLabel(s, "markdown")}: ${STATUS_MEANINGS[s]}`).join(" · ")
    }.`;
  }
  const capitals = statuses.some(failsReport) ? "; capitals: the report fails" : "";
  return `legend: ${
    statuses.map((s) => `${statusLabel(s, "text")} = ${STATUS_MEANINGS[s]}`).join("; ")
  }${capitals}`;
}

/**
 * A counterexample with the clause it broke: reports written before
 * counterexamples named their clause (JSON read back from a file) get the
 * rule's id.
 *
 * @param counterexample The counterexample, as stored.
 * @param ruleId The id of its rule.
 * @returns The counterexample, with `clause` set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withClause } from "./statuses.ts";
 * import type { Counterexample } from "../harness/result.ts";
 *
 * assert.equal(withClause({ message: "m" } as Counterexample, "LIM-1").clause, "LIM-1");
 * assert.equal(withClause({ clause: "LIM-1.a" } as Counterexample, "LIM-1").clause, "LIM-1.a");
 * ```
 */
export function withClause(counterexample: Counterexample, ruleId: string): Counterexample {
  const clause: unknown = counterexample.clause;
  return typeof clause === "string" && clause !== ""
    ? counterexample
    : { ...counterexample, clause: ruleId };
}

/**
 * A known deviation's clause as the reports show it: the clause that broke,
 * and the expectation's key when that is another id (the whole rule).
 *
 * @param known The known deviation.
 * @param ruleId The id of its rule.
 * @returns E.g. `CLS-2.d (expected as CLS-2)`, or `LSE-4.a`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { knownClause } from "./statuses.ts";
 * import type { Counterexample } from "../harness/result.ts";
 *
 * const counterexample = { clause: "CLS-2.d" } as Counterexample;
 * assert.equal(knownClause({ clause: "CLS-2", reason: "r", counterexample }, "CLS-2"), "CLS-2.d (expected as CLS-2)");
 * ```
 */
export function knownClause(known: KnownDeviation, ruleId: string): string {
  const broke = withClause(known.counterexample, ruleId).clause;
  return broke === known.clause ? broke : `${broke} (expected as ${known.clause})`;
}

/**
 * The clause ids a rule's result shows: for a failure, the clause its
 * counterexample broke; for a known failure, the clause each known
 * deviation broke (with the expectation's key when it names the whole rule
 * or another clause).
 *
 * @param rule The rule's result.
 * @returns E.g. `["LIM-1.a"]`, `["LSE-4.a (expected as LSE-4)"]`; empty for other statuses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownClauses } from "./statuses.ts";
 * import type { Counterexample } from "../harness/result.ts";
 *
 * const c = { clause: "CLS-2.d" } as Counterexample;
 * assert.deepEqual(
 *   shownClauses({ id: "CLS-2", title: "t", status: "expected-fail", counterexample: c,
 *     known: [{ clause: "CLS-2", reason: "r", counterexample: c }] }),
 *   ["CLS-2.d (expected as CLS-2)"],
 * );
 * ```
 */
export function shownClauses(rule: RuleResult): string[] {
  const c = rule.counterexample;
  if (rule.status === "fail") return c === undefined ? [] : [withClause(c, rule.id).clause];
  if (rule.status !== "expected-fail") return [];
  if (rule.known === undefined || rule.known.length === 0) {
    return c === undefined ? [] : [withClause(c, rule.id).clause];
  }
  return [...new Set(rule.known.map((k) => knownClause(k, rule.id)))];
}

/**
 * What a rule's line says after its title: the clauses it broke and the
 * reason (for a known failure, each known deviation's clause and reason).
 *
 * @param rule The rule's result.
 * @returns The detail, or an empty string when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleDetail } from "./statuses.ts";
 *
 * assert.equal(
 *   ruleDetail({ id: "STA-1", title: "t", status: "not-applicable", reason: "needs capability 'stats'" }),
 *   "needs capability 'stats'",
 * );
 * ```
 */
export function ruleDetail(rule: RuleResult): string {
  if (rule.status === "expected-fail" && rule.known !== undefined && rule.known.length > 0) {
    return rule.known.map((k) => `${knownClause(k, rule.id)}: ${k.reason}`).join("; ");
  }
  const clauses = shownClauses(rule);
  const reason = rule.reason ?? "";
  // A failure's reason names its clause already when there is one.
  if (clauses.length === 0 || clauses.every((c) => reason.includes(c.split(" ")[0]!))) {
    return reason;
  }
  return reason === "" ? clauses.join(", ") : `${clauses.join(", ")}: ${reason}`;
}

/**
 * A report's counts, each by what it counts: random runs (cases drawn and
 * run), shrink runs (runs made while shrinking failures), shrink steps (the
 * shrink runs whose smaller case still failed and replaced the
 * counterexample: fast-check's `numShrinks`), corpus replays (saved cases
 * replayed before exploring, given only when the check had a corpus), and
 * the commands all those runs executed, heal and close steps included. A
 * report that does not tell random and shrink runs apart (a JSON report of
 * format 1, or a check stopped in a stuck worker) gives `runs` for both
 * together instead.
 *
 * @param report The report.
 * @returns Name and value of each count, in the order the reports show them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCounts } from "./statuses.ts";
 *
 * const report = { adapter: "x", seed: 1, runs: 34, randomRuns: 30, shrinkRuns: 4, shrinkSteps: 2,
 *   commands: 621, durationMs: 1, rules: [], errors: [], ok: true };
 * assert.deepEqual(runCounts(report), [
 *   ["random runs", 30], ["shrink runs", 4], ["shrink steps", 2], ["commands", 621],
 * ]);
 * ```
 */
export function runCounts(report: PoolReport): [string, number][] {
  const corpus: [string, number][] = report.corpus === undefined
    ? []
    : [["corpus replays", report.corpus.replays]];
  const { randomRuns, shrinkRuns, shrinkSteps } = report;
  if (randomRuns === undefined || shrinkRuns === undefined || shrinkSteps === undefined) {
    return [...corpus, [UNSPLIT_RUNS, report.runs], ["commands", report.commands]];
  }
  return [
    ["random runs", randomRuns],
    ["shrink runs", shrinkRuns],
    ["shrink steps", shrinkSteps],
    ...corpus,
    ["commands", report.commands],
  ];
}

/** What `runs` counts in a report that does not tell random and shrink runs apart. */
const UNSPLIT_RUNS = "runs (random cases and shrink attempts)";

/**
 * How the runs of a report are counted, said plainly (see
 * {@linkcode runCounts}): the random runs, the shrink runs with the shrink
 * steps they took, the corpus replays when the check had a corpus, and the
 * commands of all of them. Replays of an expectation's recorded
 * reproduction are not counted. A report that does not tell random and
 * shrink runs apart says `runs (random cases and shrink attempts)`.
 *
 * @param report The report.
 * @returns E.g. `300 random runs, 91 shrink runs (7 shrink steps), 3 corpus replays, 9919 commands`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCountsText } from "./statuses.ts";
 *
 * const report = { adapter: "x", seed: 1, runs: 34, randomRuns: 30, shrinkRuns: 4, shrinkSteps: 2,
 *   commands: 621, durationMs: 1, rules: [], errors: [], ok: true };
 * assert.equal(runCountsText(report), "30 random runs, 4 shrink runs (2 shrink steps), 621 commands");
 * assert.equal(
 *   runCountsText({ ...report, shrinkRuns: 0, shrinkSteps: 0, corpus: { replays: 1, failing: [], fixed: [], skipped: [] } }),
 *   "30 random runs, 0 shrink runs, 1 corpus replay, 621 commands",
 * );
 * const { randomRuns: _r, shrinkRuns: _s, shrinkSteps: _t, ...older } = report;
 * assert.equal(runCountsText(older), "34 runs (random cases and shrink attempts), 621 commands");
 * ```
 */
export function runCountsText(report: PoolReport): string {
  const counts = new Map(runCounts(report));
  const parts: string[] = [];
  for (const [name, n] of counts) {
    if (name === "shrink steps") continue;
    if (name === UNSPLIT_RUNS) {
      parts.push(`${count(n, "run")} (random cases and shrink attempts)`);
      continue;
    }
    const noun = name.replace(/s$/, "");
    const steps = name === "shrink runs" && n > 0
      ? ` (${count(counts.get("shrink steps")!, "shrink step")})`
      : "";
    parts.push(`${count(n, noun)}${steps}`);
  }
  return parts.join(", ");
}

/**
 * The sentence on runs that ended without a verdict. Only runs of random
 * cases are counted (a shrink attempt without a verdict is not).
 *
 * @param runs How many.
 * @param reasons The first few distinct reasons.
 * @param replay A command that replays one of them, if known.
 * @returns The sentence, starting with the count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inconclusiveText } from "./statuses.ts";
 *
 * assert.equal(inconclusiveText(2, ["connect storm"]), "2 random runs without a verdict: connect storm");
 * ```
 */
export function inconclusiveText(
  runs: number,
  reasons: readonly string[],
  replay?: string,
): string {
  return `${count(runs, "random run")} ${STATUS_NAMES.inconclusive}${
    reasons.length === 0 ? "" : `: ${reasons.join("; ")}`
  }${replay === undefined ? "" : ` (one replays with: ${replay})`}`;
}

/** Why runs end early, as the reports say it. */
export const ENDED_EARLY_WHY =
  "they stopped where the pool accepted a second release while LSE-4 was not checked; their earlier steps were judged, their heal and close phases did not run";

/**
 * The sentence on runs that ended early: they stopped where the pool
 * accepted a second release of a lease while LSE-4 was not checked. Only
 * runs of random cases are counted.
 *
 * @param runs How many.
 * @returns The sentence, starting with the count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endedEarlyText } from "./statuses.ts";
 *
 * assert.match(endedEarlyText(3), /^3 random runs ended early: they stopped where/);
 * ```
 */
export function endedEarlyText(runs: number): string {
  return `${count(runs, "random run")} ${STATUS_NAMES["ended-early"]}: ${ENDED_EARLY_WHY}`;
}
