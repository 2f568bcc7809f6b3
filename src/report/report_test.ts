import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import type { PoolReport } from "../harness/result.ts";
import { RULES } from "../harness/rules/mod.ts";
import { renderJson, renderJunit, renderMarkdown, renderRulesMarkdown, renderText } from "./mod.ts";

const report: PoolReport = {
  adapter: "sample",
  seed: 7,
  runs: 3,
  commands: 40,
  durationMs: 12,
  errors: [],
  ok: false,
  rules: [
    { id: "LIM-1", title: "Live connections never exceed maxTotal", status: "pass" },
    {
      id: "LIM-2",
      title: "Per route",
      status: "fail",
      counterexample: {
        message: "3 live connections to r0; its limit is 2",
        step: 3,
        setup: {} as never,
        commands: ['acquire("r0")'],
        steps: ["1. t=0 acquire #1 r0"],
        ledger: ['{"seq":1}'],
        seed: 7,
        path: "1:2",
        replay: "deno task conformance --adapter sample --seed 7 --path 1:2 --rule LIM-2",
      },
    },
    {
      id: "INF-1",
      title: "In flight",
      status: "not-applicable",
      reason: "needs capability 'multiplexed'",
    },
  ],
};

describe("renderers", () => {
  test("text shows each rule, and a failure's steps and replay command", () => {
    const text = renderText(report);
    assert.match(text, /^sample: FAILED/);
    assert.match(text, /FAIL {2}LIM-2/);
    assert.match(text, /1\. t=0 acquire #1 r0/);
    assert.match(
      text,
      /replay: deno task conformance --adapter sample --seed 7 --path 1:2 --rule LIM-2/,
    );
  });

  test("JSON round-trips the report", () => {
    assert.deepEqual(
      JSON.parse(renderJson([report])).reports[0],
      JSON.parse(JSON.stringify(report)),
    );
  });

  test("JUnit marks failures and skips not-applicable rules", () => {
    const xml = renderJunit([report]);
    assert.match(xml, /<testsuite name="sample" tests="3" failures="1" errors="0" skipped="1"/);
    assert.match(xml, /<failure message="3 live connections to r0; its limit is 2">/);
  });

  test("Markdown matrix has a row per rule and a column per adapter", () => {
    const md = renderMarkdown([report, { ...report, adapter: "other" }]);
    assert.match(md, /\| Rule \| Title \| sample \| other \|/);
    assert.match(md, /\| LIM-2 \| Per route \| ❌ fail \| ❌ fail \|/);
  });
});

describe("RULES.md", () => {
  test("is up to date with the rules' code (regenerate: deno task conformance --write-rules-md)", async () => {
    const onDisk = await readFile(new URL("../../RULES.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderRulesMarkdown(RULES));
  });
});
