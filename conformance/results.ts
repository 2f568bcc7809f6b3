/**
 * Generates conformance/RESULTS.md from real runs of every bundled adapter.
 * The page holds the matrix (adapters × rules), the versions tested, the
 * differences between runtimes, and under them every known deviation with
 * the reason from the adapter's expectation file and the shrunk reproduction
 * the run printed. It also records a digest of the expectation files, so a
 * test can tell when the page is stale against them.
 *
 * Some pools behave as the runtime under them does: node:http's Agent is each
 * runtime's own implementation (Node's `lib/_http_agent.js`, Deno's
 * `ext/node/polyfills`, Bun's port), and agentkeepalive and undici run on
 * that node:http or on the runtime's streams and timers; kafkajs reads and
 * writes its broker sockets as the runtime's node:stream `Duplex` and arms
 * its timeouts on the runtime's timers. Those adapters
 * ({@linkcode RUNTIME_DEPENDENT_ADAPTERS}) are run on Deno, Node 22 and Bun,
 * and the page shows one column per adapter × runtime; every other adapter is
 * plain JavaScript over the kit's simulated network and is run on Deno only.
 *
 * Each runtime's run is stored as `conformance/results/<runtime>.results.json`
 * (generated, committed; not `deno.json`, which Deno would take for a config
 * file), and the page is rendered from the three files, so a run on one
 * runtime refreshes that runtime's file and then the page:
 *
 * ```sh
 * deno task results            # Deno: every bundled adapter → results/deno.results.json, then the page
 * bun conformance/results.ts   # Bun: the runtime-dependent adapters → results/bun.results.json, then the page
 * npm run build:conformance && npx -y node@22 conformance/results.node.mjs
 *                              # Node 22: the runtime-dependent adapters → results/node.results.json, then the page
 * deno task results --render   # the page from the three files alone, no runs
 * ```
 *
 * Node 22 is the one to use (undici 8 needs Node >= 22.19); the bundle runs
 * from `conformance/`, so its paths are those of this module.
 *
 * Every run uses {@linkcode RESULTS_SEED}, the CI seed. A stored file records
 * the digest of the expectation files of its adapters, so a test can tell
 * when one runtime's file is stale against them.
 *
 * @module
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { checkPool } from "../src/harness/check_pool.ts";
import type { PoolReport, RuleResult } from "../src/harness/result.ts";
import { MARKDOWN_STATUS, renderMarkdown, setupLine } from "../src/report/mod.ts";
import { readCorpus } from "../src/cli/corpus.ts";
import { CORPUS_DIR, currentRuntime, loadExpectations } from "./_cli.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

/** Seed of the runs behind RESULTS.md, fixed so the page can be regenerated (the CI seed). */
export const RESULTS_SEED = 20261121;

/** A runtime the results are generated on. */
export type Runtime = "deno" | "node" | "bun";

/**
 * The runtimes of the page, in column order: Node first (what most users of
 * these pools run), then Deno (which runs every adapter), then Bun.
 */
export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** The runtime that runs every bundled adapter (the others run only the runtime-dependent ones). */
export const MAIN_RUNTIME: Runtime = "deno";

/**
 * Adapters whose verdict depends on the runtime, by name: they are run and
 * shown on every runtime in {@linkcode RUNTIMES}. A name that is not a
 * bundled adapter (yet) is skipped, so an adapter is included once it is in
 * `BUNDLED_ADAPTERS`.
 */
export const RUNTIME_DEPENDENT_ADAPTERS: readonly string[] = [
  "undici-pool",
  "undici-agent",
  "node-http-agent",
  "agentkeepalive",
  "kafkajs",
];

const RUNTIME_LABEL: Readonly<Record<Runtime, string>> = { node: "Node", deno: "Deno", bun: "Bun" };

