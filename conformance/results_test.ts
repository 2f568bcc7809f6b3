import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";
import { digestOf, expectationsDigest } from "./results.ts";

test("RESULTS.md was generated against the current expectation files", async () => {
  const page = await readFile(new URL("./RESULTS.md", import.meta.url), "utf8");
  assert.equal(
    digestOf(page),
    await expectationsDigest(),
    "conformance/RESULTS.md is stale against conformance/expectations/: run `deno task results`",
  );
});

test("RESULTS.md has a column for every bundled adapter", async () => {
  const page = await readFile(new URL("./RESULTS.md", import.meta.url), "utf8");
  const header = page.split("\n").find((line) => line.startsWith("| Rule | Title |"));
  assert.ok(header, "the matrix header is missing");
  for (const adapter of BUNDLED_ADAPTERS) {
    assert.ok(header.includes(` ${adapter.name} `), `${adapter.name} is missing from the matrix`);
  }
});

test("digestOf reads the marker and tolerates its absence", () => {
  assert.equal(digestOf("x\n<!-- expectations-digest: abc123 -->\n"), "abc123");
  assert.equal(digestOf("no marker"), undefined);
});
