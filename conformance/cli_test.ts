import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadAdapters, loadExpectations, parseCli, UsageError } from "./_cli.ts";

describe("conformance CLI", () => {
  test("parses every flag", () => {
    const options = parseCli([
      "--adapter",
      "reference",
      "--runs=5",
      "--max-commands",
      "12",
      "--seed",
      "9",
      "--path",
      "1:2",
      "--rule",
      "LIM",
      "--quick",
      "--json=out.json",
      "--markdown",
    ]);
    assert.deepEqual(options.adapters, ["reference"]);
    assert.equal(options.runs, 5);
    assert.equal(options.maxCommands, 12);
    assert.equal(options.seed, 9);
    assert.equal(options.path, "1:2");
    assert.deepEqual(options.rules, ["LIM"]);
    assert.equal(options.quick, true);
    assert.equal(options.json, "out.json");
    assert.equal(options.markdown, true);
  });

  const bad: [string[], RegExp][] = [
    [["--bogus"], /'--bogus' is not a known flag/],
    [["--runs", "0"], /'--runs' must be at least 1: current value is 0/],
    [["--runs", "x"], /'--runs' must be an integer: current value is x/],
    [["--rule", "lim"], /'--rule' must be an id or group/],
    [["--adapter"], /'--adapter' needs a name or module path/],
    [["--max-commands", "0"], /'--max-commands' must be at least 1: current value is 0/],
  ];
  for (const [args, message] of bad) {
    test(`rejects ${args.join(" ")} with a usage error`, () => {
      assert.throws(
        () => parseCli(args),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      );
    });
  }

  test("loads bundled adapters by name and rejects unknown names and missing modules", async () => {
    const [adapter] = await loadAdapters(["reference"]);
    assert.equal(adapter?.name, "reference");
    await assert.rejects(loadAdapters(["nonesuch"]), /names no bundled adapter/);
    await assert.rejects(loadAdapters(["./no_such_module.ts"]), /Cannot load adapter module/);
  });

  test("reads expectations as reasons or as reasons with a reproduction, and rejects others", async () => {
    const dir = pathToFileURL(`${await mkdtemp(join(tmpdir(), "expectations-"))}/`);
    const rules = {
      "LSE-4": "accepts a second release",
      "ORD-1": { reason: "rare", seed: 3, path: "1:0:2" },
    };
    await writeFile(new URL("good.json", dir), JSON.stringify({ rules }));
    assert.deepEqual(await loadExpectations("good", dir), rules);
    assert.deepEqual(await loadExpectations("absent", dir), {});
    const bad = [{ reason: "no path", seed: 3 }, { reason: "bad path", seed: 3, path: "x" }, {
      why: "no reason",
    }, 7];
    for (const entry of bad) {
      await writeFile(new URL("bad.json", dir), JSON.stringify({ rules: { "ORD-1": entry } }));
      await assert.rejects(loadExpectations("bad", dir), /must map rule ids to reasons/);
    }
  });
});
