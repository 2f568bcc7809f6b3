/**
 * A standalone HTML page of reports: verdicts, legend, the matrix, and each
 * counterexample drawn as a sequence diagram by Mermaid, whose script is
 * inlined in the page, so it opens offline, from a CI artifact or a mail.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import type { PoolReport } from "../harness/result.ts";
import { counterexampleLines } from "../harness/counterexample_text.ts";
import { matrixCell, shownCounterexamples } from "./markdown.ts";
import { sequenceDiagram } from "./sequence_diagram.ts";
import {
  endedEarlyText,
  inconclusiveText,
  legend,
  ruleDetail,
  runCountsText,
  statusesIn,
  statusLabel,
} from "./statuses.ts";

/** The file of the mermaid npm package that defines `globalThis.mermaid`. */
const MERMAID_DIST = "mermaid/dist/mermaid.min.js";

/**
 * Read Mermaid's browser script from the `mermaid` npm package, looked up
 * from this module and then from the working directory (the project that
 * runs the kit). The kit does not depend on Mermaid: install it
 * (`npm install --save-dev mermaid`) to have diagrams drawn.
 *
 * @returns The script's text, or `undefined` when the package is not installed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMermaidScript } from "./html.ts";
 *
 * const script = readMermaidScript();
 * assert.ok(script === undefined || script.includes("mermaid"));
 * ```
 */
export function readMermaidScript(): string | undefined {
  const bases = [import.meta.url, join(process.cwd(), "package.json")];
  for (const base of bases) {
    try {
      return readFileSync(createRequire(base).resolve(MERMAID_DIST), "utf8");
    } catch {
      // Not installed where this base looks: try the next.
    }
  }
  return undefined;
}

