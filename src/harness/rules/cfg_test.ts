import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  referenceAdapter,
  referenceMultiplexedAdapter,
} from "../../../conformance/reference/adapter.ts";
import { tarnAdapter } from "../../../conformance/adapters/tarn.ts";
import { OPTION_BUGS } from "../../../fixtures/broken/options.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter, Supports } from "../adapter.ts";
import { validateAdapter } from "../adapter_validation.ts";
import { checkPool } from "../check_pool.ts";
import { withoutClauses } from "../expectations.ts";
import type { InvalidOption } from "../invalid_options.ts";
import { RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import { setupArbitrary } from "../setup.ts";
import { setupLine } from "../setup_line.ts";
import { CFG_1, namesOption, showsValue, statesRequirement } from "./cfg.ts";

/** Checks run many cases: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 300_000 };

/** The violation of CFG-1 a run with no command reports, or `undefined`. */
async function violationOf(
  adapter: Adapter,
  invalid: InvalidOption,
  rule = CFG_1,
): Promise<RuleViolation | undefined> {
  const setup = setupOf({ invalidOptions: [invalid] });
  try {
    await runCase(adapter, { setup, commands: [] }, { rules: [rule] });
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
}

describe("CFG-1: reading the error", () => {
  test("an option is named by its own word, not inside a longer name", () => {
    const cases: [string, string, boolean][] = [
      ["Cannot create pool as 'maxTotal' must be positive", "maxTotal", true],
      ["Tarn: opt.max must be an integer > 0", "max", true],
      ["'maxTotal' must be positive", "max", false],
      ["invalid connections", "connections", true],
      ["invalid configuration", "maxTotal", false],
    ];
    for (const [message, name, named] of cases) {
      assert.equal(namesOption(message, name), named, `${name} in ${message}`);
    }
  });

  test("a value is shown as JavaScript prints it, as a token of its own", () => {
    const cases: [string, unknown, boolean][] = [
      ["current value is -1", -1, true],
      ["current value is -10", -1, false],
      ["current value is 1.5", 1.5, true],
      ["current value is 11.5", 1.5, false],
      ["current value is NaN", NaN, true],
      ["invalid opt.idleTimeoutMillis null", NaN, false],
      ["got 7 (maxTotal is 6)", 7, true],
      ["must be at most 70", 7, false],
    ];
    for (const [message, value, shown] of cases) {
      assert.equal(showsValue(message, value), shown, `${value} in ${message}`);
    }
  });

  test("a value of the wrong type is shown so that its type can be told", () => {
    const cases: [string, unknown, boolean][] = [
      ['current value is "5"', "5", true],
      ["Tarn: invalid opt.createTimeoutMillis '5'", "5", true],
      ["current value is 5", "5", false],
      ["current value is true", true, true],
      ['current value is {"value":5}', { value: 5 }, true],
      ["current value is { value: 5 }", { value: 5 }, true],
      ["current value is [object Object]", { value: 5 }, false],
      ["current value is {}", { value: 5 }, false],
    ];
    for (const [message, value, shown] of cases) {
      assert.equal(showsValue(message, value), shown, `${JSON.stringify(value)} in ${message}`);
    }
  });

  test("a requirement is a type, a bound, a list or a phrase, besides the name and the value", () => {
    const cases: [string, string, unknown, boolean][] = [
      [
        "Cannot create pool as 'maxTotal' must be a positive integer: current value is 0",
        "maxTotal",
        0,
        true,
      ],
      ["Tarn: opt.min must be an integer >= 0", "min", -1, true],
      ["Tarn: opt.max is smaller than opt.min", "max", 1, true],
      [
        '\'reuseOrder\' must be one of "lifo", "fifo": current value is "lilo"',
        "reuseOrder",
        "lilo",
        true,
      ],
      ["'clock' must be a Clock: current value is {}", "clock", {}, true],
      ["expected a Logger for logger, got 5", "logger", 5, true],
      ["'retries' must not be NaN", "retries", NaN, true],
      // The name and the value are not the requirement, even when they read as one.
      ["Cannot create pool as 'maxTotal' must be : current value is 0", "maxTotal", 0, false],
      ["Tarn: invalid opt.idleTimeoutMillis -1", "idleTimeoutMillis", -1, false],
      ["invalid flag: true", "flag", true, false],
      ["invalid max: Infinity", "max", Infinity, false],
      ["'timeoutMs' is not accepted: current value is \"10\"", "timeoutMs", "10", false],
      ["Invalid pool configuration", "maxTotal", 0, false],
    ];
    for (const [message, name, value, states] of cases) {
      assert.equal(statesRequirement(message, name, value), states, message);
    }
  });
});

describe("CFG-1: creating the pool with an invalid option", () => {
  test("the reference pool refuses every invalid value it can be offered", LONG, async () => {
    const offered: InvalidOption[] = [
      { option: "maxTotal", value: 0, problem: "zero" },
      { option: "maxTotal", value: NaN, problem: "not a number" },
      { option: "maxPerRoute", value: 3, problem: "above maxTotal" },
      { option: "maxWaiters", value: 0.5, problem: "not an integer" },
      { option: "ttlMs", value: -1, problem: "negative" },
      { option: "reconnectBackoffMaxMs", value: NaN, problem: "not a number" },
      { option: "maxTotal", value: "2", problem: "a string" },
      { option: "maxWaiters", value: true, problem: "a boolean" },
      { option: "connectTimeoutMs", value: { value: 10 }, problem: "an object" },
    ];
    for (const invalid of offered) {
      let probe: unknown;
      const setup = setupOf({ invalidOptions: [invalid] });
      await runCase(referenceAdapter, { setup, commands: [] }, {
        rules: [CFG_1],
        inspect: (run) => (probe = run.configProbes?.[0]),
      });
      assert.equal((probe as { outcome: string }).outcome, "rejected", invalid.option);
    }
  });

  test("the multiplexed reference pool is looked for under its own option name", async () => {
    const invalid: InvalidOption = { option: "maxIdleMs", value: -1, problem: "negative" };
    assert.equal(await violationOf(referenceMultiplexedAdapter, invalid), undefined);
  });

  test("each broken pool is reported under its clause, with the option and value", async () => {
    const negative: InvalidOption = { option: "maxTotal", value: -1, problem: "negative" };
    // The run's own maxTotal (2), as the harness draws it: converted, it is valid.
    const string: InvalidOption = { option: "maxTotal", value: "2", problem: "a string" };
    const object: InvalidOption = { option: "ttlMs", value: { value: 5 }, problem: "an object" };
    const choice: InvalidOption = {
      option: "connectFailure",
      value: "sometimes",
      problem: "not one of the choices",
    };
    const offered: Readonly<Record<string, readonly [InvalidOption, RegExp]>> = {
      "broken-coerces-options": [string, /'maxTotal' = "2" \(a string\)/],
      "broken-accepts-unknown-choice": [
        choice,
        /'connectFailure' = "sometimes" \(not one of the choices\)/,
      ],
      "broken-stringified-option-value": [object, /'ttlMs' = \{"value":5\} \(an object\)/],
    };
    for (const broken of OPTION_BUGS.filter((b) => b.rule === "CFG-1")) {
      const [invalid, detail] = offered[broken.adapter.name] ??
        [negative, /'maxTotal' = -1 \(negative\)/];
      const violation = await violationOf(broken.adapter, invalid);
      assert.equal(violation?.clause, broken.clause, broken.bug);
      assert.match(violation.detail, detail);
      // Refused (or not) when the pool was created: before step 1, whatever step judged it.
      assert.equal(violation.step, 0, broken.bug);
    }
  });

  test(
    "a counterexample marks the pool's creation, not the step that judged it",
    LONG,
    async () => {
      const broken = OPTION_BUGS.find((b) => b.clause === "CFG-1.d")!;
      const report = await checkPool(broken.adapter, { seed: 1, rules: ["CFG-1"] });
      const counterexample = report.rules[0]?.counterexample;
      assert.equal(counterexample?.clause, "CFG-1.d");
      assert.equal(counterexample.step, 0);
      assert.equal(counterexample.steps[0], "0. create the pool   ← CFG-1.d breaks in this step");
    },
  );

  test("a pool that converts a string or a boolean with Number() accepts it", async () => {
    const coerces = OPTION_BUGS.find((b) => b.adapter.name === "broken-coerces-options")!.adapter;
    for (const value of ["3", true]) {
      const invalid: InvalidOption = { option: "maxConnecting", value, problem: typeof value };
      const violation = await violationOf(coerces, invalid);
      assert.equal(violation?.clause, "CFG-1.a");
      assert.match(violation.detail, /create\(\) returned a pool instead of refusing it/);
    }
    // A number out of range is still refused, by name and value.
    const zero: InvalidOption = { option: "maxConnecting", value: 0, problem: "zero" };
    assert.equal(await violationOf(coerces, zero), undefined);
  });

  test("an error that prints the value with String() shows neither a string nor an object", async () => {
    const stringified =
      OPTION_BUGS.find((b) => b.adapter.name === "broken-stringified-option-value")!.adapter;
    const string: InvalidOption = { option: "maxUses", value: "2", problem: "a string" };
    const violation = await violationOf(stringified, string);
    assert.equal(violation?.clause, "CFG-1.b");
    assert.match(violation.detail, /does not name the value "2": .*current value is 2"$/);
    const nan: InvalidOption = { option: "maxUses", value: NaN, problem: "not a number" };
    assert.equal(await violationOf(stringified, nan), undefined);
  });

  test("a known clause does not hide the next one", async () => {
    // Vague and leaking at once: with CFG-1.b excused, CFG-1.c is still judged.
    const vague = OPTION_BUGS.find((b) => b.adapter.name === "broken-vague-option-error")!.adapter;
    const adapter: Adapter = {
      ...vague,
      create(config, world) {
        world.clock.setTimer(1_000, () => undefined);
        return vague.create(config, world);
      },
    };
    const invalid: InvalidOption = { option: "maxTotal", value: 0, problem: "zero" };
    assert.equal((await violationOf(adapter, invalid))?.clause, "CFG-1.b");
    const excused = withoutClauses(CFG_1, new Set(["b"]));
    assert.equal((await violationOf(adapter, invalid, excused as never))?.clause, "CFG-1.c");
  });

  test("tarn's message for max does not show the value", LONG, async () => {
    const invalid: InvalidOption = { option: "maxTotal", value: 1.5, problem: "not an integer" };
    const violation = await violationOf(tarnAdapter, invalid);
    assert.equal(violation?.clause, "CFG-1.b");
    assert.match(violation.detail, /the pool's 'max'/);
  });

  test(
    "tarn refuses a timeout of the wrong type and shows it in JSON, but not what it must be",
    LONG,
    async () => {
      const offered: InvalidOption[] = [
        { option: "connectTimeoutMs", value: "50", problem: "a string" },
        { option: "connectTimeoutMs", value: true, problem: "a boolean" },
        { option: "maxIdleMs", value: { value: 50 }, problem: "an object" },
      ];
      for (const invalid of offered) {
        const violation = await violationOf(tarnAdapter, invalid);
        assert.equal(violation?.clause, "CFG-1.d", invalid.problem);
        assert.match(
          violation.detail,
          /does not say what '(createTimeoutMillis|idleTimeoutMillis)' must be/,
        );
      }
      // Its message for max says it (while it does not show the value: CFG-1.b).
      const max: InvalidOption = { option: "maxTotal", value: 0, problem: "zero" };
      const showingExcused = withoutClauses(CFG_1, new Set(["b"]));
      assert.equal(await violationOf(tarnAdapter, max, showingExcused as never), undefined);
    },
  );
});

describe("CFG-1: drawing invalid options", () => {
  const base = {
    timeMode: "virtual",
    toleranceMs: 0,
    ranges: { routes: [1, 1], maxTotal: [1, 3], maxPerRoute: [1, 3], ttlMs: [5, 50] },
    policies: {} as Supports["policies"],
  } as const;

  test("only options that are declared, with their capability, are drawn", () => {
    const supports = {
      ...base,
      capabilities: ["validatesOptions", "ttl"],
      validatedOptions: { maxTotal: "max", ttlMs: "lifetime" },
    } as unknown as Supports;
    const setups = fc.sample(setupArbitrary(supports), { seed: 1, numRuns: 300 });
    const offering = setups.filter((s) => s.invalidOptions !== undefined);
    assert.ok(offering.length > 100 && offering.length < 200, `${offering.length} of 300 runs`);
    assert.ok(
      offering.every((s) => s.invalidOptions!.length >= 1 && s.invalidOptions!.length <= 6),
    );
    const drawn = offering.flatMap((s) => s.invalidOptions!);
    assert.ok(drawn.length > 1.5 * offering.length, `${drawn.length} in ${offering.length} runs`);
    assert.deepEqual(new Set(drawn.map((i) => i.option)), new Set(["maxTotal", "ttlMs"]));
    for (const { option, value } of drawn) {
      if (typeof value !== "number") continue;
      if (option === "ttlMs") assert.ok(Number.isNaN(value) || value < 0);
      else assert.ok(Number.isNaN(value) || value < 1 || !Number.isInteger(value));
    }
    // Values of the wrong type carry a valid number, which a pool that converts them accepts.
    const wrongTypes = drawn.filter((i) => typeof i.value !== "number");
    assert.deepEqual(
      new Set(wrongTypes.map((i) => i.problem)),
      new Set(["a string", "a boolean", "an object"]),
    );
    for (const { value } of wrongTypes) {
      const number = typeof value === "object" ? (value as { value: number }).value : Number(value);
      assert.ok(Number.isInteger(number) && number >= 0, JSON.stringify(value));
    }
  });

  test("an override map is offered one invalid entry, which the error must show, or an array", () => {
    const supports = {
      ...base,
      capabilities: ["validatesOptions", "maxPerRoute", "maxPerRouteOverrides"],
      validatedOptions: { maxPerRouteOverrides: "perRoute" },
    } as unknown as Supports;
    const drawn = fc.sample(setupArbitrary(supports), { seed: 2, numRuns: 300 })
      .flatMap((s) => s.invalidOptions ?? []);
    assert.ok(drawn.length > 100, `${drawn.length} drawn`);
    for (const invalid of drawn) {
      assert.equal(invalid.option, "maxPerRouteOverrides");
      if (Array.isArray(invalid.value)) {
        assert.equal("shown" in invalid, false);
        continue;
      }
      const entries = Object.entries(invalid.value as Record<string, unknown>);
      assert.deepEqual(entries, [["r0", invalid.shown]], JSON.stringify(invalid));
      assert.match(invalid.problem, / for r0$/);
    }
    assert.ok(drawn.some((i) => Array.isArray(i.value)));
    assert.ok(drawn.some((i) => i.shown === 0) && drawn.some((i) => i.shown === "1"));
  });

  test("the reference pool's error names the override and shows the entry", async () => {
    for (const shown of [0, 1.5, "1", 7] as const) {
      const invalid: InvalidOption = {
        option: "maxPerRouteOverrides",
        value: { r0: shown },
        problem: "invalid for r0",
        shown,
      };
      assert.equal(await violationOf(referenceAdapter, invalid), undefined, String(shown));
    }
  });

  test("a pool without the capability draws no invalid option", () => {
    const supports = { ...base, capabilities: ["ttl"] } as unknown as Supports;
    const validating = {
      ...supports,
      capabilities: ["ttl", "validatesOptions"],
      validatedOptions: { maxTotal: "max" },
    } as unknown as Supports;
    const [plain] = fc.sample(setupArbitrary(supports), { seed: 3, numRuns: 1 });
    assert.equal("invalidOptions" in plain!, false);
    assert.ok(
      fc.sample(setupArbitrary(validating), { seed: 1, numRuns: 50 }).some((s) =>
        s.invalidOptions !== undefined
      ),
    );
  });

  test("the setup line shows the invalid options, so a replay reads as it ran", () => {
    const nan = { option: "maxTotal", value: NaN, problem: "not a number" } as const;
    assert.match(
      setupLine(setupOf({ invalidOptions: [nan] })),
      /; invalidOption maxTotal=NaN; connectLatency 0 ms;/,
    );
    const text = { option: "ttlMs", value: "10", problem: "a string" } as const;
    assert.match(
      setupLine(setupOf({ invalidOptions: [nan, text] })),
      /; invalidOptions maxTotal=NaN, ttlMs="10"; connectLatency 0 ms;/,
    );
  });

  test("a declaration is checked before any run", () => {
    const adapter = (supports: Partial<Supports>) => ({
      ...referenceAdapter,
      supports: { ...referenceAdapter.supports, ...supports },
    });
    const { validatedOptions: _, ...withoutMap } = referenceAdapter.supports;
    assert.throws(
      () => validateAdapter({ ...referenceAdapter, supports: withoutMap }),
      /'supports\.validatedOptions' must be an object as capability 'validatesOptions' is declared/,
    );
    assert.throws(
      () => validateAdapter(adapter({ validatedOptions: { maxIdleMs: "idle" } })),
      /'supports\.validatedOptions\.maxIdleMs' must be left out, or capability 'maxIdle' declared/,
    );
    assert.throws(
      () => validateAdapter(adapter({ validatedOptions: { poolSize: "size" } as never })),
      RangeError,
    );
    assert.throws(
      () => validateAdapter(adapter({ validatedOptions: { maxTotal: "" } })),
      TypeError,
    );
    assert.throws(
      () => validateAdapter(adapter({ poolOptions: { idleCheckMs: [] } })),
      /'supports\.poolOptions\.idleCheckMs' must be a non-empty array of invalid values: current value is \[\]/,
    );
    assert.throws(
      () => validateAdapter(adapter({ poolOptions: { onError: [() => {}] } })),
      /'supports\.poolOptions\.onError' must be data \(no functions or symbols\)/,
    );
    const unvalidated = withoutMap;
    assert.throws(
      () =>
        validateAdapter({
          ...referenceAdapter,
          supports: {
            ...unvalidated,
            capabilities: unvalidated.capabilities.filter((c) => c !== "validatesOptions"),
            poolOptions: { idleCheckMs: [0] },
          },
        }),
      /'supports\.poolOptions' must be left out unless capability 'validatesOptions' is declared/,
    );
  });
});

describe("CFG-1: the pool's own options", () => {
  const own: InvalidOption = {
    option: "evictionIntervalMs",
    value: 0,
    problem: "declared invalid",
    own: true,
  };

  test("each declared value is drawn", () => {
    const supports: Supports = {
      ...referenceAdapter.supports,
      poolOptions: { evictionIntervalMs: [0, "5"] },
    };
    const drawn = new Set<string>();
    fc.assert(
      fc.property(setupArbitrary(supports), (setup) => {
        for (const invalid of setup.invalidOptions ?? []) {
          if (invalid.own === true) drawn.add(`${invalid.option}=${String(invalid.value)}`);
        }
      }),
      { seed: 1, numRuns: 300 },
    );
    assert.deepEqual([...drawn].sort(), ["evictionIntervalMs=0", "evictionIntervalMs=5"]);
  });

  test("a pool that ignores one is caught, and one that refuses it by name and value passes", async () => {
    const seen: unknown[] = [];
    const passing: Adapter = {
      ...referenceAdapter,
      supports: { ...referenceAdapter.supports, poolOptions: { evictionIntervalMs: [0] } },
      create(config, world) {
        seen.push(config.poolOptions);
        return referenceAdapter.create(config, world);
      },
    };
    const violation = await violationOf(passing, own);
    assert.deepEqual(seen[0], { evictionIntervalMs: 0 });
    assert.equal(violation?.clause, "CFG-1.a", "the reference adapter does not pass it on");
    assert.match(violation.message, /created with 'evictionIntervalMs' = 0 \(declared invalid\)/);
    const { cmapReferenceAdapter } = await import("../../../conformance/reference/presets.ts");
    assert.equal(await violationOf(cmapReferenceAdapter as Adapter, own), undefined);
  });
});
