/**
 * The bundled corpus (`corpus/`) stands for the expectation files'
 * reproductions, one saved case per entry with a seed and path: the same
 * seed, path, `maxCommands` and runtimes, and no case without an entry.
 * `deno task record --corpus-only` brings it in step.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { test } from "node:test";
import { adapterFolder, caseFileName } from "../src/cli/corpus.ts";
import { DEFAULT_MAX_COMMANDS } from "../src/harness/case.ts";
import { CORPUS_DIR, EXPECTATIONS_DIR } from "./_cli.ts";
import type { StoredEntry } from "./_corpus.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

for (const adapter of BUNDLED_ADAPTERS) {
  test(`${adapter.name}: the corpus holds one case per recorded reproduction`, async () => {
    const file = new URL(`${adapter.name}.json`, EXPECTATIONS_DIR);
    const rules: Record<string, StoredEntry> = await readFile(file, "utf8")
      .then((text) => JSON.parse(text).rules, () => ({}));
    const expected = Object.entries(rules).flatMap(([key, entry]) =>
      typeof entry === "string" || entry.seed === undefined || entry.path === undefined ? [] : [{
        clause: key,
        seed: entry.seed,
        path: entry.path,
        maxCommands: entry.maxCommands ?? DEFAULT_MAX_COMMANDS,
        runtimes: entry.runtimes,
      }]
    ).sort((a, b) => caseFileName(a).localeCompare(caseFileName(b)));
    const folder = new URL(`${adapterFolder(adapter.name)}/`, CORPUS_DIR);
    const names = await readdir(folder).catch(() => [] as string[]);
    const saved = await Promise.all(
      names.filter((n) => n.endsWith(".json")).sort().map(async (name) => {
        const c = JSON.parse(await readFile(new URL(name, folder), "utf8"));
        assert.equal(name, caseFileName(c), `${name} is named after its case`);
        assert.equal(c.adapter, adapter.name);
        return {
          clause: c.clause,
          seed: c.seed,
          path: c.path,
          maxCommands: c.maxCommands,
          runtimes: c.runtimes,
        };
      }),
    );
    assert.deepEqual(
      saved,
      expected,
      "run `deno task record --corpus-only` to bring conformance/corpus in step",
    );
  });
}
