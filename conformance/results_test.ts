import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import type { PoolReport } from "../src/harness/result.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";
import {
  adaptersFor,
  digestOf,
  expectationsDigest,
  installedVersion,
  MAIN_RUNTIME,
  readRuntimeResults,
  renderResults,
  RESULTS_SEED,
  resultsFile,
  RUNTIME_DEPENDENT_ADAPTERS,
  type RuntimeResults,
  RUNTIMES,
  type StoredReport,
} from "./results.ts";

const readPage = () => readFile(new URL("./RESULTS.md", import.meta.url), "utf8");
const bundledNames = BUNDLED_ADAPTERS.map((a) => a.name);
const REGENERATE: Record<string, string> = {
  deno: "deno task results",
  bun: "bun conformance/results.ts",
  node: "npm run build:conformance && npx -y node@22 conformance/results.node.mjs",
};

test("RESULTS.md was generated against the current expectation files", async () => {
  assert.equal(
    digestOf(await readPage()),
    await expectationsDigest(),
    "conformance/RESULTS.md is stale against conformance/expectations/: run `deno task results`",
  );
});

test("every runtime's results are stored, for the adapters it runs, at the CI seed", async () => {
  const results = await readRuntimeResults();
  assert.deepEqual(results.map((r) => r.runtime), [...RUNTIMES]);
  for (const r of results) {
    assert.equal(r.seed, RESULTS_SEED, `results/${resultsFile(r.runtime)}: seed`);
    assert.deepEqual(
      r.reports.map((report) => report.adapter),
      adaptersFor(r.runtime, bundledNames),
      `conformance/results/${
        resultsFile(r.runtime)
      } does not cover the adapters ${r.runtime} runs: run \`${REGENERATE[r.runtime]}\``,
    );
  }
});

test("no runtime's stored results are stale against the expectation files or packages", async () => {
  const stale: string[] = [];
  for (const r of await readRuntimeResults()) {
    const why: string[] = [];
    const digest = await expectationsDigest(r.reports.map((report) => report.adapter));
    if (r.expectationsDigest !== digest) why.push("its expectation files changed");
    for (const [pkg, version] of Object.entries(r.packages)) {
      const installed = await installedVersion(pkg);
      if (version !== installed) why.push(`it ran ${pkg} ${version}, ${installed} is installed`);
    }
    if (why.length > 0) {
      stale.push(
        `conformance/results/${resultsFile(r.runtime)} is stale (${why.join("; ")}): run \`${
          REGENERATE[r.runtime]
        }\``,
      );
    }
  }
  assert.deepEqual(stale, [], stale.join("\n"));
});

test("RESULTS.md is the rendering of the stored results", async () => {
  const expected = renderResults(await readRuntimeResults(), await expectationsDigest());
  assert.ok(
    (await readPage()) === expected,
    "conformance/RESULTS.md differs from conformance/results/*.results.json: run `deno task results --render`",
  );
});

