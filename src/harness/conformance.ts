/**
 * `poolConformance`: register the kit's checks as `node:test` tests, one
 * per rule group, so a pool author's test file is three lines.
 *
 * @module
 */
import process from "node:process";
import { describe, test } from "node:test";
import type { Adapter } from "./adapter.ts";
import { validateAdapter } from "./adapter.ts";
import { checkPool, type CheckPoolOptions, checkTimeoutMs } from "./check_pool.ts";
import { counterexampleLines } from "./counterexample_text.ts";
import { progressReporter } from "./progress.ts";
import type { PoolReport, RuleResult } from "./result.ts";
import { RULES } from "./rules/mod.ts";

/** Options for {@linkcode poolConformance}: those of `checkPool`, minus the rule filter. */
export interface PoolConformanceOptions extends Omit<CheckPoolOptions, "rules"> {
  /**
   * No progress lines. By default each test prints a plain line to standard
   * error every five seconds while its check runs (adapter, runs, elapsed
   * time, rules failing so far, known and new), so a CI log is never silent.
   * @default {false}
   */
  readonly quiet?: boolean;
}

function describeFailures(results: readonly RuleResult[]): string {
  return results.map((r) => {
    const c = r.counterexample;
    const head = r.status === "unexpected-pass"
      ? `${r.id} passed but is listed as expected to fail (${r.reason})`
      : `${r.id} ${r.title}`;
    return c === undefined ? head : [head, ...counterexampleLines(c, "  ")].join("\n");
  }).join("\n\n");
}

/**
 * Fail with a readable message when a report has unexpected results.
 *
 * @param report A report from `checkPool`.
 * @throws {Error} Listing every rule that failed unexpectedly or passed unexpectedly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertConformant } from "./conformance.ts";
 *
 * assert.doesNotThrow(() =>
 *   assertConformant({ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true })
 * );
 * ```
 */
export function assertConformant(report: PoolReport): void {
  const bad = report.rules.filter((r) => r.status === "fail" || r.status === "unexpected-pass");
  const problems = [
    ...report.errors,
    ...(report.nondeterminism === undefined ? [] : [report.nondeterminism]),
  ];
  if (bad.length === 0 && problems.length === 0) return;
  throw new Error(
    `${report.adapter} (seed ${report.seed}):\n${describeFailures(bad)}${
      problems.length > 0 ? `\n${problems.join("\n")}` : ""
    }`,
  );
}

/**
 * Register one `node:test` test per rule group (LIM, LSE, EXP, …) that
 * checks the adapter's pool against that group's rules. Works under
 * `node --test`, `deno test` and `bun test`. Each test sets its own timeout,
 * derived from the check's budget ({@linkcode checkTimeoutMs}), so no
 * runner's default per-test timeout (Bun's is 5 s) cuts a check off.
 *
 * @param adapter The pool's adapter.
 * @param options Runs, seed, expectations.
 * @throws {TypeError} At once, if the adapter is malformed.
 *
 * @example A pool author's whole test file
 * ```ts ignore
 * import { poolConformance } from "./conformance.ts";
 * import { myAdapter } from "./my_adapter.ts";
 *
 * poolConformance(myAdapter);
 * ```
 */
export function poolConformance(adapter: Adapter, options: PoolConformanceOptions = {}): void {
  validateAdapter(adapter);
  const groups = [...new Set(RULES.map((r) => r.group))];
  describe(`${adapter.name} conformance`, () => {
    for (const group of groups) {
      const name = `${group} rules hold`;
      test(name, { timeout: checkTimeoutMs(options) }, async (t) => {
        const label = `${adapter.name} conformance › ${name}`;
        // Node and Deno abort the signal at the test's timeout (Bun does not: a later check takes over).
        const signal = (t as { signal?: AbortSignal } | undefined)?.signal;
        const { quiet = false, onProgress, ...checkOptions } = options;
        const reporter = quiet ? undefined : progressReporter({
          write: (text) => process.stderr.write(`${group}: ${text}`),
          planned: options.runs ?? (options.quick ? 30 : 300),
          expectations: options.expectations ?? {},
        });
        assertConformant(
          await checkPool(adapter, {
            label,
            ...(signal === undefined ? {} : { signal }),
            ...checkOptions,
            onProgress: (progress) => {
              reporter?.onProgress(progress);
              onProgress?.(progress);
            },
            rules: [group],
          }),
        );
      });
    }
  });
}
