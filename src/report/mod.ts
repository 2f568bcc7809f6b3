/**
 * Renderers of conformance reports: text for terminals, JSON, JUnit XML, a
 * Markdown report (matrix and counterexample diagrams), a standalone HTML
 * page, and the RULES.md catalogue; and the one vocabulary of statuses they
 * all use.
 *
 * @example Rendering a report
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderText, STATUS_NAMES } from "./mod.ts";
 *
 * const text = renderText({ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true });
 * assert.match(text, /^x: ok/);
 * assert.equal(STATUS_NAMES["not-applicable"], "not applicable");
 * ```
 *
 * @module
 */
export {
  JSON_FORMAT_VERSION,
  JSON_FORMAT_VERSIONS,
  type JsonReportMeta,
  type JsonShard,
  type JsonShardSettings,
  type JsonShardUnit,
  renderJson,
} from "./json.ts";
export { type JsonReport, JsonReportError, parseJsonReport } from "./json_read.ts";
export { renderJunit } from "./junit.ts";
export {
  MARKDOWN_STATUS,
  type MarkdownOptions,
  matrixCell,
  renderMarkdown,
  type ShownCounterexample,
  shownCounterexamples,
} from "./markdown.ts";
export { type HtmlOptions, readMermaidScript, renderHtml } from "./html.ts";
export { sequenceDiagram } from "./sequence_diagram.ts";
export {
  endedEarlyText,
  failsReport,
  inconclusiveText,
  knownClause,
  legend,
  type ReportStatus,
  ruleDetail,
  runCounts,
  runCountsText,
  type RunStatus,
  shownClauses,
  STATUS_ICONS,
  STATUS_MEANINGS,
  STATUS_NAMES,
  STATUS_ORDER,
  statusesIn,
  statusLabel,
  withClause,
} from "./statuses.ts";
export { renderRulesMarkdown } from "./rules_md.ts";
export { renderText } from "./text.ts";
export { setupLine } from "../harness/setup_line.ts";
