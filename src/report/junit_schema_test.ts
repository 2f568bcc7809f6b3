// The JUnit XML is valid against the JUnit schema of Jenkins (vendored in
// testdata/jenkins-junit.xsd, with its MIT license), checked by libxml2
// itself, compiled to WebAssembly (the libxml2-wasm npm package: no native
// build, the same under Deno, Bun and Node).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { XmlDocument, XmlValidateError, XsdValidator } from "libxml2-wasm";
import { renderJunit } from "./mod.ts";
import { FAILING, KNOWN, ODD } from "./testdata/sample_reports.ts";
import type { PoolReport } from "../harness/result.ts";
import { checkPool } from "../harness/check_pool.ts";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";

const schema = XmlDocument.fromString(
  readFileSync(new URL("./testdata/jenkins-junit.xsd", import.meta.url), "utf8"),
);
const validator = XsdValidator.fromDoc(schema);
after(() => {
  validator.dispose();
  schema.dispose();
});

/** The schema's complaints about a document, or an empty list when it is valid. */
function complaints(xml: string): string[] {
  const doc = XmlDocument.fromString(xml);
  try {
    validator.validate(doc);
    return [];
  } catch (error) {
    if (!(error instanceof XmlValidateError)) throw error;
    return error.details.map((d) => `line ${d.line}: ${d.message.trim()}`);
  } finally {
    doc.dispose();
  }
}

describe("JUnit XML against the Jenkins JUnit schema", () => {
  test("the schema rejects what it does not define (the check can fail)", () => {
    assert.notDeepEqual(
      complaints(
        '<testsuites><testsuite name="x" tests="1"><testcase name="y"><skipped message="m"/></testcase></testsuite></testsuites>',
      ),
      [],
    );
  });

  const cases: [string, readonly PoolReport[]][] = [
    ["no report", []],
    ["a report that is not ok: failure, unexpected pass, not applicable, not verified, errors", [
      FAILING,
    ]],
    ["known failures, runs without a verdict, runs ended early, and markup in names", [KNOWN]],
    ["nondeterminism and a control character", [ODD]],
    ["all of them in one file", [FAILING, KNOWN, ODD]],
  ];
  for (const [what, reports] of cases) {
    test(`valid: ${what}`, () => {
      assert.deepEqual(complaints(renderJunit(reports)), []);
    });
  }

  test(
    "valid: real checks of broken pools, with their counterexamples",
    { timeout: 120_000 },
    async () => {
      const reports = [];
      for (const broken of BROKEN_POOLS.slice(0, 4)) {
        reports.push(await checkPool(broken.adapter, { seed: 20_251_121, rules: [broken.rule] }));
      }
      const xml = renderJunit(reports);
      assert.match(xml, /<failure type="fail"/);
      assert.deepEqual(complaints(xml), []);
    },
  );
});
