// Every sequence diagram the reports draw is read by Mermaid's own parser
// (the mermaid npm package, the code GitHub and the HTML page draw with):
// those of the sample reports, of a fresh check of every broken pool, and
// of every counterexample stored from real pools in conformance/results/.
// `mermaid.parse` needs no DOM: it runs as it is under Deno, Bun and Node.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import mermaid from "mermaid";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import { checkPool } from "../harness/check_pool.ts";
import type { Counterexample, PoolReport } from "../harness/result.ts";
import { renderMarkdown, sequenceDiagram } from "./mod.ts";
import { FAILING, KNOWN, NASTY, ODD } from "./testdata/sample_reports.ts";

/** Checks of forty pools: a timeout of their own, longer than any runner's default. */
const LONG = { timeout: 300_000 };

/** Every counterexample in some reports: failures and known deviations. */
function counterexamplesOf(reports: readonly PoolReport[]): Counterexample[] {
  return reports.flatMap((report) =>
    report.rules.flatMap((rule) => [
      ...(rule.counterexample === undefined ? [] : [rule.counterexample]),
      ...(rule.known ?? []).map((k) => k.counterexample),
    ])
  );
}

/** Parse a diagram with Mermaid; the error names the diagram's source. */
async function parses(source: string, what: string): Promise<void> {
  try {
    const result = await mermaid.parse(source);
    assert.equal(result && result.diagramType, "sequence", what);
  } catch (error) {
    throw new assert.AssertionError({
      message: `${what}: Mermaid cannot parse the diagram (${
        error instanceof Error ? error.message.split("\n").slice(0, 3).join(" ") : error
      }):\n${source}`,
    });
  }
}

describe("sequence diagrams, read by Mermaid", () => {
  test("Mermaid rejects a broken diagram (the check can fail)", async () => {
    await assert.rejects(() => mermaid.parse("sequenceDiagram\n  A->>: no receiver"));
  });

  test("the Markdown report's diagrams of the sample reports", async () => {
    const md = renderMarkdown([FAILING, KNOWN, ODD]);
    const blocks = [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
    assert.equal(blocks.length, 3);
    for (const [i, block] of blocks.entries()) await parses(block, `sample diagram ${i + 1}`);
    await parses(sequenceDiagram(NASTY), "the counterexample full of syntax");
  });

  test("a fresh counterexample of every broken pool", LONG, async () => {
    let drawn = 0;
    for (const broken of BROKEN_POOLS) {
      const report = await checkPool(broken.adapter, { seed: 20_251_121, rules: [broken.rule] });
      for (const c of counterexamplesOf([report])) {
        drawn++;
        await parses(sequenceDiagram(c), `${broken.adapter.name} (${c.clause})`);
      }
    }
    assert.ok(drawn >= BROKEN_POOLS.length / 2, `only ${drawn} counterexamples drawn`);
  });

  const stored = new URL("../../conformance/results/", import.meta.url);
  test("every counterexample stored from real pools", {
    ...LONG,
    skip: existsSync(stored) ? false : "no conformance/results/ in this checkout",
  }, async () => {
    let drawn = 0;
    for (const file of readdirSync(stored).filter((f) => f.endsWith(".json"))) {
      const { reports } = JSON.parse(readFileSync(new URL(file, stored), "utf8"));
      for (const c of counterexamplesOf(reports)) {
        drawn++;
        await parses(sequenceDiagram(c), `${file}: ${c.clause ?? c.replay}`);
      }
    }
    assert.ok(drawn > 0);
  });
});
