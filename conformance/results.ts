/**
 * Generates conformance/RESULTS.md from real runs of every bundled adapter:
 * `deno task results`. The page holds the matrix (adapters × rules), the
 * versions tested, and under it every known deviation with the reason from
 * the adapter's expectation file and the shrunk reproduction the run printed.
 * It also records a digest of the expectation files, so a test can tell when
 * the page is stale against them.
 *
 * @module
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { checkPool } from "../src/harness/check_pool.ts";
import type { PoolReport, RuleResult } from "../src/harness/result.ts";
import { renderMarkdown, setupLine } from "../src/report/mod.ts";
import { loadExpectations } from "./_cli.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

/** Seed of the runs behind RESULTS.md, fixed so the page can be regenerated. */
export const RESULTS_SEED = 20261121;

/** Which npm package each bundled adapter exercises (`node:http` is the runtime's own). */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  "generic-pool": "generic-pool",
  "tarn": "tarn",
  "pg-pool": "pg-pool",
  "undici-pool": "undici",
  "undici-agent": "undici",
};

const EXPECTATIONS_DIR = new URL("./expectations/", import.meta.url);
const DIGEST_MARK = "expectations-digest:";

/**
 * SHA-256 over every expectation file (name and content, in name order).
 *
 * @returns The digest as hex.
 */
export async function expectationsDigest(): Promise<string> {
  const names = (await readdir(EXPECTATIONS_DIR)).filter((n) => n.endsWith(".json")).sort();
  let text = "";
  for (const name of names) {
    text += `${name}\n${await readFile(new URL(name, EXPECTATIONS_DIR), "utf8")}\n`;
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The digest a RESULTS.md page was generated against.
 *
 * @param page The page's text.
 * @returns The digest, or `undefined` when the page has none.
 */
export function digestOf(page: string): string | undefined {
  const at = page.indexOf(DIGEST_MARK);
  if (at < 0) return undefined;
  return page.slice(at + DIGEST_MARK.length).trim().split(/\s/)[0];
}

async function versionOf(pkg: string): Promise<string> {
  const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
  const manifest = JSON.parse(await readFile(url, "utf8")) as { version: string };
  return manifest.version;
}

async function versionsTable(reports: readonly PoolReport[]): Promise<string> {
  const runtime = typeof navigator === "undefined"
    ? `Node ${process.version}`
    : navigator.userAgent;
  const rows = ["| adapter | what it runs | version |", "|---|---|---|"];
  for (const { adapter } of reports) {
    const pkg = PACKAGE_OF[adapter];
    if (pkg !== undefined) rows.push(`| ${adapter} | ${pkg} | ${await versionOf(pkg)} |`);
    else if (adapter.startsWith("reference")) rows.push(`| ${adapter} | src/pool | this kit |`);
    else rows.push(`| ${adapter} | node:http Agent of the runtime | ${runtime} |`);
  }
  return `${rows.join("\n")}\n\nRuntime: ${runtime}.`;
}

function deviation(adapter: string, rule: RuleResult): string {
  const lines = [`### ${adapter}: ${rule.id} ${rule.title}`, "", rule.reason ?? "(no reason)", ""];
  const example = rule.counterexample;
  if (rule.status === "unexpected-pass") {
    lines.push("This run did not reproduce it (the expectation passed): the file needs a look.");
  } else if (example === undefined) {
    lines.push("No counterexample was recorded.");
  } else {
    lines.push(`Shrunk reproduction (${example.message}):`, "", "```");
    lines.push(`setup: ${setupLine(example.setup)}`);
    lines.push(...example.steps, "```", "", `Replay: \`${example.replay}\``);
  }
  return lines.join("\n");
}

/**
 * Render the RESULTS.md page.
 *
 * @param reports One report per adapter, from the runs.
 * @param digest The expectation files' digest the runs used.
 * @returns The page.
 */
export async function renderResults(
  reports: readonly PoolReport[],
  digest: string,
): Promise<string> {
  const deviations = reports.flatMap((report) =>
    report.rules
      .filter((r) => r.status === "expected-fail" || r.status === "unexpected-pass")
      .map((r) => deviation(report.adapter, r))
  );
  const inconclusive = reports.flatMap((report) =>
    report.inconclusive === undefined || report.inconclusive.runs === 0 ? [] : [
      `- ${report.adapter}: ${report.inconclusive.runs} runs ended without a verdict (${
        report.inconclusive.reasons.join("; ")
      }).`,
    ]
  );
  const endedEarly = reports.flatMap((report) =>
    report.endedEarly === undefined ? [] : [`- ${report.adapter}: ${report.endedEarly} runs.`]
  );
  const unexpected = reports.flatMap((report) =>
    report.rules.filter((r) => r.status === "fail").map((r) => `${report.adapter} ${r.id}`)
  );
  return [
    "# Conformance results",
    "",
    "Generated by `deno task results` from real runs of every bundled adapter (default profile,",
    `seed ${RESULTS_SEED}); do not edit by hand. ✅ pass, ❌ fail, ⚠️ known deviation (listed in the`,
    "adapter's expectation file, with its reproduction below), n/a not applicable.",
    "",
    await versionsTable(reports),
    "",
    "## Matrix",
    "",
    renderMarkdown(reports).trimEnd(),
    "",
    unexpected.length === 0
      ? "Every failure is a known deviation."
      : `Unexpected failures in this run: ${unexpected.join(", ")}.`,
    "",
    ...(inconclusive.length === 0 ? [] : [
      "Runs that ended without a verdict are counted, never passed: a pool that opens connections",
      "without end while a connect fault lasts is stopped by the storm guard, since no rule judges",
      "that step.",
      "",
      ...inconclusive,
      "",
    ]),
    ...(endedEarly.length === 0 ? [] : [
      "Runs that ended early stopped where the pool accepted a second release of a lease once",
      "LSE-4 had failed: their earlier steps were judged and passed, their heal and close phases",
      "did not run.",
      "",
      ...endedEarly,
      "",
    ]),
    "## Known deviations",
    "",
    deviations.length === 0 ? "None." : deviations.join("\n\n"),
    "",
    `<!-- ${DIGEST_MARK} ${digest} -->`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const digest = await expectationsDigest();
  const reports: PoolReport[] = [];
  for (const adapter of BUNDLED_ADAPTERS) {
    const started = performance.now();
    const report = await checkPool(adapter, {
      seed: RESULTS_SEED,
      expectations: await loadExpectations(adapter.name),
    });
    process.stdout.write(
      `${adapter.name}: ${report.ok ? "ok" : "NOT ok"} in ${
        Math.round(performance.now() - started)
      } ms\n`,
    );
    reports.push(report);
  }
  await writeFile(new URL("./RESULTS.md", import.meta.url), await renderResults(reports, digest));
  process.stdout.write("conformance/RESULTS.md written\n");
}

if (import.meta.main) await main();
