/**
 * Renderers of conformance reports: text for terminals, JSON, JUnit XML, a
 * Markdown matrix, and the RULES.md catalogue.
 *
 * @example Rendering a report
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderText } from "./mod.ts";
 *
 * const text = renderText({ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true });
 * assert.match(text, /^x: ok/);
 * ```
 *
 * @module
 */
export { renderJson } from "./json.ts";
export { renderJunit } from "./junit.ts";
export { MARKDOWN_STATUS, renderMarkdown } from "./markdown.ts";
export { renderRulesMarkdown } from "./rules_md.ts";
export { renderText } from "./text.ts";
export { setupLine } from "../harness/setup_line.ts";
