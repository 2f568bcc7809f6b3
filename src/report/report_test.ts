import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import type { Counterexample } from "../harness/result.ts";
import { RULES } from "../harness/rules/mod.ts";
import {
  legend,
  renderHtml,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderRulesMarkdown,
  renderText,
  sequenceDiagram,
  STATUS_NAMES,
  STATUS_ORDER,
  statusesIn,
} from "./mod.ts";
import { parseJsonReport } from "./json_read.ts";
import {
  CLOSE_KNOWN,
  FAILING,
  KNOWN,
  LIMIT_FAILURE,
  NASTY,
  ODD,
} from "./testdata/sample_reports.ts";

/** Words of the vocabularies the reports used before there was one. */
const OLD_WORDS = [
  /\bxfail\b/,
  /\bXPASS\b/,
  /\bn\/a\b/,
  /\bn\/v\b/,
  /INCONCLUSIVE/,
  /ENDED EARLY/,
  /⚠️ known \|/,
  /passes \(expected fail\)/,
];

describe("one vocabulary", () => {
  test("every status has one name, and the names are distinct", () => {
    assert.deepEqual(Object.keys(STATUS_NAMES).sort(), [...STATUS_ORDER].sort());
    const names = Object.values(STATUS_NAMES);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(STATUS_NAMES, {
      "pass": "pass",
      "fail": "fail",
      "expected-fail": "known failure",
      "unexpected-pass": "unexpected pass",
      "not-applicable": "not applicable",
      "not-verified": "not verified",
      "inconclusive": "without a verdict",
      "ended-early": "ended early",
    });
  });

  test("the sample reports show every status", () => {
    assert.deepEqual(statusesIn([FAILING, KNOWN]), STATUS_ORDER);
  });

  const human: [string, string][] = [
    ["text", renderText(FAILING) + renderText(KNOWN)],
    ["Markdown", renderMarkdown([FAILING, KNOWN])],
    ["HTML", renderHtml([FAILING, KNOWN], { mermaidScript: null })],
  ];
  for (const [kind, page] of human) {
    // Only what a reader sees: the HTML page's tags, classes and style are not read.
    const output = kind === "HTML"
      ? page.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]*>/g, "")
      : page;
    test(`the ${kind} report names every status by its one name, and no other`, () => {
      for (const status of STATUS_ORDER) {
        assert.ok(
          output.toLowerCase().includes(STATUS_NAMES[status]),
          `${kind} lacks '${STATUS_NAMES[status]}'`,
        );
      }
      for (const word of OLD_WORDS) assert.doesNotMatch(output, word);
      // Machine values stay in JSON.
      assert.doesNotMatch(output, /expected-fail|unexpected-pass|not-applicable|not-verified/);
    });
  }

  test("every human-facing report carries the one-line legend of the statuses it shows", () => {
    const statuses = statusesIn([FAILING]);
    assert.ok(renderText(FAILING).includes(`\n  ${legend(statuses, "text")}\n`));
    assert.ok(renderMarkdown([FAILING]).includes(`\n\n${legend(statuses, "markdown")}\n\n`));
    assert.ok(
      renderHtml([FAILING], { mermaidScript: null }).includes(
        legend(statuses, "markdown").replaceAll("'", "&#39;"),
      ),
    );
    for (const status of STATUS_ORDER) {
      assert.equal(
        legend([status], "text").split("\n").length,
        1,
        `the legend of ${status} spans lines`,
      );
    }
  });
});