/** Options of {@linkcode renderHtml}. */
export interface HtmlOptions {
  /** The page's title. @default {"poolcheck report"} */
  readonly title?: string;
  /**
   * Mermaid's browser script to inline (`mermaid.min.js`). By default it is
   * read from the `mermaid` package ({@linkcode readMermaidScript}); `null`
   * leaves it out. Without it the page shows each diagram's source as text.
   */
  readonly mermaidScript?: string | null;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Script text safe inside `<script>`: nothing in it can close the element early. */
function inlineScript(script: string): string {
  return script.replace(/<(\/?script|!--)/gi, "\\x3C$1");
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; } h3 { margin-top: 2rem; font-size: 1.05rem; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
th[scope=row], td[class^=status-] { white-space: nowrap; }
td.status-pass { background: #e6ffec; } td.status-fail, td.status-unexpected-pass { background: #ffebe9; }
td.status-expected-fail { background: #fff8c5; } td.status-not-verified { background: #fbefff; }
td.status-not-applicable { color: #656d76; }
.legend { color: #424a53; } .ok { color: #1a7f37; } .failed { color: #cf222e; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; font-size: 12px; }
pre.mermaid { background: none; }
.diagram-note { color: #9a6700; }
`;

/**
 * The script that draws the diagrams once the page has loaded, and records
 * the outcome on `<body data-diagrams>`: `drawn`, `failed` (the error is
 * shown on the page), `text` when no Mermaid script was inlined, or `none`
 * when there is no diagram to draw.
 */
const DRAW = `
(function () {
  var body = document.body;
  if (document.querySelector("pre.mermaid") === null) { body.dataset.diagrams = "none"; return; }
  if (typeof mermaid === "undefined") { body.dataset.diagrams = "text"; return; }
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
  mermaid.run({ querySelector: "pre.mermaid" }).then(function () {
    body.dataset.diagrams = "drawn";
  }, function (error) {
    var note = document.getElementById("diagram-errors");
    if (note !== null) {
      note.hidden = false;
      note.textContent = "Mermaid could not draw a diagram: " + (error && error.message || error);
    }
    body.dataset.diagrams = "failed";
  });
})();
`;

/**
 * Render reports as one standalone HTML page: each adapter's verdict and
 * counts, the one-line legend, the matrix of rules × adapters, and for each
 * failure and known failure what broke, its sequence diagram (drawn by the
 * inlined Mermaid script), and its steps, ledger and replay line. The page
 * loads nothing from the network.
 *
 * @param reports One report per adapter (matrix columns, in order).
 * @param options Title, and the Mermaid script to inline.
 * @returns The page's HTML, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderHtml } from "./html.ts";
 *
 * const page = renderHtml([{ adapter: "x", seed: 1, runs: 2, commands: 9, durationMs: 3, errors: [], ok: true,
 *   rules: [{ id: "LIM-1", title: "t", status: "pass" }] }], { mermaidScript: null });
 * assert.match(page, /^<!doctype html>/);
 * assert.match(page, /<td class="status-pass">✅ pass<\/td>/);
 * assert.match(page, /Legend: ✅ pass: no judged run broke the rule\./);
 * ```
 */
export function renderHtml(reports: readonly PoolReport[], options: HtmlOptions = {}): string {
  const title = options.title ?? "poolcheck report";
  const script = options.mermaidScript === undefined
    ? readMermaidScript()
    : options.mermaidScript ?? undefined;
  const statuses = statusesIn(reports);
  const ids: { id: string; title: string }[] = [];
  for (const report of reports) {
    for (const rule of report.rules) if (!ids.some((r) => r.id === rule.id)) ids.push(rule);
  }
  const summary = reports.map((r) => {
    const notes = [
      ...(r.inconclusive === undefined
        ? []
        : [inconclusiveText(r.inconclusive.runs, r.inconclusive.reasons, r.inconclusive.replay)]),
      ...(r.endedEarly === undefined ? [] : [endedEarlyText(r.endedEarly)]),
      ...r.errors.map((e) => `error: ${e}`),
      ...(r.nondeterminism === undefined ? [] : [`nondeterminism: ${r.nondeterminism}`]),
    ];
    return `<li><strong>${escapeHtml(r.adapter)}</strong>: <span class="${
      r.ok ? "ok" : "failed"
    }">${r.ok ? "ok" : "FAILED"}</span> — ${
      escapeHtml(`${runCountsText(r)}, seed ${r.seed}, ${Math.round(r.durationMs)} ms`)
    }${
      notes.length === 0 ? "" : `<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    }</li>`;
  });
  const rows = ids.map(({ id, title: ruleTitle }) => {
    const cells = reports.map((report) => {
      const rule = report.rules.find((r) => r.id === id);
      if (rule === undefined) return "<td></td>";
      const detail = ruleDetail(rule);
      return `<td class="status-${rule.status}"${
        detail === "" ? "" : ` title="${escapeHtml(detail)}"`
      }>${escapeHtml(matrixCell(rule).replaceAll("\\|", "|"))}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(id)}</th><td>${escapeHtml(ruleTitle)}</td>${
      cells.join("")
    }</tr>`;
  });
  const legendHtml = statuses.length === 0
    ? ""
    : `<p class="legend">${escapeHtml(legend(statuses, "markdown"))}</p>`;
  const shown = shownCounterexamples(reports);
  const sections = shown.map((s, i) => {
    const c = s.counterexample;
    return `<section id="counterexample-${i + 1}">
<h3>${escapeHtml(`${s.adapter}: ${s.rule.id} ${s.rule.title}`)}</h3>
<p>${escapeHtml(`${statusLabel(s.status, "markdown")}, clause ${s.clause}: ${c.message}`)}</p>${
      s.reason === undefined ? "" : `\n<p>Known: ${escapeHtml(s.reason)}</p>`
    }
<pre class="mermaid">${escapeHtml(sequenceDiagram(c))}</pre>
<details><summary>Steps, ledger and replay</summary><pre>${
      escapeHtml(counterexampleLines(c, "").join("\n"))
    }</pre></details>
</section>`;
  });
  const diagramNote = script === undefined && shown.length > 0
    ? `<p class="diagram-note">Mermaid's script was not found when this page was written (install the mermaid package where the kit runs): each diagram is shown as its Mermaid source.</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<ul>
${summary.join("\n")}
</ul>
${legendHtml}
<h2>Matrix</h2>
<table>
<thead><tr><th>Rule</th><th>Title</th>${
    reports.map((r) => `<th>${escapeHtml(r.adapter)}</th>`).join("")
  }</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
${
    shown.length === 0
      ? ""
      : `<h2>Counterexamples</h2>\n${diagramNote}\n<p id="diagram-errors" class="failed" hidden></p>\n${
        sections.join("\n")
      }`
  }
${script === undefined || shown.length === 0 ? "" : `<script>${inlineScript(script)}</script>`}
<script>${DRAW}</script>
</body>
</html>
`;
}
