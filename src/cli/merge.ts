/**
 * `poolcheck merge`: combine the JSON reports of the shards of a sharded
 * check (`--shard k/n`), or of jobs that checked different adapters, into
 * one report, printed as text and written in every format, with the exit
 * code the unsharded check would have had.
 *
 * How shares of one adapter's runs combine, rule by rule: a rule fails when
 * a share found it failing (with the first such share's counterexample); it
 * is not verified when a share could not judge it; its known deviations are
 * those any share found or reproduced, and it passes unexpectedly only when
 * an expectation entry was confirmed by no share. Every count adds up:
 * random runs, shrink runs, shrink steps, corpus replays (the first share
 * replays the corpus, and its account is kept), commands, runs without a
 * verdict, runs ended early, and times. Combining shares needs what JSON
 * format 2 records (the entries of an unexpected pass, which known
 * deviations were only reproduced); shards written in format 1 are merged
 * only when each holds whole adapters.
 *
 * @example Merging needs reports
 * ```ts
 * import assert from "node:assert/strict";
 * import { runMerge } from "./merge.ts";
 *
 * const quiet = { write: () => true };
 * assert.equal(await runMerge([], { stdout: quiet, stderr: quiet }), 2);
 * ```
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import type { KnownDeviation, PoolReport, RuleResult } from "../harness/result.ts";
import { renderHtml, renderJson, renderJunit, renderMarkdown, renderText } from "../report/mod.ts";
import type { JsonShard } from "../report/json.ts";
import { type JsonReport, JsonReportError, parseJsonReport } from "../report/json_read.ts";
import { emit } from "./_emit.ts";
import { UsageError } from "./usage_error.ts";

/** A JSON report to merge, and the name to call it by in messages (its file). */
export interface MergeInput {
  /** Its file, or another name for messages. */
  readonly name: string;
  /** The report as read. */
  readonly report: JsonReport;
}

/** Reports merged from several JSON reports. */
export interface Merged {
  /** One report per adapter, in the order of the shards' adapters (or of the inputs). */
  readonly reports: PoolReport[];
  /** How many reports were merged. */
  readonly from: number;
  /** Whether they were the shards of one sharded check. */
  readonly sharded: boolean;
  /** The shared seed, for shards. */
  readonly seed?: number;
}

