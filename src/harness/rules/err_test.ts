import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pgPoolAdapter } from "../../../conformance/adapters/pg_pool.ts";
import { BROKEN_POOLS } from "../../../fixtures/broken/mod.ts";
import type { Adapter } from "../adapter.ts";
import { checkPool } from "../check_pool.ts";

/** Checks run many cases: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 300_000 };

/**
 * pg-pool without its TTL: a refused connect's own waiter has already timed
 * out when the refusal arrives, and pg-pool starts a fresh connect for the
 * waiter that came later instead of failing it (pg-pool index.js
 * `_pulseQueue`, `newClient`: the failed connect calls back the timed-out
 * waiter only). Without `maxUses` too: the path was recorded before pg-pool
 * declared it, and a declared range changes what each run draws.
 */
const { ttlMs: _ttlMs, maxUses: _maxUses, ...rangesWithoutTtl } = pgPoolAdapter.supports.ranges;
const pgPoolWithoutTtl = {
  ...pgPoolAdapter,
  name: "pg-pool-without-ttl",
  supports: {
    ...pgPoolAdapter.supports,
    capabilities: pgPoolAdapter.supports.capabilities.filter((c) => c !== "ttl" && c !== "maxUses"),
    ranges: rangesWithoutTtl,
  },
} as Adapter;

describe("ERR-1", () => {
  test(
    "a refused connect whose own waiter left owes no other waiter a rejection",
    LONG,
    async () => {
      const report = await checkPool(pgPoolWithoutTtl, {
        seed: 1495354192,
        path: "2:28:2:4:6:9:10:12:13",
        rules: ["ERR-1"],
      });
      assert.equal(report.runs, 1);
      assert.deepEqual(report.rules.map((r) => [r.id, r.status]), [["ERR-1", "pass"]]);
    },
  );

  test(
    "a refused connect that fails none of the waiters it was made for is caught",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.rule === "ERR-1")!;
      const report = await checkPool(broken.adapter, { seed: 1, rules: ["ERR-1"] });
      assert.deepEqual(report.rules.map((r) => [r.id, r.status]), [["ERR-1", "fail"]]);
    },
  );
});