/** How each runtime runs the conformance CLI (a failure's replay line adds to it). */
const CONFORMANCE: Readonly<Record<Runtime, string>> = {
  deno: "deno task conformance",
  bun: "bun conformance/main.ts",
  node: "npx -y node@22 conformance/main.node.mjs",
};

/** How each runtime's file is regenerated. */
const REGENERATE: Readonly<Record<Runtime, string>> = {
  deno: "deno task results",
  bun: "bun conformance/results.ts",
  node: "npm run build:conformance && npx -y node@22 conformance/results.node.mjs",
};

/** Which npm package each bundled adapter exercises (`node:http` is the runtime's own). */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  "generic-pool": "generic-pool",
  "tarn": "tarn",
  "sequelize-pool": "sequelize-pool",
  "pg-pool": "pg-pool",
  "undici-pool": "undici",
  "undici-agent": "undici",
  "agentkeepalive": "agentkeepalive",
  "mongodb": "mongodb",
  "kafkajs": "kafkajs",
};

/** What an adapter runs, for the versions table, when it is not just its package. */
const RUNS_ON: Readonly<Record<string, string>> = {
  "node-http-agent": "the runtime's node:http Agent",
  "agentkeepalive": "agentkeepalive over the runtime's node:http Agent",
  "mongodb": "the MongoDB Node.js driver's ConnectionPool",
  "kafkajs":
    "kafkajs's Broker and ConnectionPool (what its producer sends through), through socketFactory",
};

/** A report as stored: without its real-time duration, so a file changes only when a run does. */
export type StoredReport = Omit<PoolReport, "durationMs">;

/**
 * The file a runtime's results are stored in, under `conformance/results/`.
 *
 * @param runtime The runtime.
 * @returns E.g. `deno.results.json`.
 */
export function resultsFile(runtime: Runtime): string {
  return `${runtime}.results.json`;
}

/** One runtime's run, as stored in `conformance/results/<runtime>.results.json`. */
export interface RuntimeResults {
  /** The runtime the adapters ran on. */
  readonly runtime: Runtime;
  /** Its version, e.g. `2.9.6`. */
  readonly version: string;
  /** The seed of every check ({@linkcode RESULTS_SEED}). */
  readonly seed: number;
  /** {@linkcode expectationsDigest} over the expectation files of the adapters run. */
  readonly expectationsDigest: string;
  /** Versions of the npm packages the adapters run, by package name. */
  readonly packages: Readonly<Record<string, string>>;
  /** One report per adapter, in `BUNDLED_ADAPTERS` order. */
  readonly reports: readonly StoredReport[];
}

const EXPECTATIONS_DIR = new URL("./expectations/", import.meta.url);
const RESULTS_DIR = new URL("./results/", import.meta.url);
const PAGE = new URL("./RESULTS.md", import.meta.url);
const DIGEST_MARK = "expectations-digest:";

/**
 * SHA-256 over expectation files (name and content, in name order).
 *
 * @param adapters Only the files of these adapters (`<name>.json`, those that exist). @default {every file}
 * @returns The digest as hex.
 */
