/**
 * Corpus folders: every shrunk failure a check reports saved as one small
 * JSON file, `<folder>/<adapter>/<clause>-<hash>.json`, read back and
 * replayed before the next check explores. The hash is of the case's seed,
 * path and `maxCommands`, so a name is stable across runs and two cases
 * never share one; a file that exists is never written again, and none is
 * ever deleted here.
 *
 * @example Save a report's failures, then read them back
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { readCorpus, saveCorpus } from "./corpus.ts";
 *
 * const dir = await mkdtemp(join(tmpdir(), "corpus-"));
 * const counterexample = {
 *   clause: "LIM-1.a", message: "2 live connections; maxTotal is 1", step: 2,
 *   setup: { config: { routes: ["r0"], maxTotal: 1 } }, commands: [], steps: ["1. acquire"],
 *   ledger: [], seed: 1, path: "3:0", replay: "poolcheck --adapter x.js --seed 1 --path 3:0",
 * } as never;
 * const report = {
 *   adapter: "my-pool", seed: 1, runs: 1, commands: 1, durationMs: 1, errors: [], ok: false,
 *   rules: [{ id: "LIM-1", title: "t", status: "fail" as const, counterexample }],
 * };
 * const [file] = await saveCorpus(dir, report);
 * assert.match(file!, /my-pool[\/\\]LIM-1\.a-[0-9a-f]{12}\.json$/);
 * assert.deepEqual(await saveCorpus(dir, report), [], "an existing case is not written again");
 * const { cases } = await readCorpus(dir, "my-pool");
 * assert.equal(cases[0]?.path, "3:0");
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DEFAULT_MAX_COMMANDS } from "../harness/case.ts";
import { CORPUS_FORMAT, type CorpusCase, type SavedCase } from "../harness/corpus.ts";
import { scriptShapeProblem } from "../harness/script.ts";
import type { Counterexample, PoolReport } from "../harness/result.ts";
import { KIT_VERSION } from "../version.ts";
import { currentRuntime, type Runtime } from "./expectations_file.ts";
import { UsageError } from "./usage_error.ts";

export type { CorpusCase, SavedCase } from "../harness/corpus.ts";

const FIELDS = [
  "format",
  "kit",
  "adapter",
  "rule",
  "clause",
  "seed",
  "path",
  "maxCommands",
  "message",
  "setup",
  "steps",
  "runtimes",
  "script",
];
const RUNTIMES: readonly string[] = ["deno", "bun", "node"] satisfies Runtime[];

/**
 * The folder of an adapter's cases in a corpus: the adapter's name, with
 * characters a file name cannot safely hold replaced by `_`.
 *
 * @param adapter Adapter name.
 * @returns The folder's name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adapterFolder } from "./corpus.ts";
 *
 * assert.equal(adapterFolder("undici-pool"), "undici-pool");
 * assert.equal(adapterFolder("@scope/pool"), "_scope_pool");
 * ```
 */
