/**
 * Benchmarks of the harness (`deno task bench`): throughput against the
 * reference pool next to raw fast-check `asyncModelRun` on a trivial model,
 * the default and quick profiles' wall time, and, for every broken pool, the
 * median runs and time until detection and the shrunk counterexample length.
 * Targets (README, "Figures"): ≥ 100,000 commands/s, default run < 10 s, quick
 * < 2 s, every broken pool caught for ≥ 99 of 100 seeds with ≤ 8 steps.
 *
 * @module
 */
import fc from "fast-check";
import { referenceAdapter } from "../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../fixtures/broken/mod.ts";
import { caseArbitrary, checkPool } from "../src/harness/check_pool.ts";
import { RULES } from "../src/harness/rules/mod.ts";
import { type Rule, ruleApplies } from "../src/harness/rule.ts";
import { runCase } from "../src/harness/run_case.ts";

/** Seeds per broken pool for the detection rate (target: caught for ≥ 99 of 100). */
const DETECTION_SEEDS = 100;
/** Seeds per broken pool whose counterexample is shrunk by `checkPool` and measured. */
const SHRINK_SEEDS = 3;

class Counter {
  n = 0;
}
class Inc implements fc.AsyncCommand<Counter, Counter> {
  check(): boolean {
    return true;
  }
  async run(model: Counter, real: Counter): Promise<void> {
    model.n++;
    real.n++;
    await Promise.resolve();
    if (model.n !== real.n) throw new Error("diverged");
  }
  toString(): string {
    return "inc";
  }
}

async function rawCommandsPerSecond(): Promise<number> {
  let commands = 0;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(
      fc.commands([fc.constant(new Inc())], { maxCommands: 60, size: "max" }),
      async (cmds) => {
        await fc.asyncModelRun(() => ({ model: new Counter(), real: new Counter() }), cmds);
        commands += [...cmds].length;
      },
    ),
    { seed: 1, numRuns: 2_000 },
  );
  return commands / ((performance.now() - started) / 1000);
}

/** Seeds of the default reference run measured for throughput, per round. */
const THROUGHPUT_SEEDS = [1, 2, 3, 4, 5, 6];
/** Rounds of throughput measurement; the median round is reported (the machine is shared). */
const ROUNDS = 5;

/**
 * Throughput once the JIT has warmed up (three default runs first), as the
 * median of {@linkcode ROUNDS} rounds, with raw fast-check measured in each
 * round too, so both see the same machine state.
 */
async function throughput(): Promise<
  { raw: number; harness: number; low: number; high: number; defaultMs: number; quickMs: number }
> {
  for (const seed of [100, 101, 102]) await checkPool(referenceAdapter, { seed });
  const rounds: { raw: number; harness: number }[] = [];
  let defaultMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawCommandsPerSecond();
    let commands = 0;
    let ms = 0;
    for (const seed of THROUGHPUT_SEEDS) {
      const full = await checkPool(referenceAdapter, { seed });
      commands += full.commands;
      ms += full.durationMs;
      defaultMs = Math.max(defaultMs, full.durationMs);
    }
    rounds.push({ raw, harness: commands / (ms / 1000) });
  }
  const sorted = [...rounds].sort((a, b) => a.harness - b.harness);
  const quick = await checkPool(referenceAdapter, { seed: 1, quick: true });
  return {
    raw: median(rounds.map((r) => r.raw)),
    harness: sorted[Math.floor(ROUNDS / 2)]!.harness,
    low: sorted[0]!.harness,
    high: sorted[ROUNDS - 1]!.harness,
    defaultMs,
    quickMs: quick.durationMs,
  };
}

/**
 * Where a command's time goes, on the cases of the default profile:
 * drawing them, running them without rule checks, and with every rule.
 */
