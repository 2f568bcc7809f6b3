/**
 * The documentation's expectation files stay true as the kit changes: every
 * reproduction they record still breaks its clause with the adapter beside
 * it. A seed and a path draw their case through the case generator, so a
 * change to how cases are drawn can turn a documented entry into an
 * unexpected pass; this test says so here, on a fixed replay, instead of in a
 * reader's project on the one seed that misses the failure.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import type { Adapter } from "../src/harness/adapter.ts";
import { replayExpectations } from "../src/harness/expectations.ts";
import { RULES } from "../src/harness/rules/mod.ts";
import { parseExpectations } from "../src/cli/expectations_file.ts";

const ROOT = new URL("../", import.meta.url);

/** The text of every fenced block of `document` with `file=<name>` in its info string. */
async function blocks(document: string): Promise<Map<string, string>> {
  const text = await readFile(new URL(document, ROOT), "utf8");
  const files = new Map<string, string>();
  for (const match of text.matchAll(/^```\w+[^\n]*\bfile=(\S+)\n([\s\S]*?)^```/gm)) {
    files.set(match[1]!, match[2]!);
  }
  return files;
}

const EXAMPLES = [
  { document: "README.md", adapter: "my_adapter.js", expectations: "expectations.json" },
  { document: "docs/adapters.md", adapter: "my_adapter.ts", expectations: "my-generic-pool.json" },
];

for (const example of EXAMPLES) {
  test(
    `every reproduction in ${example.document}'s ${example.expectations} still fails its clause`,
    { timeout: 120_000 },
    async () => {
      const files = await blocks(example.document);
      const source = files.get(example.adapter);
      const json = files.get(example.expectations);
      assert.ok(source !== undefined, `${example.document} has no block file=${example.adapter}`);
      assert.ok(
        json !== undefined,
        `${example.document} has no block file=${example.expectations}`,
      );
      // Inside the checkout, so that the adapter's `generic-pool` resolves to its node_modules;
      // the kit's own import is a type only.
      const dir = await mkdtemp(join(new URL(".", import.meta.url).pathname, ".docs-example-"));
      try {
        const file = join(dir, example.adapter);
        await writeFile(file, source.replace(/^import type .*"@poolcheck\/poolcheck";\n/m, ""));
        const adapter = (await import(pathToFileURL(file).href)).myPoolAdapter as Adapter;
        const expectations = parseExpectations(JSON.parse(json), example.expectations);
        const recorded = Object.entries(expectations)
          .filter(([, e]) => typeof e !== "string" && (e.path !== undefined || e.script))
          .map(([key]) => key);
        assert.ok(recorded.length > 0, `${example.expectations} records no reproduction`);
        const replayed = await replayExpectations(adapter, {
          rules: RULES,
          expectations,
          watchdogMs: 5_000,
          replayCommand: `poolcheck --adapter ./${example.adapter}`,
        });
        const stale = recorded.flatMap((key) => {
          const outcome = replayed.get(key);
          return outcome !== undefined && typeof outcome !== "string"
            ? []
            : [`${key}: ${outcome ?? "not replayed"}`];
        });
        assert.deepEqual(stale, [], `${example.document}, ${example.expectations}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
