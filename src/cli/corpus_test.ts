import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { LIMIT_BUGS } from "../../fixtures/broken/limits.ts";
import type { PoolReport } from "../harness/result.ts";
import { parseJsonReport } from "../report/json_read.ts";
import { KIT_VERSION } from "../version.ts";
import { runCli } from "./mod.ts";
import { output } from "./_test_util.ts";

/** A few quick checks of one rule group each, in a worker or in this thread. */
const LONG = { timeout: 120_000 };

const BASE = new URL("../../fixtures/broken/_base.ts", import.meta.url).href;
const LIMITS = new URL("../../fixtures/broken/limits.ts", import.meta.url).href;

/**
 * A temp folder with two modules exporting an adapter named
 * `broken-max-total`: the broken pool (one connection too many), and the
 * same pool fixed (the reference pool, declared the same, so a saved path
 * draws the same case).
 */
async function setUp(): Promise<{ dir: string; broken: string; fixed: string; corpus: string }> {
  const dir = await mkdtemp(join(tmpdir(), "poolcheck-corpus-"));
  const broken = join(dir, "broken.ts");
  const fixed = join(dir, "fixed.ts");
  await writeFile(
    broken,
    `import { LIMIT_BUGS } from ${JSON.stringify(LIMITS)};\n` +
      `export const broken = LIMIT_BUGS.find((p) => p.clause === "LIM-1.a")!.adapter;\n`,
  );
  await writeFile(
    fixed,
    `import { brokenPool } from ${JSON.stringify(BASE)};\n` +
      `export const fixed = brokenPool("broken-max-total", "LIM-1.a", "fixed", {}).adapter;\n`,
  );
  return { dir, broken, fixed, corpus: join(dir, "corpus") };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = output();
  const stderr = output();
  const code = await runCli([...args, "--quiet"], { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function savedFiles(corpus: string): Promise<string[]> {
  const folder = join(corpus, "broken-max-total");
  return (await readdir(folder)).map((name) => join(folder, name));
}

describe("poolcheck CLI, --corpus", () => {
  test(
    "saves a shrunk failure, then replays it first, whatever the seed, in a worker or not",
    LONG,
    async () => {
      const { broken, corpus } = await setUp();
      const first = await cli(
        ["--adapter", broken, "--quick", "--seed", "3", "--rule", "LIM", "--corpus", corpus],
      );
      assert.equal(first.code, 1);
      assert.doesNotMatch(first.stdout, /corpus replay/, "an empty corpus replays nothing");
      const [file, ...more] = await savedFiles(corpus);
      assert.equal(more.length, 0);
      assert.match(file!, /LIM-1\.a-[0-9a-f]{12}\.json$/);
      assert.match(first.stderr, /corpus: saved .*LIM-1\.a-/);
      const saved = JSON.parse(await readFile(file!, "utf8"));
      assert.deepEqual(Object.keys(saved), [
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
        "script",
      ]);
      assert.equal(saved.format, 1);
      assert.equal(saved.kit, KIT_VERSION);
      assert.equal(saved.adapter, "broken-max-total");
      assert.equal(saved.rule, "LIM-1");
      assert.equal(saved.clause, "LIM-1.a");
      assert.equal(saved.seed, 3);
      assert.equal(saved.maxCommands, 30);
      assert.match(saved.message, /live connections/);
      assert.equal(typeof saved.setup.config.maxTotal, "number");
      assert.ok(saved.steps.some((line: string) => /← LIM-1\.a breaks/.test(line)));

      for (const mode of [[], ["--in-process"]]) {
        const again = await cli([
          "--adapter",
          broken,
          "--quick",
          "--seed",
          "99",
          "--rule",
          "LIM-1",
          "--runs",
          "1",
          "--corpus",
          corpus,
          ...mode,
        ]);
        assert.equal(again.code, 1, again.stdout);
        // The saved case fails LIM-1 again, so no random run is left to make.
        assert.match(
          again.stdout,
          /^broken-max-total: FAILED — 0 random runs, 0 shrink runs, 1 corpus replay, \d+ commands, /,
        );
        assert.match(again.stdout, /FAIL {2}LIM-1 /);
        assert.ok(
          again.stdout.includes(`counterexample (2 steps, seed 3, path ${saved.path})`),
          `the saved case is the counterexample:\n${again.stdout}`,
        );
        assert.match(again.stdout, /corpus {2}1 saved case replayed before exploring: 1 failed/);
        assert.match(again.stdout, /fails again {2}.*LIM-1\.a-.*: fails again: LIM-1\.a/);
        assert.equal(again.stderr, "", "the same case is not saved twice");
        assert.deepEqual(await savedFiles(corpus), [file]);
      }

      // The script replays the case, not seed and path: a path that draws something else (as
      // after a kit upgrade that changed how cases are drawn) changes nothing.
      await writeFile(file!, JSON.stringify({ ...saved, path: "0" }));
      const scripted = await cli(
        ["--adapter", broken, "--seed", "99", "--rule", "LIM-1", "--runs", "1", "--corpus", corpus],
      );
      assert.equal(scripted.code, 1, scripted.stdout);
      assert.match(scripted.stdout, /fails again {2}.*LIM-1\.a-.*: fails again: LIM-1\.a/);
      assert.match(
        scripted.stdout,
        /replay: .* --corpus \S+ --rule LIM-1 --max-commands 30\n/,
      );
      // A script that names a command this kit does not have is skipped, with the reason.
      const script = { ...saved.script, commands: [{ command: "teleport" }] };
      await writeFile(file!, JSON.stringify({ ...saved, script }));
      const unknown = await cli(
        ["--adapter", broken, "--seed", "99", "--rule", "LIM-1", "--runs", "1", "--corpus", corpus],
      );
      assert.match(
        unknown.stdout,
        /its script cannot be read .*: command 1 is of a kind this kit does not have: "teleport"/,
      );
    },
  );

  test(
    "a saved case that passes now is reported fixed, or unexpected when listed",
    LONG,
    async () => {
      const { dir, broken, fixed, corpus } = await setUp();
      assert.equal(
        (await cli([
          "--adapter",
          broken,
          "--quick",
          "--seed",
          "3",
          "--rule",
          "LIM-1",
          "--corpus",
          corpus,
        ])).code,
        1,
      );
      const run = [
        "--adapter",
        fixed,
        "--quick",
        "--seed",
        "5",
        "--rule",
        "LIM-1",
        "--corpus",
        corpus,
      ];
      const passing = await cli(run);
      assert.equal(passing.code, 0, passing.stdout);
      assert.match(
        passing.stdout,
        /^broken-max-total: ok — 30 random runs, 0 shrink runs, 1 corpus replay, /,
      );
      assert.match(
        passing.stdout,
        /\n +fixed {2}.*LIM-1\.a-[0-9a-f]{12}\.json \(LIM-1\.a, seed 3 path [\d:]+\): no longer fails\n/,
      );
      assert.equal((await savedFiles(corpus)).length, 1, "a fixed case is kept");

      // Listed as a known deviation, a saved case that passes makes the entry out of date.
      const expectations = join(dir, "known.json");
      await writeFile(expectations, JSON.stringify({ rules: { "LIM-1.a": "one too many" } }));
      const listed = await cli([...run, "--expectations", expectations]);
      assert.equal(listed.code, 1, listed.stdout);
      assert.match(listed.stdout, /UNEXPECTED PASS {2}LIM-1 .*its saved case .*passes now/i);
      // And while the pool still breaks it, the saved case shows the known failure.
      const known = await cli([
        "--adapter",
        broken,
        "--quick",
        "--seed",
        "5",
        "--rule",
        "LIM-1",
        "--runs",
        "1",
        "--corpus",
        corpus,
        "--expectations",
        expectations,
      ]);
      assert.equal(known.code, 0, known.stdout);
      assert.match(known.stdout, /known failure {2}LIM-1 /);
    },
  );

  test(
    "a malformed corpus file is a usage error naming the file; a newer one is skipped",
    LONG,
    async () => {
      const { broken, corpus } = await setUp();
      const folder = join(corpus, "broken-max-total");
      await mkdir(folder, { recursive: true });
      const bad = join(folder, "LIM-1.a-000000000000.json");
      const run = [
        "--adapter",
        broken,
        "--quick",
        "--seed",
        "3",
        "--rule",
        "LIM-1",
        "--corpus",
        corpus,
      ];
      const cases: [string, RegExp][] = [
        ["{ not json", /LIM-1\.a-000000000000\.json as it is not JSON/],
        [
          JSON.stringify({ format: 1, kit: "0.1.0", adapter: "other" }),
          /'adapter' must be 'broken-max-total'/,
        ],
        [
          JSON.stringify({ format: "one" }),
          /'format' must be a positive integer: current value is "one"/,
        ],
      ];
      for (const [content, message] of cases) {
        await writeFile(bad, content);
        const { code, stdout, stderr } = await cli(run);
        assert.equal(code, 2);
        assert.equal(stdout, "");
        assert.ok(stderr.includes(bad), stderr);
        assert.match(stderr, message);
      }
      await writeFile(bad, JSON.stringify({ format: 99, kit: "9.0.0" }));
      const newer = await cli(run);
      assert.equal(newer.code, 1);
      assert.match(
        newer.stderr,
        /skipping corpus file .*: it is in format 99, written by kit 9\.0\.0/,
      );
      assert.doesNotMatch(newer.stdout, /corpus replay/);
      assert.equal(
        (await cli(["--adapter", broken, "--corpus="])).stderr.split("\n")[0],
        "Cannot run poolcheck as '--corpus' must be a path: current value is ",
      );
    },
  );

  test(
    "shards together replay each saved case once, and merged give the unsharded verdicts",
    LONG,
    async () => {
      const { dir, broken, corpus } = await setUp();
      // Saved cases of two adapters: failures found on a few seeds.
      const perRoute = join(dir, "per_route.ts");
      await writeFile(
        perRoute,
        `import { LIMIT_BUGS } from ${JSON.stringify(LIMITS)};\n` +
          `export const broken = LIMIT_BUGS.find((p) => p.clause === "LIM-2.a")!.adapter;\n`,
      );
      // Each seed saves into a corpus of its own (a corpus replays its cases first, so one
      // corpus would keep only the first failure of each rule); then the cases are put together.
      for (const module of [broken, perRoute]) {
        for (const seed of ["3", "4", "5"]) {
          const own = join(dir, `corpus-${seed}`);
          const flags = ["--quick", "--seed", seed, "--rule", "LIM", "--corpus", own];
          await cli(["--adapter", module, ...flags]);
          for (const adapter of await readdir(own)) {
            await mkdir(join(corpus, adapter), { recursive: true });
            for (const name of await readdir(join(own, adapter))) {
              await writeFile(
                join(corpus, adapter, name),
                await readFile(join(own, adapter, name)),
              );
            }
          }
        }
      }
      const saved = async (adapter: string) =>
        (await readdir(join(corpus, adapter))).map((name) => join(corpus, adapter, name)).sort();
      const cases = [...await saved("broken-max-total"), ...await saved("broken-max-per-route")];
      assert.ok(cases.length >= 4, `saved cases: ${cases.join(", ")}`);
      // The corpus is read as a checkout reads its bundled one: replayed, never written to.
      const adapters = ["LIM-1.a", "LIM-2.a"].map((c) =>
        LIMIT_BUGS.find((p) => p.clause === c)!.adapter
      );
      const options = { bundled: adapters, bundledCorpus: pathToFileURL(`${corpus}/`) };
      const json = async (name: string, args: string[]) => {
        const file = join(dir, name);
        const stderr = output();
        const code = await runCli([...args, "--quiet", "--json", file], {
          ...options,
          stdout: output(),
          stderr,
        });
        assert.notEqual(code, 2, stderr.text);
        return { code, file, report: parseJsonReport(await readFile(file, "utf8")) };
      };
      const replayed = (reports: readonly PoolReport[]) =>
        reports.flatMap((r) =>
          r.corpus === undefined
            ? []
            : [...r.corpus.failing, ...r.corpus.fixed, ...r.corpus.skipped]
        ).map((note) => note.source).sort();
      // Notes name a file as messages do: relative to the working directory when inside it.
      const shown = (files: string[]) =>
        files.map((f) => {
          const near = relative(process.cwd(), f);
          return near === "" || near.startsWith("..") || isAbsolute(near) ? f : near;
        }).sort();
      // One adapter over three shards (shared runs), then two (one shares its runs, one is whole).
      for (const names of [["broken-max-total"], ["broken-max-total", "broken-max-per-route"]]) {
        const common = [
          ...names.flatMap((n) => ["--adapter", n]),
          "--quick",
          "--seed",
          "11",
          "--rule",
          "LIM",
        ];
        const whole = await json("whole.json", common);
        const shards = [];
        for (const k of [1, 2, 3]) {
          shards.push(await json(`shard-${k}.json`, [...common, "--shard", `${k}/3`]));
        }
        const own = (await Promise.all(names.map(saved))).flat();
        const fromShards = shards.flatMap((shard) => replayed(shard.report.reports)).sort();
        assert.deepEqual(fromShards, shown(own), "each saved case is replayed by one shard");
        assert.deepEqual(replayed(whole.report.reports), shown(own));
        assert.equal(
          shards.reduce(
            (n, s) => n + s.report.reports.reduce((m, r) => m + (r.corpus?.replays ?? 0), 0),
            0,
          ),
          own.length,
        );
        const stdout = output();
        const code = await runCli([
          "merge",
          "--json",
          join(dir, "merged.json"),
          ...shards.map((s) => s.file),
        ], {
          stdout,
          stderr: output(),
        });
        assert.equal(code, whole.code);
        const merged = parseJsonReport(await readFile(join(dir, "merged.json"), "utf8")).reports;
        const verdicts = (reports: readonly PoolReport[]) =>
          reports.map((r) => ({
            adapter: r.adapter,
            ok: r.ok,
            corpus: r.corpus,
            rules: r.rules.map((rule) => ({
              id: rule.id,
              status: rule.status,
              ...(rule.status === "fail" ? { path: rule.counterexample?.path } : {}),
            })),
          }));
        assert.deepEqual(verdicts(merged), verdicts(whole.report.reports));
        for (const [i, report] of merged.entries()) {
          assert.equal(report.corpus?.replays, whole.report.reports[i]!.corpus?.replays);
        }
        assert.match(stdout.text, /\n +corpus {2}\d+ saved cases? replayed before exploring: /);
      }
    },
  );
});