async function breakdown(): Promise<string> {
  const rules = RULES.filter((rule) => ruleApplies(rule, referenceAdapter.supports));
  const arbitrary = caseArbitrary(referenceAdapter, 60);
  fc.sample(arbitrary, { seed: 2, numRuns: 300 });
  let started = performance.now();
  const cases = fc.sample(arbitrary, { seed: 1, numRuns: 600 });
  const drawMs = performance.now() - started;
  let commands = 0;
  for (const value of cases) commands += [...value.commands].length;
  const perCommand = async (checked: readonly Rule[]) => {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      started = performance.now();
      for (const value of cases) await runCase(referenceAdapter, value, { rules: checked });
      best = Math.min(best, performance.now() - started);
    }
    return best * 1000 / commands;
  };
  const bare = await perCommand([]);
  const all = await perCommand(rules);
  return `per command (best of 3, heal and close included): drawing ${
    (drawMs * 1000 / commands).toFixed(1)
  } µs, running without rule checks ${bare.toFixed(1)} µs, with the ${rules.length} rules ${
    all.toFixed(1)
  } µs`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Longest shrunk counterexample over the first seeds, or a note when none was caught. */
async function counterexampleLength(broken: (typeof BROKEN_POOLS)[number]): Promise<string> {
  const lengths: number[] = [];
  for (let seed = 1; seed <= SHRINK_SEEDS; seed++) {
    const report = await checkPool(broken.adapter, { seed, rules: [broken.rule] });
    const counterexample = report.rules.find((r) => r.id === broken.rule)?.counterexample;
    if (counterexample !== undefined) lengths.push(counterexample.commands.length);
  }
  if (lengths.length === 0) return `no counterexample in ${SHRINK_SEEDS} seeds`;
  return `counterexample ≤ ${
    Math.max(...lengths)
  } commands (${lengths.length}/${SHRINK_SEEDS} shrunk)`;
}

async function detection(): Promise<string[]> {
  const lines: string[] = [];
  for (const broken of BROKEN_POOLS) {
    const rules = RULES.filter((r) => r.id === broken.rule);
    const arbitrary = caseArbitrary(broken.adapter, 60);
    const runs: number[] = [];
    const times: number[] = [];
    let caught = 0;
    for (let seed = 1; seed <= DETECTION_SEEDS; seed++) {
      const started = performance.now();
      // Detection only: the first failing run ends the check, nothing is shrunk.
      const result = await fc.check(
        fc.asyncProperty(arbitrary, async (value) => {
          await runCase(broken.adapter, value, { rules });
        }),
        { seed, numRuns: 300, endOnFailure: true },
      );
      times.push(performance.now() - started);
      runs.push(result.numRuns);
      if (result.failed) caught++;
    }
    lines.push(
      `${broken.rule.padEnd(6)} ${
        broken.adapter.name.padEnd(30)
      } caught ${caught}/${DETECTION_SEEDS}, median ${median(runs)} runs, ${
        median(times).toFixed(0)
      } ms, ${await counterexampleLength(broken)}`,
    );
  }
  return lines;
}

const figures = await throughput();
console.log(
  [
    `raw fast-check asyncModelRun: ${figures.raw.toFixed(0)} commands/s`,
    `harness on the reference pool: ${
      figures.harness.toFixed(0)
    } commands/s (median of ${ROUNDS} rounds, range ${figures.low.toFixed(0)} to ${
      figures.high.toFixed(0)
    }; ${(figures.harness / figures.raw * 100).toFixed(1)}% of raw; target: 100000/s)`,
    await breakdown(),
    `default run of the reference adapter (slowest of ${THROUGHPUT_SEEDS.length * ROUNDS} runs): ${
      figures.defaultMs.toFixed(0)
    } ms (target < 10000); quick: ${figures.quickMs.toFixed(0)} ms (target < 2000)`,
    ...(await detection()),
  ].join("\n"),
);

Deno.bench("checkPool(reference, quick)", async () => {
  await checkPool(referenceAdapter, { seed: 1, quick: true });
});