test("RESULTS.md has a column for every bundled adapter, per runtime when it depends on it", async () => {
  const page = await readPage();
  const header = page.split("\n").find((line) => line.startsWith("| Rule | Title |"));
  assert.ok(header, "the matrix header is missing");
  for (const name of bundledNames) {
    if (!RUNTIME_DEPENDENT_ADAPTERS.includes(name)) {
      assert.ok(header.includes(` ${name} |`), `${name} is missing from the matrix`);
      continue;
    }
    for (const runtime of ["Node", "Deno", "Bun"]) {
      assert.ok(
        header.includes(` ${name} (${runtime}) |`),
        `${name} on ${runtime} is missing from the matrix`,
      );
    }
  }
  assert.match(page, /^## Differences between runtimes$/m);
  assert.match(page, /^## Known deviations$/m);
});

test("digestOf reads the marker and tolerates its absence", () => {
  assert.equal(digestOf("x\n<!-- expectations-digest: abc123 -->\n"), "abc123");
  assert.equal(digestOf("no marker"), undefined);
});

test("expectationsDigest over some adapters reads only their files", async () => {
  assert.notEqual(await expectationsDigest(["tarn"]), await expectationsDigest());
  assert.equal(
    await expectationsDigest(["tarn", "no-such-adapter"]),
    await expectationsDigest(["tarn"]),
  );
});

test("adaptersFor: the main runtime runs every adapter, the others the runtime-dependent ones", () => {
  const names = ["reference", "tarn", "node-http-agent", "undici-pool"];
  assert.deepEqual(adaptersFor(MAIN_RUNTIME, names), names);
  assert.deepEqual(adaptersFor("node", names), ["node-http-agent", "undici-pool"]);
});

function report(adapter: string, status: "pass" | "expected-fail", runs = 10): StoredReport {
  return {
    adapter,
    seed: RESULTS_SEED,
    runs,
    commands: runs * 2,
    errors: [],
    ok: true,
    rules: [
      { id: "LIM-1", title: "limit", status: "pass" },
      {
        id: "LIM-2",
        title: "route limit",
        status,
        ...(status === "pass" ? {} : {
          reason: "retries on a reused socket (ext/node/polyfills/_http_client.js)",
          counterexample: {
            clause: "LIM-2.a",
            message: "4 live connections",
            step: 2,
            setup: { config: { routes: ["r0"], maxTotal: 2 } } as unknown as NonNullable<
              PoolReport["rules"][number]["counterexample"]
            >["setup"],
            commands: [],
            steps: ["1. t=0 acquire #1 r0"],
            ledger: [],
            seed: 7,
            path: "1:2",
            replay: "deno task conformance --adapter x --seed 7 --path 1:2 --rule LIM-2",
          },
        }),
      },
    ],
  };
}

function results(
  runtime: RuntimeResults["runtime"],
  reports: StoredReport[],
): RuntimeResults {
  return {
    runtime,
    version: `${runtime}-1`,
    seed: RESULTS_SEED,
    expectationsDigest: "d",
    packages: { undici: "8.0.0" },
    reports,
  };
}

test("renderResults: a column per runtime, and the differences between runtimes", () => {
  const page = renderResults([
    results("node", [report("node-http-agent", "pass"), report("undici-pool", "pass")]),
    results("deno", [
      report("tarn", "pass"),
      report("node-http-agent", "expected-fail", 9),
      report("undici-pool", "pass"),
    ]),
    results("bun", [report("node-http-agent", "pass"), report("undici-pool", "pass")]),
  ], "abc");
  assert.match(
    page,
    /\| Rule \| Title \| tarn \| node-http-agent \(Node\) \| node-http-agent \(Deno\) \| node-http-agent \(Bun\) \| undici-pool \(Node\) \|/,
  );
  assert.match(page, /\| Node \| node-1 \|/);
  assert.match(
    page,
    /- \*\*node-http-agent LIM-2\*\* \(route limit\): ✅ pass on Node and Bun; ⚠️ known failure on Deno\. Cause: retries/,
  );
  assert.match(page, /different runs: 10 runs \(20 commands\) on Node and Bun, 9 runs/);
  assert.match(page, /- undici-pool: the same verdicts, runs and shrunk cases on every runtime\./);
  assert.match(
    page,
    /### node-http-agent: LIM-2 route limit\n\n✅ pass on Node and Bun\.\n\nretries on a reused socket \(ext\/node\/polyfills\/_http_client\.js\)\n\nShrunk reproduction on Deno \(4 live connections\):/,
  );
  assert.match(page, /Replay:\n\n- Deno: `deno task conformance --adapter x --seed 7/);
  assert.match(page, /\| undici-pool \| undici \| 8\.0\.0 \| Node, Deno, Bun \|/);
  assert.equal(digestOf(page), "abc");
});

test("renderResults names the runtimes not run yet", () => {
  const page = renderResults([results("deno", [report("node-http-agent", "pass")])], "abc");
  assert.match(page, /Not run yet on Node and Bun: /);
});
