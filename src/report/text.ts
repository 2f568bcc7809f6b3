import type { PoolReport, RuleResult } from "../harness/result.ts";
import { count, counterexampleLines } from "../harness/counterexample_text.ts";

const MARK: Record<RuleResult["status"], string> = {
  "pass": "pass",
  "fail": "FAIL",
  "not-applicable": "n/a ",
  "not-verified": "n/v ",
  "expected-fail": "xfail",
  "unexpected-pass": "XPASS",
};

function counterexample(result: RuleResult): string[] {
  return result.counterexample === undefined ? [] : counterexampleLines(result.counterexample);
}

/**
 * Render a report for a terminal: one line per rule, and for each failure its
 * message, drawn setup, numbered steps, ledger excerpt and replay command;
 * then runs that ended without a verdict, errors and nondeterminism.
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
 *   adapter: "x", seed: 1, runs: 2, commands: 10, durationMs: 5, errors: [], ok: true,
 *   rules: [{ id: "LIM-1", title: "t", status: "pass" }],
 * });
 * assert.match(text, /pass\s+LIM-1/);
 * ```
 */
export function renderText(report: PoolReport): string {
  const lines = [
    `${report.adapter}: ${report.ok ? "ok" : "FAILED"} — ${count(report.runs, "run")}, ${
      count(report.commands, "command")
    }, seed ${report.seed}, ${Math.round(report.durationMs)} ms`,
  ];
  for (const result of report.rules) {
    const reason = result.reason === undefined ? "" : ` (${result.reason})`;
    lines.push(
      `  ${MARK[result.status].padEnd(5)} ${result.id.padEnd(6)} ${result.title}${reason}`,
    );
    if (result.status === "fail") lines.push(...counterexample(result));
  }
  const inconclusive = report.inconclusive;
  if (inconclusive !== undefined) {
    lines.push(
      `  INCONCLUSIVE ${count(inconclusive.runs, "run")} ended without a verdict: ${
        inconclusive.reasons.join("; ")
      }`,
    );
  }
  if (report.endedEarly !== undefined) {
    lines.push(`  ENDED EARLY ${endedEarlyText(report.endedEarly)}`);
  }
  for (const error of report.errors) lines.push(`  ERROR ${error}`);
  if (report.nondeterminism !== undefined) lines.push(`  NONDETERMINISM ${report.nondeterminism}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The sentence on runs that stopped at an accepted second release.
 *
 * @param runs How many.
 * @returns The sentence, without a leading capital.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endedEarlyText } from "./text.ts";
 *
 * assert.match(endedEarlyText(3), /^3 runs stopped/);
 * ```
 */
export function endedEarlyText(runs: number): string {
  return `${
    count(runs, "run")
  } stopped where the pool accepted a second release while LSE-4 was not checked; their earlier steps passed, their heal and close phases did not run`;
}