describe("text", () => {
  const text = renderText(FAILING);

  test("the header says what the counts count", () => {
    assert.match(
      renderText(KNOWN),
      /^known <pool> & co: ok — 1009 random runs, 12 shrink runs \(5 shrink steps\), 2 corpus replays, 14318 commands, seed 20261121, 5173 ms\n/,
    );
    // A report that does not count its runs apart (an older JSON report) says so.
    assert.match(
      text,
      /^sample: FAILED — 3 runs \(random cases and shrink attempts\), 40 commands, seed 7, 12 ms\n/,
    );
  });

  test("the corpus replays are accounted for, case by case", () => {
    const known = renderText(KNOWN);
    assert.match(
      known,
      /\n +corpus {2}2 saved cases replayed before exploring: 1 failed again, 1 no longer fails\n/,
    );
    assert.match(
      known,
      /\n +fails again {2}corpus\/known\/CLS-2\.d-0123456789ab\.json \(CLS-2\.d, /,
    );
    assert.match(
      known,
      /\n +fixed {2}corpus\/known\/LIM-1\.a-ba9876543210\.json .*: no longer fails/,
    );
  });

  test("statuses are right-aligned in one column, in capitals when they fail the report", () => {
    const rows = text.split("\n").filter((l) => / {2}(LIM|INF|ORD|STA)-\d /.test(l));
    assert.deepEqual(rows.map((l) => l.indexOf(l.match(/[A-Z]{3}-\d /)![0])), [19, 19, 19, 19, 19]);
    assert.match(text, /\n {13}pass {2}LIM-1 {2}Live connections never exceed maxTotal\n/);
    assert.match(text, /\n {13}FAIL {2}LIM-2 {2}Per route \(LIM-2\.a\)\n {4}3 live connections/);
    assert.match(
      text,
      /\n {3}not applicable {2}INF-1 {2}In flight \(needs capability 'multiplexed'\)/,
    );
    assert.match(text, /\n {2}UNEXPECTED PASS {2}ORD-1 {2}Waiters in order \(ORD-1: waiters/);
    assert.match(text, /\n {5}NOT VERIFIED {2}STA-1 {2}Stats \(checking stopped/);
    assert.match(text, /\n {12}ERROR {2}checking stopped at its real-time budget/);
  });

  test("a failure shows its clause, setup, steps and replay command", () => {
    assert.match(text, /\n {4}clause: LIM-2\.a/);
    assert.match(
      text,
      /setup: routes r0,r1; maxTotal 2; maxPerRoute 1; connectTimeout 11 ms; acquireTimeout 8 ms; connectLatency 1 ms; responseLatency 0 ms; faults yes; load light/,
    );
    assert.match(text, /\n {6}1\. t=0 acquire #1 r0\n/);
    assert.match(
      text,
      /\n {4}replay: deno task conformance --adapter sample --seed 7 --path 1:2 --rule LIM-2\n/,
    );
  });

  test("known failures name the clause that broke, and the runs counts name their status", () => {
    const known = renderText(KNOWN);
    assert.match(
      known,
      /known failure {2}CLS-2 {2}After close, sockets are closed \(CLS-2\.d \(expected as CLS-2\): drain\(\) then clear\(\)/,
    );
    assert.match(known, /known failure {2}ERR-3 {2}.* \(ERR-3\.a: reuses a socket/);
    assert.match(
      known,
      /without a verdict {2}27 random runs: connect storm: over 100 connections[^\n]*\n +one replays with: poolcheck --adapter \.\/known\.ts --seed 20261121 --path 41 --runs 1\n/,
    );
    assert.match(known, /ended early {2}32 random runs: they stopped where the pool/);
    assert.match(
      known,
      /\n {2}legend: pass = no judged run broke the rule; known failure = it fails as the expectation file records; without a verdict = [^;]+; ended early = [^;\n]+\n$/,
    );
  });

  test("nondeterminism is shown, in the same column", () => {
    assert.match(renderText(ODD), /\n {2}NONDETERMINISM {2}a second run of seed 1/);
  });
});

describe("JSON", () => {
  test("round-trips the reports with their machine statuses, and names each status", () => {
    const json = JSON.parse(renderJson([FAILING, KNOWN]));
    assert.deepEqual(json.reports, JSON.parse(JSON.stringify([FAILING, KNOWN])));
    assert.deepEqual(json.statusNames, STATUS_NAMES);
    assert.equal(json.reports[1].rules[1].status, "expected-fail");
    assert.deepEqual(parseJsonReport(renderJson([FAILING, KNOWN, ODD])).reports, [
      FAILING,
      KNOWN,
      ODD,
    ]);
  });

  test("format 2 counts the runs apart, and lists what an unexpected pass and a known failure rest on", () => {
    const json = JSON.parse(renderJson([FAILING, KNOWN]));
    assert.equal(json.formatVersion, 2);
    const [failing, known] = json.reports;
    assert.deepEqual(
      [known.runs, known.randomRuns, known.shrinkRuns, known.shrinkSteps, known.corpus.replays],
      [1021, 1009, 12, 5, 2],
    );
    assert.deepEqual(failing.rules[3].stale, [
      {
        key: "ORD-1",
        reason: "waiters are served LIFO",
        replay: "its recorded reproduction passes now",
      },
    ]);
    assert.equal(known.rules[2].known[0].reproduced, true);
  });

  test("reads format 1 (and reports older than the field) as it is; refuses other versions", () => {
    const { randomRuns: _r, shrinkRuns: _s, shrinkSteps: _t, ...older } = KNOWN;
    const v1 = JSON.stringify({ formatVersion: 1, reports: [older] });
    const read = parseJsonReport(v1);
    assert.equal(read.formatVersion, 1);
    assert.deepEqual(read.reports, [older]);
    assert.match(
      renderText(read.reports[0]!),
      /— 2 corpus replays, 1021 runs \(random cases and shrink attempts\), 14318 commands/,
    );
    assert.equal(parseJsonReport(JSON.stringify({ reports: [older] })).formatVersion, 1);
    for (const version of [0, 3, 99, "2", null]) {
      assert.throws(
        () => parseJsonReport(JSON.stringify({ formatVersion: version, reports: [] })),
        new RegExp(
          `'formatVersion' must be 1 or 2, the versions this kit reads${
            version === 3 || version === 99 ? ": a newer kit wrote it" : ""
          }: current value is ${JSON.stringify(version)}`,
        ),
      );
    }
  });

  test("a report whose counts do not add up, or are half given, is refused", () => {
    const bad = (report: unknown) => () =>
      parseJsonReport(JSON.stringify({ formatVersion: 2, reports: [report] }));
    assert.throws(
      bad({ ...KNOWN, runs: 1000 }),
      /'reports\[0\]\.runs' must be randomRuns \+ shrinkRuns \(1021\): current value is 1000/,
    );
    const { shrinkRuns: _, ...half } = KNOWN;
    assert.throws(bad(half), /'reports\[0\]\.shrinkRuns' must be a whole number/);
    assert.throws(
      bad({ ...FAILING, rules: [{ ...FAILING.rules[3], stale: [{ key: 1 }] }] }),
      /'reports\[0\]\.rules\[0\]\.stale\[0\]\.key' must be a string/,
    );
    assert.throws(
      bad({ ...KNOWN, corpus: { ...KNOWN.corpus, replays: -1 } }),
      /'reports\[0\]\.corpus\.replays' must be a whole number/,
    );
  });
});

describe("JUnit", () => {
  const xml = renderJunit([FAILING, KNOWN, ODD]);
  const suite = (name: string) => {
    const start = xml.indexOf(`<testsuite name="${name}"`);
    return xml.slice(start, xml.indexOf("</testsuite>", start));
  };

  test("a failure names its clause and carries the counterexample", () => {
    assert.match(
      suite("sample"),
      /<testcase classname="sample" name="LIM-2 Per route">\n {6}<failure type="fail" message="fail, clause LIM-2\.a: 3 live connections to r0; its limit is 2">3 live connections to r0; its limit is 2\nclause: LIM-2\.a/,
    );
    assert.match(suite("sample"), /replay: deno task conformance --adapter sample/);
  });

  test("not applicable is skipped with its reason; an unexpected pass fails; not verified is an error", () => {
    const s = suite("sample");
    assert.match(s, /<skipped>not applicable: needs capability 'multiplexed'<\/skipped>/);
    assert.match(
      s,
      /<failure type="unexpected pass" message="unexpected pass: ORD-1: waiters are served LIFO/,
    );
    assert.match(s, /<error type="not verified" message="not verified: checking stopped/);
    // Errors that are not rule violations get a test case of their own.
    assert.match(s, /<testcase classname="sample" name="check">\n {6}<error type="error"/);
    assert.match(s, /tests="6" failures="2" errors="2" skipped="1"/);
  });

  test("a known failure passes, and says its clause, reason and counterexample in its output", () => {
    const s = suite("known &#60;pool&#62; &#38; co");
    assert.match(s, /tests="3" failures="0" errors="0" skipped="0"/);
    assert.match(
      s,
      /name="CLS-2 After close, sockets are closed">\n {6}<system-out>known failure, clause CLS-2\.d \(expected as CLS-2\): drain\(\) then clear\(\) keeps idle sockets open\n {2}socket #1 idle/,
    );
    assert.doesNotMatch(s, /<skipped|<failure|<error/);
    assert.match(s, /<property name="without a verdict" value="27"\/>/);
    const properties = [...s.matchAll(/<property name="([^"]*)" value="([^"]*)"\/>/g)]
      .map(([, name, value]) => [name, value]);
    assert.deepEqual(properties, [
      ["seed", "20261121"],
      ["random runs", "1009"],
      ["shrink runs", "12"],
      ["shrink steps", "5"],
      ["corpus replays", "2"],
      ["commands", "14318"],
      ["without a verdict", "27"],
      ["ended early", "32"],
    ]);
    assert.match(
      suite("sample"),
      /<property name="runs \(random cases and shrink attempts\)" value="3"\/>\n {6}<property name="commands" value="40"\/>/,
    );
    assert.match(
      s,
      /<system-out>27 random runs without a verdict: connect storm.*\n32 random runs ended early/,
    );
  });

  test("the whole file counts its cases, and nondeterminism fails a case", () => {
    assert.match(xml, /<testsuites name="poolcheck" tests="11" failures="3" errors="2"/);
    assert.match(suite("odd"), /<failure type="nondeterminism" message="a second run/);
    // The bell character an adapter wrote cannot make the file unreadable.
    assert.ok(!xml.includes("\u0007"));
    assert.match(xml, /gave another trace:\uFFFD step 2/);
  });
});

describe("Markdown", () => {
  test("the matrix has a row per rule, a column per adapter, and the clauses of failures", () => {
    const md = renderMarkdown([FAILING, KNOWN]);
    assert.match(
      md,
      /^\| Rule \| Title \| sample \| known <pool> & co \|\n\|---\|---\|---\|---\|\n/,
    );
    assert.match(md, /\n\| LIM-2 \| Per route \| ❌ fail \(LIM-2\.a\) \| {2}\|\n/);
    assert.match(
      md,
      /\n\| CLS-2 \| After close, sockets are closed \| {2}\| ⚠️ known failure \(CLS-2\.d \(expected as CLS-2\)\) \|\n/,
    );
    assert.match(md, /\| ERR-3 \| A closed connection is never handed out \\\| not even once \|/);
    assert.match(md, /\| ORD-1 \| Waiters in order \| ❗ unexpected pass \| {2}\|/);
    assert.match(md, /\| INF-1 \| In flight \| ➖ not applicable \| {2}\|/);
    assert.match(md, /\| STA-1 \| Stats \| ⏳ not verified \| {2}\|/);
    assert.match(
      md,
      /\n- sample: seed 7, 3 runs \(random cases and shrink attempts\), 40 commands\n- known \\<pool\\> & co: seed 20261121, 1009 random runs, 12 shrink runs \(5 shrink steps\), 2 corpus replays, 14318 commands, 27 random runs without a verdict: connect storm: over 100 connections opened in one step \(one replays with: poolcheck --adapter \.\/known\.ts --seed 20261121 --path 41 --runs 1\), 32 random runs ended early\n/,
    );
  });

  test("each failure and known failure is drawn as a Mermaid sequence diagram", () => {
    const md = renderMarkdown([FAILING, KNOWN]);
    const sections = [...md.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(sections, [
      "sample: LIM-2 Per route",
      "known \\<pool\\> & co: CLS-2 After close, sockets are closed",
      "known \\<pool\\> & co: ERR-3 A closed connection is never handed out \\| not even once",
    ]);
    assert.match(md, /\n❌ fail, clause LIM-2\.a: 3 live connections to r0; its limit is 2\n/);
    assert.match(md, /\n⚠️ known failure, clause CLS-2\.d \(expected as CLS-2\): socket #1 idle/);
    assert.match(md, /\n\nKnown: drain\(\) then clear\(\) keeps idle sockets open\n/);
    const diagrams = [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
    assert.deepEqual(diagrams, [LIMIT_FAILURE, CLOSE_KNOWN, NASTY].map(sequenceDiagram));
    // The counterexample's text is in a block that cannot end early, under the diagram.
    assert.match(md, /<details><summary>Steps, ledger and replay<\/summary>\n\n```text\n/);
  });

  test("the matrix alone, on request", () => {
    const md = renderMarkdown([FAILING, KNOWN], { counterexamples: false });
    assert.doesNotMatch(md, /```mermaid|## Counterexamples/);
  });
});

describe("HTML", () => {
  test("a standalone page: verdicts, legend, matrix, and the diagrams' sources", () => {
    const page = renderHtml([FAILING, KNOWN], { mermaidScript: null, title: "check <1>" });
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.match(page, /<title>check &#60;1&#62;<\/title>/);
    assert.match(page, /<strong>sample<\/strong>: <span class="failed">FAILED<\/span>/);
    assert.match(
      page,
      /<span class="ok">ok<\/span> — 1009 random runs, 12 shrink runs \(5 shrink steps\), 2 corpus replays, 14318 commands, seed 20261121, 5173 ms/,
    );
    assert.match(page, /<td class="status-fail" title="LIM-2\.a">❌ fail \(LIM-2\.a\)<\/td>/);
    assert.equal([...page.matchAll(/<pre class="mermaid">/g)].length, 3);
    assert.ok(page.includes(
      `<pre class="mermaid">${
        sequenceDiagram(LIMIT_FAILURE).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
      }</pre>`,
    ));
    // Nothing is loaded from elsewhere: no script or stylesheet has a source.
    assert.doesNotMatch(page, /<script src|<link /);
    assert.match(page, /Mermaid's script was not found/);
  });

  test("Mermaid's script is inlined so that nothing in it can end the element", () => {
    const script = 'var a = "</script><!-- x"; globalThis.mermaid = {};';
    const page = renderHtml([FAILING], { mermaidScript: script });
    assert.ok(
      page.includes('<script>var a = "\\x3C/script>\\x3C!-- x"; globalThis.mermaid = {};</script>'),
    );
    assert.doesNotMatch(page, /Mermaid's script was not found/);
    // A page without counterexamples needs no Mermaid.
    assert.doesNotMatch(renderHtml([ODD], { mermaidScript: script }), /globalThis\.mermaid = \{\}/);
  });
});

describe("sequence diagrams", () => {
  test("callers, application, pool and network are the participants, in that order", () => {
    const diagram = sequenceDiagram(CLOSE_KNOWN);
    assert.deepEqual(diagram.split("\n").filter((l) => l.includes("participant")), [
      "  participant A as application",
      "  participant C1 as caller #35;1",
      "  participant C2 as caller #35;2",
      "  participant P as pool",
      "  participant N as network and server",
    ]);
  });

  test("a caller gets its socket after the ledger shows it open and checked", () => {
    const lines = sequenceDiagram(CLOSE_KNOWN).split("\n").map((l) => l.trim());
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    assert.ok(at("P->>N: t=0 check socket #35;1") < at("P-->>C1: t=0 acquire #35;1 gets socket"));
    assert.ok(at("P-->>C1: t=0 acquire #35;1 gets") < at("C2->>P: 2. t=0 acquire #35;2"));
    assert.ok(at("C2->>P: 2. t=0 acquire #35;2") < at("P->>N: t=0 connect r0 (socket #35;2)"));
  });

  test("the step that broke is in a red box that ends with what broke", () => {
    const diagram = sequenceDiagram(LIMIT_FAILURE);
    assert.match(
      diagram,
      /\n {2}rect rgba\(255, 80, 80, 0\.18\)\n {4}C3->>P: 3\. t=2 acquire #35;3 r0\n {4}P->>N: t=2 connect r0 \(socket #35;3\)\n {4}Note over C1,N: ✗ LIM-2\.a breaks: 3 live connections to r0#59; its limit is 2\n {2}end$/,
    );
    // Events of a later instant wait for their time.
    assert.match(
      diagram,
      /C2->>P: 2\. t=1 acquire #35;2 r0 \(timeout 8 ms\)\n {2}P->>N: t=1 connect r0/,
    );
  });

  test("text Mermaid reads as syntax is written as entity codes", () => {
    const diagram = sequenceDiagram(NASTY);
    const note = diagram.split("\n").find((l) => l.includes("✗ ERR-3.a"))!;
    const text = note.split(": ").slice(1).join(": ").replaceAll("<br/>", " ");
    assert.doesNotMatch(text.replace(/#\d+;/g, ""), /[#;<>&"`|]|%%/);
    assert.match(
      note,
      /#60;closed#62; #38; #34;reused#34;#59; 100#37; of #96;it#96; #124;(<br\/>| )end/,
    );
    // Lines of an unknown shape become notes; a ledger line that is not JSON is left out.
    assert.match(diagram, /Note over C1,N: t=6 something new#59; with #35;hash/);
    assert.match(diagram, /Note over N: t=7 SomethingNew socket #35;2/);
    assert.doesNotMatch(diagram, /not json/);
    // A request goes from the caller that holds the socket; the answer comes back to it.
    assert.match(diagram, /C1->>N: t=0 request #35;1 on socket #35;2/);
    assert.match(
      diagram,
      /N-->>C1: t=0 response 1 to request #35;1 on socket #35;2 \(Keep-Alive timeout=5ms max=3\)/,
    );
  });

  test("with the ledger's position at each step line, the order is exact", () => {
    const traced = { ...CLOSE_KNOWN, stepLedgerSeq: [3, 3, 3, 6, 6, 6, 6] } as Counterexample;
    const lines = sequenceDiagram(traced).split("\n").map((l) => l.trim());
    // Here socket #1 was opened before acquire #1 was written: the trace says so.
    assert.ok(
      lines.findIndex((l) => l.includes("connect r0 (socket #35;1)")) <
        lines.findIndex((l) => l.includes("1. t=0 acquire #35;1")),
    );
  });

  test("many callers share one participant; an excerpt that starts late says so", () => {
    const steps = Array.from({ length: 10 }, (_, i) => `${i + 1}. t=0 acquire #${i + 1} r0`);
    const diagram = sequenceDiagram({
      ...LIMIT_FAILURE,
      steps,
      ledger: ['{"seq":12,"t":0,"type":"ConnectionCreated","socketId":4,"route":"r0"}'],
    });
    assert.deepEqual(diagram.split("\n").filter((l) => l.includes("participant")), [
      "  participant C as callers",
      "  participant P as pool",
      "  participant N as network and server",
    ]);
    assert.match(diagram, /Note over C,N: the ledger excerpt starts at its event 12/);
    // No step is marked: what broke closes the diagram.
    assert.match(diagram, /Note over C,N: ✗ LIM-2\.a breaks: 3 live connections[^\n]*$/);
  });
});

describe("RULES.md", () => {
  test("is up to date with the rules' code (regenerate: deno task conformance --write-rules-md)", async () => {
    const onDisk = await readFile(new URL("../../RULES.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderRulesMarkdown(RULES));
  });
});
