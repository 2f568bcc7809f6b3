import { clauseId, type Rule } from "../harness/rule.ts";

/**
 * Render the rule catalogue as Markdown (the content of RULES.md), from the
 * rules' own code, so documentation and checks cannot drift.
 *
 * @param rules The rules, in published order.
 * @returns Markdown text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderRulesMarkdown } from "./rules_md.ts";
 * import { RULES } from "../harness/rules/mod.ts";
 *
 * assert.match(renderRulesMarkdown(RULES), /## LIM-1 /);
 * assert.match(renderRulesMarkdown(RULES), /- `CLS-2.b` /);
 * ```
 */
export function renderRulesMarkdown(rules: readonly Rule[]): string {
  const parts = [
    "# Rules",
    "",
    "Generated from `src/harness/rules/` by `deno task rules`; do not edit by hand.",
    "A rule whose capabilities or policy condition a pool does not declare is reported",
    '"not applicable" for that pool, never passed.',
    "",
    "Each rule lists its clauses: the separate promises it checks, each with a stable id",
    "(`LIM-1.a`). A failure names the clause it broke, and an expectation file can list",
    "one clause as a known deviation without excusing the rule's other clauses.",
    "",
  ];
  for (const rule of rules) {
    parts.push(`## ${rule.id} ${rule.title}`, "", rule.rationale, "");
    parts.push("Clauses:", "");
    for (const [key, text] of Object.entries<string>(rule.clauses)) {
      parts.push(`- \`${clauseId(rule.id, key)}\` ${text}`);
    }
    parts.push("");
    parts.push(`- Source: ${rule.source}`);
    parts.push(
      `- Needs: ${
        rule.needs.length === 0
          ? "nothing beyond the adapter contract"
          : rule.needs.map((c) => `\`${c}\``).join(", ")
      }`,
    );
    if (rule.when !== undefined) parts.push(`- Applies when: ${rule.when.text}`);
    parts.push("");
  }
  return parts.join("\n");
}
