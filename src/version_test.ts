import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { KIT_VERSION } from "./version.ts";

test("KIT_VERSION is the version package.json and deno.json give", async () => {
  for (const file of ["../package.json", "../deno.json"]) {
    const { version } = JSON.parse(await readFile(new URL(file, import.meta.url), "utf8"));
    assert.equal(KIT_VERSION, version, `${file} says ${version}`);
  }
});
