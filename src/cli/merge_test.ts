import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import { checkPool, checkTimeoutMs } from "../harness/check_pool.ts";
import type { CorpusReplays, PoolReport, RuleResult } from "../harness/result.ts";
import { renderHtml, renderJson, renderJunit, renderMarkdown, renderText } from "../report/mod.ts";
import { parseJsonReport } from "../report/json_read.ts";
import { runCli } from "./mod.ts";
import { mergeReports } from "./merge.ts";
import { output } from "./_test_util.ts";

/** Each check here is a quick one; a generous bound that does not depend on the machine. */
const LONG = { timeout: 8 * checkTimeoutMs({ quick: true }) };

const FIXTURES = new URL("../../fixtures/broken/", import.meta.url).href;
const REFERENCE = new URL("../../conformance/reference/adapter.ts", import.meta.url).href;

/** Write a module exporting the named adapters (the reference pool and broken ones). */
async function adapterModule(dir: string, name: string, exports: string[]): Promise<string> {
  const lines = [
    `import { referenceAdapter } from ${JSON.stringify(REFERENCE)};`,
    `import { BROKEN_POOLS } from ${JSON.stringify(`${FIXTURES}mod.ts`)};`,
    `const broken = (name: string) => BROKEN_POOLS.find((p) => p.adapter.name === name)!.adapter;`,
    ...exports.map((line) => `export ${line};`),
    "void referenceAdapter; void broken;",
  ];
  const file = join(dir, name);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

/** A report's counts. */
function counts(report: PoolReport) {
  const { runs, randomRuns, shrinkRuns, shrinkSteps, commands } = report;
  return { runs, randomRuns, shrinkRuns, shrinkSteps, commands, corpus: report.corpus?.replays };
}

/** What must be the same: every adapter's verdict per rule, and the failures' counterexamples. */
function verdicts(reports: readonly PoolReport[]) {
  return reports.map((report) => ({
    adapter: report.adapter,
    ok: report.ok,
    rules: report.rules.map((rule: RuleResult) => ({
      id: rule.id,
      status: rule.status,
      ...(rule.status === "fail" ? { path: rule.counterexample?.path } : {}),
    })),
  }));
}

async function check(args: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = output();
  const stderr = output();
  const code = await runCli(args, { stdout, stderr });
  assert.notEqual(code, 2, stderr.text);
  return { code, stdout: stdout.text };
}

/** Run unsharded and as shards 1/3 to 3/3, merge, and return both. */
async function shardAndMerge(dir: string, module: string, flags: string[]) {
  const common = ["--adapter", module, "--in-process", "--quiet", ...flags];
  const whole = join(dir, "whole.json");
  const unsharded = await check([...common, "--json", whole]);
  const shards: string[] = [];
  for (const k of [1, 2, 3]) {
    const file = join(dir, `shard-${k}.json`);
    await check([...common, "--shard", `${k}/3`, "--json", file]);
    shards.push(file);
  }
  const stdout = output();
  const stderr = output();
  const mergedFile = join(dir, "merged.json");
  const markdown = join(dir, "merged.md");
  const code = await runMerge(
    shards,
    ["--json", mergedFile, "--markdown", markdown],
    stdout,
    stderr,
  );
  const text = output();
  const again = await runCli(["merge", ...shards], { stdout: text, stderr: output() });
  return {
    unsharded: { code: unsharded.code, reports: parseJsonReport(await readFile(whole, "utf8")) },
    merged: {
      code,
      again,
      text: text.text,
      report: parseJsonReport(await readFile(mergedFile, "utf8")),
      markdown: await readFile(markdown, "utf8"),
    },
  };
}

function runMerge(
  files: string[],
  flags: string[],
  stdout: { write(text: string): void },
  stderr: { write(text: string): void },
): Promise<number> {
  return runCli(["merge", ...flags, ...files], { stdout, stderr });
}

describe("poolcheck merge", () => {
  test(
    "three shards of three adapters, merged, give the unsharded check's reports",
    LONG,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "poolcheck-shards-"));
      const module = await adapterModule(dir, "pools.ts", [
        "const a = referenceAdapter",
        `const b = broken("broken-max-total")`,
        `const c = broken("broken-recent-cache")`,
      ]);
      const { unsharded, merged } = await shardAndMerge(dir, module, ["--quick", "--seed", "11"]);
      assert.equal(unsharded.code, 1, "a broken pool fails");
      assert.equal(merged.code, unsharded.code);
      assert.equal(merged.again, unsharded.code);
      assert.deepEqual(verdicts(merged.report.reports), verdicts(unsharded.reports.reports));
      // Whole adapters per shard: the same runs, so the same counts.
      for (const [i, report] of merged.report.reports.entries()) {
        assert.deepEqual(counts(report), counts(unsharded.reports.reports[i]!));
      }
      assert.equal(merged.report.mergedFrom, 3);
      assert.match(
        merged.text,
        /^merged from 3 shards of seed 11: the counts \(runs, shrink steps, corpus replays, commands\) and times below are totals over all of them\n/,
      );
      assert.match(merged.text, /\nMatrix\n/);
      assert.equal(
        merged.markdown,
        renderMarkdown(unsharded.reports.reports),
        "the Markdown report (with its diagrams) is the unsharded one",
      );
    },
  );

  test(
    "three shards of one adapter share its runs: a passing pool's runs add up exactly",
    LONG,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "poolcheck-shards-"));
      const module = await adapterModule(dir, "reference.ts", ["const a = referenceAdapter"]);
      const { unsharded, merged } = await shardAndMerge(dir, module, [
        "--runs",
        "24",
        "--seed",
        "3",
      ]);
      assert.equal(unsharded.code, 0);
      assert.equal(merged.code, 0);
      assert.deepEqual(verdicts(merged.report.reports), verdicts(unsharded.reports.reports));
      const [whole] = unsharded.reports.reports;
      const [sum] = merged.report.reports;
      assert.deepEqual(counts(sum!), counts(whole!));
      assert.equal(whole!.randomRuns, 24);
      assert.match(
        merged.text,
        /\nreference: ok — 24 random runs, 0 shrink runs, \d+ commands, seed 3, /,
      );
    },
  );

  test(
    "three shards of one broken pool: the same verdicts, and the first failure's counterexample",
    LONG,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "poolcheck-shards-"));
      const module = await adapterModule(dir, "broken.ts", [
        `const b = broken("broken-max-total")`,
      ]);
      const { unsharded, merged } = await shardAndMerge(dir, module, ["--quick", "--seed", "5"]);
      assert.equal(unsharded.code, 1);
      assert.equal(merged.code, 1);
      assert.deepEqual(verdicts(merged.report.reports), verdicts(unsharded.reports.reports));
      const failed = (reports: readonly PoolReport[]) =>
        reports[0]!.rules.find((r) => r.status === "fail")?.counterexample;
      assert.deepEqual(failed(merged.report.reports), failed(unsharded.reports.reports));
    },
  );

  test(
    "an out-of-date expectation: the merged unexpected pass is the unsharded one, entries and all",
    LONG,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "poolcheck-shards-"));
      const module = await adapterModule(dir, "reference.ts", ["const a = referenceAdapter"]);
      const expectations = join(dir, "known.json");
      await writeFile(
        expectations,
        JSON.stringify({
          rules: {
            "LIM-1.a": { reason: "one too many; or so we thought", seed: 1, path: "0" },
            "LIM-2": "per route, too",
          },
        }),
      );
      const { unsharded, merged } = await shardAndMerge(dir, module, [
        "--runs",
        "12",
        "--seed",
        "3",
        "--rule",
        "LIM",
        "--expectations",
        expectations,
      ]);
      assert.equal(unsharded.code, 1);
      assert.equal(merged.code, 1);
      const stale = (reports: readonly PoolReport[]) =>
        reports[0]!.rules.filter((r) => r.status === "unexpected-pass")
          .map(({ id, reason, stale }) => ({ id, reason, stale }));
      assert.deepEqual(stale(merged.report.reports), stale(unsharded.reports.reports));
      assert.deepEqual(stale(unsharded.reports.reports).map((r) => r.stale), [
        [{
          key: "LIM-1.a",
          reason: "one too many; or so we thought",
          replay:
            "its recorded reproduction (seed 1 path 0) passes now; after an upgrade of the kit or a change to the adapter's declaration, a seed and path draw another case: record a fresh failure, or give the entry the failure's script",
        }],
        [{ key: "LIM-2", reason: "per route, too" }],
      ]);
    },
  );

  test("the JSON report carries what every other report needs", LONG, async () => {
    const pool = BROKEN_POOLS.find((p) => p.adapter.name === "broken-max-total")!.adapter;
    const report = await checkPool(pool, { quick: true, seed: 5, rules: ["LIM"] });
    assert.equal(report.ok, false, "a failure, with its counterexample, is in the report");
    const [read] = parseJsonReport(renderJson([report])).reports;
    assert.equal(renderText(read!), renderText(report));
    assert.equal(renderHtml([read!]), renderHtml([report]));
    assert.equal(renderMarkdown([read!]), renderMarkdown([report]));
    assert.equal(renderJunit([read!]), renderJunit([report]));
  });

  test("a malformed, missing or foreign report exits 2, naming the file and what is wrong", async () => {
    const dir = await mkdtemp(join(tmpdir(), "poolcheck-merge-"));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      return writeFile(path, text).then(() => path);
    };
    const report = {
      adapter: "x",
      seed: 1,
      runs: 0,
      commands: 0,
      durationMs: 0,
      rules: [],
      errors: [],
      ok: true,
    };
    const shard = (index: number, count: number, seed = 1, formatVersion = 2) => ({
      formatVersion,
      shard: {
        index,
        count,
        seed,
        adapters: ["x"],
        settings: { runs: null, maxCommands: null, quick: false, rules: [] },
        units: [{ adapter: "x", slice: index - 1, slices: count }],
      },
      reports: [{ ...report, seed }],
    });
    const cases: [string[], RegExp][] = [
      [
        [await file("text.json", "not json")],
        /Cannot merge .*text\.json as it is not a poolcheck JSON report: it is not JSON/,
      ],
      [
        [
          await file(
            "status.json",
            JSON.stringify({
              reports: [{ ...report, rules: [{ id: "L", title: "t", status: "bogus" }] }],
            }),
          ),
        ],
        /status\.json .*'reports\[0\]\.rules\[0\]\.status' must be one of pass, fail, .*current value is "bogus"/,
      ],
      [
        [await file("version.json", JSON.stringify({ formatVersion: 99, reports: [] }))],
        /'formatVersion' must be 1 or 2, the versions this kit reads: a newer kit wrote it: current value is 99/,
      ],
      [
        [
          await file("old1.json", JSON.stringify(shard(1, 2, 1, 1))),
          await file("old2.json", JSON.stringify(shard(2, 2, 1, 1))),
        ],
        /old1\.json \(shard 1\/2\) is in JSON format 1, which does not record what combining shares of x's runs needs .*: make the shards again with this kit/,
      ],
      [
        [
          await file("new1.json", JSON.stringify(shard(1, 2))),
          await file("old2b.json", JSON.stringify(shard(2, 2, 1, 1))),
        ],
        /old2b\.json is in JSON format 1 and .*new1\.json in format 2: every shard must be made by the same kit/,
      ],
      [[join(dir, "absent.json")], /Cannot merge .*absent\.json as it cannot be read/],
      [
        [
          await file("s1.json", JSON.stringify(shard(1, 3))),
          await file("s3.json", JSON.stringify(shard(3, 3))),
        ],
        /shard 2\/3 of 3 is missing: given 1\/3 \(.*s1\.json\), 3\/3 \(.*s3\.json\)/,
      ],
      [
        [
          await file("a1.json", JSON.stringify(shard(1, 2))),
          await file("b1.json", JSON.stringify(shard(1, 2))),
        ],
        /a1\.json and .*b1\.json are both shard 1\/2/,
      ],
      [
        [
          await file("c1.json", JSON.stringify(shard(1, 2))),
          await file("c2.json", JSON.stringify(shard(2, 2, 9))),
        ],
        /c2\.json is shard 2\/2 of a check with seed 9, and .*c1\.json of one with 1/,
      ],
      [
        [
          await file("d1.json", JSON.stringify(shard(1, 2))),
          await file("plain.json", JSON.stringify({ reports: [report] })),
        ],
        /plain\.json is not a shard of a sharded check/,
      ],
      [
        [
          await file("p1.json", JSON.stringify({ reports: [report] })),
          await file("p2.json", JSON.stringify({ reports: [report] })),
        ],
        /adapter x is in both .*p1\.json and .*p2\.json/,
      ],
      [[], /no report was given/],
      [["--bogus", "x.json"], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const stdout = output();
      const stderr = output();
      assert.equal(await runCli(["merge", ...args], { stdout, stderr }), 2, args.join(" "));
      assert.match(stderr.text, message);
      assert.match(stderr.text, /Run 'poolcheck merge --help' for the flags/);
      assert.equal(stdout.text, "");
    }
  });

  test("shares of a rule combine: a failure anywhere fails, known deviations are pooled", () => {
    const cx = (clause: string) => ({
      clause,
      message: "m",
      step: 1,
      setup: {} as never,
      commands: [],
      steps: [],
      ledger: [],
      seed: 1,
      path: "0",
      replay: "r",
    });
    const share = (index: number, rules: RuleResult[], corpus?: CorpusReplays) => ({
      name: `s${index}.json`,
      report: {
        formatVersion: 2,
        shard: {
          index,
          count: 2,
          seed: 1,
          adapters: ["x"],
          settings: { runs: null, maxCommands: null, quick: false, rules: [] },
          units: [{ adapter: "x", slice: index - 1, slices: 2 }],
        },
        reports: [{
          adapter: "x",
          seed: 1,
          runs: 5,
          randomRuns: 4,
          shrinkRuns: 1,
          shrinkSteps: 1,
          commands: 9,
          durationMs: 1,
          rules,
          ...(corpus === undefined ? {} : { corpus }),
          errors: [],
          ok: true,
        }],
      },
    });
    const note = (clause: string) => ({
      source: `${clause}.json`,
      clause,
      seed: 1,
      path: "0",
      note: "n",
    });
    const merged = mergeReports([
      share(1, [
        { id: "LIM-1", title: "t", status: "pass" },
        {
          id: "LSE-4",
          title: "t",
          status: "unexpected-pass",
          // The text of a reason is not read: the entries are.
          reason: "LSE-4.a: accepted; twice; LSE-4.b: stale (its recorded reproduction passes now)",
          stale: [
            { key: "LSE-4.a", reason: "accepted; twice" },
            { key: "LSE-4.b", reason: "stale", replay: "its recorded reproduction passes now" },
          ],
        },
        {
          id: "CLS-2",
          title: "t",
          status: "expected-fail",
          reason: "CLS-2.d: drains (reproduced)",
          counterexample: cx("CLS-2.d"),
          known: [{
            clause: "CLS-2.d",
            reason: "drains (reproduced)",
            counterexample: { ...cx("CLS-2.d"), path: "9" },
            reproduced: true,
          }],
        },
        {
          id: "ORD-1",
          title: "t",
          status: "unexpected-pass",
          reason: "ORD-1: lifo",
          stale: [{ key: "ORD-1", reason: "lifo" }],
        },
      ], { replays: 2, failing: [note("LIM-1.a")], fixed: [note("EXP-1.a")], skipped: [] }),
      share(2, [
        { id: "LIM-1", title: "t", status: "fail", counterexample: cx("LIM-1.a") },
        {
          id: "LSE-4",
          title: "t",
          status: "expected-fail",
          reason: "LSE-4.a: accepted; twice",
          counterexample: cx("LSE-4.a"),
          known: [{ clause: "LSE-4.a", reason: "accepted; twice", counterexample: cx("LSE-4.a") }],
        },
        {
          id: "CLS-2",
          title: "t",
          status: "expected-fail",
          reason: "CLS-2.d: drains",
          counterexample: cx("CLS-2.d"),
          known: [{ clause: "CLS-2.d", reason: "drains", counterexample: cx("CLS-2.d") }],
        },
        {
          id: "ORD-1",
          title: "t",
          status: "unexpected-pass",
          reason: "ORD-1: lifo",
          stale: [{ key: "ORD-1", reason: "lifo" }],
        },
      ]),
    ]);
    const [report] = merged.reports;
    assert.deepEqual(report!.rules.map((r) => r.status), [
      "fail",
      "unexpected-pass",
      "expected-fail",
      "unexpected-pass",
    ]);
    const [, lse4, cls2, ord1] = report!.rules;
    assert.equal(lse4!.reason, "LSE-4.b: stale (its recorded reproduction passes now)");
    assert.deepEqual(lse4!.stale, [
      { key: "LSE-4.b", reason: "stale", replay: "its recorded reproduction passes now" },
    ]);
    assert.deepEqual(lse4!.known?.map((k) => k.clause), ["LSE-4.a"]);
    // A deviation a share's runs found is preferred to one another share only reproduced.
    assert.equal(cls2!.known?.[0]?.reproduced, undefined);
    assert.equal(cls2!.counterexample?.path, "0");
    assert.equal(cls2!.reason, "CLS-2.d: drains");
    assert.deepEqual(ord1!.stale, [{ key: "ORD-1", reason: "lifo" }]);
    assert.equal(ord1!.reason, "ORD-1: lifo");
    assert.deepEqual(
      [report!.runs, report!.randomRuns, report!.shrinkRuns, report!.shrinkSteps, report!.commands],
      [10, 8, 2, 2, 18],
    );
    // The corpus account of the share that replayed the corpus is kept, its counts summed.
    assert.deepEqual(report!.corpus, {
      replays: 2,
      failing: [note("LIM-1.a")],
      fixed: [note("EXP-1.a")],
      skipped: [],
    });
    assert.equal(report!.ok, false);
  });

  test("an unexpected pass without its entries cannot be combined, and says why", () => {
    const share = (index: number) => ({
      name: `u${index}.json`,
      report: {
        formatVersion: 2,
        shard: {
          index,
          count: 2,
          seed: 1,
          adapters: ["x"],
          settings: { runs: null, maxCommands: null, quick: false, rules: [] },
          units: [{ adapter: "x", slice: index - 1, slices: 2 }],
        },
        reports: [{
          adapter: "x",
          seed: 1,
          runs: 1,
          commands: 1,
          durationMs: 1,
          rules: [{
            id: "ORD-1",
            title: "t",
            status: "unexpected-pass" as const,
            reason: "ORD-1: x",
          }],
          errors: [],
          ok: false,
        }],
      },
    });
    assert.throws(
      () => mergeReports([share(1), share(2)]),
      /u1\.json \(shard 1\/2\) reports ORD-1 of x as an unexpected pass without listing its expectation entries \('stale'\)/,
    );
  });
});