function cannot(why: string): never {
  throw new UsageError(`Cannot merge reports as ${why}`);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Merge JSON reports: either every shard of one sharded check (all n of
 * them, each once, with the same seed, adapters and flags), or reports of
 * distinct adapters.
 *
 * @param inputs The reports, each with its file name.
 * @returns The merged reports.
 * @throws {UsageError} If shards are missing, repeated or from different
 * checks, if shards and other reports are mixed, or if an adapter is in two
 * reports that are not shares of one sharded check.
 *
 * @example Two shares of one adapter's runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeReports } from "./merge.ts";
 *
 * const share = (index: number, runs: number) => ({
 *   name: `shard-${index}.json`,
 *   report: {
 *     formatVersion: 2,
 *     shard: {
 *       index, count: 2, seed: 7, adapters: ["x"],
 *       settings: { runs: null, maxCommands: null, quick: true, rules: [] },
 *       units: [{ adapter: "x", slice: index - 1, slices: 2 }],
 *     },
 *     reports: [{
 *       adapter: "x", seed: 7, runs, randomRuns: runs, shrinkRuns: 0, shrinkSteps: 0,
 *       commands: 10 * runs, durationMs: 5, rules: [], errors: [], ok: true,
 *     }],
 *   },
 * });
 * const merged = mergeReports([share(1, 15), share(2, 15)]);
 * assert.equal(merged.reports[0]?.randomRuns, 30);
 * assert.equal(merged.reports[0]?.commands, 300);
 * assert.equal(merged.from, 2);
 * ```
 */
export function mergeReports(inputs: readonly MergeInput[]): Merged {
  if (inputs.length === 0) cannot("no report was given: name the JSON files to merge");
  const shards = inputs.filter((input) => input.report.shard !== undefined);
  if (shards.length === 0) return mergeDistinct(inputs);
  if (shards.length !== inputs.length) {
    const other = inputs.find((input) => input.report.shard === undefined)!;
    cannot(
      `${other.name} is not a shard of a sharded check (it has no 'shard' field) while ${
        shards[0]!.name
      } is: merge the shards of one check`,
    );
  }
  return mergeShards(inputs as readonly (MergeInput & { report: { shard: JsonShard } })[]);
}

function mergeDistinct(inputs: readonly MergeInput[]): Merged {
  const seen = new Map<string, string>();
  const reports: PoolReport[] = [];
  for (const { name, report } of inputs) {
    for (const pool of report.reports) {
      const before = seen.get(pool.adapter);
      if (before !== undefined) {
        cannot(
          `adapter ${pool.adapter} is in both ${before} and ${name}, and they are not shards of one sharded check (made with --shard)`,
        );
      }
      seen.set(pool.adapter, name);
      reports.push(pool);
    }
  }
  return { reports, from: inputs.length, sharded: false };
}

function mergeShards(inputs: readonly (MergeInput & { report: { shard: JsonShard } })[]): Merged {
  const first = inputs[0]!;
  const { count, seed, adapters, settings } = first.report.shard;
  const { formatVersion } = first.report;
  const byIndex = new Map<number, string>();
  for (const { name, report: { shard, formatVersion: version } } of inputs) {
    if (version !== formatVersion) {
      cannot(
        `${name} is in JSON format ${version} and ${first.name} in format ${formatVersion}: every shard must be made by the same kit`,
      );
    }
    const differs = (what: string, theirs: unknown, ours: unknown) =>
      cannot(
        `${name} is shard ${shard.index}/${shard.count} of a check with ${what} ${
          JSON.stringify(theirs)
        }, and ${first.name} of one with ${
          JSON.stringify(ours)
        }: every shard must run the same command but for --shard`,
      );
    if (shard.count !== count) differs("shard count", shard.count, count);
    if (shard.seed !== seed) differs("seed", shard.seed, seed);
    if (!sameJson(shard.adapters, adapters)) differs("adapters", shard.adapters, adapters);
    if (!sameJson(shard.settings, settings)) differs("flags", shard.settings, settings);
    const before = byIndex.get(shard.index);
    if (before !== undefined) {
      cannot(`${before} and ${name} are both shard ${shard.index}/${count}`);
    }
    byIndex.set(shard.index, name);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const given = [...byIndex].sort(([a], [b]) => a - b).map(([i, n]) => `${i}/${count} (${n})`);
    cannot(
      `shard${missing.length === 1 ? "" : "s"} ${
        missing.map((i) => `${i}/${count}`).join(", ")
      } of ${count} ${missing.length === 1 ? "is" : "are"} missing: given ${given.join(", ")}`,
    );
  }
  // Each adapter's shares, by slice.
  const shares = new Map<string, { slices: number; parts: Map<number, Share> }>();
  for (const { name, report } of inputs) {
    const { shard } = report;
    for (const [i, unit] of shard.units.entries()) {
      const pool = report.reports[i]!;
      const where = `${name} (shard ${shard.index}/${count})`;
      if (pool.adapter !== unit.adapter || !adapters.includes(unit.adapter)) {
        cannot(`${where} has a report of ${pool.adapter} where its shard lists ${unit.adapter}`);
      }
      if (pool.seed !== seed) {
        cannot(`${where} has a report of ${pool.adapter} with seed ${pool.seed}, not ${seed}`);
      }
      const entry = shares.get(unit.adapter) ?? { slices: unit.slices, parts: new Map() };
      if (entry.slices !== unit.slices || entry.parts.has(unit.slice)) {
        cannot(`${where} covers a share of ${unit.adapter}'s runs that another shard covers too`);
      }
      entry.parts.set(unit.slice, {
        report: pool,
        where,
        shard: `${shard.index}/${count}`,
        formatVersion,
      });
      shares.set(unit.adapter, entry);
    }
  }
  const reports = adapters.map((adapter) => {
    const entry = shares.get(adapter);
    if (entry === undefined || entry.parts.size !== entry.slices) {
      cannot(`no shard covers all of ${adapter}'s runs: were the shards made from one command?`);
    }
    const parts = [...entry.parts].sort(([a], [b]) => a - b).map(([, share]) => share);
    return parts.length === 1 ? parts[0]!.report : mergeShares(adapter, parts);
  });
  return { reports, from: inputs.length, sharded: true, seed };
}

