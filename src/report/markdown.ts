import type { Counterexample, PoolReport, RuleResult, RuleStatus } from "../harness/result.ts";
import { count, counterexampleLines } from "../harness/counterexample_text.ts";
import { sequenceDiagram } from "./sequence_diagram.ts";
import {
  inconclusiveText,
  knownClause,
  legend,
  runCountsText,
  shownClauses,
  STATUS_NAMES,
  statusesIn,
  statusLabel,
  withClause,
} from "./statuses.ts";

/**
 * How the Markdown matrix shows each rule status: its icon and its name
 * (from `STATUS_NAMES`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MARKDOWN_STATUS } from "./markdown.ts";
 *
 * assert.equal(MARKDOWN_STATUS["expected-fail"], "⚠️ known failure");
 * ```
 */
export const MARKDOWN_STATUS: Readonly<Record<RuleStatus, string>> = Object.freeze({
  "pass": statusLabel("pass", "markdown"),
  "fail": statusLabel("fail", "markdown"),
  "expected-fail": statusLabel("expected-fail", "markdown"),
  "unexpected-pass": statusLabel("unexpected-pass", "markdown"),
  "not-applicable": statusLabel("not-applicable", "markdown"),
  "not-verified": statusLabel("not-verified", "markdown"),
});

/** Options of {@linkcode renderMarkdown}. */
export interface MarkdownOptions {
  /**
   * Follow the matrix with a section per counterexample (each failure and
   * each known failure): what broke, a Mermaid sequence diagram, and the
   * steps, ledger and replay line. Off for a matrix alone (a terminal, or a
   * page that shows its reproductions its own way).
   * @default {true}
   */
  readonly counterexamples?: boolean;
}

