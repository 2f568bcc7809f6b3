import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { loadAdapters, parseCli, readExpectations, runCli, UsageError } from "./mod.ts";
import { output } from "./_test_util.ts";

describe("poolcheck CLI", () => {
  test("parses every flag, as '--flag value' and as '--flag=value'", () => {
    const spaced = parseCli([
      "--adapter",
      "./a.js",
      "--adapter",
      "./b.js",
      "--expectations",
      "known.json",
      "--corpus",
      "corpus/",
      "--runs",
      "5",
      "--max-commands",
      "12",
      "--seed",
      "9",
      "--path",
      "1:2",
      "--rule",
      "LIM",
      "--rule",
      "EXP-2",
      "--quick",
      "--determinism",
      "--fail-fast",
      "--watchdog-ms",
      "4000",
      "--budget-ms",
      "90000",
      "--in-process",
      "--json",
      "out.json",
      "--junit",
      "out.xml",
      "--markdown",
      "-",
      "--write-rules-md",
      "--quiet",
      "-h",
    ]);
    const joined = parseCli([
      "--adapter=./a.js",
      "--adapter=./b.js",
      "--expectations=known.json",
      "--corpus=corpus/",
      "--runs=5",
      "--max-commands=12",
      "--seed=9",
      "--path=1:2",
      "--rule=LIM",
      "--rule=EXP-2",
      "--quick",
      "--determinism",
      "--fail-fast",
      "--watchdog-ms=4000",
      "--budget-ms=90000",
      "--in-process",
      "--json=out.json",
      "--junit=out.xml",
      "--markdown=-",
      "--write-rules-md",
      "--quiet",
      "--help",
    ]);
    const expected = {
      adapters: ["./a.js", "./b.js"],
      expectations: "known.json",
      corpus: "corpus/",
      runs: 5,
      maxCommands: 12,
      seed: 9,
      path: "1:2",
      rules: ["LIM", "EXP-2"],
      quick: true,
      determinism: true,
      failFast: true,
      watchdogMs: 4000,
      budgetMs: 90000,
      inProcess: true,
      json: "out.json",
      junit: "out.xml",
      markdown: "-",
      writeRules: true,
      quiet: true,
      help: true,
    };
    assert.deepEqual(spaced, expected);
    assert.deepEqual(joined, expected);
  });

  const bad: [string[], RegExp][] = [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--runs", "0"], /'--runs' must be an integer of at least 1: current value is 0/],
    [["--runs", "x"], /'--runs' must be an integer: current value is x/],
    [["--seed=-1"], /'--seed' must be an integer of at least 0: current value is -1/],
    [
      ["--rule", "XYZ"],
      /'--rule' must be a rule id or group \(groups: LIM, LSE, .*current value is XYZ/,
    ],
    [["--rule", "LIM-9"], /'--rule' must be a rule id or group .*current value is LIM-9/],
    [["--adapter"], /Option '--adapter <value>' argument missing/],
    [["--path", "1:2"], /'--path' replays a run of one seed: give the '--seed'/],
    [["--seed", "1", "--path", "x"], /'--path' must be like 12:3:0: current value is x/],
    [["--json", "--quick"], /Option '--json' argument is ambiguous/],
    [["--json="], /'--json' must be a path: current value is/],
    [["stray"], /Unexpected argument 'stray'/],
  ];
  for (const [args, message] of bad) {
    test(`rejects ${args.join(" ")} with a usage error`, () => {
      assert.throws(
        () => parseCli(args),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      );
    });
  }

  test("bad usage exits 2 with the reason on standard error", async () => {
    const stdout = output();
    const stderr = output();
    assert.equal(await runCli(["--rule", "XYZ"], { stdout, stderr }), 2);
    assert.match(stderr.text, /'--rule' must be a rule id or group/);
    assert.equal(await runCli([], { stdout, stderr }), 2);
    assert.match(stderr.text, /'--adapter' is required/);
    assert.equal(await runCli(["--write-rules-md"], { stdout, stderr }), 2);
    assert.match(stderr.text, /in a checkout of the kit/);
    assert.equal(stdout.text, "");
  });

  test("--help documents every flag", async () => {
    const stdout = output();
    assert.equal(await runCli(["--help"], { stdout, stderr: output() }), 0);
    for (
      const flag of [
        "--adapter",
        "--expectations",
        "--corpus",
        "--runs",
        "--max-commands",
        "--seed",
        "--path",
        "--rule",
        "--quick",
        "--determinism",
        "--fail-fast",
        "--watchdog-ms",
        "--budget-ms",
        "--in-process",
        "--json",
        "--junit",
        "--markdown",
        "--write-rules-md",
        "--quiet",
        "--help",
      ]
    ) assert.ok(stdout.text.includes(flag), `${flag} is not documented`);
  });

  test("loads adapters from modules, and says why a module's adapter is invalid", async () => {
    const dir = await mkdtemp(join(tmpdir(), "poolcheck-cli-"));
    const invalid = join(dir, "invalid.mjs");
    await writeFile(invalid, `export const adapter = { name: "x", supports: {}, create() {} };\n`);
    await assert.rejects(
      loadAdapters([invalid]),
      /exports no valid adapter:\n {2}export 'adapter': Cannot use adapter "x" as 'supports.timeMode'/,
    );
    // One invalid adapter beside a valid one is not skipped in silence.
    const mixed = join(dir, "mixed.ts");
    const source = new URL("../../conformance/reference/adapter.ts", import.meta.url).href;
    await writeFile(
      mixed,
      `export { referenceAdapter } from ${JSON.stringify(source)};\n` +
        `export const other = { name: "y", supports: {}, create() {} };\n`,
    );
    await assert.rejects(
      loadAdapters([mixed]),
      /exports an invalid adapter:\n {2}export 'other': Cannot use adapter "y"/,
    );
    const empty = join(dir, "empty.mjs");
    await writeFile(empty, "export const answer = 42;\n");
    await assert.rejects(
      loadAdapters([empty]),
      /exports no valid adapter \(an adapter is an object/,
    );
    await assert.rejects(loadAdapters([join(dir, "absent.mjs")]), /Cannot load adapter module/);
    await assert.rejects(loadAdapters(["nonesuch"]), /give a module path, e.g. .\/my_adapter.js/);
    const [named] = await loadAdapters(["reference"], { bundled: [referenceAdapter] });
    assert.equal(named?.adapter, referenceAdapter);
    assert.equal(named?.bundled, true);
  });

  test("checks a module's adapter, writes reports and names the module in replay lines", async () => {
    const dir = await mkdtemp(join(tmpdir(), "poolcheck-cli-"));
    const module = join(dir, "reference_adapter.ts");
    const source = new URL("../../conformance/reference/adapter.ts", import.meta.url).href;
    await writeFile(module, `export { referenceAdapter } from ${JSON.stringify(source)};\n`);
    const json = join(dir, "out.json");
    const stdout = output();
    const code = await runCli(
      ["--adapter", module, "--quick", "--seed", "3", "--rule", "LIM", "--json", json],
      { stdout, stderr: output() },
    );
    assert.equal(code, 0);
    const [report] = JSON.parse(await readFile(json, "utf8")).reports;
    assert.equal(report.adapter, "reference");
    assert.equal(report.seed, 3);
    assert.ok(report.rules.every((r: { id: string }) => r.id.startsWith("LIM-")));
    assert.match(stdout.text, /^reference: ok/, "the text report still goes to standard output");
  });

  test("reads expectation files and says what is wrong and where", async () => {
    const dir = await mkdtemp(join(tmpdir(), "expectations-"));
    const good = join(dir, "good.json");
    const rules = {
      "LSE-4": "accepts a second release",
      "ORD-1": { reason: "rare", seed: 3, path: "1:0:2" },
      "ORD-4": { reason: "scripted", script: { setup: {}, commands: [] } },
    };
    await writeFile(good, JSON.stringify({ rules }));
    assert.deepEqual(await readExpectations(good), rules);
    assert.deepEqual(await readExpectations(join(dir, "absent.json"), { missing: "empty" }), {});
    await assert.rejects(readExpectations(join(dir, "absent.json")), /Cannot read expectations/);
    const bad: [unknown, RegExp][] = [
      [{ reason: "no path", seed: 3 }, /'rules.ORD-1' 'seed' and 'path' go together/],
      [{ reason: "bad path", seed: 3, path: "x" }, /'rules.ORD-1' 'path' must look like 12:3:0/],
      [{ why: "no reason" }, /'rules.ORD-1' has unknown field 'why'/],
      [7, /'rules.ORD-1' must be a reason/],
      [{ reason: "r", runtimes: ["jvm"] }, /'runtimes' must list some of deno, bun, node/],
      [
        { reason: "r", script: { commands: [] } },
        /'rules.ORD-1' 'script' must be the case as data/,
      ],
    ];
    const file = join(dir, "bad.json");
    for (const [entry, message] of bad) {
      await writeFile(file, JSON.stringify({ rules: { "ORD-1": entry } }));
      await assert.rejects(readExpectations(file), message);
    }
    await writeFile(file, "{ not json");
    await assert.rejects(readExpectations(file), /bad.json as it is not JSON/);
  });
});
