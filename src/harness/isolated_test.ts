import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { TIMED_ACQUIRES_BEFORE_LOOP } from "../../fixtures/endless_loop_adapter.ts";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import type { Adapter } from "./adapter.ts";
import fc from "fast-check";
import { caseArbitrary } from "./case.ts";
import { checkPool, type CheckProgress } from "./check_pool.ts";
import { checkPoolIsolated, isolationLimitMs } from "./isolated.ts";
import type { PoolReport } from "./result.ts";
import { type RunOrigin, RunOrigins } from "./_run_origins.ts";
import { probeRuns } from "./run_case.ts";

const ENDLESS_LOOP = new URL("../../fixtures/endless_loop_adapter.ts", import.meta.url);
const REFERENCE = new URL("../../conformance/reference/adapter.ts", import.meta.url);
/**
 * The fixture's loop never ends, so its detection is certain; the watchdog
 * only sets how long the check waits: isolationLimitMs(2_000) = 5 s without
 * a step moving, where a normal step takes microseconds.
 */
const WATCHDOG_MS = 2_000;
/** The wait above, the worker's start and a quick check: far less than this, even on a loaded machine. */
const LONG = { timeout: 120_000 };

/** A report without its wall time, which no two checks share. */
function timeless(report: PoolReport): Omit<PoolReport, "durationMs"> {
  const { durationMs: _, ...rest } = report;
  return rest;
}

