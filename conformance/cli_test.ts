import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadAdapters, parseCli, UsageError } from "./_cli.ts";

describe("conformance CLI", () => {
  test("parses every flag", () => {
    const options = parseCli([
      "--adapter",
      "reference",
      "--runs=5",
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
});
