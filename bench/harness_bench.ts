/**
 * Benchmarks of the harness (`deno task bench`): throughput against the
 * reference pool next to raw fast-check `asyncModelRun` on a trivial model,
 * the default and quick profiles' wall time, a run's fixed cost (the quick
 * profile's throughput next to the default's), every bundled adapter's
 * throughput next to the reference pool's in the same process, and, for every broken pool, the
 * median runs until detection with swarm testing and without it, and the
 * shrunk counterexample length.
 * Targets (README, "Figures"): ≥ 100,000 commands/s, default run < 10 s, quick
 * < 2 s, a run's fixed cost ≤ 10 commands (quick throughput ≥ 70 % of the
 * default's), every bundled adapter ≥ half the reference pool's throughput,
 * every broken pool caught for ≥ 99 of 100 seeds with ≤ 8 steps.
 *
 * @module
 */
import fc from "fast-check";
import { referenceAdapter } from "../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../fixtures/broken/mod.ts";
import { caseArbitrary, checkPool } from "../src/harness/check_pool.ts";
import { RULES } from "../src/harness/rules/mod.ts";
import { type Rule, ruleApplies } from "../src/harness/rule.ts";
import { probeRuns, type RunCase, runCase } from "../src/harness/run_case.ts";
import { realTimers } from "../src/clock/global_time.ts";
import { InconclusiveRun } from "../src/harness/_run_end.ts";
import { RuleViolation } from "../src/harness/rule.ts";
import type { Adapter } from "../src/harness/adapter.ts";
import { BUNDLED_ADAPTERS } from "../conformance/adapters/mod.ts";
import { readExpectations } from "../src/cli/expectations_file.ts";

/** Seeds per broken pool for the detection rate (target: caught for ≥ 99 of 100). */
const DETECTION_SEEDS = 100;
/** Runs per seed before a broken pool counts as missed: those of the default check. */
const DETECTION_RUNS = 300;
/** Seeds per known deviation of a bundled adapter, for the time to find it. */
const DEVIATION_SEEDS = 3;
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
/** Seeds of the quick reference run measured per round, for a run's fixed cost. */
const QUICK_SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);

/** Commands, runs and wall time of checks of one adapter over some seeds. */
interface Tally {
  commands: number;
  runs: number;
  ms: number;
}

async function tally(
  adapter: Adapter,
  seeds: readonly number[],
  quick = false,
): Promise<Tally & { slowestMs: number }> {
  const sum = { commands: 0, runs: 0, ms: 0, slowestMs: 0 };
  for (const seed of seeds) {
    const report = await checkPool(adapter, { seed, quick });
    sum.commands += report.commands;
    sum.runs += report.runs;
    sum.ms += report.durationMs;
    sum.slowestMs = Math.max(sum.slowestMs, report.durationMs);
  }
  return sum;
}

function perSecond(t: Tally): number {
  return t.commands / (t.ms / 1000);
}

/**
 * A run's fixed cost in commands, from the quick profile's share of the
 * default profile's throughput: with each run costing `fixed + c × commands`,
 * a profile of `n` commands per run runs `n / (fixed + c × n)` commands per
 * unit of time, and the ratio of two such profiles gives `fixed / c`.
 *
 * @param share Quick throughput over default throughput.
 * @param quick Commands per run of the quick profile.
 * @param full Commands per run of the default profile.
 */
function fixedCostInCommands(share: number, quick: number, full: number): number {
  return quick * full * (1 - share) / (share * full - quick);
}

/**
 * Throughput once the JIT has warmed up (three default runs first), as the
 * median of {@linkcode ROUNDS} rounds, with raw fast-check measured in each
 * round too, so both see the same machine state; and in each round the quick
 * profile next to the default one, for a run's fixed cost.
 */
async function throughput(): Promise<
  {
    raw: number;
    harness: number;
    low: number;
    high: number;
    defaultMs: number;
    quickMs: number;
    quickShare: number[];
    fixedCommands: number;
  }