export async function expectationsDigest(adapters?: readonly string[]): Promise<string> {
  const wanted = adapters === undefined ? undefined : new Set(adapters.map((a) => `${a}.json`));
  const names = (await readdir(EXPECTATIONS_DIR))
    .filter((n) => n.endsWith(".json") && (wanted === undefined || wanted.has(n)))
    .sort();
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

/**
 * The names of the adapters a runtime runs: every bundled adapter on
 * {@linkcode MAIN_RUNTIME}, the runtime-dependent ones elsewhere.
 *
 * @param runtime The runtime.
 * @param bundled The bundled adapters' names, in order.
 * @returns The names, in bundled order.
 */
export function adaptersFor(runtime: Runtime, bundled: readonly string[]): string[] {
  return runtime === MAIN_RUNTIME
    ? [...bundled]
    : bundled.filter((name) => RUNTIME_DEPENDENT_ADAPTERS.includes(name));
}

/**
 * The version of the runtime this process runs on.
 *
 * @returns E.g. `2.9.6` (Deno), `22.23.3` (Node), `1.4.5` (Bun).
 */
export function runtimeVersion(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return g.Deno.version.deno;
  if (g.Bun !== undefined) return g.Bun.version;
  return process.versions.node;
}

/**
 * The installed version of an npm package.
 *
 * @param pkg Package name.
 * @returns Its `version` in node_modules.
 */
export async function installedVersion(pkg: string): Promise<string> {
  const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
  const manifest = JSON.parse(await readFile(url, "utf8")) as { version: string };
  return manifest.version;
}

/**
 * The npm packages the named adapters run, with their installed versions.
 *
 * @param adapters Adapter names.
 * @returns Package name → version, in name order.
 */
export async function packagesOf(adapters: readonly string[]): Promise<Record<string, string>> {
  const names = [...new Set(adapters.flatMap((a) => PACKAGE_OF[a] ?? []))].sort();
  const packages: Record<string, string> = {};
  for (const name of names) packages[name] = await installedVersion(name);
  return packages;
}

function isRuntimeResults(value: unknown): value is RuntimeResults {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (RUNTIMES as readonly unknown[]).includes(v.runtime) && typeof v.version === "string" &&
    typeof v.seed === "number" && typeof v.expectationsDigest === "string" &&
    v.packages !== null && typeof v.packages === "object" && Array.isArray(v.reports) &&
    v.reports.every((r) =>
      r !== null && typeof r === "object" && typeof r.adapter === "string" &&
      Array.isArray(r.rules)
    );
}

/**
 * Read the stored results of every runtime that has a file.
 *
 * @param directory Folder of the files. @default {this folder's `results/`}
 * @returns The results, in {@linkcode RUNTIMES} order; a runtime without a file is left out.
 * @throws {Error} If a file exists but is not a runtime's results.
 */
export async function readRuntimeResults(directory: URL = RESULTS_DIR): Promise<RuntimeResults[]> {
  const found: RuntimeResults[] = [];
  for (const runtime of RUNTIMES) {
    let text: string;
    try {
      text = await readFile(new URL(resultsFile(runtime), directory), "utf8");
    } catch {
      continue;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isRuntimeResults(parsed) || parsed.runtime !== runtime) {
      throw new Error(
        `Cannot read conformance/results/${resultsFile(runtime)}: not ${runtime}'s results`,
      );
    }
    found.push(parsed);
  }
  return found;
}

/**
 * The stored file's text for a runtime's results (two-space JSON, newline).
 *
 * @param results The results.
 * @returns The text.
 */
export function renderRuntimeResults(results: RuntimeResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

function label(runtime: Runtime): string {
  return RUNTIME_LABEL[runtime];
}

function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** One column of the matrix: an adapter's report on one runtime. */
interface Column {
  readonly adapter: string;
  readonly runtime: Runtime;
  /** Whether the adapter has a column per runtime. */
  readonly perRuntime: boolean;
  readonly report: StoredReport;
}

function columnName(column: Column): string {
  return column.perRuntime ? `${column.adapter} (${label(column.runtime)})` : column.adapter;
}

/** The columns: the main runtime's adapters in order, a runtime-dependent one once per runtime. */
function columnsOf(results: readonly RuntimeResults[]): Column[] {
  const order: string[] = [];
  const main = results.find((r) => r.runtime === MAIN_RUNTIME);
  for (const r of [...(main === undefined ? [] : [main]), ...results]) {
    for (const report of r.reports) if (!order.includes(report.adapter)) order.push(report.adapter);
  }
  const columns: Column[] = [];
  for (const adapter of order) {
    const perRuntime = RUNTIME_DEPENDENT_ADAPTERS.includes(adapter);
    for (const r of results) {
      if (!perRuntime && r.runtime !== MAIN_RUNTIME) continue;
      const report = r.reports.find((x) => x.adapter === adapter);
      if (report !== undefined) columns.push({ adapter, runtime: r.runtime, perRuntime, report });
    }
  }
  return columns;
}

function asReport(column: Column): PoolReport {
  return { ...column.report, adapter: columnName(column), durationMs: 0 };
}

function versionsTables(results: readonly RuntimeResults[], columns: readonly Column[]): string {
  const adapters = [...new Set(columns.map((c) => c.adapter))];
  const rows = ["| adapter | what it runs | version | runtimes |", "|---|---|---|---|"];
  for (const adapter of adapters) {
    const on = columns.filter((c) => c.adapter === adapter).map((c) => label(c.runtime));
    const pkg = PACKAGE_OF[adapter];
    const versions = pkg === undefined ? [] : [
      ...new Set(results.flatMap((r) => r.packages[pkg] === undefined ? [] : [r.packages[pkg]])),
    ];
    const version = pkg !== undefined
      ? versions.join(", ") || "?"
      : adapter.startsWith("reference")
      ? "this kit"
      : "the runtime's";
    const what = RUNS_ON[adapter] ?? pkg ?? (adapter.startsWith("reference") ? "src/pool" : "?");
    rows.push(`| ${adapter} | ${what} | ${version} | ${on.join(", ")} |`);
  }
  const runtimeRows = [
    "| runtime | version | adapters run | regenerate with |",
    "|---|---|---|---|",
  ];
  for (const r of results) {
    const which = r.runtime === MAIN_RUNTIME
      ? "every bundled adapter"
      : "the runtime-dependent ones";
    runtimeRows.push(
      `| ${label(r.runtime)} | ${r.version} | ${which} | \`${REGENERATE[r.runtime]}\` |`,
    );
  }
  const missing = RUNTIMES.filter((rt) => !results.some((r) => r.runtime === rt));
  return [
    rows.join("\n"),
    "",
    runtimeRows.join("\n"),
    ...(missing.length === 0 ? [] : [
      "",
      `Not run yet on ${listing(missing.map(label))}: ${
        missing.map((rt) => `\`${REGENERATE[rt]}\``).join(", ")
      }.`,
    ]),
  ].join("\n");
}

/** Group runtimes that share a key, in order, e.g. "Node and Bun". */
function groups<T>(
  items: readonly { runtime: Runtime; value: T }[],
  key: (value: T) => string,
): { runtimes: Runtime[]; value: T }[] {
  const out: { runtimes: Runtime[]; key: string; value: T }[] = [];
  for (const item of items) {
    const k = key(item.value);
    const group = out.find((g) => g.key === k);
    if (group === undefined) out.push({ runtimes: [item.runtime], key: k, value: item.value });
    else group.runtimes.push(item.runtime);
  }
  return out.map(({ runtimes, value }) => ({ runtimes, value }));
}

/** What a rule's verdict and shrunk case are, to compare them across runtimes. */
function caseOf(rule: RuleResult | undefined): string {
  const example = rule?.counterexample;
  return `${rule?.status} ${example === undefined ? "" : `${example.seed} ${example.path}`}`;
}

/** The differences between runtimes, one line each, for the runtime-dependent adapters. */
function differences(columns: readonly Column[]): string[] {
  const lines: string[] = [];
  const alike: string[] = [];
  const adapters = [...new Set(columns.filter((c) => c.perRuntime).map((c) => c.adapter))];
  for (const adapter of adapters) {
    const mine = columns.filter((c) => c.adapter === adapter);
    if (mine.length < 2) continue;
    const ids = mine[0]!.report.rules.map((r) => r.id);
    let verdictsDiffer = false;
    const casesDiffer: string[] = [];
    for (const id of ids) {
      const per = mine.map((c) => ({
        runtime: c.runtime,
        value: c.report.rules.find((r) => r.id === id),
      }));
      const byStatus = groups(per, (r) => r?.status ?? "");
      if (byStatus.length > 1) {
        verdictsDiffer = true;
        const rule = per.find((p) => p.value?.reason !== undefined && p.value.status !== "pass")
          ?.value ?? per[0]!.value;
        const verdicts = byStatus.map((g) =>
          `${g.value === undefined ? "missing" : MARKDOWN_STATUS[g.value.status]} on ${
            listing(g.runtimes.map(label))
          }`
        ).join("; ");
        lines.push(
          `- **${adapter} ${id}** (${rule?.title ?? ""}): ${verdicts}.${
            rule?.reason === undefined ? "" : ` Cause: ${rule.reason}`
          }`,
        );
      } else if (groups(per, caseOf).length > 1) {
        casesDiffer.push(id);
      }
    }
    const byRuns = groups(
      mine.map((c) => ({ runtime: c.runtime, value: c.report })),
      (r) => `${r.runs} ${r.commands}`,
    );
    if (byRuns.length > 1 || casesDiffer.length > 0) {
      const runs = byRuns.map((g) =>
        `${g.value.runs} runs (${g.value.commands} commands) on ${listing(g.runtimes.map(label))}`
      ).join(", ");
      lines.push(
        `- **${adapter}**: ${
          verdictsDiffer ? "apart from the verdicts above, " : "the same verdicts, but "
        }different runs: ${runs}${
          casesDiffer.length === 0
            ? ""
            : `; ${listing(casesDiffer)} shrank to different cases (see below)`
        }.`,
      );
    } else if (!verdictsDiffer) {
      alike.push(adapter);
    }
  }
  if (alike.length > 0) {
    lines.push(
      `- ${listing(alike)}: the same verdicts, runs and shrunk cases on every runtime.`,
    );
  }
  return lines;
}

/** A runtime's replay line of a counterexample. */
interface Replay {
  readonly runtime: Runtime;
  readonly command: string;
}

/** A shrunk reproduction, with its replay lines (labelled with their runtimes when `on` is set). */
function reproduction(rule: RuleResult, replays: readonly Replay[], on?: string): string[] {
  const example = rule.counterexample;
  if (rule.status === "unexpected-pass") {
    return [
      `${on === undefined ? "This" : `${on}, this`} run did not reproduce it (the expectation ` +
      "passed): the file needs a look.",
    ];
  }
  if (example === undefined) {
    return [`No counterexample was recorded${on === undefined ? "" : ` ${on}`}.`];
  }
  const lines = [
    `Shrunk reproduction${on === undefined ? "" : ` ${on}`} (${example.message}):`,
    "",
    "```",
    `setup: ${setupLine(example.setup)}`,
    ...example.steps,
    "```",
    "",
  ];
  if (on === undefined) lines.push(`Replay: \`${replays[0]?.command ?? example.replay}\``);
  else lines.push("Replay:", "", ...replays.map((r) => `- ${label(r.runtime)}: \`${r.command}\``));
  return lines;
}

/**
 * The known deviations of one adapter, one section per rule. For a
 * runtime-dependent adapter, runtimes that agree share a reason and a
 * reproduction, and runtimes where the rule does not deviate are named.
 */
function deviations(adapter: string, mine: readonly Column[]): string[] {
  const ids = mine[0]!.report.rules.map((r) => r.id);
  const perRuntime = mine[0]!.perRuntime;
  const deviating = (r: RuleResult | undefined): boolean =>
    r?.status === "expected-fail" || r?.status === "unexpected-pass";
  const sections: string[] = [];
  for (const id of ids) {
    const per = mine.map((c) => ({
      runtime: c.runtime,
      value: c.report.rules.find((r) => r.id === id),
    }));
    const first = per.find((p) => deviating(p.value))?.value;
    if (first === undefined) continue;
    const lines = [`### ${adapter}: ${id} ${first.title}`, ""];
    const on = (runtimes: readonly Runtime[]) => `on ${listing(runtimes.map(label))}`;
    const replaysOf = (runtimes: readonly Runtime[]) =>
      per.flatMap((p) =>
        runtimes.includes(p.runtime) && p.value?.counterexample !== undefined
          ? [{ runtime: p.runtime, command: p.value.counterexample.replay }]
          : []
      );
    if (!perRuntime) {
      lines.push(
        first.reason ?? "(no reason)",
        "",
        ...reproduction(first, replaysOf([MAIN_RUNTIME])),
      );
      sections.push(lines.join("\n").trimEnd());
      continue;
    }
    const others = groups(per.filter((p) => !deviating(p.value)), (r) => r?.status ?? "not run");
    for (const g of others) {
      const status = g.value === undefined ? "not run" : MARKDOWN_STATUS[g.value.status];
      lines.push(`${status} ${on(g.runtimes)}.`, "");
    }
    const devs = per.filter((p) => deviating(p.value)) as { runtime: Runtime; value: RuleResult }[];
    const reasons = groups(devs, (r) => r.reason ?? "(no reason)");
    for (const g of reasons) {
      const reason = g.value.reason ?? "(no reason)";
      lines.push(
        reasons.length === 1 ? reason : `On ${listing(g.runtimes.map(label))}: ${reason}`,
        "",
      );
    }
    for (const g of groups(devs, caseOf)) {
      lines.push(...reproduction(g.value, replaysOf(g.runtimes), on(g.runtimes)), "");
    }
    sections.push(lines.join("\n").trimEnd());
  }
  return sections;
}

/**
 * Render the RESULTS.md page from the runtimes' stored results.
 *
 * @param results One entry per runtime that has results, in {@linkcode RUNTIMES} order.
 * @param digest The digest of every expectation file, recorded on the page.
 * @returns The page.
 */
export function renderResults(results: readonly RuntimeResults[], digest: string): string {
  const columns = columnsOf(results);
  const reports = columns.map(asReport);
  const adapters = [...new Set(columns.map((c) => c.adapter))];
  const allDeviations = adapters.flatMap((adapter) =>
    deviations(adapter, columns.filter((c) => c.adapter === adapter))
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
  const errors = reports.flatMap((report) =>
    report.errors.map((e) => `- ${report.adapter}: ${e.split("\n")[0]}`)
  );
  const seeds = [...new Set(results.map((r) => r.seed))];
  const dependent = adapters.filter((a) => RUNTIME_DEPENDENT_ADAPTERS.includes(a));
  const diff = differences(columns);
  return [
    "# Conformance results",
    "",
    "Generated from real runs of every bundled adapter (default profile, its corpus replayed first, seed",
    `${
      seeds.join(", ")
    }); do not edit by hand. A known failure is listed in the adapter's expectation file,`,
    "with its reproduction below.",
    "",
    "The pools whose behaviour depends on the runtime have one column per runtime (Node, which",
    "most users of these pools run, then Deno and Bun): node:http's Agent is each runtime's own",
    "implementation, and undici runs on the runtime's streams and timers. Every other adapter is",
    "plain JavaScript over the kit's simulated network and faked timers, and is run on Deno. The",
    `runtime-dependent ones: ${listing(dependent)}.`,
    "",
    "To regenerate, run each runtime: each writes its",
    "`conformance/results/<runtime>.results.json`, then renders this page from the three files.",
    "",
    "```sh",
    "deno task results            # Deno: every bundled adapter",
    "bun conformance/results.ts   # Bun: the runtime-dependent adapters",
    "npm run build:conformance && npx -y node@22 conformance/results.node.mjs   # Node 22: the same",
    "deno task results --render   # this page from the three files alone, no runs",
    "```",
    "",
    versionsTables(results, columns),
    "",
    "## Matrix",
    "",
    renderMarkdown(reports, { counterexamples: false }).trimEnd(),
    "",
    unexpected.length === 0
      ? "Every failure is a known deviation."
      : `Unexpected failures in these runs: ${unexpected.join(", ")}.`,
    "",
    ...(errors.length === 0 ? [] : ["Errors that are not rule violations:", "", ...errors, ""]),
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
    "## Differences between runtimes",
    "",
    "Where a runtime-dependent pool's verdict differs between runtimes, the cause is the",
    'runtime-specific entry of its expectation file (`"runtimes": [...]`), traced to the runtime\'s',
    "source. Runs and shrunk cases can differ with the same verdicts when a runtime takes another",
    "path through the pool.",
    "",
    diff.length === 0 ? "None." : diff.join("\n"),
    "",
    "## Known deviations",
    "",
    allDeviations.length === 0 ? "None." : allDeviations.join("\n\n"),
    "",
    `<!-- ${DIGEST_MARK} ${digest} -->`,
    "",
  ].join("\n");
}

/**
 * Check this runtime's adapters and build its results.
 *
 * @returns The results of the current runtime.
 */
async function runHere(): Promise<RuntimeResults> {
  const runtime = currentRuntime();
  const names = adaptersFor(runtime, BUNDLED_ADAPTERS.map((a) => a.name));
  const reports: StoredReport[] = [];
  const started = performance.now();
  for (const name of names) {
    const adapter = BUNDLED_ADAPTERS.find((a) => a.name === name)!;
    const t0 = performance.now();
    // The bundled corpus is replayed first, as the conformance job replays it, so that the stored
    // results are the runs CI makes: replaying it changes which random runs come after.
    const { cases, warnings } = await readCorpus(CORPUS_DIR, adapter.name);
    for (const warning of warnings) process.stderr.write(`${warning}\n`);
    const { durationMs: _durationMs, ...report } = await checkPool(adapter, {
      seed: RESULTS_SEED,
      ...(cases.length === 0 ? {} : { corpus: cases }),
      expectations: await loadExpectations(adapter.name),
      replayCommand: `${CONFORMANCE[runtime]} --adapter ${adapter.name}`,
      // The stored results must not depend on how busy the machine was.
      budgetMs: 600_000,
    });
    process.stdout.write(
      `${adapter.name} on ${label(runtime)}: ${report.ok ? "ok" : "NOT ok"} in ${
        Math.round(performance.now() - t0)
      } ms\n`,
    );
    reports.push(report);
  }
  process.stdout.write(
    `${label(runtime)} ${runtimeVersion()}: ${names.length} adapters in ${
      Math.round(performance.now() - started)
    } ms\n`,
  );
  return {
    runtime,
    version: runtimeVersion(),
    seed: RESULTS_SEED,
    expectationsDigest: await expectationsDigest(names),
    packages: await packagesOf(names),
    reports,
  };
}

/** Render the page from the stored files. */
async function renderPage(): Promise<void> {
  const results = await readRuntimeResults();
  await writeFile(PAGE, renderResults(results, await expectationsDigest()));
  process.stdout.write(
    `conformance/RESULTS.md written from ${
      results.map((r) => `results/${resultsFile(r.runtime)}`).join(", ") || "no results"
    }\n`,
  );
}

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => a !== "--render");
  if (unknown.length > 0) {
    process.stderr.write(
      `Cannot generate results as '${
        unknown[0]
      }' is not a known flag (usage: results.ts [--render])\n`,
    );
    return 2;
  }
  let ok = true;
  if (!args.includes("--render")) {
    const results = await runHere();
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      new URL(resultsFile(results.runtime), RESULTS_DIR),
      renderRuntimeResults(results),
    );
    process.stdout.write(`conformance/results/${resultsFile(results.runtime)} written\n`);
    ok = results.reports.every((r) => r.ok);
  }
  await renderPage();
  // The files are written either way; a report that is not ok (an unexpected failure or pass,
  // an error) shows on the page and in the exit code.
  return ok ? 0 : 1;
}

/** Whether this module is the entry point (Node 22 has no `import.meta.main`). */
function isMain(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === import.meta.url;
}

if (isMain()) process.exitCode = await main(process.argv.slice(2));
