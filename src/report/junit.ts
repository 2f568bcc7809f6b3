import type { PoolReport, RuleResult } from "../harness/result.ts";
import { counterexampleLines } from "../harness/counterexample_text.ts";
import {
  endedEarlyText,
  inconclusiveText,
  knownClause,
  ruleDetail,
  runCounts,
  STATUS_NAMES,
  withClause,
} from "./statuses.ts";

/**
 * Text for XML: markup characters as character references, line breaks in
 * attributes kept (as references, so parsers do not fold them to spaces),
 * and the characters XML 1.0 forbids (control characters, lone surrogates)
 * replaced by U+FFFD, so an adapter's error message cannot make the file
 * unreadable.
 */
function escapeXml(text: string, attribute = false): string {
  return text
    .replace(
      // deno-lint-ignore no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    )
    .replace(attribute ? /[<>&"'\n\r\t]/g : /[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const attr = (text: string) => escapeXml(text, true);

function counterexampleText(rule: RuleResult): string {
  const c = rule.counterexample;
  return c === undefined ? "" : counterexampleLines(withClause(c, rule.id), "").join("\n");
}

/**
 * What a known failure's test case prints: its status, each known
 * deviation's clause and reason, and its counterexample.
 */
function knownText(rule: RuleResult): string {
  const known = rule.known ?? [];
  if (known.length === 0) {
    return [`${STATUS_NAMES["expected-fail"]}: ${ruleDetail(rule)}`, counterexampleText(rule)]
      .filter(Boolean).join("\n");
  }
  return known.map((k) =>
    [
      `${STATUS_NAMES["expected-fail"]}, clause ${knownClause(k, rule.id)}: ${k.reason}`,
      ...counterexampleLines(withClause(k.counterexample, rule.id), "  "),
    ].join("\n")
  ).join("\n\n");
}

/** A rule's test case: its element and what it adds to the suite's counts. */
function testCase(adapter: string, rule: RuleResult): { xml: string; kind: string } {
  const open = `    <testcase classname="${attr(adapter)}" name="${
    attr(`${rule.id} ${rule.title}`)
  }">`;
  const close = `\n    </testcase>`;
  const name = STATUS_NAMES[rule.status];
  switch (rule.status) {
    case "fail": {
      const c = rule.counterexample;
      const message = c === undefined
        ? `${name}: ${ruleDetail(rule)}`
        : `${name}, clause ${withClause(c, rule.id).clause}: ${c.message}`;
      return {
        xml: `${open}\n      <failure type="${attr(name)}" message="${attr(message)}">${
          escapeXml(counterexampleText(rule))
        }</failure>${close}`,
        kind: "failure",
      };
    }
    case "unexpected-pass":
      return {
        xml: `${open}\n      <failure type="${attr(name)}" message="${
          attr(`${name}: ${ruleDetail(rule)}`)
        }">${
          escapeXml(
            "The expectation file lists this rule as failing, but this check did not find the failure and its recorded reproduction (if any) no longer fails: remove or update the entry.",
          )
        }</failure>${close}`,
        kind: "failure",
      };
    case "not-verified":
      // The check stopped before judging the rule (its budget ran out, or the adapter threw
      // outside any rule): an error, as JUnit means it, since the report is not ok either.
      return {
        xml: `${open}\n      <error type="${attr(name)}" message="${
          attr(`${name}: ${ruleDetail(rule)}`)
        }"/>${close}`,
        kind: "error",
      };
    case "not-applicable":
      // The Jenkins schema (junit-4.xsd) gives <skipped> text content and no attributes; Jenkins
      // shows that text as the skip message when there is no message attribute, and GitLab shows
      // the element's text. The status name leads it, so skips of other kinds cannot be confused.
      return {
        xml: `${open}\n      <skipped>${
          escapeXml(`${name}: ${ruleDetail(rule)}`)
        }</skipped>${close}`,
        kind: "skipped",
      };
    case "expected-fail":
      // A known failure is a passing test case, as the check's verdict on it is "behaves as
      // recorded" and the report stays ok: marking it skipped would hide it among rules that
      // were never judged, and every reporter counts skips apart from passes. Its clause, reason
      // and counterexample go to the case's own <system-out>, which Jenkins shows on the test's
      // page and GitLab keeps with the case (the form the Jenkins xUnit plugin gives an XFAIL).
      // The case's name stays the rule's, so its history follows it across statuses.
      return {
        xml: `${open}\n      <system-out>${escapeXml(knownText(rule))}</system-out>${close}`,
        kind: "pass",
      };
    default:
      return { xml: `${open.slice(0, -1)}/>`, kind: "pass" };
  }
}

/**
 * Render reports as JUnit XML that CI test reporters read as the CLI
 * judges: one test suite per adapter, one test case per rule, valid against
 * the Jenkins JUnit schema.
 *
 * - fail: a `<failure>` whose message names the clause, with the
 *   counterexample (setup, steps, ledger, replay line) as its text;
 * - unexpected pass: a `<failure>`, since the expectation is out of date;
 * - not verified: an `<error>` (checking stopped before the rule was judged);
 * - not applicable: `<skipped>`, its text starting with "not applicable:";
 * - known failure: a passing case whose `<system-out>` gives the clause, the
 *   reason and the counterexample;
 * - pass: an empty case.
 *
 * Errors that are not rule violations, and nondeterminism, add a test case
 * `check` with an `<error>` (or a `<failure>`), so a report that is not ok
 * never reads as green. The suite's `<properties>` give the seed and each
 * count by its name (`random runs`, `shrink runs`, `shrink steps`, `corpus
 * replays` when the check had a corpus, `commands`, and the runs without a
 * verdict or ended early when there were any), and its `<system-out>` the
 * runs without a verdict and the runs that ended early.
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
 *   rules: [
 *     { id: "LIM-1", title: "a < b", status: "unexpected-pass", reason: "LIM-1: listed" },
 *     { id: "STA-1", title: "stats", status: "not-applicable", reason: "needs capability 'stats'" },
 *   ] }]);
 * assert.match(xml, /<failure type="unexpected pass" message="unexpected pass: LIM-1: listed">/);
 * assert.match(xml, /<skipped>not applicable: needs capability 'stats'<\/skipped>/);
 * assert.match(xml, /a &#60; b/);
 * ```
 */
export function renderJunit(reports: readonly PoolReport[]): string {
  let total = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  const suites = reports.map((report) => {
    const cases = report.rules.map((rule) => testCase(report.adapter, rule));
    const problems = [
      ...report.errors,
      ...(report.nondeterminism === undefined ? [] : [report.nondeterminism]),
    ];
    if (report.errors.length > 0) {
      cases.push({
        xml: `    <testcase classname="${
          attr(report.adapter)
        }" name="check">\n      <error type="error" message="${
          attr(report.errors[0]!.split("\n")[0]!)
        }">${escapeXml(report.errors.join("\n"))}</error>\n    </testcase>`,
        kind: "error",
      });
    } else if (report.nondeterminism !== undefined) {
      cases.push({
        xml: `    <testcase classname="${
          attr(report.adapter)
        }" name="check">\n      <failure type="nondeterminism" message="${
          attr(report.nondeterminism.split("\n")[0]!)
        }">${escapeXml(report.nondeterminism)}</failure>\n    </testcase>`,
        kind: "failure",
      });
    }
    const failures = cases.filter((c) => c.kind === "failure").length;
    const errors = cases.filter((c) => c.kind === "error").length;
    const skipped = cases.filter((c) => c.kind === "skipped").length;
    total += cases.length;
    totalFailures += failures;
    totalErrors += errors;
    const properties = [
      ["seed", String(report.seed)],
      ...runCounts(report).map(([name, n]) => [name, String(n)]),
      ...(report.inconclusive === undefined
        ? []
        : [[STATUS_NAMES.inconclusive, String(report.inconclusive.runs)]]),
      ...(report.endedEarly === undefined
        ? []
        : [[STATUS_NAMES["ended-early"], String(report.endedEarly)]]),
    ].map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`);
    const notes = [
      ...(report.inconclusive === undefined ? [] : [inconclusiveText(
        report.inconclusive.runs,
        report.inconclusive.reasons,
        report.inconclusive.replay,
      )]),
      ...(report.endedEarly === undefined ? [] : [endedEarlyText(report.endedEarly)]),
    ];
    const out = notes.length === 0
      ? ""
      : `\n    <system-out>${escapeXml(notes.join("\n"))}</system-out>`;
    const err = problems.length === 0
      ? ""
      : `\n    <system-err>${escapeXml(problems.join("\n"))}</system-err>`;
    return `  <testsuite name="${
      attr(report.adapter)
    }" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${
      (report.durationMs / 1000).toFixed(3)
    }">\n    <properties>\n${properties.join("\n")}\n    </properties>\n${
      cases.map((c) => c.xml).join("\n")
    }${out}${err}\n  </testsuite>`;
  });
  const time = reports.reduce((sum, r) => sum + r.durationMs, 0) / 1000;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="poolcheck" tests="${total}" failures="${totalFailures}" errors="${totalErrors}" time="${
    time.toFixed(3)
  }">\n${suites.join("\n")}\n</testsuites>\n`;
}
