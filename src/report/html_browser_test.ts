// The HTML report in a real browser: Debian's Chromium, driven by Playwright
// (playwright-core, which never downloads a browser of its own), opens the
// page from a file with the network cut off, and every diagram must be drawn
// as an SVG sequence diagram, with no Mermaid error on the page.
//
// Runs under `deno test` and `bun test` (Playwright talks to Chromium over a
// pipe, which both runtimes' child_process provide). Skipped, saying why,
// where /usr/bin/chromium is missing (.ci/run installs it when run as root).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";
import { chromium } from "playwright-core";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import { checkPool } from "../harness/check_pool.ts";
import { readMermaidScript, renderHtml } from "./mod.ts";
import { FAILING, KNOWN } from "./testdata/sample_reports.ts";

const CHROMIUM = "/usr/bin/chromium";
const missing = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; .ci/run installs it as root)`
  : readMermaidScript() === undefined
  ? "the mermaid package is not installed (npm install)"
  : undefined;
if (missing !== undefined) console.warn(`html_browser_test: skipped: ${missing}`);

/** Launching a browser and drawing some forty diagrams takes seconds: more than Bun's default. */
const LONG = { timeout: 180_000, skip: missing ?? false };

describe("the HTML report in Chromium", () => {
  test(
    "every diagram is drawn as an SVG sequence diagram, offline, without errors",
    LONG,
    async () => {
      const reports = [FAILING, KNOWN];
      // Fresh counterexamples of one broken pool per rule group, as the kit prints them today.
      const groups = new Set<string>();
      for (const broken of BROKEN_POOLS) {
        const group = broken.rule.split("-")[0]!;
        if (groups.has(group)) continue;
        groups.add(group);
        reports.push(await checkPool(broken.adapter, { seed: 20_251_121, rules: [broken.rule] }));
      }
      const page = renderHtml(reports, { title: "poolcheck browser test" });
      const expected = [...page.matchAll(/<pre class="mermaid">/g)].length;
      assert.ok(expected >= 10, `only ${expected} diagrams on the page`);
      const dir = mkdtempSync(join(tmpdir(), "poolcheck-html-"));
      const file = join(dir, "report.html");
      writeFileSync(file, page);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      });
      try {
        const context = await browser.newContext({ offline: true });
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
        tab.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
        tab.on("request", (r) =>
          !r.url().startsWith("file:") && !r.url().startsWith("data:") &&
          problems.push(`request: ${r.url()}`));
        await tab.goto(pathToFileURL(file).href);
        await tab.waitForSelector("body[data-diagrams]", { timeout: 120_000 });
        const outcome = {
          state: await tab.locator("body").getAttribute("data-diagrams"),
          error: await tab.locator("#diagram-errors").textContent() ?? "",
          diagrams: await tab.locator("pre.mermaid").count(),
          sequences: await tab.locator('pre.mermaid > svg[aria-roledescription="sequence"]')
            .count(),
          boxes: await tab.locator("pre.mermaid > svg").filter({ has: tab.locator("rect.rect") })
            .count(),
          text: await tab.locator("body").innerText(),
        };
        assert.equal(outcome.state, "drawn", outcome.error);
        assert.equal(outcome.diagrams, expected);
        assert.equal(outcome.sequences, expected, "a diagram is not an SVG sequence diagram");
        assert.doesNotMatch(outcome.text, /Syntax error|Parse error|error in text/i);
        // The step that broke is boxed in every diagram whose steps mark it.
        assert.ok(outcome.boxes >= expected - 2, `${outcome.boxes} of ${expected} diagrams boxed`);
        assert.match(outcome.text, /Legend: ✅ pass: no judged run broke the rule/);
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
