/**
 * CMAP runner reports: text for a terminal or a CI log, and JSON.
 *
 * @module
 */
import { eventText } from "./match.ts";
import type { CmapReport, ScenarioStatus } from "./runner.ts";

/** Observed events listed under a failure, at most. */
const LISTED_EVENTS = 40;

/**
 * The counts of a report's statuses.
 *
 * @param report The report.
 * @returns How many scenarios passed, failed and were not applicable.
 */
export function cmapCounts(report: CmapReport): Record<ScenarioStatus, number> {
  const counts: Record<ScenarioStatus, number> = { pass: 0, fail: 0, "not applicable": 0 };
  for (const result of report.results) counts[result.status]++;
  return counts;
}

function label(status: ScenarioStatus): string {
  return (status === "fail" ? "FAIL" : status).padStart(14);
}

/**
 * The report as text: a summary line, then one line per scenario (status,
 * file, description), with a failure's differences and the events compared,
 * and a scenario's reason for not applying.
 *
 * @param report The report.
 * @returns The text, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCmapText } from "./report.ts";
 *
 * const text = renderCmapText({
 *   adapter: "my-pool",
 *   ok: true,
 *   results: [{ file: "a.json", description: "one check-out", status: "pass", reasons: [], notes: [] }],
 * });
 * assert.match(text, /^my-pool: ok — 1 scenario: 1 pass, 0 fail, 0 not applicable/);
 * ```
 */
export function renderCmapText(report: CmapReport): string {
  const counts = cmapCounts(report);
  const total = report.results.length;
  const lines = [
    `${report.adapter}: ${report.ok ? "ok" : "FAILED"} — ${total} scenario${
      total === 1 ? "" : "s"
    }: ${counts.pass} pass, ${counts.fail} fail, ${counts["not applicable"]} not applicable`,
  ];
  for (const result of report.results) {
    lines.push(`${label(result.status)}  ${result.file}  ${result.description}`);
    for (const reason of result.reasons) lines.push(`      ${reason}`);
    if (result.status === "fail" && result.observed !== undefined) {
      lines.push(`      events compared (${result.observed.length}):`);
      for (const [i, event] of result.observed.slice(0, LISTED_EVENTS).entries()) {
        lines.push(`        ${i + 1}. ${eventText(event)}`);
      }
      if (result.observed.length > LISTED_EVENTS) {
        lines.push(`        … ${result.observed.length - LISTED_EVENTS} more`);
      }
    }
    if (result.status !== "not applicable") {
      for (const note of result.notes) lines.push(`      note: ${note}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The reports as JSON: per adapter its counts and each scenario's result.
 *
 * @param reports The reports, one per adapter.
 * @returns The JSON text, ending with a newline.
 */
export function renderCmapJson(reports: readonly CmapReport[]): string {
  return `${
    JSON.stringify(
      {
        format: "poolcheck-cmap/1",
        ok: reports.every((report) => report.ok),
        adapters: reports.map((report) => ({ ...report, counts: cmapCounts(report) })),
      },
      null,
      2,
    )
  }\n`;
}
