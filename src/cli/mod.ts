/**
 * The `poolcheck` command line: checks adapters given as modules (or, in a
 * checkout of the kit, bundled adapters by name), prints the results, writes
 * JSON, JUnit XML or a Markdown matrix on request, and exits 0 when every
 * rule matches its expectation, 1 when one does not, 2 for bad usage.
 *
 * The same code runs under Node (the package's `poolcheck` bin), Deno and
 * Bun; {@linkcode runCli} is what the bin calls.
 *
 * @example Bad flags are usage errors (exit code 2)
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli, UsageError } from "./mod.ts";
 *
 * assert.deepEqual(parseCli(["--adapter", "./my_adapter.js", "--seed=7"]).seed, 7);
 * assert.throws(() => parseCli(["--path", "1:2"]), UsageError);
 * ```
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Adapter } from "../harness/adapter.ts";
import { adaptersIn } from "../harness/adapter_exports.ts";
import { checkPool, type CheckPoolOptions, type Expectations } from "../harness/check_pool.ts";
import { AdapterModuleError, checkPoolIsolated } from "../harness/isolated.ts";
import { progressReporter } from "../harness/progress.ts";
import type { PoolReport } from "../harness/result.ts";
import { RULES } from "../harness/rules/mod.ts";
import {
  renderHtml,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderRulesMarkdown,
  renderText,
} from "../report/mod.ts";
import { corpusOf, saveCorpus } from "./corpus.ts";
import { readExpectations } from "./expectations_file.ts";
import { mergeUsage, runMerge } from "./merge.ts";
import { runCmapCli } from "../cmap/cli.ts";
import { jsonShard, parseShard, type Shard, shardLine, shardUnits } from "./shard.ts";
import { emit } from "./_emit.ts";
import { UsageError } from "./usage_error.ts";

export { currentRuntime, parseExpectations, readExpectations } from "./expectations_file.ts";
export type { Runtime } from "./expectations_file.ts";
export { UsageError } from "./usage_error.ts";
export { type CorpusRead, readCorpus, saveCorpus } from "./corpus.ts";
export {
  type Merged,
  type MergeInput,
  type MergeOptions,
  mergeReports,
  runMerge,
} from "./merge.ts";
export { parseShard, type Shard, type ShardUnit, shardUnits } from "./shard.ts";

/** A parsed command line. */
export interface CliArguments {
  /** Adapter module paths, or bundled adapter names. */
  adapters: string[];
  runs?: number;
  maxCommands?: number;
  seed?: number;
  path?: string;
  /** Rule ids or groups. */
  rules: string[];
  quick: boolean;
  determinism: boolean;
  /** Stop at the first failure, unshrunk, and check no further adapter. */
  failFast: boolean;
  /** Report targets: a file, or `-` for standard output. */
  json?: string;
  junit?: string;
  markdown?: string;
  html?: string;
  /** An expectation file (one adapter) or a folder of `<adapter name>.json` files. */
  expectations?: string;
  /** A corpus folder: saved failures are replayed first, new ones saved. */
  corpus?: string;
  /** This job's share of a check split across jobs (`--shard k/n`). */
  shard?: Shard;
  writeRules: boolean;
  /** No progress lines. */
  quiet: boolean;
  /** Check in this thread instead of a worker. */
  inProcess: boolean;
  /** Real-time budget of one run, ms. */
  watchdogMs?: number;
  /** Real-time budget of each adapter's check, ms. */
  budgetMs?: number;
  help: boolean;
}

/**
 * The usage text.
 *
 * @param program How the command is invoked. @default {"poolcheck"}
 * @returns The text.
 */
