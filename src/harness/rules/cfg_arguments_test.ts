import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REFERENCE_SUPPORTS, referenceAdapter } from "../../../conformance/reference/adapter.ts";
import { OPTION_BUGS } from "../../../fixtures/broken/options.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter, PoolUnderTest, Supports } from "../adapter.ts";
import type { Lease } from "../../pool/mod.ts";
import { validateAdapter } from "../adapter_validation.ts";
import { AcquireCommand } from "../commands/acquire.ts";
import { BadCallCommand } from "../commands/bad_call.ts";
import { optionalKinds } from "../commands/kinds.ts";
import type { RunCommand } from "../commands/mod.ts";
import {
  type InvalidArgument,
  invalidArguments,
  isHeldLeaseCopy,
  showsArgument,
} from "../invalid_arguments.ts";
import { RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import { CFG_2 } from "./cfg.ts";

/** The violation of CFG-2 the commands lead to, or `undefined`. */
async function violationOf(
  adapter: Adapter,
  commands: RunCommand[],
): Promise<RuleViolation | undefined> {
  try {
    await runCase(adapter, { setup: setupOf(), commands }, { rules: [CFG_2] });
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
}

const bug = (name: string) => OPTION_BUGS.find((b) => b.adapter.name === name)!.adapter;

describe("CFG-2: the arguments drawn", () => {
  test("only the declared arguments whose capabilities are declared", () => {
    const supports = {
      capabilities: ["validatesArguments", "closeIdle"],
      validatedArguments: { route: "target", closeIdleMs: "ms", acquireTimeoutMs: "timeout" },
    } as unknown as Supports;
    const drawn = invalidArguments(supports);
    assert.deepEqual([...new Set(drawn.map((a) => a.argument))], ["route", "closeIdleMs"]);
    assert.deepEqual(
      drawn.filter((a) => a.argument === "closeIdleMs").map((a) => a.problem),
      ["negative", "not a number", "a string", "a boolean"],
    );
  });

  test("no capability, no argument and no badCall kind", () => {
    const supports = {
      ...REFERENCE_SUPPORTS,
      capabilities: REFERENCE_SUPPORTS.capabilities.filter((c) => c !== "validatesArguments"),
    };
    assert.deepEqual(invalidArguments(supports), []);
    assert.equal(optionalKinds(supports).includes("badCall"), false);
    assert.equal(optionalKinds(REFERENCE_SUPPORTS).includes("badCall"), true);
  });

  test("a string value must be shown in quotes, other values as tokens", () => {
    const cases: [string, unknown, boolean][] = [
      ['current value is "10"', "10", true],
      ["got '10'", "10", true],
      ["current value is 10", "10", false],
      ["current value is null", null, true],
      ["current value is nullish", null, false],
      ["current value is 42", 42, true],
      ["current value is 420", 42, false],
      ["current value is true", true, true],
      ["current value is trueish", true, false],
      ['current value is {"value":5}', { value: 5 }, true],
      ["got { value: 5 }", { value: 5 }, true],
      ["got [object Object]", { value: 5 }, false],
      ["got { value: 50 }", { value: 5 }, false],
    ];
    for (const [message, value, shown] of cases) {
      assert.equal(showsArgument(message, value), shown, `${String(value)} in ${message}`);
    }
  });

  test("a declaration must name known arguments with declared capabilities", () => {
    const declare = (validatedArguments: unknown): Adapter => ({
      ...referenceAdapter,
      supports: { ...REFERENCE_SUPPORTS, validatedArguments } as Supports,
    });
    assert.throws(
      () => validateAdapter(declare({ timeout: "timeoutMs" })),
      /supports\.validatedArguments\.timeout/,
    );
    assert.throws(() => validateAdapter(declare({ route: "" })), /non-empty string/);
    assert.throws(() => validateAdapter(declare(undefined)), /supports\.validatedArguments/);
    const withoutClose: Adapter = {
      ...referenceAdapter,
      supports: {
        ...REFERENCE_SUPPORTS,
        capabilities: REFERENCE_SUPPORTS.capabilities.filter((c) => c !== "closeIdle"),
      },
    };
    assert.throws(() => validateAdapter(withoutClose), /capability 'closeIdle' declared/);
  });
});

describe("CFG-2: calls with an invalid argument", () => {
  const every: InvalidArgument[] = invalidArguments(REFERENCE_SUPPORTS);

  test("the reference pool refuses each one, by name and value, changing nothing", async () => {
    assert.equal(new Set(every.map((a) => a.argument)).size, 5);
    for (const invalid of every) {
      // A lease is held first, so that a bad release has one to name.
      const commands = [new AcquireCommand("r0", false), new BadCallCommand(invalid)];
      assert.equal(await violationOf(referenceAdapter, commands), undefined, invalid.problem);
    }
  });

  test("a pool that ignores a bad timeout breaks CFG-2.a", async () => {
    const violation = await violationOf(bug("broken-ignores-bad-timeout"), [
      new BadCallCommand({ argument: "acquireTimeoutMs", value: -1, problem: "negative" }),
    ]);
    assert.equal(violation?.clause, "CFG-2.a");
    assert.match(violation!.message, /'acquireTimeoutMs' \(the pool's 'timeoutMs'\) = -1/);
  });

  test("a pool that converts a string or boolean timeout with Number() breaks CFG-2.a", async () => {
    for (const [value, shown] of [["10", '"10"'], [true, "true"]] as const) {
      const violation = await violationOf(bug("broken-coerces-timeout"), [
        new BadCallCommand({ argument: "acquireTimeoutMs", value, problem: typeof value }),
      ]);
      assert.equal(violation?.clause, "CFG-2.a");
      assert.ok(
        violation!.message.includes(`(the pool's 'timeoutMs') = ${shown}`),
        violation!.message,
      );
    }
  });

  test("a vague error breaks CFG-2.b and quotes what the pool said", async () => {
    const violation = await violationOf(bug("broken-vague-argument-error"), [
      new BadCallCommand({ argument: "closeIdleMs", value: "10", problem: "a string" }),
    ]);
    assert.equal(violation?.clause, "CFG-2.b");
    assert.match(violation!.message, /does not name the argument 'idleMs' or the value "10"/);
  });

  test("an error without what the argument must be breaks CFG-2.d, except for a lease", async () => {
    const violation = await violationOf(bug("broken-unexplained-argument-error"), [
      new BadCallCommand({ argument: "acquireTimeoutMs", value: -1, problem: "negative" }),
    ]);
    assert.equal(violation?.clause, "CFG-2.d");
    assert.match(
      violation!.message,
      /does not say what 'timeoutMs' must be: "Cannot acquire a connection as 'timeoutMs' is not accepted: current value is -1"/,
    );
    const notALease = every.find((a) => a.argument === "lease" && a.value === null)!;
    assert.equal(
      await violationOf(bug("broken-unexplained-argument-error"), [new BadCallCommand(notALease)]),
      undefined,
    );
  });

  test("a refusal that starts an acquire anyway breaks CFG-2.c", async () => {
    const violation = await violationOf(bug("broken-bad-call-queues-waiter"), [
      new BadCallCommand({ argument: "acquireTimeoutMs", value: NaN, problem: "not a number" }),
    ]);
    assert.equal(violation?.clause, "CFG-2.c");
    assert.match(violation!.message, /refused, but the network saw 2 events after it/);
  });

  test("a pool that takes a copy of a held lease for the lease breaks CFG-2.a", async () => {
    const copy = every.find((a) => a.argument === "lease" && isHeldLeaseCopy(a.value))!;
    const commands = [new AcquireCommand("r0", false), new BadCallCommand(copy)];
    assert.equal(await violationOf(referenceAdapter, commands), undefined);
    const violation = await violationOf(bug("broken-release-by-id"), commands);
    assert.equal(violation?.clause, "CFG-2.a");
    assert.match(violation!.message, /'lease' = a copy of lease #1 at t=0 was accepted/);
  });

  test("a release of what is not a lease must be refused by an error that names 'lease'", async () => {
    // Refused as generic-pool refuses it (lib/Pool.js), in words that name neither the argument
    // nor the value.
    const vague: Adapter = {
      ...referenceAdapter,
      create(config, world) {
        const pool = referenceAdapter.create(config, world) as PoolUnderTest<Lease>;
        return {
          ...pool,
          release: (lease: Lease, options) =>
            typeof lease?.release === "function"
              ? pool.release(lease, options)
              : Promise.reject(new Error("Resource not currently part of this pool")),
        };
      },
    };
    for (const problem of ["null", "a number", "an empty object"]) {
      const invalid = every.find((a) => a.argument === "lease" && a.problem === problem)!;
      const violation = await violationOf(vague, [new BadCallCommand(invalid)]);
      assert.equal(violation?.clause, "CFG-2.b", problem);
      assert.match(violation!.message, /does not name the argument 'lease' or the value/);
      assert.equal(await violationOf(referenceAdapter, [new BadCallCommand(invalid)]), undefined);
    }
  });

  test("a bad release with nothing held is a step that does nothing", async () => {
    const invalid = every.find((a) => a.argument === "reusable")!;
    assert.equal(await violationOf(referenceAdapter, [new BadCallCommand(invalid)]), undefined);
  });

  test("the command prints as a script line", () => {
    const invalid = every.find((a) => a.argument === "reusable" && a.value === "yes")!;
    assert.equal(String(new BadCallCommand(invalid, 2)), 'release(held[2], { reusable: "yes" })');
    assert.equal(
      String(new BadCallCommand({ argument: "route", value: 42, problem: "a number" })),
      "acquire(42)",
    );
  });
});
