import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { output } from "../cli/_test_util.ts";
import { cmapUsage, runCmapCli } from "./cli.ts";

/** A whole folder of scenarios per test: a timeout of their own (Bun's default is 5 s). */
const LONG = { timeout: 60_000 };

const FILES = new URL("../../conformance/cmap/", import.meta.url).pathname;
const REFERENCE_MODULE = new URL("../../conformance/reference/adapter.ts", import.meta.url)
  .pathname;

async function cli(args: string[]) {
  const stdout = output();
  const stderr = output();
  const code = await runCmapCli(args, { bundled: [referenceAdapter], stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function scenarioFile(fields: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "poolcheck-cmap-"));
  const file = join(dir, "s.json");
  await writeFile(
    file,
    JSON.stringify({ version: 1, style: "unit", description: "d", operations: [], ...fields }),
  );
  return file;
}

describe("poolcheck cmap", () => {
  test(
    "runs a folder of scenarios against a bundled adapter by name, exit code 0",
    LONG,
    async () => {
      const { code, stdout } = await cli([FILES, "--adapter", "reference"]);
      assert.equal(code, 0);
      assert.match(
        stdout,
        /^reference: ok — \d+ scenarios: \d+ pass, 0 fail, \d+ not applicable\n/,
      );
      assert.match(stdout, /\n {10}pass {2}\S+checkin-then-reuse\.json {2}/);
    },
  );

  test("picks one adapter of a module with <module>#<name>", LONG, async () => {
    const { code, stdout } = await cli([
      join(FILES, "checkin-then-reuse.json"),
      "--adapter",
      `${REFERENCE_MODULE}#reference`,
    ]);
    assert.equal(code, 0);
    assert.equal(
      stdout.split("\n")[0],
      "reference: ok — 1 scenario: 1 pass, 0 fail, 0 not applicable",
    );
    const missing = await cli([FILES, "--adapter", `${REFERENCE_MODULE}#nope`]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /exports no adapter named 'nope' \(it exports: reference, reference-multiplexed\)/,
    );
  });

  test("exits 1 on a failing scenario and prints the difference and the events compared", async () => {
    const file = await scenarioFile({
      operations: [{ name: "checkOut" }],
      events: [{ type: "ConnectionCheckedOut", connectionId: 2 }],
      ignore: [
        "ConnectionPoolCreated",
        "ConnectionCreated",
        "ConnectionReady",
        "ConnectionCheckOutStarted",
      ],
    });
    const { code, stdout } = await cli([file, "--adapter", "reference"]);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /^reference: FAILED — 1 scenario: 0 pass, 1 fail, 0 not applicable\n {10}FAIL {2}/,
    );
    assert.match(
      stdout,
      /\n {6}event 1 of 1 expected: expected ConnectionCheckedOut \{"connectionId":2\}, observed ConnectionCheckedOut \{"address":"r0","connectionId":1,"duration":0\} at t=0 ms \('connectionId': expected 2, observed 1\)\n {6}events compared \(1\):\n {8}1\. ConnectionCheckedOut/,
    );
  });

  test("writes the JSON report to standard output with --json -", async () => {
    const file = await scenarioFile({ operations: [{ name: "checkOut" }] });
    const { code, stdout } = await cli([file, "--adapter", "reference", "--json", "-"]);
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.equal(json.format, "poolcheck-cmap/1");
    assert.equal(json.ok, true);
    assert.deepEqual(json.adapters[0].counts, { pass: 1, fail: 0, "not applicable": 0 });
  });

  test("writes the JSON report to a file next to the text", async () => {
    const file = await scenarioFile({ operations: [{ name: "checkOut" }] });
    const target = join(await mkdtemp(join(tmpdir(), "poolcheck-cmap-")), "out.json");
    const { code, stdout } = await cli([file, "--adapter", "reference", "--json", target]);
    assert.equal(code, 0);
    assert.match(stdout, /^reference: ok/);
    assert.equal(JSON.parse(await readFile(target, "utf8")).adapters[0].adapter, "reference");
  });

  const usage: [string, string[], RegExp][] = [
    ["no scenario", ["--adapter", "reference"], /needs scenario files or folders/],
    ["no adapter", [FILES], /'--adapter' is required/],
    ["a missing path", ["nowhere.json", "--adapter", "reference"], /nowhere\.json does not exist/],
    [
      "an unknown flag",
      [FILES, "--adapter", "reference", "--seed", "1"],
      /Unknown option '--seed'/,
    ],
  ];
  for (const [what, args, message] of usage) {
    test(`exits 2 for ${what}`, async () => {
      const { code, stderr } = await cli(args);
      assert.equal(code, 2);
      assert.match(stderr, message);
      assert.match(stderr, /Run 'poolcheck cmap --help' for the flags\.\n$/);
    });
  }

  test("exits 2 for a malformed file, naming the file, the field and the value", async () => {
    const file = await scenarioFile({ operations: [{ name: "wait", ms: "soon" }] });
    const { code, stderr } = await cli([file, "--adapter", "reference"]);
    assert.equal(code, 2);
    assert.equal(
      stderr.split("\n")[0],
      `Cannot read CMAP scenario ${file} as 'operations[0].ms' must be an integer of at least 0: current value is "soon"`,
    );
  });

  test("in a folder, names a malformed file on standard error and runs the others", async () => {
    const file = await scenarioFile({ operations: [{ name: "wait", ms: "soon" }] });
    const folder = join(file, "..");
    await writeFile(
      join(folder, "t.json"),
      await readFile(join(FILES, "checkin-then-reuse.json"), "utf8"),
    );
    const { code, stdout, stderr } = await cli([folder, "--adapter", "reference"]);
    assert.equal(code, 0);
    assert.equal(
      stderr,
      `skipped ${file}, which does not follow the format: Cannot read CMAP scenario ${file} as 'operations[0].ms' must be an integer of at least 0: current value is "soon"\n`,
    );
    assert.equal(
      stdout.split("\n")[0],
      "reference: ok — 1 scenario: 1 pass, 0 fail, 0 not applicable",
    );
  });

  test("exits 2 when no file of a folder follows the format", async () => {
    const file = await scenarioFile({ operations: [{ name: "wait", ms: -1 }] });
    const folder = join(file, "..");
    const { code, stderr } = await cli([folder, "--adapter", "reference"]);
    assert.equal(code, 2);
    assert.match(stderr, /^skipped .*s\.json, which does not follow the format: /);
    assert.match(stderr, /no file under .* follows the format \(1 skipped\)\n/);
  });

  test("prints its usage with --help", async () => {
    const { code, stdout } = await cli(["--help"]);
    assert.equal(code, 0);
    assert.equal(stdout, `${cmapUsage()}\n`);
    assert.match(stdout, /--allow-extra-events/);
  });
});