/** One share of an adapter's runs. */
interface Share {
  readonly report: PoolReport;
  /** The file and shard, for messages. */
  readonly where: string;
  /** `k/n`. */
  readonly shard: string;
  /** The JSON format it was read from. */
  readonly formatVersion: number;
}

function mergeShares(adapter: string, parts: readonly Share[]): PoolReport {
  const [head] = parts;
  if (head!.formatVersion < 2) {
    cannot(
      `${head!.where} is in JSON format ${
        head!.formatVersion
      }, which does not record what combining shares of ${adapter}'s runs needs (the random and shrink runs apart, the entries of an unexpected pass, which known deviations were only reproduced): make the shards again with this kit`,
    );
  }
  const ids = head!.report.rules.map((r) => r.id);
  for (const part of parts) {
    if (!sameJson(part.report.rules.map((r) => r.id), ids)) {
      cannot(
        `${part.where} judged other rules of ${adapter} than ${
          head!.where
        }: every shard must run the same command but for --shard`,
      );
    }
  }
  const rules = ids.map((_, i) =>
    mergeRule(adapter, parts.map((part) => ({ result: part.report.rules[i]!, where: part.where })))
  );
  const sum = (pick: (report: PoolReport) => number) =>
    parts.reduce((total, part) => total + pick(part.report), 0);
  // A share that could not tell its runs apart (stopped in a stuck worker) leaves the sum untold.
  const split =
    parts.every((p) =>
        p.report.randomRuns !== undefined && p.report.shrinkRuns !== undefined &&
        p.report.shrinkSteps !== undefined
      )
      ? {
        randomRuns: sum((r) => r.randomRuns!),
        shrinkRuns: sum((r) => r.shrinkRuns!),
        shrinkSteps: sum((r) => r.shrinkSteps!),
      }
      : {};
  const corpora = parts.flatMap((p) => p.report.corpus === undefined ? [] : [p.report.corpus]);
  const corpus = corpora.length === 0 ? {} : {
    corpus: {
      replays: corpora.reduce((total, c) => total + c.replays, 0),
      failing: corpora.flatMap((c) => c.failing),
      fixed: corpora.flatMap((c) => c.fixed),
      skipped: corpora.flatMap((c) => c.skipped),
    },
  };
  const inconclusiveRuns = sum((r) => r.inconclusive?.runs ?? 0);
  const reasons = [...new Set(parts.flatMap((p) => p.report.inconclusive?.reasons ?? []))];
  const replay = parts.find((p) => p.report.inconclusive?.replay !== undefined)?.report
    .inconclusive?.replay;
  const endedEarly = sum((r) => r.endedEarly ?? 0);
  const nondeterminism = parts.find((p) => p.report.nondeterminism !== undefined)?.report
    .nondeterminism;
  const errors = parts.flatMap((part) =>
    part.report.errors.map((error) => `shard ${part.shard}: ${error}`)
  );
  const ok = errors.length === 0 && nondeterminism === undefined &&
    rules.every((r) => r.status !== "fail" && r.status !== "unexpected-pass");
  return {
    adapter,
    seed: head!.report.seed,
    runs: sum((r) => r.runs),
    ...split,
    commands: sum((r) => r.commands),
    durationMs: sum((r) => r.durationMs),
    rules,
    ...corpus,
    ...(inconclusiveRuns === 0 ? {} : {
      inconclusive: {
        runs: inconclusiveRuns,
        reasons: reasons.slice(0, 5),
        ...(replay === undefined ? {} : { replay }),
      },
    }),
    ...(endedEarly === 0 ? {} : { endedEarly }),
    ...(nondeterminism === undefined ? {} : { nondeterminism }),
    errors,
    ok,
  };
}

/** An expectation entry that nothing confirmed, as `RuleResult.stale` lists it. */
type Stale = NonNullable<RuleResult["stale"]>[number];

/** How an unexpected pass words an entry, as the check does. */
function staleText(entry: Stale): string {
  return `${entry.key}: ${entry.reason}${entry.replay === undefined ? "" : ` (${entry.replay})`}`;
}