export function usage(program = "poolcheck"): string {
  return `Usage: ${program} --adapter <module> [flags]
  --adapter <module|name>  a module exporting an adapter (repeatable); in a checkout of
                           the kit also a bundled adapter's name (default there: all of them)
  --expectations <path>    known deviations: a JSON file (one adapter) or a folder of
                           <adapter name>.json files
  --corpus <dir>           regression corpus: replay the cases saved in <dir>/<adapter>/
                           before exploring, and save every shrunk failure there as
                           <clause>-<hash>.json (files are never deleted; a case that no
                           longer fails is reported as fixed); not used with --path
  --runs <n>               runs per property (default 300, quick 30)
  --max-commands <n>       longest command sequence (default 60, quick 30)
  --seed <n>               seed (default: random, always printed)
  --path <path>            replay a fast-check path (needs --seed)
  --shard <k/n>            run shard k of n jobs that together check what one would (needs
                           --seed, the same in every job): adapter by adapter, and with fewer
                           adapters than jobs, every n-th run (the first of an adapter's jobs
                           replays its corpus); combine their --json reports with
                           '${program} merge'
  --rule <id|group>        only these rules, e.g. LIM or EXP-2 (repeatable)
  --quick                  short profile for pre-commit use
  --determinism            run one case twice and compare the traces
  --fail-fast              stop at the first failure no expectation excuses: report it
                           unshrunk, leave the other rules not verified and check no
                           further adapter (a quick yes or no, e.g. for mutation testing)
  --watchdog-ms <n>        real-time budget of one run (default 10000); a run stuck in
                           synchronous code for this plus half of it (at least 3000 ms
                           more) fails LIV-1
  --budget-ms <n>          real-time budget of each adapter's check (default 60000); a check
                           cut short by it is not ok and names the rules it left unverified
  --in-process             check in this thread, not in a worker: starts faster, but a pool
                           stuck in synchronous code hangs the command
  --quiet                  no progress lines (by default: one line in place on a terminal,
                           a plain line every 5 s elsewhere)
  --json <file|->          JSON report (- for standard output)
  --junit <file|->         JUnit XML report
  --markdown <file|->      Markdown report: matrix, legend, counterexample diagrams (Mermaid)
  --html <file|->          standalone HTML page: matrix and diagrams (drawn when the
                           mermaid package is installed)
  --write-rules-md         regenerate RULES.md from the rules' code and exit (kit checkout only)
  --help, -h               this text
Flags take their value as the next argument or after '=' (--seed 7, --seed=7).
Exit code: 0 when every rule matches its expectation, 1 when one does not, 2 for bad usage.

${mergeUsage(program)}

CMAP scenario files (the JSON format of MongoDB's CMAP tests), on virtual time:
  ${program} cmap <file|dir>... --adapter <module|name>
and '${program} cmap --help' for its flags.`;
}

function fail(flag: string, must: string, value: unknown): never {
  throw new UsageError(
    `Cannot run poolcheck as '${flag}' must be ${must}: current value is ${value}`,
  );
}

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) fail(flag, "an integer", value);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(flag, `an integer of at least ${min}`, value);
  return n;
}

const KNOWN_GROUPS = [...new Set(RULES.map((rule) => rule.group))];

function checkRule(value: string): string {
  const known = KNOWN_GROUPS.includes(value as never) || RULES.some((rule) => rule.id === value);
  if (!known) {
    fail("--rule", `a rule id or group (groups: ${KNOWN_GROUPS.join(", ")}; see RULES.md)`, value);
  }
  return value;
}

/**
 * Parse a command line.
 *
 * @param args Arguments after the program name.
 * @returns The parsed arguments.
 * @throws {UsageError} For an unknown flag, a missing or bad value, an unknown
 * rule, or `--path` without `--seed`.
 */
