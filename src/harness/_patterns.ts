/**
 * Regular expressions built from text at run time (an option's name, a value
 * as printed), kept once built: the rules that read error messages ask for
 * the same few again in every run. Kept, CFG-1's three questions about one
 * message took 1.1 to 1.4 µs; built anew each time, 1.3 to 2.3 µs.
 *
 * @module
 */

/** Built expressions by flags and source; cleared when full (names and values are few). */
const built = new Map<string, RegExp>();
const MOST = 512;

/**
 * The expression of `source` with `flags`, built once. Shared: use a global
 * one only where its `lastIndex` does not matter (`String.prototype.replace`
 * starts from 0 and leaves it at 0), never with `test` or `exec`.
 *
 * @param source The expression's source.
 * @param flags Its flags.
 * @returns The expression.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pattern } from "./_patterns.ts";
 *
 * assert.equal(pattern("a+", "g"), pattern("a+", "g"));
 * assert.equal("caab".replace(pattern("a+", "g"), "-"), "c-b");
 * ```
 */
export function pattern(source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let found = built.get(key);
  if (found === undefined) {
    if (built.size >= MOST) built.clear();
    found = new RegExp(source, flags);
    built.set(key, found);
  }
  return found;
}

/**
 * Text as an expression that matches it literally: every character with a
 * meaning in an expression escaped.
 *
 * @param text The text.
 * @returns The expression's source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { literal } from "./_patterns.ts";
 *
 * assert.equal(literal("opt.max"), "opt\\.max");
 * assert.ok(new RegExp(literal("a+b")).test("a+b"));
 * ```
 */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
