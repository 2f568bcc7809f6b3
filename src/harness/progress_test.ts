import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { checkPool, type CheckProgress } from "./check_pool.ts";
import { progressReporter } from "./progress.ts";

/** Progress after `runs` random runs of the first property, nothing shrunk. */
function exploring(runs: number, failed: string[] = []): CheckProgress {
  return {
    adapter: "x",
    runs,
    randomRuns: runs,
    shrinkRuns: 0,
    property: 1,
    propertyRuns: runs,
    shrinking: false,
    failed,
  };
}

describe("progress lines", () => {
  test("a check that takes a while prints plain lines, known and new failures apart", () => {
    let now = 0;
    const lines: string[] = [];
    const reporter = progressReporter({
      write: (text) => lines.push(text),
      planned: 30,
      expectations: { "LIM-1": "known" },
      now: () => (now += 1_000),
    });
    reporter.onProgress(exploring(1));
    for (let runs = 2; runs <= 12; runs++) {
      reporter.onProgress(exploring(runs, runs > 6 ? ["LIM-1", "ORD-2"] : []));
    }
    reporter.done();
    assert.deepEqual(lines, [
      "x: 5 random runs, 0 shrink runs, 5 s (property 1: random run 5 of at most 30); no rule failing so far\n",
      "x: 10 random runs, 0 shrink runs, 10 s (property 1: random run 10 of at most 30); failing: known LIM-1, new ORD-2\n",
    ]);
  });

  test("on a terminal one line is rewritten after every run and cleared at the end", async () => {
    const written: string[] = [];
    const reporter = progressReporter({
      write: (text) => written.push(text),
      interactive: true,
      planned: 30,
    });
    await checkPool(referenceAdapter, {
      seed: 1,
      quick: true,
      rules: ["LIM"],
      onProgress: reporter.onProgress,
    });
    reporter.done();
    assert.ok(written.length > 10);
    assert.match(
      written[0]!,
      /^\rreference: 1 random run, 0 shrink runs, 0 s \(property 1: random run 1 of at most 30\); no rule failing so far/,
    );
    assert.equal(written.at(-1), "\r\x1b[K");
  });
});