export function parseCli(args: readonly string[]): CliArguments {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        adapter: { type: "string", multiple: true },
        expectations: { type: "string" },
        corpus: { type: "string" },
        runs: { type: "string" },
        "max-commands": { type: "string" },
        seed: { type: "string" },
        path: { type: "string" },
        shard: { type: "string" },
        rule: { type: "string", multiple: true },
        quick: { type: "boolean" },
        determinism: { type: "boolean" },
        "fail-fast": { type: "boolean" },
        "watchdog-ms": { type: "string" },
        "budget-ms": { type: "string" },
        "in-process": { type: "boolean" },
        json: { type: "string" },
        html: { type: "string" },
        junit: { type: "string" },
        markdown: { type: "string" },
        "write-rules-md": { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(`Cannot run poolcheck: ${(error as Error).message}`, { cause: error });
  }
  const text = (name: string) => values[name] as string | undefined;
  for (const name of ["json", "junit", "markdown", "html", "expectations", "corpus"]) {
    const value = text(name);
    if (value !== undefined && (value === "" || value.startsWith("--"))) {
      fail(`--${name}`, "a path", value);
    }
  }
  const adapters = (values.adapter as string[] | undefined) ?? [];
  for (const adapter of adapters) {
    if (adapter === "" || adapter.startsWith("--")) fail("--adapter", "a module path", adapter);
  }
  const path = text("path");
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) fail("--path", "like 12:3:0", path);
  const parsed: CliArguments = {
    adapters,
    rules: ((values.rule as string[] | undefined) ?? []).map(checkRule),
    quick: values.quick === true,
    determinism: values.determinism === true,
    failFast: values["fail-fast"] === true,
    writeRules: values["write-rules-md"] === true,
    quiet: values.quiet === true,
    inProcess: values["in-process"] === true,
    help: values.help === true,
  };
  const runs = integer("--runs", text("runs"), 1);
  const maxCommands = integer("--max-commands", text("max-commands"), 1);
  const seed = integer("--seed", text("seed"), 0);
  const watchdogMs = integer("--watchdog-ms", text("watchdog-ms"), 1);
  const budgetMs = integer("--budget-ms", text("budget-ms"), 1);
  if (runs !== undefined) parsed.runs = runs;
  if (watchdogMs !== undefined) parsed.watchdogMs = watchdogMs;
  if (budgetMs !== undefined) parsed.budgetMs = budgetMs;
  if (maxCommands !== undefined) parsed.maxCommands = maxCommands;
  if (seed !== undefined) parsed.seed = seed;
  if (path !== undefined) {
    if (seed === undefined) {
      throw new UsageError(
        `Cannot run poolcheck as '--path' replays a run of one seed: give the '--seed' printed with it (current value of '--path' is ${path})`,
      );
    }
    parsed.path = path;
  }
  const shard = text("shard");
  if (shard !== undefined) {
    parsed.shard = parseShard(shard);
    if (seed === undefined) {
      throw new UsageError(
        `Cannot run poolcheck as '--shard' splits one check across jobs, which must share its seed: give '--seed' (current value of '--shard' is ${shard})`,
      );
    }
    if (path !== undefined) {
      throw new UsageError(
        `Cannot run poolcheck as '--path' replays one run, which is not split: drop '--shard' (current value is ${shard})`,
      );
    }
  }
  for (const name of ["json", "junit", "markdown", "html", "expectations", "corpus"] as const) {
    const value = text(name);
    if (value !== undefined) parsed[name] = value;
  }
  return parsed;
}

/** Where the CLI finds bundled adapters and their files (a checkout of the kit). */
export interface CliOptions {
  /** How the command is invoked, for usage and replay lines. @default {"poolcheck"} */
  readonly program?: string;
  /** Adapters known by name. @default {[]} */
  readonly bundled?: readonly Adapter<unknown>[];
  /** Adapters checked when no `--adapter` is given. @default {[] (then `--adapter` is required)} */
  readonly defaults?: readonly Adapter<unknown>[];
  /**
   * A module (path or URL) that exports the bundled adapters: given, they are
   * checked in a worker too, loaded from it by name; without it, in-process.
   * @default {undefined}
   */
  readonly bundledModule?: string | URL;
  /** Folder of the bundled adapters' expectation files. @default {undefined} */
  readonly bundledExpectations?: URL;
  /**
   * Corpus folder the bundled adapters' saved cases are replayed from when
   * `--corpus` is not given (read only: nothing is saved there).
   * @default {undefined}
   */
  readonly bundledCorpus?: URL;
  /** Where `--write-rules-md` writes; without it the flag is refused. @default {undefined} */
  readonly rulesFile?: URL;
  /** Standard output and error. @default {process.stdout, process.stderr} */
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown; isTTY?: boolean };
}

/** An adapter to check and how the command line named it. */
export interface NamedAdapter {
  readonly adapter: Adapter<unknown>;
  /** The `--adapter` value that loads it again (a name or a module path). */
  readonly spec: string;
  /** Whether it is one of the bundled adapters. */
  readonly bundled: boolean;
}

/**
 * Load adapters by bundled name or module path (relative to the working
 * directory). A module contributes every export that is a valid adapter.
 *
 * @param specs `--adapter` values; empty means `defaults`.
 * @param options Bundled adapters, if any.
 * @returns The adapters, in order, each with the spec that names it.
 * @throws {UsageError} For an unknown name, a module that does not load, or
 * one that exports no valid adapter (with each candidate's validation error).
 */