describe("checkPoolIsolated()", () => {
  test("a pool that never yields fails LIV-1 at the step that never returned", LONG, async () => {
    const started = Date.now();
    const report = await checkPoolIsolated(ENDLESS_LOOP, {
      seed: 1,
      quick: true,
      watchdogMs: WATCHDOG_MS,
    });
    assert.equal(report.adapter, "broken-endless-loop");
    assert.equal(report.ok, false);
    const liv1 = report.rules.find((r) => r.id === "LIV-1")!;
    assert.equal(liv1.status, "fail");
    const counterexample = liv1.counterexample!;
    assert.equal(counterexample.clause, "LIV-1.b");
    const limit = isolationLimitMs(WATCHDOG_MS);
    assert.match(
      counterexample.message,
      new RegExp(
        `^the pool never yielded: step ${counterexample.step} \\(\`acquire\\(.*\`\\) ran synchronously for more than ${limit} ms`,
      ),
    );
    // The commands up to the one that never returned: the fixture's third timed acquire.
    const { commands, path } = counterexample;
    assert.equal(commands.length, counterexample.step);
    const timed = commands.filter((c) => /^acquire\(.*, timed\)/.test(c));
    assert.equal(timed.length, TIMED_ACQUIRES_BEFORE_LOOP + 1);
    assert.equal(commands.at(-1), timed.at(-1));
    assert.match(counterexample.steps.at(-1)!, /← LIV-1\.b breaks in this step$/);
    // A run of the first property, not shrunk: its path is its index in the property.
    assert.equal(counterexample.seed, 1);
    assert.match(path, /^\d+$/);
    assert.equal(
      counterexample.replay,
      `npx poolcheck --adapter ${
        fileURLToPath(ENDLESS_LOOP)
      } --seed 1 --path ${path} --rule LIV-1 --max-commands 30`,
    );
    // Nothing else was judged: not verified, never passed.
    for (const rule of report.rules.filter((r) => r.id !== "LIV-1")) {
      assert.ok(["not-verified", "not-applicable"].includes(rule.status), rule.id);
    }
    assert.match(report.errors[0]!, /^checking stopped: the pool never yielded/);
    assert.ok(Date.now() - started < limit + 30_000, "the check ends soon after the limit");
  });

  test("its seed and path replay the stuck run", LONG, async () => {
    const first = await checkPoolIsolated(ENDLESS_LOOP, {
      seed: 5,
      runs: 10,
      watchdogMs: WATCHDOG_MS,
      rules: ["LIV"],
    });
    const found = first.rules.find((r) => r.id === "LIV-1")!.counterexample!;
    const replayed = await checkPoolIsolated(ENDLESS_LOOP, {
      seed: found.seed,
      path: found.path,
      rules: ["LIV-1"],
      watchdogMs: WATCHDOG_MS,
    });
    const again = replayed.rules.find((r) => r.id === "LIV-1")!.counterexample!;
    assert.deepEqual(again.commands, found.commands);
    assert.equal(again.message, found.message);
    assert.equal(again.path, found.path);
  });

  test(
    "a pool that yields gets the same report as in-process, for the same seed",
    LONG,
    async () => {
      for (
        const options of [{ seed: 3, quick: true }, { seed: 8, runs: 40, rules: ["LIM", "LIV"] }]
      ) {
        const progress: CheckProgress[] = [];
        const isolated = await checkPoolIsolated(REFERENCE, {
          ...options,
          adapter: "reference",
          replayCommand: "poolcheck --adapter reference",
          onProgress: (p) => progress.push(p),
        });
        const inProcess = await checkPool(referenceAdapter, {
          ...options,
          replayCommand: "poolcheck --adapter reference",
        });
        assert.deepEqual(timeless(isolated), timeless(inProcess));
        assert.equal(isolated.ok, true);
        assert.ok(progress.length > 0 && progress.every((p) => p.adapter === "reference"));
      }
    },
  );

  test(
    "a broken pool's failures are the same as in-process, counterexamples included",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-max-total")!;
      // The fixtures module exports lists, not adapters: a module exporting the one checked.
      const dir = await mkdtemp(join(tmpdir(), "poolcheck-isolated-"));
      const module = join(dir, "broken_max_total.ts");
      const fixtures = new URL("../../fixtures/broken/mod.ts", import.meta.url).href;
      await writeFile(
        module,
        `import { BROKEN_POOLS } from ${JSON.stringify(fixtures)};
export const adapter = BROKEN_POOLS.find((b) => b.adapter.name === "broken-max-total")!.adapter;
`,
      );
      const isolated = await checkPoolIsolated(module, {
        seed: 2,
        quick: true,
        rules: ["LIM-1"],
        replayCommand: "poolcheck",
      });
      const inProcess = await checkPool(broken.adapter, {
        seed: 2,
        quick: true,
        rules: ["LIM-1"],
        replayCommand: "poolcheck",
      });
      assert.deepEqual(timeless(isolated), timeless(inProcess));
      assert.equal(isolated.rules[0]!.status, "fail");
    },
  );

  test("a pool stuck in create() or close() fails LIV-1 in that phase", LONG, async () => {
    const dir = await mkdtemp(join(tmpdir(), "poolcheck-isolated-"));
    const module = join(dir, "stuck_phases.ts");
    const reference = new URL("../../conformance/reference/adapter.ts", import.meta.url).href;
    await writeFile(
      module,
      `import { referenceAdapter } from ${JSON.stringify(reference)};
const forever = () => { for (let spins = 0; spins >= 0; spins = (spins + 1) % 1000); };
export const stuckInCreate = { ...referenceAdapter, name: "stuck-in-create", create() { forever(); } };
export const stuckInClose = {
  ...referenceAdapter,
  name: "stuck-in-close",
  create: (config, world) => ({ ...referenceAdapter.create(config, world), close: forever }),
};
`,
    );
    const check = (adapter: string) =>
      checkPoolIsolated(module, { adapter, seed: 2, quick: true, watchdogMs: WATCHDOG_MS });
    const [create, close] = await Promise.all([check("stuck-in-create"), check("stuck-in-close")]);
    const limit = isolationLimitMs(WATCHDOG_MS);
    const inCreate = create.rules.find((r) => r.id === "LIV-1")!.counterexample!;
    assert.equal(
      inCreate.message,
      `the pool never yielded: its set-up (create() and the first settle) ran synchronously for more than ${limit} ms (a synchronous endless loop?)`,
    );
    assert.deepEqual(inCreate.commands, []);
    assert.equal(inCreate.path, "0");
    const inClose = close.rules.find((r) => r.id === "LIV-1")!.counterexample!;
    assert.match(
      inClose.message,
      new RegExp(
        `^the pool never yielded: the final close \\(step ${inClose.step}: close\\(\\) twice\\) ran synchronously`,
      ),
    );
    assert.equal(inClose.step, inClose.commands.length + 2);
    assert.equal(inClose.path, "0");
    assert.match(inClose.steps.at(-1)!, /close\(\) twice {3}← LIV-1\.b breaks in this step$/);
  });

  test("an aborted check stops at once and verifies nothing more", LONG, async () => {
    const controller = new AbortController();
    const report = await checkPoolIsolated(REFERENCE, {
      adapter: "reference",
      seed: 1,
      runs: 1_000_000,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("enough")),
    });
    assert.equal(report.ok, false);
    assert.match(report.errors[0]!, /was aborted by its caller \(enough\)/);
    assert.ok(report.rules.some((r) => r.status === "not-verified"));
    assert.ok(report.rules.every((r) => r.status !== "pass"));
  });

  test("bad input is refused, naming the option and its value", async () => {
    await assert.rejects(
      checkPoolIsolated(REFERENCE, { watchdogMs: 0 }),
      (error: unknown) =>
        error instanceof RangeError &&
        /'watchdogMs' must be a positive integer: current value is 0/.test(error.message),
    );
    await assert.rejects(
      checkPoolIsolated(REFERENCE, { quick: true }),
      /'adapter' must name one of the adapters it exports \(reference, reference-multiplexed\): current value is undefined/,
    );
    await assert.rejects(
      checkPoolIsolated(REFERENCE, { adapter: "tarn", quick: true }),
      /'adapter' must name one of the adapters .*: current value is tarn/,
    );
    await assert.rejects(
      checkPoolIsolated(REFERENCE, { adapter: "reference", runs: -1 }),
      (error: unknown) =>
        error instanceof RangeError && /'runs'.*current value is -1/.test(error.message),
    );
    await assert.rejects(
      checkPoolIsolated(new URL("./no_such_module.ts", import.meta.url), { quick: true }),
      /Cannot load adapter module .*no_such_module\.ts/,
    );
    await assert.rejects(
      checkPoolIsolated(REFERENCE, { adapter: "reference", label: (() => "x") as never }),
      /options must be plain data/,
    );
  });
});

