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
        clause: "LIM-2.a",
        message: "3 live connections to r0; its limit is 2",
        step: 3,
        setup: {
          config: {
            routes: ["r0", "r1"],
            maxTotal: 2,
            maxPerRoute: 1,
            maxPerRouteOverrides: {},
            connectTimeoutMs: 11,
            honourKeepAliveMax: false,
          },
          acquireTimeoutMs: 8,
          connectLatencyMs: 1,
          responseLatencyMs: 0,
          faults: true,
          heavy: false,
        } as never,
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
    {
      id: "STA-1",
      title: "Stats",
      status: "not-verified",
      reason: "checking stopped at its real-time budget of 50 ms",
    },
  ],
  inconclusive: { runs: 4, reasons: ["the pool never settled (busy without end)"] },
  endedEarly: 2,
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

  test("text prints a counterexample's drawn setup, not-verified rules and inconclusive runs", () => {
    const text = renderText(report);
    assert.match(
      text,
      /setup: routes r0,r1; maxTotal 2; maxPerRoute 1; connectTimeout 11 ms; acquireTimeout 8 ms; connectLatency 1 ms; responseLatency 0 ms; faults yes; load light/,
    );
    assert.match(text, /n\/v +STA-1 +Stats \(checking stopped/);
    assert.match(text, /INCONCLUSIVE 4 runs ended without a verdict: the pool never settled/);
    assert.match(text, /ENDED EARLY 2 runs stopped where the pool accepted a second release/);
  });

  test("JSON round-trips the report, not-verified rules and inconclusive runs included", () => {
    assert.deepEqual(
      JSON.parse(renderJson([report])).reports[0],
      JSON.parse(JSON.stringify(report)),
    );
  });

  test("JUnit marks failures and skips not-applicable rules", () => {
    const xml = renderJunit([report]);
    assert.match(xml, /<testsuite name="sample" tests="4" failures="1" errors="0" skipped="2"/);
    assert.match(
      xml,
      /<failure message="3 live connections to r0; its limit is 2">setup: routes r0,r1;/,
    );
    assert.match(xml, /<skipped message="not-verified: checking stopped/);
    assert.match(xml, /<system-out>4 runs ended without a verdict.*\n2 runs stopped where/);
  });

  test("Markdown matrix has a row per rule and a column per adapter", () => {
    const md = renderMarkdown([report, { ...report, adapter: "other" }]);
    assert.match(md, /\| Rule \| Title \| sample \| other \|/);
    assert.match(md, /\| LIM-2 \| Per route \| ❌ fail \| ❌ fail \|/);
    assert.match(md, /\| STA-1 \| Stats \| ⏳ not verified \| ⏳ not verified \|/);
    assert.match(md, /sample: seed 7, 3 runs \(4 without a verdict\) \(2 ended early\)/);
  });
});

describe("RULES.md", () => {
  test("is up to date with the rules' code (regenerate: deno task conformance --write-rules-md)", async () => {
    const onDisk = await readFile(new URL("../../RULES.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderRulesMarkdown(RULES));
  });
});