export async function loadAdapters(
  specs: readonly string[],
  options: Pick<CliOptions, "bundled" | "defaults"> = {},
): Promise<NamedAdapter[]> {
  const { bundled = [], defaults = [] } = options;
  if (specs.length === 0) {
    if (defaults.length === 0) {
      throw new UsageError("Cannot run poolcheck as '--adapter' is required: give a module path");
    }
    return defaults.map((adapter) => ({ adapter, spec: adapter.name, bundled: true }));
  }
  const adapters: NamedAdapter[] = [];
  const add = (entry: NamedAdapter) => {
    if (!adapters.some((a) => a.adapter === entry.adapter)) adapters.push(entry);
  };
  for (const spec of specs) {
    const named = bundled.find((a) => a.name === spec);
    if (named !== undefined) {
      add({ adapter: named, spec, bundled: true });
      continue;
    }
    if (!/[./\\]/.test(spec)) {
      const known = bundled.length === 0
        ? "give a module path, e.g. ./my_adapter.js"
        : `bundled: ${bundled.map((a) => a.name).join(", ")}`;
      fail("--adapter", `a module path or a bundled adapter's name (${known})`, spec);
    }
    let module: Record<string, unknown>;
    try {
      module = await import(moduleUrl(spec));
    } catch (error) {
      throw new UsageError(`Cannot load adapter module ${spec}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const { found, rejected } = adaptersIn(module);
    if (found.length > 0 && rejected.length > 0) {
      // Checking the valid ones alone would hide that the others were never checked.
      throw new UsageError(
        `Cannot run poolcheck as module ${spec} exports an invalid adapter:\n  ${
          rejected.join("\n  ")
        }`,
      );
    }
    if (found.length === 0) {
      const why = rejected.length > 0
        ? `:\n  ${rejected.join("\n  ")}`
        : " (an adapter is an object { name, supports, create })";
      throw new UsageError(`Cannot run poolcheck as module ${spec} exports no valid adapter${why}`);
    }
    for (const adapter of found) add({ adapter, spec, bundled: false });
  }
  return adapters;
}

function moduleUrl(spec: string): string {
  return pathToFileURL(spec).href;
}

/** Check in a worker; a module the worker cannot load is a usage error, as in this thread. */
async function checkIsolated(
  module: string | URL,
  adapter: string,
  options: CheckPoolOptions,
): Promise<PoolReport> {
  try {
    return await checkPoolIsolated(module, { ...options, adapter });
  } catch (error) {
    if (!(error instanceof AdapterModuleError)) throw error;
    throw new UsageError(error.message, { cause: error });
  }
}

async function expectationsOf(
  entry: NamedAdapter,
  flag: string | undefined,
  count: number,
  bundledExpectations: URL | undefined,
): Promise<Expectations> {
  if (flag !== undefined) {
    if (flag.endsWith(".json")) {
      if (count > 1) {
        fail(
          "--expectations",
          "a folder of <adapter name>.json files when several adapters are checked",
          flag,
        );
      }
      return await readExpectations(flag);
    }
    return await readExpectations(`${flag.replace(/[/\\]$/, "")}/${entry.adapter.name}.json`, {
      missing: "empty",
    });
  }
  if (entry.bundled && bundledExpectations !== undefined) {
    return await readExpectations(new URL(`${entry.adapter.name}.json`, bundledExpectations), {
      missing: "empty",
    });
  }
  return {};
}

/**
 * Run the command line: check the adapters and print the results.
 *
 * @param args Arguments after the program name.
 * @param options Program name and, in a checkout of the kit, bundled adapters.
 * @returns The exit code: 0 when every rule matches its expectation, 1 when
 * one does not, 2 for bad usage (the reason is printed to standard error).
 */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<number> {
  const { program = "poolcheck", stdout = process.stdout, stderr = process.stderr } = options;
  if (args[0] === "merge") return await runMerge(args.slice(1), { program, stdout, stderr });
  if (args[0] === "cmap") {
    return await runCmapCli(args.slice(1), {
      program,
      bundled: options.bundled ?? [],
      stdout,
      stderr,
    });
  }
  try {
    return await run(parseCli(args), options, program, stdout, stderr);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`${error.message}\nRun '${program} --help' for the flags.\n`);
    return 2;
  }
}

async function run(
  cli: CliArguments,
  options: CliOptions,
  program: string,
  stdout: { write(text: string): unknown },
  stderr: { write(text: string): unknown; isTTY?: boolean },
): Promise<number> {
  if (cli.help) {
    stdout.write(`${usage(program)}\n`);
    return 0;
  }
  if (cli.writeRules) {
    if (options.rulesFile === undefined) {
      throw new UsageError(
        "Cannot run poolcheck as '--write-rules-md' regenerates RULES.md in a checkout of the kit",
      );
    }
    await writeFile(options.rulesFile, renderRulesMarkdown(RULES));
    stdout.write("RULES.md written\n");
    return 0;
  }
  const adapters = await loadAdapters(cli.adapters, options);
  const expectations = await Promise.all(
    adapters.map((entry) =>
      expectationsOf(entry, cli.expectations, adapters.length, options.bundledExpectations)
    ),
  );
  const reports: PoolReport[] = [];
  const corpora = await Promise.all(
    adapters.map((entry) => corpusOf(entry, cli, options.bundledCorpus, stderr)),
  );
  // With --shard: this job's units, by adapter position; the other adapters are other jobs'.
  const units = cli.shard === undefined ? undefined : shardUnits(adapters.length, cli.shard);
  for (const [index, { adapter, spec, bundled }] of adapters.entries()) {
    const unit = units?.find((u) => u.adapter === index);
    if (units !== undefined && unit === undefined) continue;
    // A property draws `runs` cases; a share of them runs those at its slice's positions.
    const drawn = cli.runs ?? (cli.quick ? 30 : 300);
    const reporter = cli.quiet ? undefined : progressReporter({
      write: (text) => stderr.write(text),
      interactive: stderr.isTTY === true,
      planned: Math.ceil((drawn - (unit?.slice ?? 0)) / (unit?.slices ?? 1)),
      expectations: expectations[index]!,
    });
    const checkOptions: CheckPoolOptions = {
      ...(cli.runs === undefined ? {} : { runs: cli.runs }),
      ...(cli.maxCommands === undefined ? {} : { maxCommands: cli.maxCommands }),
      ...(cli.seed === undefined ? {} : { seed: cli.seed }),
      ...(cli.path === undefined ? {} : { path: cli.path }),
      rules: cli.rules,
      quick: cli.quick,
      // One share of the runs is enough to run a case twice.
      determinism: cli.determinism && (unit?.slice ?? 0) === 0,
      ...(cli.failFast ? { failFast: true } : {}),
      ...(unit === undefined || unit.slices === 1
        ? {}
        : { slice: { index: unit.slice, count: unit.slices } }),
      expectations: expectations[index]!,
      ...(corpora[index]!.length === 0 ? {} : { corpus: corpora[index]! }),
      replayCommand: `${program} --adapter ${spec}${
        cli.expectations === undefined ? "" : ` --expectations ${cli.expectations}`
      }${cli.corpus === undefined ? "" : ` --corpus ${cli.corpus}`}`,
      ...(cli.watchdogMs === undefined ? {} : { watchdogMs: cli.watchdogMs }),
      ...(cli.budgetMs === undefined ? {} : { budgetMs: cli.budgetMs }),
      ...(reporter === undefined ? {} : { onProgress: reporter.onProgress }),
    };
    // A worker loads the adapter again, from its module: a module path, or the bundled adapters' module.
    const module = cli.inProcess ? undefined : bundled ? options.bundledModule : moduleUrl(spec);
    const report = module === undefined
      ? await checkPool(adapter, checkOptions)
      : await checkIsolated(module, adapter.name, checkOptions);
    reporter?.done();
    if (cli.path !== undefined && report.runs === 0) {
      stderr.write(
        `${adapter.name}: --path replayed no run (is --seed the one printed with it?)\n`,
      );
    }
    reports.push(report);
    if (cli.corpus !== undefined) {
      for (const file of await saveCorpus(cli.corpus, report)) {
        stderr.write(`corpus: saved ${file}\n`);
      }
    }
    const rest = adapters.length - index - 1;
    if (cli.failFast && !report.ok && rest > 0) {
      stderr.write(
        `--fail-fast: ${adapter.name} failed; ${rest} more adapter${
          rest === 1 ? " was" : "s were"
        } not checked\n`,
      );
      break;
    }
  }
  const toStdout = [
    await emit(
      cli.json,
      renderJson(reports, units === undefined ? {} : { shard: jsonShard(cli, adapters, units) }),
      stdout,
    ),
    await emit(cli.junit, renderJunit(reports), stdout),
    await emit(cli.markdown, renderMarkdown(reports), stdout),
    await emit(cli.html, renderHtml(reports), stdout),
  ].some(Boolean);
  if (!toStdout) {
    if (cli.shard !== undefined && units !== undefined) {
      const names = adapters.map((entry) => entry.adapter.name);
      stdout.write(`${shardLine(cli.shard, units, names)}\n\n`);
    }
    for (const report of reports) stdout.write(renderText(report));
    if (reports.length > 1) {
      stdout.write(`\nMatrix\n\n${renderMarkdown(reports, { counterexamples: false })}`);
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}
