/**
 * The bundled corpus (`corpus/`) stands for the expectation files'
 * reproductions, one saved case per entry with a seed and path: the same
 * seed, path, `maxCommands` and runtimes, and no case without an entry.
 * `deno task record --corpus-only` brings it in step. The conformance job
 * replays it before exploring, and when the job is sharded, each saved case
 * is replayed by one shard.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { adapterFolder, caseFileName, readCorpus } from "../src/cli/corpus.ts";
import { runCli } from "../src/cli/mod.ts";
import { output } from "../src/cli/_test_util.ts";
import { DEFAULT_MAX_COMMANDS } from "../src/harness/case.ts";
import type { PoolReport } from "../src/harness/result.ts";
import { parseJsonReport } from "../src/report/json_read.ts";
import { CHECKOUT_CLI, CORPUS_DIR, EXPECTATIONS_DIR } from "./_cli.ts";
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

test(
  "pg-pool in three shards: each saved case is replayed once, and merged the verdicts are the unsharded ones",
  { timeout: 120_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "poolcheck-bundled-shards-"));
    const quiet = output();
    const check = async (name: string, args: string[]) => {
      const file = join(dir, name);
      const stderr = output();
      const code = await runCli(
        [
          "--adapter",
          "pg-pool",
          "--quick",
          "--seed",
          "20261121",
          "--in-process",
          "--quiet",
          ...args,
          "--json",
          file,
        ],
        { ...CHECKOUT_CLI, stdout: quiet, stderr },
      );
      assert.notEqual(code, 2, stderr.text);
      return { code, file, report: parseJsonReport(await readFile(file, "utf8")).reports[0]! };
    };
    const sources = (report: PoolReport) =>
      [
        ...report.corpus?.failing ?? [],
        ...report.corpus?.fixed ?? [],
        ...report.corpus?.skipped ?? [],
      ]
        .map((note) => note.source);
    const { cases } = await readCorpus(CORPUS_DIR, "pg-pool");
    assert.ok(cases.length > 1, "pg-pool has saved cases");
    const whole = await check("whole.json", []);
    const shards = [];
    for (const k of [1, 2, 3]) shards.push(await check(`shard-${k}.json`, ["--shard", `${k}/3`]));
    assert.deepEqual(shards.map((s) => s.report.corpus?.replays ?? 0), [cases.length, 0, 0]);
    assert.deepEqual(
      shards.flatMap((s) => sources(s.report)).sort(),
      cases.map((c) => c.source).sort(),
      "shards 1/3 to 3/3 replay each saved case exactly once between them",
    );
    assert.deepEqual(sources(whole.report).sort(), cases.map((c) => c.source).sort());
    const file = join(dir, "merged.json");
    const code = await runCli(["merge", "--json", file, ...shards.map((s) => s.file)], {
      stdout: quiet,
      stderr: quiet,
    });
    assert.equal(code, whole.code);
    const [merged] = parseJsonReport(await readFile(file, "utf8")).reports;
    const verdicts = (report: PoolReport) =>
      report.rules.map((r) => ({
        id: r.id,
        status: r.status,
        clauses: (r.known ?? []).map((k) => k.clause),
        ...(r.status === "fail" ? { path: r.counterexample?.path } : {}),
      }));
    assert.deepEqual(verdicts(merged!), verdicts(whole.report));
    assert.deepEqual(merged!.corpus, whole.report.corpus);
  },
);