function mergeRule(
  adapter: string,
  shares: readonly { readonly result: RuleResult; readonly where: string }[],
): RuleResult {
  const results = shares.map((share) => share.result);
  const [head] = results;
  const statuses = new Set(results.map((r) => r.status));
  if (statuses.size === 1 && (head!.status === "pass" || head!.status === "not-applicable")) {
    return head!;
  }
  if (statuses.has("not-applicable")) {
    cannot(
      `the shards disagree on whether ${
        head!.id
      } applies to ${adapter}: were they made from the same adapter?`,
    );
  }
  const notVerified = results.find((r) => r.status === "not-verified");
  if (notVerified !== undefined) return notVerified;
  // Known deviations any share found; one found by a check's runs beats one only reproduced.
  const known = new Map<string, KnownDeviation>();
  for (const deviation of results.flatMap((r) => r.known ?? [])) {
    const before = known.get(deviation.clause);
    if (before === undefined || (before.reproduced === true && deviation.reproduced !== true)) {
      known.set(deviation.clause, deviation);
    }
  }
  const listed = known.size === 0 ? {} : { known: [...known.values()] };
  const base = { id: head!.id, title: head!.title };
  const failed = results.find((r) => r.status === "fail");
  if (failed !== undefined) {
    const also = known.size === 0
      ? ""
      : ` (known deviations of this rule: ${[...known.keys()].join(", ")})`;
    return {
      ...base,
      status: "fail",
      ...(also === "" || failed.counterexample === undefined
        ? {}
        : { reason: `${failed.counterexample.clause} is not a known deviation${also}` }),
      ...(failed.counterexample === undefined ? {} : { counterexample: failed.counterexample }),
      ...listed,
    };
  }
  // An entry no share confirmed stays an unexpected pass.
  const stale = new Map<string, Stale>();
  for (const { result, where } of shares) {
    if (result.status !== "unexpected-pass") continue;
    if (result.stale === undefined) {
      cannot(
        `${where} reports ${result.id} of ${adapter} as an unexpected pass without listing its expectation entries ('stale'): make the shards again with this kit`,
      );
    }
    for (const entry of result.stale) {
      if (!known.has(entry.key) && !stale.has(entry.key)) stale.set(entry.key, entry);
    }
  }
  if (stale.size > 0 || known.size === 0) {
    const entries = [...stale.values()];
    const reason = entries.length > 0
      ? entries.map(staleText).join("; ")
      : results.find((r) => r.status === "unexpected-pass")?.reason;
    return {
      ...base,
      status: "unexpected-pass",
      ...(reason === undefined ? {} : { reason }),
      ...listed,
      stale: entries,
    };
  }
  const deviations = [...known.values()];
  return {
    ...base,
    status: "expected-fail",
    reason: deviations.map((k) => `${k.clause}: ${k.reason}`).join("; "),
    counterexample: deviations[0]!.counterexample,
    ...listed,
  };
}

/**
 * The first line of a merged text report.
 *
 * @param merged The merge.
 * @returns One line, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergedHeader } from "./merge.ts";
 *
 * assert.match(mergedHeader({ reports: [], from: 3, sharded: true, seed: 7 }), /^merged from 3 shards of seed 7/);
 * ```
 */
export function mergedHeader(merged: Merged): string {
  const what = merged.sharded
    ? `${merged.from} shards of seed ${merged.seed}`
    : `${merged.from} report${merged.from === 1 ? "" : "s"}`;
  return `merged from ${what}: the counts (runs, shrink steps, corpus replays, commands) and times below are totals over all of them\n\n`;
}

/** A parsed `merge` command line. */
export interface MergeArguments {
  /** The JSON reports to merge. */
  files: string[];
  /** Report targets: a file, or `-` for standard output. */
  json?: string;
  junit?: string;
  markdown?: string;
  html?: string;
  help: boolean;
}

/**
 * The usage text of `merge`.
 *
 * @param program How the command is invoked. @default {"poolcheck"}
 * @returns The text.
 */
