/**
 * The conformance CLI: `deno task conformance [flags]`. Checks bundled or
 * given adapters, prints a progress line and the results, writes JSON, JUnit
 * or Markdown on request, and exits non-zero when a rule fails unexpectedly
 * (2 for usage errors).
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import process from "node:process";
import { checkPool } from "../src/harness/check_pool.ts";
import type { PoolReport } from "../src/harness/result.ts";
import { RULES } from "../src/harness/rules/mod.ts";
import {
  renderJson,
  renderJunit,
  renderMarkdown,
  renderRulesMarkdown,
  renderText,
} from "../src/report/mod.ts";
import {
  type CliOptions,
  loadAdapters,
  loadExpectations,
  parseCli,
  USAGE,
  UsageError,
} from "./_cli.ts";

async function emit(target: string | true | undefined, text: string): Promise<boolean> {
  if (target === undefined) return false;
  if (target === true) process.stdout.write(text);
  else await writeFile(target, text);
  return target === true;
}

async function run(options: CliOptions): Promise<number> {
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.writeRules) {
    await writeFile(new URL("../RULES.md", import.meta.url), renderRulesMarkdown(RULES));
    process.stdout.write("RULES.md written\n");
    return 0;
  }
  const adapters = await loadAdapters(options.adapters);
  const reports: PoolReport[] = [];
  for (const adapter of adapters) {
    const expectations = await loadExpectations(adapter.name);
    const report = await checkPool(adapter, {
      ...(options.runs === undefined ? {} : { runs: options.runs }),
      ...(options.maxCommands === undefined ? {} : { maxCommands: options.maxCommands }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path }),
      rules: options.rules,
      quick: options.quick,
      determinism: options.determinism,
      expectations,
      onProgress: ({ runs, failed }) => {
        if (process.stderr.isTTY) {
          process.stderr.write(
            `\r${adapter.name}: ${runs} runs${
              failed.length > 0 ? `, failing ${failed.join(" ")}` : ""
            }   `,
          );
        }
      },
    });
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    if (options.path !== undefined && report.runs === 0) {
      process.stderr.write(
        `${adapter.name}: --path replayed no run (is --seed the one printed with it?)\n`,
      );
    }
    reports.push(report);
  }
  const toStdout = [
    await emit(options.json, renderJson(reports)),
    await emit(options.junit, renderJunit(reports)),
    await emit(options.markdown, renderMarkdown(reports)),
  ].some(Boolean);
  if (!toStdout) {
    for (const report of reports) process.stdout.write(renderText(report));
    if (reports.length > 1) process.stdout.write(`\nMatrix\n\n${renderMarkdown(reports)}`);
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

try {
  process.exitCode = await run(parseCli(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
