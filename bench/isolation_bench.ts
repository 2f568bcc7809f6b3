/**
 * What isolation costs: the start-up of a check in a worker (the worker, the
 * kit and the adapter module loading in it), and what the worker's
 * bookkeeping (the board written before every run and at every step) costs
 * per run, next to what a run of the reference pool's default check takes.
 * `deno task bench` runs it, so does `bun bench/isolation_bench.ts`; Node
 * runs it bundled by esbuild, given a JavaScript bundle of
 * `conformance/reference/adapter.ts` as its argument.
 *
 * Start-up is measured as the wall time of a one-run check in a worker minus
 * that of the same check in this thread, the median of
 * {@linkcode STARTS} of each, after one of each to warm up.
 *
 * @module
 */
import { performance } from "node:perf_hooks";
import process from "node:process";
import { referenceAdapter } from "../conformance/reference/adapter.ts";
import { checkPool, type CheckPoolOptions } from "../src/harness/check_pool.ts";
import fc from "fast-check";
import { caseArbitrary } from "../src/harness/case.ts";
import { checkPoolIsolated } from "../src/harness/isolated.ts";
import { boardBytes, watchRuns } from "../src/harness/_isolated_worker.ts";

/** The reference adapters' module; Node, which imports no TypeScript, is given a bundle of it. */
const REFERENCE = process.argv[2] ??
  new URL("../conformance/reference/adapter.ts", import.meta.url);
/** Checks started per way of running, for the start-up figure. */
const STARTS = 11;
/** Seeds of the default profile per round, and rounds, for the bookkeeping's share. */
const SEEDS = [1, 2, 3];
const ROUNDS = 9;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function wall(check: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await check();
  return performance.now() - started;
}

const tiny: CheckPoolOptions = { seed: 1, runs: 1, rules: ["LIM-1"] };
const isolated = (options: CheckPoolOptions) =>
  checkPoolIsolated(REFERENCE, { ...options, adapter: "reference" });

await wall(() => isolated(tiny));
await wall(() => checkPool(referenceAdapter, tiny));
const startUps: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const inWorker = await wall(() => isolated(tiny));
  const inThread = await wall(() => checkPool(referenceAdapter, tiny));
  startUps.push(inWorker - inThread);
}

// The worker's side of isolation, per run: the board written before the run
// (its origin, setup and commands as text) and at each of its steps. Timed on
// drawn cases apart from any run (a shared machine sways a run's own time by
// more than this), and set against the time a run of the default check takes.
const { port1, port2 } = new MessageChannel();
const cases = fc.sample(caseArbitrary(referenceAdapter, 60), { seed: 1, numRuns: 2_000 });
const watching = watchRuns(port1, new SharedArrayBuffer(boardBytes(60)), { seed: 1 });
const propertyRun = { rules: [], onEndedEarly: () => {} };
function instrument(): number {
  const started = performance.now();
  for (const value of cases) {
    watching.probe.run(value, propertyRun);
    let step = 0;
    for (const _ of value.commands) watching.probe.step(++step);
    watching.probe.phase("heal");
    watching.probe.phase("close");
    watching.probe.ended({ timers: 0, macrotasks: 0 });
  }
  return (performance.now() - started) * 1000 / cases.length;
}
instrument();
const perRunUs = median(Array.from({ length: ROUNDS }, instrument));
watching.stop();
port1.close();
port2.close();
const runUs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let ms = 0;
  let runs = 0;
  for (const seed of SEEDS) {
    const report = await checkPool(referenceAdapter, { seed });
    ms += report.durationMs;
    runs += report.runs;
  }
  runUs.push(ms * 1000 / runs);
}
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(
  [
    `isolation (${runtime}): a check in a worker starts ${
      median(startUps).toFixed(0)
    } ms later than in this thread (median of ${STARTS}; range ${
      Math.min(...startUps).toFixed(0)
    } to ${Math.max(...startUps).toFixed(0)} ms)`,
    `isolation (${runtime}): the worker's bookkeeping takes ${perRunUs.toFixed(1)} µs per run, ${
      (perRunUs / median(runUs) * 100).toFixed(1)
    } % of a run of the default check of the reference pool (${
      median(runUs).toFixed(0)
    } µs; medians of ${ROUNDS} rounds)`,
  ].join("\n"),
);
