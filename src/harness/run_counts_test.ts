/**
 * What a report counts, each apart: random runs, shrink runs, shrink steps
 * (fast-check's `numShrinks`), corpus replays, and the commands of all of
 * them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import { checkPool, type CheckProgress } from "./check_pool.ts";
import type { CorpusCase } from "./corpus.ts";
import type { PoolReport } from "./result.ts";

const LONG = { timeout: 120_000 };

const brokenMaxTotal = BROKEN_POOLS.find((p) => p.adapter.name === "broken-max-total")!.adapter;

/** The failures' counterexamples, of failed and known-failing rules alike. */
function failures(report: PoolReport) {
  return report.rules.flatMap((r) =>
    r.status === "fail" && r.counterexample !== undefined
      ? [r.counterexample]
      : (r.known ?? []).filter((k) => k.reproduced !== true).map((k) => k.counterexample)
  );
}

/** A saved case of the corpus, from a failure a check found. */
function savedOf(report: PoolReport, rule: string): CorpusCase {
  const c = report.rules.find((r) => r.id === rule)!.counterexample!;
  return {
    format: 1,
    kit: "",
    adapter: report.adapter,
    rule,
    clause: c.clause,
    seed: c.seed,
    path: c.path,
    maxCommands: 30,
    message: c.message,
    setup: c.setup,
    steps: c.steps,
    source: `corpus/${report.adapter}/${c.clause}.json`,
  };
}

describe("a report's run counts", () => {
  test("a passing pool: random runs only, as many as asked for", LONG, async () => {
    const report = await checkPool(referenceAdapter, { seed: 4, runs: 25, rules: ["LIM"] });
    assert.equal(report.ok, true);
    assert.equal(report.randomRuns, 25);
    assert.equal(report.shrinkRuns, 0);
    assert.equal(report.shrinkSteps, 0);
    assert.equal(report.runs, 25);
    assert.ok(report.commands > 25);
  });

  test(
    "a failing pool: shrink runs apart, and shrink steps as fast-check counts them",
    LONG,
    async () => {
      const seen: CheckProgress[] = [];
      const report = await checkPool(brokenMaxTotal, {
        seed: 5,
        quick: true,
        rules: ["LIM"],
        onProgress: (p) => seen.push(p),
      });
      assert.equal(report.ok, false);
      assert.equal(report.runs, report.randomRuns! + report.shrinkRuns!);
      assert.ok(report.shrinkRuns! > 0);
      // A shrink step is a smaller case that still fails: fast-check adds one index to the
      // failure's path for each, after the index of the random run that found it.
      const steps = failures(report).map((c) => c.path.split(":").length - 1);
      assert.ok(steps.length > 0);
      assert.equal(report.shrinkSteps, steps.reduce((a, b) => a + b, 0));
      assert.ok(report.shrinkSteps! <= report.shrinkRuns!);
      // The progress calls counted the same runs, one call per run.
      assert.equal(seen.length, report.runs);
      const last = seen.at(-1)!;
      assert.equal(last.randomRuns, report.randomRuns);
      assert.equal(last.shrinkRuns, report.shrinkRuns);
      assert.ok(last.property >= 2, "a failure starts a new property over the other rules");
      for (const [i, p] of seen.entries()) {
        assert.equal(p.runs, p.randomRuns + p.shrinkRuns);
        const before = seen[i - 1];
        if (before?.property !== p.property) continue;
        // Within a property: its random runs, up to the one that fails, then the shrink runs.
        assert.ok(!before.shrinking || p.shrinking);
        assert.equal(p.propertyRuns, before.propertyRuns + (before.shrinking ? 0 : 1));
        assert.equal(p.shrinkRuns, before.shrinkRuns + (before.shrinking ? 1 : 0));
      }
    },
  );

  test(
    "shares of the runs add up to the unsharded counts, and only the first replays the corpus",
    LONG,
    async () => {
      const found = await checkPool(brokenMaxTotal, { seed: 5, quick: true, rules: ["LIM-1"] });
      const corpus = [savedOf(found, "LIM-1")];
      // Shares 2 and 3 do not replay the corpus, so they judge LIM-1 by exploring; on this seed
      // their random runs do not meet the bug (on others they do, and then shrink and explore
      // further, which the sums below would count: see docs/ci.md on sharding).
      const options = { seed: 2, runs: 12, rules: ["LIM-2", "LIM-1"], corpus };
      const whole = await checkPool(brokenMaxTotal, options);
      assert.equal(whole.corpus?.replays, 1);
      assert.equal(whole.corpus?.failing.length, 1, "the saved case fails LIM-1 again");
      const shares: PoolReport[] = [];
      for (const index of [0, 1, 2]) {
        shares.push(await checkPool(brokenMaxTotal, { ...options, slice: { index, count: 3 } }));
      }
      assert.deepEqual(shares.map((s) => s.corpus?.replays ?? 0), [1, 0, 0]);
      // LIM-1 failed from the corpus before exploring, so the random runs judge LIM-2 alone
      // (which passes): no shrinking, and the shares run the unsharded check's cases between them.
      assert.equal(whole.rules.find((r) => r.id === "LIM-2")?.status, "pass");
      const sum = (pick: (r: PoolReport) => number) =>
        shares.reduce((total, r) => total + pick(r), 0);
      assert.equal(sum((r) => r.randomRuns!), whole.randomRuns);
      assert.equal(whole.randomRuns, 12);
      assert.equal(sum((r) => r.shrinkRuns!), whole.shrinkRuns);
      // The commands of the corpus replay are counted once, in the first share.
      assert.equal(sum((r) => r.commands), whole.commands);
      const replayOnly = await checkPool(brokenMaxTotal, { ...options, rules: ["LIM-1"] });
      assert.equal(replayOnly.runs, 0, "LIM-1 failed from the corpus: nothing left to explore");
      assert.ok(replayOnly.commands > 0, "the corpus replay's commands are counted");
    },
  );
});
