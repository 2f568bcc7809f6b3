import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  referenceAdapter,
  referenceMultiplexedAdapter,
} from "../../conformance/reference/adapter.ts";
import { cmapReferenceAdapter } from "../../conformance/reference/presets.ts";
import type { Adapter } from "./adapter.ts";
import { caseArbitrary } from "./case.ts";
import { AcquireCommand, AdvanceCommand } from "./commands/mod.ts";
import { RULES } from "./rules/mod.ts";
import { ruleApplies } from "./rule.ts";
import { type RunCase, runCase } from "./run_case.ts";
import type { RunSetup } from "./run_view.ts";
import { caseFromScript, caseToScript, ScriptError } from "./script.ts";

async function trace(adapter: Adapter, value: RunCase): Promise<readonly string[]> {
  let lines: readonly string[] = [];
  try {
    await runCase(adapter, value, {
      rules: RULES.filter((rule) => ruleApplies(rule, adapter.supports)),
      trace: true,
      inspect: (run) => (lines = run.lines),
    });
  } catch {
    // a failing or inconclusive run has a trace too
  }
  return lines;
}

describe("scripts", () => {
  for (const adapter of [referenceAdapter, referenceMultiplexedAdapter, cmapReferenceAdapter]) {
    test(`${adapter.name}: a drawn case written as JSON and read back runs the same`, async () => {
      const cases = fc.sample(caseArbitrary(adapter, 60), { seed: 11, numRuns: 40 });
      for (const value of cases) {
        const script = caseToScript(value);
        const copy = caseFromScript(JSON.parse(JSON.stringify(script)));
        assert.deepEqual([...copy.commands].map(String), [...value.commands].map(String));
        assert.deepEqual(caseToScript(copy), script, "writing it again gives the same script");
        assert.deepEqual(await trace(adapter, copy), await trace(adapter, value));
      }
    });
  }

  test("values JSON cannot hold survive; undefined members stay members", () => {
    const setup = {
      config: { routes: ["r0"], ttlMs: Infinity, maxUses: undefined },
      invalidOptions: [{ option: "maxTotal", value: NaN }, { option: "ttlMs", value: -0 }],
    } as unknown as RunSetup;
    const copy = caseFromScript(JSON.parse(JSON.stringify(caseToScript({ setup, commands: [] }))));
    const config = copy.setup.config as unknown as Record<string, unknown>;
    assert.equal(config.ttlMs, Infinity);
    assert.ok(Object.hasOwn(config, "maxUses") && config.maxUses === undefined);
    const invalid = copy.setup.invalidOptions as unknown as { value: number }[];
    assert.ok(Number.isNaN(invalid[0]!.value));
    assert.ok(Object.is(invalid[1]!.value, -0));
  });

  test("what cannot be a script says why", () => {
    const setup = { config: { routes: ["r0"] } } as unknown as RunSetup;
    const withFunction = { config: { routes: ["r0"], connect: () => {} } } as unknown as RunSetup;
    assert.throws(
      () => caseToScript({ setup: withFunction, commands: [] }),
      (e) => e instanceof ScriptError && /setup\.config\.connect is not plain data/.test(e.message),
    );
    const foreign = { run: () => Promise.resolve(), check: () => true, toString: () => "mine" };
    assert.throws(
      () => caseToScript({ setup, commands: [foreign as never] }),
      /command 1 \(mine\) is not one of the kit's/,
    );
    const good = caseToScript({ setup, commands: [new AcquireCommand("r0", true)] });
    assert.throws(() => caseFromScript(null), /a script must be an object/);
    assert.throws(() => caseFromScript({ setup, commands: {} }), /'commands' must be an array/);
    assert.throws(
      () => caseFromScript({ ...good, commands: [{ command: "toString" }] }),
      /command 1 is of a kind this kit does not have: "toString"/,
    );
    assert.throws(
      () => caseFromScript({ setup: { config: { ttlMs: { $: "forever" } } }, commands: [] }),
      /setup\.config\.ttlMs has an unknown tag "forever"/,
    );
    assert.equal(String([...caseFromScript(good).commands][0]), 'acquire("r0", timed)');
    assert.equal(
      String(
        [...caseFromScript(caseToScript({ setup, commands: [new AdvanceCommand(3)] })).commands][0],
      ),
      "advance(3)",
    );
  });
});
