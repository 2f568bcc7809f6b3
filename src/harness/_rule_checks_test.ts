import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import type { Adapter } from "./adapter.ts";
import { caseArbitrary } from "./case.ts";
import { type Rule, ruleApplies, RuleViolation } from "./rule.ts";
import { RULES } from "./rules/mod.ts";
import { runCase } from "./run_case.ts";

/** Checks run many cases: a timeout of their own, so no runner's default (Bun's 5 s) cuts one off on a busy machine. */
const LONG = { timeout: 300_000 };

/** How a run ended: the rule broken and where, or how else it ended. */
async function outcome(
  adapter: Adapter,
  rules: readonly Rule[],
  seed: number,
  judgeEveryStep: boolean,
): Promise<string> {
  const [value] = fc.sample(caseArbitrary(adapter, 60), { seed, numRuns: 1 });
  try {
    return `passed after ${await runCase(adapter, value!, { rules, judgeEveryStep })} steps`;
  } catch (error) {
    if (error instanceof RuleViolation) return `${error.ruleId} at step ${error.step}`;
    return `ended: ${(error as Error).name}`;
  }
}

describe("rule checks after a step in which only time moved", () => {
  test(
    "skip only the rules whose verdict cannot change: every pool ends every run as when each rule is judged again",
    LONG,
    async () => {
      let failed = 0;
      // Each rule's own broken pool, and the reference pool.
      for (const adapter of [referenceAdapter, ...BROKEN_POOLS.map((broken) => broken.adapter)]) {
        const rules = RULES.filter((rule) => ruleApplies(rule, adapter.supports));
        for (let seed = 1; seed <= 12; seed++) {
          const skipping = await outcome(adapter, rules, seed, false);
          assert.equal(
            skipping,
            await outcome(adapter, rules, seed, true),
            `${adapter.name}, seed ${seed}`,
          );
          if (!skipping.startsWith("passed")) failed++;
        }
      }
      // The comparison covers failing runs, not only passing ones.
      assert.ok(failed > 50, `only ${failed} runs failed`);
    },
  );
});
