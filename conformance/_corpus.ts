/**
 * The bundled adapters' corpus (`corpus/<adapter>/`): one saved case per
 * known deviation whose expectation entry records a reproduction. The
 * expectation files are the source of truth (reason, runtimes, seed and
 * path); this folder is generated from them by `deno task record`, so the
 * conformance job replays every known deviation before it explores, and a
 * test keeps the two in step.
 *
 * @module
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { adapterFolder, caseFileName, caseText } from "../src/cli/corpus.ts";
import { currentRuntime, parseExpectations } from "../src/cli/mod.ts";
import type { Adapter } from "../src/harness/adapter.ts";
import { caseArbitrary, DEFAULT_MAX_COMMANDS } from "../src/harness/case.ts";
import { CORPUS_FORMAT, replayCorpus, type SavedCase } from "../src/harness/corpus.ts";
import { RULES } from "../src/harness/rules/mod.ts";
import type { RunCase } from "../src/harness/run_case.ts";
import { caseFromScript, caseToScript } from "../src/harness/script.ts";
import { KIT_VERSION } from "../src/version.ts";
import { CORPUS_DIR } from "./_cli.ts";

/** An expectation file's entry, as stored. */
export type StoredEntry = string | {
  reason: string;
  seed?: number;
  path?: string;
  maxCommands?: number;
  runtimes?: string[];
};

/** The case a seed and path draw, without running it (none when the path does not fit). */
function drawn(
  adapter: Adapter,
  seed: number,
  path: string,
  maxCommands: number,
): RunCase | undefined {
  let value: RunCase | undefined;
  try {
    fc.check(
      fc.property(caseArbitrary(adapter, maxCommands), (v) => {
        value ??= v;
        return true;
      }),
      { seed, path, numRuns: 1 },
    );
  } catch {
    return undefined; // fast-check refuses a path that does not fit the arbitrary
  }
  return value;
}

/**
 * The saved case of each expectation entry with a reproduction: the case its
 * seed and path draw (or, when `folder` holds its file with a script, that
 * script's case), and, when the entry applies on this runtime and the
 * replay fails as recorded, the failure's message and steps.
 *
 * @param adapter The bundled adapter.
 * @param rules The entries of its expectation file, as stored.
 * @param folder The adapter's corpus folder, whose saved scripts are kept.
 * @returns The cases, with the key of the entry each stands for.
 */
export async function casesOfEntries(
  adapter: Adapter,
  rules: Readonly<Record<string, StoredEntry>>,
  folder?: string,
): Promise<{ key: string; saved: SavedCase; replayed: boolean }[]> {
  const expectations = parseExpectations({ rules }, `${adapter.name}.json`);
  const cases: { key: string; saved: SavedCase; replayed: boolean }[] = [];
  for (const [key, entry] of Object.entries(rules)) {
    if (typeof entry === "string" || entry.seed === undefined || entry.path === undefined) continue;
    if (!key.includes(".")) continue; // a whole rule's entry names no clause to save under
    const { seed, path, maxCommands = DEFAULT_MAX_COMMANDS, runtimes } = entry;
    // A case saved with its script keeps it: seed and path may draw another case since.
    const script = await savedScript(
      folder,
      caseFileName({ clause: key, seed, path, maxCommands }),
    );
    const value = script === undefined
      ? drawn(adapter, seed, path, maxCommands)
      : caseFromScript(script);
    if (value === undefined) {
      console.warn(
        `${adapter.name}: ${key}: seed ${seed} path ${path} does not fit the case generator: saved without its setup`,
      );
    }
    const draft: SavedCase = {
      format: CORPUS_FORMAT,
      kit: KIT_VERSION,
      adapter: adapter.name,
      rule: key.split(".")[0]!,
      clause: key,
      seed,
      path,
      maxCommands,
      message: "",
      setup: value?.setup ?? ({ config: {} } as unknown as SavedCase["setup"]),
      steps: [...value?.commands ?? []].map((command, i) => `${i + 1}. ${command}`),
      ...(runtimes === undefined ? {} : { runtimes }),
      ...(value === undefined ? {} : { script: caseToScript(value) }),
    };
    if (runtimes !== undefined && !runtimes.includes(currentRuntime())) {
      cases.push({ key, saved: draft, replayed: false });
      continue;
    }
    const [outcome] = await replayCorpus(adapter, {
      cases: [{ ...draft, source: key }],
      rules: RULES,
      expectations,
      watchdogMs: 10_000,
      replayCommand: `deno task conformance --adapter ${adapter.name}`,
    });
    if (outcome?.kind !== "fails") {
      cases.push({ key, saved: draft, replayed: false });
      continue;
    }
    const { message, steps, setup } = outcome.counterexample;
    cases.push({ key, saved: { ...draft, message, steps, setup }, replayed: true });
  }
  return cases;
}

/** The script of a saved case file, when the file exists and has one. */
async function savedScript(folder: string | undefined, name: string): Promise<unknown> {
  if (folder === undefined) return undefined;
  try {
    return JSON.parse(await readFile(join(folder, name), "utf8")).script;
  } catch {
    return undefined;
  }
}

/**
 * Bring an adapter's corpus folder in step with its expectation file: write
 * the file of every entry's case that is missing, and remove the files no
 * entry stands for.
 *
 * @param adapter The bundled adapter.
 * @param rules The entries of its expectation file, as stored.
 * @param dir The corpus folder. @default {CORPUS_DIR}
 * @returns The files written and removed, and the keys whose reproduction did not fail here.
 */
export async function syncCorpus(
  adapter: Adapter,
  rules: Readonly<Record<string, StoredEntry>>,
  dir: URL = CORPUS_DIR,
): Promise<{ written: string[]; removed: string[]; notReplayed: string[] }> {
  const folder = join(fileURLToPath(dir), adapterFolder(adapter.name));
  let present: string[] = [];
  try {
    present = (await readdir(folder)).filter((name) => name.endsWith(".json"));
  } catch {
    // no folder yet
  }
  const cases = await casesOfEntries(adapter, rules, folder);
  const wanted = new Set(cases.map(({ saved }) => caseFileName(saved)));
  const written: string[] = [];
  const removed: string[] = [];
  for (const name of present.filter((name) => !wanted.has(name))) {
    await rm(join(folder, name));
    removed.push(name);
  }
  for (const { saved } of cases) {
    const name = caseFileName(saved);
    if (present.includes(name)) continue;
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, name), caseText(saved));
    written.push(name);
  }
  return {
    written,
    removed,
    notReplayed: cases.filter((c) => !c.replayed).map((c) => c.key),
  };
}
