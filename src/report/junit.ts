import type { PoolReport, RuleStatus } from "../harness/result.ts";
import { setupLine } from "../harness/setup_line.ts";
import { endedEarlyText } from "./text.ts";

const SKIPPED: ReadonlySet<RuleStatus> = new Set<RuleStatus>([
  "not-applicable",
  "not-verified",
  "expected-fail",
]);

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Render reports as JUnit XML: one test suite per adapter, one test case per
 * rule; failures carry the counterexample (with its drawn setup),
 * not-applicable, not-verified and expected failures are skipped, an
 * unexpected pass is a failure. Runs without a verdict go to the suite's
 * `system-out`.
 *
 * @param reports One report per adapter.
 * @returns XML text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderJunit } from "./junit.ts";
 *
 * const xml = renderJunit([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, errors: [], ok: false,
 *   rules: [{ id: "LIM-1", title: "a < b", status: "fail" }] }]);
 * assert.match(xml, /<failure/);
 * assert.match(xml, /a &#60; b/);
 * ```
 */
export function renderJunit(reports: readonly PoolReport[]): string {
  const suites = reports.map((report) => {
    const failures = report.rules.filter((r) =>
      r.status === "fail" || r.status === "unexpected-pass"
    ).length;
    const skipped = report.rules.filter((r) => SKIPPED.has(r.status)).length;
    const cases = report.rules.map((rule) => {
      const open = `    <testcase classname="${escapeXml(report.adapter)}" name="${
        escapeXml(`${rule.id} ${rule.title}`)
      }">`;
      const c = rule.counterexample;
      if (rule.status === "fail") {
        const body = c === undefined
          ? ""
          : [`setup: ${setupLine(c.setup)}`, ...c.steps, `replay: ${c.replay}`].join("\n");
        return `${open}\n      <failure message="${escapeXml(c?.message ?? "failed")}">${
          escapeXml(body)
        }</failure>\n    </testcase>`;
      }
      if (rule.status === "unexpected-pass") {
        return `${open}\n      <failure message="${
          escapeXml(`passed but expected to fail: ${rule.reason}`)
        }"/>\n    </testcase>`;
      }
      if (SKIPPED.has(rule.status)) {
        return `${open}\n      <skipped message="${
          escapeXml(`${rule.status}: ${rule.reason ?? ""}`)
        }"/>\n    </testcase>`;
      }
      return `${open}</testcase>`;
    });
    const time = (report.durationMs / 1000).toFixed(3);
    const notes = [
      ...(report.inconclusive === undefined ? [] : [
        `${report.inconclusive.runs} runs ended without a verdict: ${
          report.inconclusive.reasons.join("; ")
        }`,
      ]),
      ...(report.endedEarly === undefined ? [] : [endedEarlyText(report.endedEarly)]),
    ];
    const out = notes.length === 0
      ? ""
      : `\n    <system-out>${escapeXml(notes.join("\n"))}</system-out>`;
    return `  <testsuite name="${
      escapeXml(report.adapter)
    }" tests="${report.rules.length}" failures="${failures}" errors="${report.errors.length}" skipped="${skipped}" time="${time}">\n${
      cases.join("\n")
    }${out}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${
    suites.join("\n")
  }\n</testsuites>\n`;
}
