import type { CorpusNote, PoolReport } from "../harness/result.ts";
import { count, counterexampleLines } from "../harness/counterexample_text.ts";
import {
  ENDED_EARLY_WHY,
  legend,
  ruleDetail,
  runCountsText,
  statusesIn,
  statusLabel,
  withClause,
} from "./statuses.ts";

/**
 * Render a report for a terminal: a header (verdict, the counts of
 * {@linkcode runCountsText}, seed, time), one line per rule with its status right-aligned in the first
 * column (in capitals when it makes the report fail), and for each failure
 * its message, clause, drawn setup, numbered steps, ledger excerpt and
 * replay command; then the runs without a verdict, the runs that ended
 * early, the saved cases of the corpus (how many failed again, which no
 * longer fail, which could not be replayed), errors and nondeterminism; and
 * last the one-line legend.
 *
 * @param report The report.
 * @returns Plain text ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderText } from "./text.ts";
 *
 * const text = renderText({
 *   adapter: "x", seed: 1, runs: 2, randomRuns: 2, shrinkRuns: 0, shrinkSteps: 0, commands: 10,
 *   durationMs: 5, errors: [], ok: true,
 *   rules: [
 *     { id: "LIM-1", title: "t", status: "pass" },
 *     { id: "STA-1", title: "u", status: "not-applicable", reason: "needs capability 'stats'" },
 *   ],
 * });
 * assert.match(text, /^x: ok — 2 random runs, 0 shrink runs, 10 commands, seed 1, 5 ms\n/);
 * assert.match(text, /\n {12}pass  LIM-1  t\n/);
 * assert.match(text, /\n {2}not applicable  STA-1  u \(needs capability 'stats'\)\n/);
 * assert.match(text, /\n {2}legend: pass = no judged run broke the rule; not applicable = /);
 * ```
 */
export function renderText(report: PoolReport): string {
  const statuses = statusesIn([report]);
  const labels: string[] = [
    ...statuses.map((s) => statusLabel(s, "text")),
    ...(report.errors.length > 0 ? ["ERROR"] : []),
    ...(report.corpus === undefined ? [] : ["corpus", "fails again", "fixed", "skipped"]),
    ...(report.nondeterminism === undefined ? [] : ["NONDETERMINISM"]),
  ];
  const width = Math.max(0, ...labels.map((l) => l.length));
  const column = (label: string) => `  ${label.padStart(width)}  `;
  const lines = [
    `${report.adapter}: ${report.ok ? "ok" : "FAILED"} — ${
      runCountsText(report)
    }, seed ${report.seed}, ${Math.round(report.durationMs)} ms`,
  ];
  for (const result of report.rules) {
    const detail = ruleDetail(result);
    lines.push(
      `${column(statusLabel(result.status, "text"))}${result.id.padEnd(5)}  ${result.title}${
        detail === "" ? "" : ` (${detail})`
      }`,
    );
    if (result.status === "fail" && result.counterexample !== undefined) {
      lines.push(...counterexampleLines(withClause(result.counterexample, result.id)));
    }
  }
  // Runs counts: the status in the column, then how many random runs, and why.
  const inconclusive = report.inconclusive;
  if (inconclusive !== undefined) {
    lines.push(
      `${column(statusLabel("inconclusive", "text"))}${count(inconclusive.runs, "random run")}${
        inconclusive.reasons.length === 0 ? "" : `: ${inconclusive.reasons.join("; ")}`
      }`,
      ...(inconclusive.replay === undefined
        ? []
        : [`${column("")}one replays with: ${inconclusive.replay}`]),
    );
  }
  if (report.endedEarly !== undefined) {
    lines.push(
      `${column(statusLabel("ended-early", "text"))}${
        count(report.endedEarly, "random run")
      }: ${ENDED_EARLY_WHY}`,
    );
  }
  const corpus = report.corpus;
  if (corpus !== undefined) {
    const fixed = corpus.fixed.length;
    lines.push(
      `${column("corpus")}${
        count(corpus.replays, "saved case")
      } replayed before exploring: ${corpus.failing.length} failed again, ${fixed} no longer ${
        fixed === 1 ? "fails" : "fail"
      }${corpus.skipped.length === 0 ? "" : `, ${corpus.skipped.length} skipped`}`,
    );
    const notes: [string, readonly CorpusNote[]][] = [
      ["fails again", corpus.failing],
      ["fixed", corpus.fixed],
      ["skipped", corpus.skipped],
    ];
    for (const [label, list] of notes) {
      for (const note of list) {
        lines.push(
          `${
            column(label)
          }${note.source} (${note.clause}, seed ${note.seed} path ${note.path}): ${note.note}`,
        );
      }
    }
  }
  for (const error of report.errors) lines.push(`${column("ERROR")}${error}`);
  if (report.nondeterminism !== undefined) {
    lines.push(`${column("NONDETERMINISM")}${report.nondeterminism}`);
  }
  if (statuses.length > 0) lines.push(`  ${legend(statuses, "text")}`);
  return `${lines.join("\n")}\n`;
}