/** A run's origin and the commands it ran. */
type Traced = RunOrigin & { commands: string[] };

/** The commands fast-check draws at a seed and path (the run a replay line replays). */
async function drawnAt(
  adapter: Adapter,
  maxCommands: number,
  seed: number,
  path: string,
): Promise<string[]> {
  let commands: string[] = [];
  // Failing at once ends the check at the run the path leads to (else a shrink path goes on
  // through the candidates after it).
  await fc.check(
    fc.asyncProperty(caseArbitrary(adapter, maxCommands), async (value) => {
      commands = await Promise.resolve(Array.from(value.commands, String));
      throw new Error("drawn");
    }),
    { seed, path, numRuns: 1, endOnFailure: true },
  );
  return commands;
}

describe("RunOrigins", () => {
  /** Every run of a check, with where it says it came from. */
  async function originsOf(
    adapter: Adapter,
    options: Parameters<typeof checkPool>[1] & { seed: number },
  ): Promise<{ report: PoolReport; origins: Traced[]; seedsHeld: boolean }> {
    const tracker = new RunOrigins({
      seed: options.seed,
      maxCommands: options.quick === true ? 30 : 60,
      expectations: options.expectations ?? {},
    });
    const origins: Traced[] = [];
    tracker.track();
    probeRuns({
      run: (value, runOptions) =>
        void origins.push({
          ...tracker.originOf(runOptions),
          commands: Array.from(value.commands, String),
        }),
      step: () => {},
      phase: () => {},
      ended: () => {},
    });
    try {
      const report = await checkPool(adapter, options);
      return { report, origins, seedsHeld: tracker.seedsHeld };
    } finally {
      probeRuns(undefined);
      tracker.stop();
    }
  }

  test(
    "names the seed and path of every property run, shrinks and later properties included",
    LONG,
    async () => {
      // A pool that breaks several rules: one property each, on successive seeds, each shrunk.
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-route-key")!;
      const { report, origins, seedsHeld } = await originsOf(broken.adapter, {
        seed: 1,
        quick: true,
      });
      assert.ok(seedsHeld);
      const failures = report.rules.filter((r) => r.status === "fail").map((r) =>
        r.counterexample!
      );
      assert.ok(failures.length >= 3, `only ${failures.length} failures`);
      assert.ok(new Set(failures.map((c) => c.seed)).size >= 3, "failures on several seeds");
      for (const failure of failures) {
        assert.ok(failure.path.includes(":"), "the counterexample was shrunk");
        assert.ok(
          origins.some((o) => o.property && o.seed === failure.seed && o.path === failure.path),
          `no property run named seed ${failure.seed} path ${failure.path}`,
        );
      }
      const [first] = origins;
      assert.deepEqual({ ...first, commands: [] }, {
        seed: 1,
        path: "0",
        maxCommands: 30,
        property: true,
        commands: [],
      });
      // Every run, passing shrink candidates included, is drawn again at its seed and path
      // (one in ten of every kind, to keep the test short).
      const sample = origins.filter((o, i) => i % 10 === 0 || !o.property);
      assert.ok(sample.some((o) => o.property && o.path!.includes(":")), "shrink candidates");
      assert.ok(sample.some((o) => o.property && o.seed !== 1), "later properties");
      assert.ok(sample.some((o) => o.property && o.path!.includes(":")), "shrink candidates");
      assert.ok(sample.some((o) => o.property && o.seed !== 1), "later properties");
      for (const origin of sample) {
        assert.ok(origin.seed !== undefined && origin.path !== undefined);
        assert.deepEqual(
          await drawnAt(broken.adapter, origin.maxCommands, origin.seed, origin.path),
          origin.commands,
          `seed ${origin.seed} path ${origin.path}`,
        );
      }
    },
  );

  test("names a replayed reproduction by its expectation entry", LONG, async () => {
    const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-max-total")!;
    const found = await checkPool(broken.adapter, { seed: 1, quick: true, rules: ["LIM-1"] });
    const { seed, path } = found.rules[0]!.counterexample!;
    const expectations = { "LIM-1": { reason: "one too many", seed, path, maxCommands: 30 } };
    // A seed whose one run does not meet the failure: the entry's reproduction is replayed.
    let quiet = 2;
    while (
      (await checkPool(broken.adapter, { seed: quiet, runs: 1, quick: true, rules: ["LIM-1"] }))
        .rules[0]!.status === "fail"
    ) quiet++;
    const { report, origins } = await originsOf(broken.adapter, {
      seed: quiet,
      runs: 1,
      quick: true,
      rules: ["LIM-1"],
      expectations,
    });
    assert.equal(report.rules[0]!.status, "expected-fail");
    assert.ok(origins.some((o) => !o.property && o.seed === seed && o.path === path));
  });
});
