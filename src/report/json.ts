import type { PoolReport } from "../harness/result.ts";

/**
 * Render reports as JSON (stable key order as built, two-space indent).
 *
 * @param reports One report per adapter.
 * @returns JSON text ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderJson } from "./json.ts";
 *
 * const json = renderJson([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true }]);
 * assert.equal(JSON.parse(json).reports[0].adapter, "x");
 * ```
 */
export function renderJson(reports: readonly PoolReport[]): string {
  return `${JSON.stringify({ reports }, null, 2)}\n`;
}
