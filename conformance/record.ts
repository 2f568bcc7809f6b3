/**
 * Re-record the reproductions of the bundled adapters' known deviations, and
 * list what else fails: for each adapter (all by default, or those named),
 * run the default check against its expectation file; every known deviation
 * the check found gets the seed and path of that failure (replaying it is
 * then certain; an entry for a whole rule becomes one for the clause the
 * failure broke), and every other failure is printed with its clause,
 * message and replay line, to be triaged by hand.
 *
 * ```sh
 * deno task record tarn pg-pool
 * ```
 *
 * Entries whose reproduction no longer fails are printed, not removed: the
 * reason says whether the pool changed or the arbitrary did. To look for a
 * new reproduction elsewhere, give another seed, more runs and the entries
 * to record (`deno task record tarn --seed 3 --runs 1000 --clause ORD-1.a`);
 * a reproduction found at any seed replays, and the corpus carries it into
 * the default check.
 *
 * Then the bundled corpus (`corpus/<adapter>/`, replayed first by `deno task
 * conformance`) is brought in step with the expectation files, which are its
 * source: a saved case is written for every entry with a reproduction that
 * has none, and the cases no entry stands for are removed. With
 * `--corpus-only`, only that is done (no check runs):
 *
 * ```sh
 * deno task record --corpus-only
 * ```
 *
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { checkPool } from "../src/harness/check_pool.ts";
import { counterexampleLines } from "../src/harness/counterexample_text.ts";
import { EXPECTATIONS_DIR, loadExpectations } from "./_cli.ts";
import { syncCorpus } from "./_corpus.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

/** Seed of the recording runs (that of CI's check); `--seed n` searches another. */
const SEED = 20_261_121;

type Entry = string | { reason: string; seed?: number; path?: string; runtimes?: string[] };

const args = process.argv.slice(2);
const corpusOnly = args.includes("--corpus-only");
/** `--seed n` and `--runs n`: where to look for a deviation the default check no longer meets. */
const numeric = (flag: string): number | undefined => {
  const i = args.indexOf(flag);
  if (i === -1) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`${flag} must be a positive integer: current value is ${args[i + 1]}`);
    process.exit(2);
  }
  args.splice(i, 2);
  return value;
};
const seed = numeric("--seed") ?? SEED;
const numRuns = numeric("--runs");
/** `--clause id` (repeatable): with another seed, the entries to record; the others are kept. */
const clauses: string[] = [];
for (let i = args.indexOf("--clause"); i !== -1; i = args.indexOf("--clause")) {
  clauses.push(...args.splice(i, 2).slice(1));
}
const names = args.filter((arg) => arg !== "--corpus-only");
const adapters = names.length === 0
  ? BUNDLED_ADAPTERS
  : BUNDLED_ADAPTERS.filter((a) => names.includes(a.name));
for (const adapter of adapters) {
  const file = new URL(`${adapter.name}.json`, EXPECTATIONS_DIR);
  if (!corpusOnly) await record(adapter, file);
  let stored: { rules: Record<string, Entry> } = { rules: {} };
  try {
    stored = JSON.parse(await readFile(file, "utf8"));
  } catch {
    // no expectation file: no corpus either
  }
  const { written, removed, notReplayed } = await syncCorpus(adapter, stored.rules);
  for (const name of written) console.log(`${adapter.name}: corpus: wrote ${name}`);
  for (const name of removed) console.log(`${adapter.name}: corpus: removed ${name}`);
  for (const key of notReplayed) {
    console.log(
      `${adapter.name}: corpus: ${key} saved as drawn (its reproduction is for other runtimes, or did not fail here)`,
    );
  }
}

async function record(adapter: (typeof BUNDLED_ADAPTERS)[number], file: URL): Promise<void> {
  const expectations = await loadExpectations(adapter.name);
  // A generous budget: what is recorded must not depend on how busy the machine was.
  const report = await checkPool(adapter, {
    seed,
    expectations,
    budgetMs: 600_000,
    ...(numRuns === undefined ? {} : { runs: numRuns }),
  });
  let stored: { rules: Record<string, Entry> };
  try {
    stored = JSON.parse(await readFile(file, "utf8"));
  } catch {
    stored = { rules: {} };
  }
  let changed = 0;
  console.log(`${adapter.name}: ${report.runs} runs, seed ${seed}`);
  for (const rule of report.rules) {
    for (const known of rule.known ?? []) {
      const c = known.counterexample;
      const entry = stored.rules[known.clause];
      // A replayed recording already reproduces: keep it.
      if (entry === undefined || known.reason.endsWith("its recorded reproduction still fails)")) {
        continue;
      }
      // Searching another seed is for the named entries: the others keep the CI seed's recording.
      if (seed !== SEED && !clauses.includes(known.clause) && typeof entry !== "string") continue;
      const base = typeof entry === "string" ? { reason: entry } : entry;
      // An entry for a whole rule becomes one for the clause the pool breaks.
      const key = known.clause.includes(".") ? known.clause : c.clause;
      if (key === known.clause && base.seed === c.seed && base.path === c.path) continue;
      delete stored.rules[known.clause];
      stored.rules[key] = { ...base, seed: c.seed, path: c.path };
      changed++;
      console.log(`  recorded ${key}: seed ${c.seed} path ${c.path}`);
    }
    if (rule.status === "fail") {
      console.log(`  NEW ${rule.counterexample!.clause}`);
      console.log(counterexampleLines(rule.counterexample!).join("\n"));
    }
    if (rule.status === "unexpected-pass") console.log(`  STALE ${rule.id}: ${rule.reason}`);
  }
  for (const error of report.errors) console.log(`  ERROR ${error}`);
  if (changed > 0) await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`);
}
