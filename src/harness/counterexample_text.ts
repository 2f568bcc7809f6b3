/**
 * A counterexample as text, the same block wherever a failure is printed:
 * the CLI's report and a failing `poolConformance` test.
 *
 * @module
 */
import type { Counterexample } from "./result.ts";
import { RULES } from "./rules/mod.ts";
import { setupLine } from "./setup_line.ts";

/** ` (what the clause demands)`, or nothing for a clause the catalogue does not list. */
function clauseText(clause: string): string {
  const [id, key] = clause.split(".");
  const rule = RULES.find((r) => r.id === id);
  const text = key === undefined ? undefined : rule?.clauses[key];
  return text === undefined ? "" : ` (${text})`;
}

/**
 * `n` and the noun, plural unless `n` is 1.
 *
 * @param n How many.
 * @param noun The singular noun.
 * @returns E.g. `1 step`, `3 steps`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { count } from "./counterexample_text.ts";
 *
 * assert.equal(count(1, "command"), "1 command");
 * assert.equal(count(0, "run"), "0 runs");
 * ```
 */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * The lines that explain a failure: what broke, the drawn setup, the shrunk
 * steps with the failing one marked, the ledger around it, and the command
 * that replays it.
 *
 * @param counterexample The failure's counterexample.
 * @param indent Put before every line. @default {"    "}
 * @returns The lines, without newlines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { counterexampleLines } from "./counterexample_text.ts";
 * import { poolConfigOf } from "./pool_config.ts";
 * import type { RunSetup } from "./run_view.ts";
 *
 * const lines = counterexampleLines({
 *   clause: "LIM-1.a",
 *   message: "2 live connections; maxTotal is 1",
 *   step: 2,
 *   setup: { config: poolConfigOf({ maxTotal: 1 }) } as unknown as RunSetup,
 *   commands: ["acquire(\"r0\")", "acquire(\"r0\")"],
 *   steps: ["1. t=0 acquire #1 r0", "2. t=0 acquire #2 r0   ← LIM-1 breaks in this step"],
 *   ledger: [],
 *   seed: 1,
 *   path: "0:1",
 *   replay: "poolcheck --adapter ./my_adapter.js --seed 1 --path 0:1 --rule LIM-1",
 * }, "");
 * assert.equal(lines[1], "clause: LIM-1.a (live connections (connecting and open) never exceed maxTotal)");
 * assert.equal(lines[3], "counterexample (2 steps, seed 1, path 0:1):");
 * ```
 */
export function counterexampleLines(counterexample: Counterexample, indent = "    "): string[] {
  const c = counterexample;
  const steps = c.steps.filter((line) => /^[1-9]\d*\. /.test(line)).length;
  return [
    c.message,
    `clause: ${c.clause}${clauseText(c.clause)}`,
    `setup: ${setupLine(c.setup)}`,
    `counterexample (${count(steps, "step")}, seed ${c.seed}, path ${c.path}):`,
    ...c.steps.map((line) => `  ${line}`),
    // A failure with no socket event near it (events only, say) says so instead of an empty list.
    c.ledger.length === 0
      ? "ledger around the failure: no socket events"
      : "ledger around the failure:",
    ...c.ledger.slice(0, 20).map((line) => `  ${line}`),
    `replay: ${c.replay}`,
  ].map((line) => `${indent}${line}`);
}
