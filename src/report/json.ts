import type { PoolReport } from "../harness/result.ts";
import { STATUS_NAMES } from "./statuses.ts";

/**
 * Render reports as JSON (stable key order as built, two-space indent). The
 * reports keep the machine values of their statuses (`expected-fail`,
 * `not-applicable`, …); `statusNames` gives the human name of each, the
 * words the other reports use, so a tool that shows a JSON report can say
 * the same.
 *
 * @param reports One report per adapter.
 * @returns JSON text ending with a newline: `{ "statusNames": {…}, "reports": [...] }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderJson } from "./json.ts";
 *
 * const json = JSON.parse(renderJson([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true }]));
 * assert.equal(json.reports[0].adapter, "x");
 * assert.equal(json.statusNames["expected-fail"], "known failure");
 * ```
 */
export function renderJson(reports: readonly PoolReport[]): string {
  return `${JSON.stringify({ statusNames: STATUS_NAMES, reports }, null, 2)}\n`;
}