> {
  for (const seed of [100, 101, 102]) await checkPool(referenceAdapter, { seed });
  await tally(referenceAdapter, QUICK_SEEDS, true);
  const rounds: { raw: number; harness: number }[] = [];
  const quickShare: number[] = [];
  const perRun = { quick: { commands: 0, runs: 0 }, full: { commands: 0, runs: 0 } };
  let defaultMs = 0;
  let quickMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await rawCommandsPerSecond();
    const full = await tally(referenceAdapter, THROUGHPUT_SEEDS);
    const quick = await tally(referenceAdapter, QUICK_SEEDS, true);
    defaultMs = Math.max(defaultMs, full.slowestMs);
    quickMs = Math.max(quickMs, quick.slowestMs);
    rounds.push({ raw, harness: perSecond(full) });
    quickShare.push(perSecond(quick) / perSecond(full));
    for (const [sum, t] of [[perRun.quick, quick], [perRun.full, full]] as const) {
      sum.commands += t.commands;
      sum.runs += t.runs;
    }
  }
  const sorted = [...rounds].sort((a, b) => a.harness - b.harness);
  return {
    raw: median(rounds.map((r) => r.raw)),
    harness: sorted[Math.floor(ROUNDS / 2)]!.harness,
    low: sorted[0]!.harness,
    high: sorted[ROUNDS - 1]!.harness,
    defaultMs,
    quickMs,
    quickShare,
    fixedCommands: fixedCostInCommands(
      median(quickShare),
      perRun.quick.commands / perRun.quick.runs,
      perRun.full.commands / perRun.full.runs,
    ),
  };
}

/** Seeds per bundled adapter and round, for its throughput next to the reference pool's. */
const ADAPTER_SEEDS = [7, 8];
/** Rounds of the bundled adapters' throughput; the median ratio is reported. */
const ADAPTER_ROUNDS = 3;

/**
 * Every bundled adapter's throughput on the default profile next to the
 * reference pool's, in the same process: in each round the reference pool
 * is measured right before each adapter, on the same seeds, and the ratio of
 * the pair is taken; the median of {@linkcode ADAPTER_ROUNDS} rounds is
 * reported with its range (target: at least half).
 */
async function adapterThroughput(): Promise<string[]> {
  const others = BUNDLED_ADAPTERS.filter((a) => a !== referenceAdapter) as Adapter[];
  for (const adapter of [referenceAdapter, ...others]) await checkPool(adapter, { seed: 5 });
  const ratios = new Map<Adapter, number[]>(others.map((a) => [a, []]));
  const speeds = new Map<Adapter, number[]>(others.map((a) => [a, []]));
  for (let round = 0; round < ADAPTER_ROUNDS; round++) {
    for (const adapter of others) {
      const reference = perSecond(await tally(referenceAdapter, ADAPTER_SEEDS));
      const own = perSecond(await tally(adapter, ADAPTER_SEEDS));
      ratios.get(adapter)!.push(own / reference);
      speeds.get(adapter)!.push(own);
    }
  }
  const waits = new Map<Adapter, Waits>();
  for (const adapter of [referenceAdapter, ...others]) waits.set(adapter, await waitsOf(adapter));
  const macrotaskUs = await macrotaskCost();
  const waitsText = (adapter: Adapter, commandsPerSecond?: number) => {
    const { timers, macrotasks } = waits.get(adapter)!;
    const share = commandsPerSecond === undefined || macrotasks === 0
      ? ""
      : `, about ${(macrotasks * macrotaskUs * commandsPerSecond / 1e4).toFixed(0)} % of its time`;
    return `per command: ${timers.toFixed(2).padStart(5)} timers, ${
      macrotasks.toFixed(2).padStart(5)
    } macrotasks${share}`;
  };
  const width = Math.max(...others.map((a) => a.name.length));
  return [
    `bundled adapters next to the reference pool, same process, default profile: seeds ${
      ADAPTER_SEEDS.join(" and ")
    }, the reference pool measured right before each adapter, median of ${ADAPTER_ROUNDS} rounds (range); target: at least 0.50 for every adapter on global time. Then, per command (seed ${
      ADAPTER_SEEDS[0]
    }, counted apart): timers fired, and real macrotasks the settle loop waited for; an empty macrotask costs ${
      macrotaskUs.toFixed(2)
    } µs in this process (median of 9 batches of 2,000): what the waits cost beyond the pool's own work run in them`,
    `${referenceAdapter.name.padEnd(width)} ${referenceAdapter.supports.timeMode.padEnd(7)} ${
      waitsText(referenceAdapter)
    }`,
    ...others.map((adapter) => {
      const r = ratios.get(adapter)!;
      const speed = median(speeds.get(adapter)!);
      return `${adapter.name.padEnd(width)} ${adapter.supports.timeMode.padEnd(7)} ${
        speed.toFixed(0).padStart(7)
      } commands/s  ${median(r).toFixed(2)} of the reference (${Math.min(...r).toFixed(2)} to ${
        Math.max(...r).toFixed(2)
      })  ${waitsText(adapter, speed)}`;
    }),
  ];
}

