import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  referenceAdapter,
  referenceMultiplexedAdapter,
} from "../../conformance/reference/adapter.ts";
import type { Adapter } from "./adapter.ts";
import { checkPool } from "./check_pool.ts";

function failing(report: Awaited<ReturnType<typeof checkPool>>): string[] {
  return report.rules.filter((r) => r.status === "fail").map((r) => r.id);
}

describe("checkPool()", () => {
  test("the reference pool passes every applicable rule over many runs", async () => {
    const report = await checkPool(referenceAdapter, { seed: 11, runs: 600 });
    assert.deepEqual(failing(report), []);
    assert.deepEqual(report.errors, []);
    assert.equal(report.ok, true);
    assert.ok(report.commands > 10_000, `only ${report.commands} commands`);
  });

  test("the multiplexed reference pool passes every applicable rule", async () => {
    const report = await checkPool(referenceMultiplexedAdapter, { seed: 12, runs: 600 });
    assert.deepEqual(failing(report), []);
    assert.equal(report.ok, true);
  });

  test("rules a pool cannot be judged on are not applicable, never passed", async () => {
    const report = await checkPool(referenceMultiplexedAdapter, {
      seed: 1,
      runs: 5,
      rules: ["LSE"],
    });
    assert.ok(report.rules.every((r) => r.status === "not-applicable" && r.reason !== undefined));
  });

  test("a malformed adapter is rejected before any run", async () => {
    await assert.rejects(
      checkPool({ ...referenceAdapter, name: "" }),
      /'name' must be a non-empty string/,
    );
    await assert.rejects(checkPool(referenceAdapter, { runs: 0 }), RangeError);
  });

  test("a pool whose acquires never settle is reported, not hung", async () => {
    const hanging: Adapter = {
      ...referenceAdapter,
      name: "hanging",
      create: async (config, world) => {
        const pool = await referenceAdapter.create(config, world);
        return { ...pool, acquire: () => new Promise(() => {}) };
      },
    };
    const report = await checkPool(hanging, { seed: 3, runs: 30, rules: ["LIV"] });
    assert.ok(failing(report).includes("LIV-1"), `failing: ${failing(report)}`);
    const liv1 = report.rules.find((r) => r.id === "LIV-1")!;
    assert.match(liv1.counterexample!.message, /still pending after heal: acquire #1/);
  });

  test("an adapter that throws on create is reported as an error", async () => {
    const throwing: Adapter = {
      ...referenceAdapter,
      name: "throwing",
      create: () => {
        throw new Error("boom");
      },
    };
    const report = await checkPool(throwing, { seed: 3, runs: 5 });
    assert.equal(report.ok, false);
    assert.match(report.errors[0] ?? "", /boom/);
  });

  test("an expected failure that passes is flagged, and a listed failure is expected", async () => {
    const report = await checkPool(referenceAdapter, {
      seed: 5,
      runs: 10,
      rules: ["LIM-1"],
      expectations: { "LIM-1": "known" },
    });
    assert.equal(report.rules[0]?.status, "unexpected-pass");
    assert.equal(report.ok, false);
  });

  test("a check cut short by its real-time budget is reported, never as a pass", async () => {
    const report = await checkPool(referenceAdapter, { seed: 7, runs: 100_000, budgetMs: 50 });
    assert.equal(report.ok, false);
    assert.match(report.errors.join("\n"), /real-time budget of 50 ms .* not verified/);
    assert.ok(report.rules.every((r) => r.status !== "pass"));
    assert.ok(report.rules.some((r) => /^not verified/.test(r.reason ?? "")));
    await assert.rejects(checkPool(referenceAdapter, { budgetMs: 0 }), RangeError);
  });

  test("the same seed gives the same trace, and the determinism check agrees", async () => {
    const first = await checkPool(referenceAdapter, { seed: 99, runs: 20, determinism: true });
    const second = await checkPool(referenceAdapter, { seed: 99, runs: 20 });
    assert.equal(first.nondeterminism, undefined);
    assert.equal(first.commands, second.commands);
  });
});