export function adapterFolder(adapter: string): string {
  return adapter.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

/**
 * The file name of a saved case: its clause and a hash of what picks the
 * case (seed, path and `maxCommands`).
 *
 * @param saved The case.
 * @returns E.g. `LIM-1.a-3f2c9a1e07bd.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { caseFileName } from "./corpus.ts";
 *
 * const name = caseFileName({ clause: "LIM-1.a", seed: 1, path: "3:0", maxCommands: 60 });
 * assert.match(name, /^LIM-1\.a-[0-9a-f]{12}\.json$/);
 * assert.notEqual(name, caseFileName({ clause: "LIM-1.a", seed: 2, path: "3:0", maxCommands: 60 }));
 * ```
 */
export function caseFileName(
  saved: Pick<SavedCase, "clause" | "seed" | "path" | "maxCommands">,
): string {
  const hash = createHash("sha256").update(`${saved.seed} ${saved.path} ${saved.maxCommands}`)
    .digest("hex").slice(0, 12);
  return `${saved.clause}-${hash}.json`;
}

/**
 * The `maxCommands` a counterexample was found with, read from its replay
 * line (which gives `--max-commands` unless it is the default).
 */
function maxCommandsOf(counterexample: Counterexample): number {
  const flag = /--max-commands (\d+)/.exec(counterexample.replay);
  return flag === null ? DEFAULT_MAX_COMMANDS : Number(flag[1]);
}

/**
 * The saved case of a counterexample.
 *
 * @param adapter Adapter name.
 * @param rule Id of the rule it broke.
 * @param counterexample The shrunk failure.
 * @returns The case, as a corpus file holds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { savedCase } from "./corpus.ts";
 *
 * const c = { clause: "LIM-1.a", message: "m", setup: {}, steps: [], seed: 1, path: "0",
 *   replay: "poolcheck --adapter x.js --seed 1 --path 0 --rule LIM-1 --max-commands 30" } as never;
 * assert.equal(savedCase("x", "LIM-1", c).maxCommands, 30);
 * ```
 */
export function savedCase(
  adapter: string,
  rule: string,
  counterexample: Counterexample,
): SavedCase {
  const c = counterexample;
  return {
    format: CORPUS_FORMAT,
    kit: KIT_VERSION,
    adapter,
    rule,
    clause: c.clause,
    seed: c.seed,
    path: c.path,
    maxCommands: maxCommandsOf(c),
    message: c.message,
    setup: c.setup,
    steps: c.steps,
    ...(c.script === undefined ? {} : { script: c.script }),
  };
}

/**
 * A saved case as a file's text: stable key order, two-space indent.
 *
 * @param saved The case.
 * @returns JSON text ending with a newline.
 */
export function caseText(saved: SavedCase): string {
  const ordered = Object.fromEntries(
    FIELDS.filter((key) => (saved as unknown as Record<string, unknown>)[key] !== undefined)
      .map((key) => [key, (saved as unknown as Record<string, unknown>)[key]]),
  );
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** A file as messages name it: relative to the working directory when inside it. */
function shown(file: string): string {
  const near = relative(process.cwd(), file);
  return near === "" || near.startsWith("..") || isAbsolute(near) ? file : near;
}

function pathOf(dir: string | URL): string {
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

/**
 * Save every shrunk failure of a report in a corpus folder: the failures
 * and the known failures (each known deviation's counterexample). A case
 * whose file exists is left as it is; a counterexample without a path (a
 * stuck run the worker could not place) cannot be replayed and is not
 * saved.
 *
 * @param dir The corpus folder (created if need be).
 * @param report The report.
 * @returns The files written, in order.
 */
export async function saveCorpus(dir: string | URL, report: PoolReport): Promise<string[]> {
  const folder = join(pathOf(dir), adapterFolder(report.adapter));
  const written: string[] = [];
  for (const rule of report.rules) {
    const found = [
      ...(rule.status === "fail" && rule.counterexample !== undefined ? [rule.counterexample] : []),
      ...(rule.known ?? []).map((k) => k.counterexample),
    ];
    for (const counterexample of found) {
      if (counterexample.path === "") continue;
      const saved = savedCase(report.adapter, rule.id, counterexample);
      const file = join(folder, caseFileName(saved));
      await mkdir(folder, { recursive: true });
      try {
        await writeFile(file, caseText(saved), { flag: "wx" });
      } catch (error) {
        if ((error as { code?: string }).code === "EEXIST") continue;
        throw error;
      }
      written.push(file);
    }
  }
  return written;
}

/** A corpus folder's cases for one adapter, and the files skipped with the reason. */
export interface CorpusRead {
  /** The cases that apply on this runtime, in file-name order. */
  readonly cases: CorpusCase[];
  /** One line per file that was skipped (a newer format), for standard error. */
  readonly warnings: string[];
}

/**
 * What is wrong with a corpus file's content, or `undefined` (with `newer`
 * set when the file is in a format this kit does not read).
 */
function caseProblem(content: unknown, adapter: string): string | undefined {
  if (content === null || typeof content !== "object" || Array.isArray(content)) {
    return "it must be an object { format, kit, adapter, rule, clause, seed, path, ... }";
  }
  const c = content as Record<string, unknown>;
  const unknown = Object.keys(c).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) return `it has unknown field ${unknown.map((k) => `'${k}'`).join(", ")}`;
  const text = (key: string) => typeof c[key] === "string" && c[key] !== "";
  const natural = (key: string, least: number) =>
    Number.isSafeInteger(c[key]) && (c[key] as number) >= least;
  const shown = (key: string) => `current value is ${JSON.stringify(c[key])}`;
  if (!text("kit")) return `'kit' must be the version of the kit that saved it: ${shown("kit")}`;
  if (c.adapter !== adapter) {
    return `'adapter' must be '${adapter}', the adapter whose folder holds it: ${shown("adapter")}`;
  }
  if (!text("rule") || !/^[A-Z]+-\d+$/.test(c.rule as string)) {
    return `'rule' must be a rule id like LIM-1: ${shown("rule")}`;
  }
  if (!text("clause") || !(c.clause as string).startsWith(`${c.rule}.`)) {
    return `'clause' must be a clause of ${c.rule}, like ${c.rule}.a: ${shown("clause")}`;
  }
  if (!natural("seed", 0)) return `'seed' must be an integer >= 0: ${shown("seed")}`;
  if (!text("path") || !/^\d+(:\d+)*$/.test(c.path as string)) {
    return `'path' must look like 12:3:0: ${shown("path")}`;
  }
  if (!natural("maxCommands", 1)) {
    return `'maxCommands' must be a positive integer: ${shown("maxCommands")}`;
  }
  if (typeof c.message !== "string") return `'message' must be a string: ${shown("message")}`;
  const setup = c.setup as { config?: unknown } | null;
  if (setup === null || typeof setup !== "object" || typeof setup.config !== "object") {
    return `'setup' must be the run's setup { config, ... }: ${shown("setup")}`;
  }
  if (!Array.isArray(c.steps) || !c.steps.every((s) => typeof s === "string")) {
    return `'steps' must be a list of strings: ${shown("steps")}`;
  }
  if (
    c.runtimes !== undefined &&
    !(Array.isArray(c.runtimes) && c.runtimes.every((r) => RUNTIMES.includes(r)))
  ) {
    return `'runtimes' must list some of ${RUNTIMES.join(", ")}: ${shown("runtimes")}`;
  }
  if (c.script !== undefined) return scriptShapeProblem(c.script);
  return undefined;
}

/**
 * Read an adapter's saved cases from a corpus folder
 * (`<dir>/<adapter>/*.json`; other files are ignored). A folder that does not
 * exist holds no cases. A file in a newer format is skipped with a warning;
 * one saved by another version of the kit is read (its replay says if its
 * path no longer fits).
 *
 * @param dir The corpus folder.
 * @param adapter Adapter name.
 * @param runtime Cases limited to other runtimes are left out. @default {the current one}
 * @returns The cases and the warnings.
 * @throws {UsageError} Naming the file and what is wrong with it, for a file
 * that is not JSON or is malformed, or a corpus that is not a folder.
 */
export async function readCorpus(
  dir: string | URL,
  adapter: string,
  runtime: Runtime = currentRuntime(),
): Promise<CorpusRead> {
  const folder = join(pathOf(dir), adapterFolder(adapter));
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith(".json")).sort();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return { cases: [], warnings: [] };
    throw new UsageError(
      `Cannot read corpus ${pathOf(dir)}: ${folder} must be a folder (${(error as Error).message})`,
    );
  }
  const cases: CorpusCase[] = [];
  const warnings: string[] = [];
  for (const name of names) {
    const file = join(folder, name);
    let content: unknown;
    try {
      content = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new UsageError(
        `Cannot read corpus file ${file} as it is not JSON: ${(error as Error).message}`,
      );
    }
    const format = (content as { format?: unknown } | null)?.format;
    if (!Number.isSafeInteger(format) || (format as number) < 1) {
      throw new UsageError(
        `Cannot read corpus file ${file}: 'format' must be a positive integer: current value is ${
          JSON.stringify(format)
        }`,
      );
    }
    if ((format as number) > CORPUS_FORMAT) {
      warnings.push(
        `poolcheck: skipping corpus file ${file}: it is in format ${format}, written by kit ${
          (content as { kit?: unknown }).kit
        }; this kit (${KIT_VERSION}) reads format ${CORPUS_FORMAT}`,
      );
      continue;
    }
    const problem = caseProblem(content, adapter);
    if (problem !== undefined) throw new UsageError(`Cannot read corpus file ${file}: ${problem}`);
    const saved = content as SavedCase;
    if (saved.runtimes !== undefined && !saved.runtimes.includes(runtime)) continue;
    cases.push({ ...saved, source: shown(file) });
  }
  return { cases, warnings };
}

/**
 * The saved cases the CLI replays for one adapter: those of `--corpus`, or,
 * for a bundled adapter without it, those of the bundled corpus; none when
 * `--path` replays one run. Warnings go to `stderr`.
 *
 * @param entry The adapter, and whether it is a bundled one.
 * @param cli The `--corpus` and `--path` flags.
 * @param bundledCorpus The bundled adapters' corpus folder, in a checkout of the kit.
 * @param stderr Where warnings go.
 * @returns The cases.
 * @throws {UsageError} For a malformed corpus file.
 */
export async function corpusOf(
  entry: { readonly adapter: { readonly name: string }; readonly bundled: boolean },
  cli: { readonly corpus?: string; readonly path?: string },
  bundledCorpus: URL | undefined,
  stderr: { write(text: string): unknown },
): Promise<CorpusCase[]> {
  if (cli.path !== undefined) return [];
  const dir = cli.corpus ?? (entry.bundled ? bundledCorpus : undefined);
  if (dir === undefined) return [];
  const { cases, warnings } = await readCorpus(dir, entry.adapter.name);
  for (const warning of warnings) stderr.write(`${warning}\n`);
  return cases;
}
