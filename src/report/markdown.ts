import type { PoolReport, RuleStatus } from "../harness/result.ts";

/**
 * How the Markdown matrix shows each status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MARKDOWN_STATUS } from "./markdown.ts";
 *
 * assert.equal(MARKDOWN_STATUS["expected-fail"], "⚠️ known");
 * ```
 */
export const MARKDOWN_STATUS: Readonly<Record<RuleStatus, string>> = {
  "pass": "✅ pass",
  "fail": "❌ fail",
  "not-applicable": "n/a",
  "not-verified": "⏳ not verified",
  "expected-fail": "⚠️ known",
  "unexpected-pass": "❗ passes (expected fail)",
};

/**
 * Render the matrix of adapters × rules as a Markdown table.
 *
 * @param reports One report per adapter (columns, in order).
 * @returns Markdown text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMarkdown } from "./markdown.ts";
 *
 * const md = renderMarkdown([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, errors: [], ok: true,
 *   rules: [{ id: "LIM-1", title: "t", status: "pass" }] }]);
 * assert.match(md, /\| LIM-1 \| t \| ✅ pass \|/);
 * ```
 */
export function renderMarkdown(reports: readonly PoolReport[]): string {
  const ids: { id: string; title: string }[] = [];
  for (const report of reports) {
    for (const rule of report.rules) if (!ids.some((r) => r.id === rule.id)) ids.push(rule);
  }
  const header = `| Rule | Title | ${reports.map((r) => r.adapter).join(" | ")} |`;
  const line = `|---|---|${reports.map(() => "---").join("|")}|`;
  const rows = ids.map(({ id, title }) => {
    const cells = reports.map((report) => {
      const result = report.rules.find((r) => r.id === id);
      return result === undefined ? "" : MARKDOWN_STATUS[result.status];
    });
    return `| ${id} | ${title.replaceAll("|", "\\|")} | ${cells.join(" | ")} |`;
  });
  const seeds = reports.map((r) =>
    `${r.adapter}: seed ${r.seed}, ${r.runs} runs${
      r.inconclusive === undefined ? "" : ` (${r.inconclusive.runs} without a verdict)`
    }${r.endedEarly === undefined ? "" : ` (${r.endedEarly} ended early)`}`
  ).join("; ");
  return `${header}\n${line}\n${rows.join("\n")}\n\n${seeds}\n`;
}
