import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceRetryAdapter } from "../../../conformance/reference/presets.ts";
import type { Adapter } from "../adapter.ts";
import { checkPool } from "../check_pool.ts";

/** Checks run many cases: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 300_000 };

describe("LIM-6.a and a pool that backs off a route", () => {
  test(
    "a pool that keeps a minimum may stay below it while it backs off a refused route",
    LONG,
    async () => {
      // Seed 2 drew, at run 120, a refused background connect and a settled pool during the
      // 1 ms backoff that followed; before the waiver this failed LIM-6.a.
      const report = await checkPool(referenceRetryAdapter, {
        seed: 2,
        runs: 200,
        rules: ["LIM-6"],
      });
      assert.deepEqual(report.rules.map((r) => [r.id, r.status]), [["LIM-6", "pass"]]);
    },
  );

  test("but not past the longest backoff its configuration allows", LONG, async () => {
    // The pool really waits 20 times the backoff it declares before it dials a refused route
    // again, for its background connects as for its callers.
    const slow: Adapter = {
      ...referenceRetryAdapter,
      name: "reference-retry-slow-backoff",
      create: (config, world) =>
        referenceRetryAdapter.create({
          ...config,
          reconnectBackoffMs: 20 * (config.reconnectBackoffMs ?? 1),
          reconnectBackoffMaxMs: 20 * Math.max(
            config.reconnectBackoffMs ?? 1,
            config.reconnectBackoffMaxMs ?? 1,
          ),
        }, world),
    };
    const report = await checkPool(slow, { seed: 2, runs: 300, rules: ["LIM-6"] });
    const [lim6] = report.rules;
    assert.equal(lim6?.status, "fail");
    assert.equal(lim6!.counterexample?.clause, "LIM-6.a");
  });
});