/** Prose made safe for Markdown: characters that would start markup are escaped. */
function prose(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

/** A fenced block whose fence is longer than any run of backticks in its text. */
function fenced(language: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

/**
 * The cell of a rule in the matrix: its status, and the clauses it broke for
 * a failure or a known failure.
 *
 * @param rule The rule's result.
 * @returns E.g. `❌ fail (LIM-1.a)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matrixCell } from "./markdown.ts";
 *
 * assert.equal(matrixCell({ id: "LIM-1", title: "t", status: "pass" }), "✅ pass");
 * ```
 */
export function matrixCell(rule: RuleResult): string {
  const clauses = shownClauses(rule);
  return `${MARKDOWN_STATUS[rule.status]}${clauses.length === 0 ? "" : ` (${clauses.join(", ")})`}`
    .replaceAll("|", "\\|");
}

/** What a report counted, on one line. */
function countsLine(report: PoolReport): string {
  const parts = [`seed ${report.seed}`, runCountsText(report)];
  if (report.inconclusive !== undefined) {
    parts.push(
      inconclusiveText(
        report.inconclusive.runs,
        report.inconclusive.reasons,
        report.inconclusive.replay,
      ),
    );
  }
  if (report.endedEarly !== undefined) {
    parts.push(`${count(report.endedEarly, "random run")} ${STATUS_NAMES["ended-early"]}`);
  }
  return `${report.adapter}: ${parts.join(", ")}`;
}

/** One counterexample shown in a report: whose, which rule, and why it is shown. */
export interface ShownCounterexample {
  /** Adapter name. */
  readonly adapter: string;
  /** The rule's result. */
  readonly rule: RuleResult;
  /** `fail` or `expected-fail`. */
  readonly status: RuleStatus;
  /** The clause as shown, e.g. `LSE-4.a (expected as LSE-4)`. */
  readonly clause: string;
  /** For a known failure, the expectation's reason. */
  readonly reason?: string;
  /** The counterexample. */
  readonly counterexample: Counterexample;
}

/**
 * The counterexamples a report shows, in order: each failure, then each
 * known deviation of each known failure.
 *
 * @param reports The reports.
 * @returns One entry per counterexample.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownCounterexamples } from "./markdown.ts";
 *
 * assert.deepEqual(shownCounterexamples([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0,
 *   errors: [], ok: true, rules: [{ id: "LIM-1", title: "t", status: "pass" }] }]), []);
 * ```
 */
export function shownCounterexamples(reports: readonly PoolReport[]): ShownCounterexample[] {
  const shown: ShownCounterexample[] = [];
  for (const report of reports) {
    for (const rule of report.rules) {
      const c = rule.counterexample === undefined
        ? undefined
        : withClause(rule.counterexample, rule.id);
      if (rule.status === "fail" && c !== undefined) {
        shown.push({
          adapter: report.adapter,
          rule,
          status: "fail",
          clause: c.clause,
          counterexample: c,
        });
      }
      if (rule.status !== "expected-fail") continue;
      const known = rule.known ??
        (c === undefined
          ? []
          : [{ clause: c.clause, reason: rule.reason ?? "", counterexample: c }]);
      for (const k of known) {
        shown.push({
          adapter: report.adapter,
          rule,
          status: "expected-fail",
          clause: knownClause(k, rule.id),
          reason: k.reason,
          counterexample: withClause(k.counterexample, rule.id),
        });
      }
    }
  }
  return shown;
}

/**
 * Render reports as Markdown: the matrix of rules × adapters (each cell a
 * status, with the clause for a failure or a known failure), the one-line
 * legend, what each check counted, and then each counterexample as a
 * Mermaid sequence diagram (which GitHub draws in pull requests and job
 * summaries) with its steps, ledger and replay line below it.
 *
 * @param reports One report per adapter (columns, in order).
 * @param options Whether to show the counterexamples.
 * @returns Markdown text ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMarkdown } from "./markdown.ts";
 *
 * const md = renderMarkdown([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, errors: [], ok: true,
 *   rules: [{ id: "LIM-1", title: "t", status: "pass" }] }]);
 * assert.match(md, /\| LIM-1 \| t \| ✅ pass \|/);
 * assert.match(md, /\nLegend: ✅ pass: no judged run broke the rule\.\n/);
 * ```
 */
export function renderMarkdown(
  reports: readonly PoolReport[],
  options: MarkdownOptions = {},
): string {
  const ids: { id: string; title: string }[] = [];
  for (const report of reports) {
    for (const rule of report.rules) if (!ids.some((r) => r.id === rule.id)) ids.push(rule);
  }
  const header = `| Rule | Title | ${reports.map((r) => r.adapter).join(" | ")} |`;
  const line = `|---|---|${reports.map(() => "---").join("|")}|`;
  const rows = ids.map(({ id, title }) => {
    const cells = reports.map((report) => {
      const result = report.rules.find((r) => r.id === id);
      return result === undefined ? "" : matrixCell(result);
    });
    return `| ${id} | ${title.replaceAll("|", "\\|")} | ${cells.join(" | ")} |`;
  });
  const statuses = statusesIn(reports);
  const parts = [
    [header, line, ...rows].join("\n"),
    ...(statuses.length === 0 ? [] : [legend(statuses, "markdown")]),
    reports.map((r) => `- ${prose(countsLine(r))}`).join("\n"),
  ];
  const shown = options.counterexamples === false ? [] : shownCounterexamples(reports);
  if (shown.length > 0) {
    parts.push("## Counterexamples");
    for (const s of shown) {
      const c = s.counterexample;
      parts.push(
        `### ${prose(`${s.adapter}: ${s.rule.id} ${s.rule.title}`)}`,
        `${statusLabel(s.status, "markdown")}, clause ${prose(s.clause)}: ${prose(c.message)}${
          s.reason === undefined ? "" : `\n\nKnown: ${prose(s.reason)}`
        }`,
        fenced("mermaid", sequenceDiagram(c)),
        [
          "<details><summary>Steps, ledger and replay</summary>",
          "",
          fenced("text", counterexampleLines(c, "").join("\n")),
          "",
          "</details>",
        ].join("\n"),
      );
    }
  }
  return `${parts.join("\n\n")}\n`;
}