/** Timers fired and real macrotasks waited for, per command. */
interface Waits {
  timers: number;
  macrotasks: number;
}

/**
 * Timers fired and real macrotasks waited for per command, over the default
 * check of one seed (its shrink runs included): where a pool on global time
 * spends a run beyond its own code. Counted in a check of its own, as
 * watching runs costs a little.
 */
async function waitsOf(adapter: Adapter): Promise<Waits> {
  const sum = { commands: 0, timers: 0, macrotasks: 0 };
  probeRuns({
    run() {},
    step() {
      sum.commands++;
    },
    phase() {},
    ended({ timers, macrotasks }) {
      sum.timers += timers;
      sum.macrotasks += macrotasks;
    },
  });
  try {
    await checkPool(adapter, { seed: ADAPTER_SEEDS[0]! });
  } finally {
    probeRuns(undefined);
  }
  return { timers: sum.timers / sum.commands, macrotasks: sum.macrotasks / sum.commands };
}

/** Median cost of one empty real macrotask (what the settle loop waits for on global time), µs. */
async function macrotaskCost(): Promise<number> {
  const batches: number[] = [];
  for (let batch = 0; batch < 9; batch++) {
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) {
      await new Promise<void>((resolve) => realTimers.setImmediate(resolve));
    }
    batches.push((performance.now() - started) * 1000 / 2_000);
  }
  return median(batches);
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
  } µs; the rule checks ${(all - bare).toFixed(1)} µs, ${
    ((all - bare) / bare).toFixed(2)
  } of the run without them (target ≤ 1.00; the settle loop and the records are in the run)`;
}

/** The reference adapter drawing one pool size: `routes` routes, `maxTotal` in all, `maxPerRoute` each. */
function sizedReference(routes: number, maxTotal: number, maxPerRoute: number): Adapter {
  const { ranges } = referenceAdapter.supports;
  return {
    ...referenceAdapter,
    supports: {
      ...referenceAdapter.supports,
      ranges: {
        ...ranges,
        routes: [routes, routes],
        maxTotal: [maxTotal, maxTotal],
        maxPerRoute: [maxPerRoute, maxPerRoute],
      },
    },
  };
}

/** Microseconds per command of running `cases` with every applicable rule, heal and close included. */
async function microsPerCommand(adapter: Adapter, cases: readonly RunCase[]): Promise<number> {
  const rules = RULES.filter((rule) => ruleApplies(rule, adapter.supports));
  let commands = 0;
  for (const value of cases) commands += [...value.commands].length;
  const started = performance.now();
  for (const value of cases) {
    try {
      await runCase(adapter, value, { rules });
    } catch (error) {
      if (!(error instanceof InconclusiveRun)) throw error;
    }
  }
  return (performance.now() - started) * 1000 / commands;
}

/**
 * How the cost of a command grows with the pool and with the run: 300 runs
 * of up to 60 commands at maxTotal 256 over 10 routes next to maxTotal 4 on
 * one route; the same two sizes in 4 runs of up to 10,000 commands, where a
 * run's fixed cost (its capacity probe above all, which leases every
 * connection of the pool once) is spread over thousands of commands, so
 * that what is left is the cost of a step; and 4 runs of up to 10,000
 * commands next to 200 of up to 100. Each pair is measured in the same
 * round, the median of the rounds' ratios.
 */
async function scale(): Promise<string> {
  const small = sizedReference(1, 4, 4);
  const large = sizedReference(10, 256, 64);
  const cases = (adapter: Adapter, max: number, runs: number) =>
    fc.sample(caseArbitrary(adapter, max), { seed: 1, numRuns: runs });
  const sized = { small: cases(small, 60, 300), large: cases(large, 60, 300) };
  const sizedLong = { small: cases(small, 10_000, 4), large: cases(large, 10_000, 4) };
  const long = {
    short: cases(referenceAdapter, 100, 200),
    long: cases(referenceAdapter, 10_000, 4),
  };
  const bySize: number[] = [];
  const bySizeLong: number[] = [];
  const byLength: number[] = [];
  const micros = {
    small: [] as number[],
    large: [] as number[],
    short: [] as number[],
    long: [] as number[],
    smallLong: [] as number[],
    largeLong: [] as number[],
  };
  await microsPerCommand(small, sized.small.slice(0, 30));
  for (let round = 0; round < ROUNDS; round++) {
    const s = await microsPerCommand(small, sized.small);
    const l = await microsPerCommand(large, sized.large);
    const a = await microsPerCommand(referenceAdapter, long.short);
    const b = await microsPerCommand(referenceAdapter, long.long);
    const sl = await microsPerCommand(small, sizedLong.small);
    const ll = await microsPerCommand(large, sizedLong.large);
    bySize.push(l / s);
    bySizeLong.push(ll / sl);
    byLength.push(b / a);
    micros.smallLong.push(sl);
    micros.largeLong.push(ll);
    micros.small.push(s);
    micros.large.push(l);
    micros.short.push(a);
    micros.long.push(b);
  }
  const us = (values: number[]) => `${median(values).toFixed(1)} µs`;
  return `scale, reference pool, every rule: per command in runs of up to 60 commands ${
    us(micros.large)
  } at maxTotal 256 over 10 routes, ${us(micros.small)} at maxTotal 4 on 1 route, ratio ${
    median(bySize).toFixed(2)
  } (the capacity probe's share grows with the pool); per step, in runs of up to 10,000 commands ${
    us(micros.largeLong)
  } and ${us(micros.smallLong)}, ratio ${
    median(bySizeLong).toFixed(2)
  } (target ≤ 1.5); runs of up to 10,000 commands ${us(micros.long)}, of up to 100 ${
    us(micros.short)
  }, ratio ${median(byLength).toFixed(2)} (target ≤ 1.0); median of ${ROUNDS} rounds`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Longest shrunk counterexample over the first seeds, or a note when none was caught. */
async function counterexampleLength(broken: (typeof BROKEN_POOLS)[number]): Promise<string> {
  const lengths: number[] = [];
  const others = new Set<string>();
  for (let seed = 1; seed <= SHRINK_SEEDS; seed++) {
    const report = await checkPool(broken.adapter, { seed, rules: [broken.rule] });
    const counterexample = report.rules.find((r) => r.id === broken.rule)?.counterexample;
    if (counterexample === undefined) continue;
    lengths.push(counterexample.commands.length);
    if (counterexample.clause !== broken.clause) others.add(counterexample.clause);
  }
  if (lengths.length === 0) return `no counterexample in ${SHRINK_SEEDS} seeds`;
  const through = others.size === 0 ? "" : `, through ${[...others].join(", ")}`;
  return `counterexample ≤ ${
    Math.max(...lengths)
  } commands (${lengths.length}/${SHRINK_SEEDS} shrunk${through})`;
}

/** Per seed, the runs up to the first failing one and the wall time they took. */
interface Detection {
  /** Runs up to and including the first failing one ({@linkcode MISSED} when none failed). */
  readonly runs: number[];
  /** Real time to that run's end, ms (to the last run's end when none failed). */
  readonly ms: number[];
}

/**
 * Runs to the first failing run per seed, and the wall time to it, for one
 * adapter and rule, one way of drawing cases. A failure counts when it is of
 * `clause`, or of any clause of the rule when `clause` is the rule's id.
 */
async function firstFailures(
  adapter: Adapter,
  rule: string,
  clause: string,
  options: { swarm: boolean; seeds: number },
): Promise<Detection> {
  const rules = RULES.filter((r) => r.id === rule);
  // The arbitrary checkPool uses (swarm on), or the draw without swarm.
  const arbitrary = caseArbitrary(adapter, 60, { swarm: options.swarm });
  const found: Detection = { runs: [], ms: [] };
  for (let seed = 1; seed <= options.seeds; seed++) {
    const started = performance.now();
    // Detection only: the first failing run ends the check, nothing is shrunk.
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (value) => {
        try {
          await runCase(adapter, value, { rules });
        } catch (error) {
          // As in checkPool: a run without a verdict is no detection, nor another clause's failure.
          if (error instanceof InconclusiveRun) return;
          if (error instanceof RuleViolation && clause !== rule && error.clause !== clause) return;
          throw error;
        }
      }),
      { seed, numRuns: DETECTION_RUNS, endOnFailure: true },
    );
    found.runs.push(result.failed ? result.numRuns : MISSED);
    found.ms.push(performance.now() - started);
  }
  return found;
}

/** Runs to the first failing run per seed, for one broken pool and one way of drawing cases. */
function runsToDetection(
  broken: (typeof BROKEN_POOLS)[number],
  swarm: boolean,
): Promise<Detection> {
  return firstFailures(broken.adapter, broken.rule, broken.rule, {
    swarm,
    seeds: DETECTION_SEEDS,
  });
}

/** Width of the broken pools' names in the table. */
const NAME_WIDTH = Math.max(...BROKEN_POOLS.map((b) => b.adapter.name.length));

/** A seed on which no run of the check found the bug, counted one past the runs it had. */
const MISSED = DETECTION_RUNS + 1;

function caught(runs: readonly number[]): string {
  return `${runs.filter((n) => n !== MISSED).length}/${runs.length}`;
}

/**
 * Median runs to detection and detection rate of every broken pool, with
 * swarm testing (the default draw) and without it, side by side, then the
 * longest shrunk counterexample of the default check.
 */
async function detection(): Promise<string[]> {
  const lines = [
    `runs to detection per broken pool: seeds 1 to ${DETECTION_SEEDS}, the number of runs up to the first failing one (a seed that finds nothing in ${DETECTION_RUNS} runs counts ${MISSED}), median; with swarm testing and without; median wall time to the first failing run, with swarm`,
    `${"clause".padEnd(8)} ${"broken pool".padEnd(NAME_WIDTH)} ${"swarm".padStart(14)} ${
      "without swarm".padStart(14)
    } ${"ms".padStart(8)}  shrunk (default check)`,
  ];
  const all = { swarm: [] as number[], classic: [] as number[], ms: [] as number[] };
  let logRatios = 0;
  const pools = BROKEN_POOLS.filter((b) => POOLS === undefined || POOLS.has(b.adapter.name));
  for (const broken of pools) {
    const swarm = await runsToDetection(broken, true);
    const classic = (await runsToDetection(broken, false)).runs;
    all.swarm.push(...swarm.runs);
    all.classic.push(...classic);
    all.ms.push(...swarm.ms);
    logRatios += Math.log(median(swarm.runs) / median(classic));
    const cell = (runs: number[]) => `${median(runs)} (${caught(runs)})`.padStart(14);
    lines.push(
      `${broken.clause.padEnd(8)} ${broken.adapter.name.padEnd(NAME_WIDTH)} ${cell(swarm.runs)} ${
        cell(classic)
      } ${median(swarm.ms).toFixed(1).padStart(8)}  ${await counterexampleLength(broken)}`,
    );
  }
  lines.push(
    `all broken pools: median ${median(all.swarm)} runs with swarm (${
      caught(all.swarm)
    } seeds caught, median ${median(all.ms).toFixed(1)} ms to the first failure), ${
      median(all.classic)
    } without (${caught(all.classic)}); per pool, swarm needs ${
      (Math.exp(logRatios / pools.length) * 100).toFixed(0)
    }% of the runs without it (geometric mean of the ratios of medians)`,
  );
  return lines;
}

/**
 * How soon the default check finds each known deviation of the bundled
 * adapters (the entries of their expectation files): runs to the first run
 * failing the listed clause (any clause for an entry that names a rule), and
 * the wall time to it, median over {@linkcode DEVIATION_SEEDS} seeds.
 */
async function knownDeviations(): Promise<string[]> {
  const lines = [
    `known deviations of the bundled adapters: seeds 1 to ${DEVIATION_SEEDS}, runs up to the first run failing the listed clause (a seed that finds nothing in ${DETECTION_RUNS} runs counts ${MISSED}), median, and median wall time to it`,
  ];
  const width = Math.max(...BUNDLED_ADAPTERS.map((a) => a.name.length));
  const all: number[] = [];
  for (const adapter of BUNDLED_ADAPTERS) {
    const expectations = await readExpectations(
      new URL(`../conformance/expectations/${adapter.name}.json`, import.meta.url),
      { missing: "empty" },
    );
    for (const key of Object.keys(expectations)) {
      const rule = key.split(".")[0]!;
      if (!RULES.some((r) => r.id === rule)) continue;
      const found = await firstFailures(adapter as Adapter, rule, key, {
        swarm: true,
        seeds: DEVIATION_SEEDS,
      });
      all.push(...found.ms);
      lines.push(
        `${key.padEnd(8)} ${adapter.name.padEnd(width)} ${
          `${median(found.runs)} (${caught(found.runs)})`.padStart(12)
        } ${median(found.ms).toFixed(0).padStart(7)} ms`,
      );
    }
  }
  lines.push(`all known deviations: median ${median(all).toFixed(0)} ms to the first failure`);
  return lines;
}

/**
 * The parts to measure, from the environment variable `BENCH_PARTS` (a comma
 * list of `throughput`, `adapters`, `detection` and `deviations`; all when
 * unset), e.g. `BENCH_PARTS=detection deno task bench` after a change to the
 * rules or the broken pools.
 */
const PARTS = new Set(
  (Deno.env.get("BENCH_PARTS") ?? "throughput,adapters,detection,deviations").split(","),
);

/**
 * The broken pools the detection part measures, from the environment variable
 * `BENCH_POOLS` (a comma list of their names; all when unset), e.g.
 * `BENCH_PARTS=detection BENCH_POOLS=broken-lost-waiter deno task bench`
 * after adding or changing one.
 */
const POOLS: ReadonlySet<string> | undefined = Deno.env.get("BENCH_POOLS") === undefined
  ? undefined
  : new Set(Deno.env.get("BENCH_POOLS")!.split(","));

async function throughputLines(): Promise<string[]> {
  const figures = await throughput();
  return [
    `raw fast-check asyncModelRun: ${figures.raw.toFixed(0)} commands/s`,
    `harness on the reference pool: ${
      figures.harness.toFixed(0)
    } commands/s (median of ${ROUNDS} rounds, range ${figures.low.toFixed(0)} to ${
      figures.high.toFixed(0)
    }; ${(figures.harness / figures.raw * 100).toFixed(1)}% of raw; target: 100000/s)`,
    await breakdown(),
    await scale(),
    `default run of the reference adapter (slowest of ${THROUGHPUT_SEEDS.length * ROUNDS} runs): ${
      figures.defaultMs.toFixed(0)
    } ms (target < 10000); quick (slowest of ${QUICK_SEEDS.length * ROUNDS}): ${
      figures.quickMs.toFixed(0)
    } ms (target < 2000)`,
    `fixed cost of a run, reference pool: quick profile at ${
      (median(figures.quickShare) * 100).toFixed(0)
    } % of the default profile's throughput (rounds ${
      (Math.min(...figures.quickShare) * 100).toFixed(0)
    } to ${(Math.max(...figures.quickShare) * 100).toFixed(0)} %; target ≥ 70 %), that is about ${
      figures.fixedCommands.toFixed(1)
    } commands' worth per run (from the median share; target ≤ 10)`,
  ];
}

console.log(
  [
    ...(PARTS.has("throughput") ? await throughputLines() : []),
    ...(PARTS.has("adapters") ? await adapterThroughput() : []),
    ...(PARTS.has("detection") ? await detection() : []),
    ...(PARTS.has("deviations") ? await knownDeviations() : []),
  ].join("\n"),
);

Deno.bench("checkPool(reference, quick)", async () => {
  await checkPool(referenceAdapter, { seed: 1, quick: true });
});