export function mergeUsage(program = "poolcheck"): string {
  return `Usage: ${program} merge [flags] <report.json>...
Merges the JSON reports of the shards of one check (made with --shard k/n, the same seed
and flags; all n of them) or of checks of different adapters, prints the text report and
writes the others.
  --json <file|->          merged JSON report (- for standard output)
  --junit <file|->         JUnit XML report
  --markdown <file|->      Markdown report: matrix, legend, counterexample diagrams
  --html <file|->          standalone HTML page
  --help, -h               this text
Exit code: 0 when every rule matches its expectation, 1 when one does not, 2 for bad
usage or a report that is missing, malformed, or from another check.`;
}

/**
 * Parse the arguments of `merge` (after the word `merge`).
 *
 * @param args The arguments.
 * @returns The parsed arguments.
 * @throws {UsageError} For an unknown flag, a missing value, or no report file.
 */
export function parseMergeCli(args: readonly string[]): MergeArguments {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        json: { type: "string" },
        junit: { type: "string" },
        markdown: { type: "string" },
        html: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(`Cannot merge reports: ${(error as Error).message}`, { cause: error });
  }
  const parsed: MergeArguments = { files: positionals, help: values.help === true };
  for (const name of ["json", "junit", "markdown", "html"] as const) {
    const value = values[name] as string | undefined;
    if (value === undefined) continue;
    if (value === "" || value.startsWith("--")) {
      throw new UsageError(
        `Cannot merge reports as '--${name}' must be a path: current value is ${value}`,
      );
    }
    parsed[name] = value;
  }
  if (!parsed.help && parsed.files.length === 0) {
    cannot("no report was given: name the JSON files to merge (written with --json)");
  }
  return parsed;
}

/** Program name and output streams of {@linkcode runMerge}. */
export interface MergeOptions {
  /** How the command is invoked. @default {"poolcheck"} */
  readonly program?: string;
  /** Where the reports go. @default {process.stdout} */
  readonly stdout?: { write(text: string): unknown };
  /** Where usage errors go. @default {process.stderr} */
  readonly stderr?: { write(text: string): unknown };
}

/**
 * Read JSON report files, checking each.
 *
 * @param files Their paths.
 * @returns Each report with its file name.
 * @throws {UsageError} Naming the file, if one cannot be read or is malformed.
 */
export async function readReports(files: readonly string[]): Promise<MergeInput[]> {
  const inputs: MergeInput[] = [];
  for (const name of files) {
    let text: string;
    try {
      text = await readFile(name, "utf8");
    } catch (error) {
      throw new UsageError(
        `Cannot merge ${name} as it cannot be read: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    try {
      inputs.push({ name, report: parseJsonReport(text) });
    } catch (error) {
      if (!(error instanceof JsonReportError)) throw error;
      throw new UsageError(
        `Cannot merge ${name} as it is not a poolcheck JSON report: ${error.message}`,
        { cause: error },
      );
    }
  }
  return inputs;
}

/**
 * Run `merge`: read the reports, merge them, print the text report (unless a
 * report goes to standard output) and write the others.
 *
 * @param args Arguments after the word `merge`.
 * @param options Program name and output streams.
 * @returns The exit code: 0 when every rule of the merged report matches its
 * expectation, 1 when one does not, 2 for bad usage or a bad report (the
 * reason is printed to standard error).
 */
export async function runMerge(
  args: readonly string[],
  options: MergeOptions = {},
): Promise<number> {
  const { program = "poolcheck", stdout = process.stdout, stderr = process.stderr } = options;
  try {
    const cli = parseMergeCli(args);
    if (cli.help) {
      stdout.write(`${mergeUsage(program)}\n`);
      return 0;
    }
    const merged = mergeReports(await readReports(cli.files));
    const { reports } = merged;
    const toStdout = [
      await emit(cli.json, renderJson(reports, { mergedFrom: merged.from }), stdout),
      await emit(cli.junit, renderJunit(reports), stdout),
      await emit(cli.markdown, renderMarkdown(reports), stdout),
      await emit(cli.html, renderHtml(reports), stdout),
    ].some(Boolean);
    if (!toStdout) {
      stdout.write(mergedHeader(merged));
      for (const report of reports) stdout.write(renderText(report));
      if (reports.length > 1) {
        stdout.write(`\nMatrix\n\n${renderMarkdown(reports, { counterexamples: false })}`);
      }
    }
    return reports.every((r) => r.ok) ? 0 : 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`${error.message}\nRun '${program} merge --help' for the flags.\n`);
    return 2;
  }
}
