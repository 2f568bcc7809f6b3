/**
 * Expectation files: the known deviations of one adapter, read from JSON and
 * checked entry by entry, so a malformed file is reported with what is wrong
 * and where.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { Expectation, Expectations } from "../harness/check_pool.ts";
import { expectationKeyProblem } from "../harness/expectations.ts";
import { RULES } from "../harness/rules/mod.ts";
import { scriptShapeProblem } from "../harness/script.ts";
import { UsageError } from "./usage_error.ts";

/** A runtime the kit runs on, and that an expectation can be limited to. */
export type Runtime = "deno" | "bun" | "node";

/** Every {@linkcode Runtime}. */
const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node"];

/**
 * The runtime this process runs on.
 *
 * @returns `"deno"`, `"bun"` or `"node"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentRuntime } from "./expectations_file.ts";
 *
 * assert.ok(["deno", "bun", "node"].includes(currentRuntime()));
 * ```
 */
export function currentRuntime(): Runtime {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

const ENTRY_FIELDS = ["reason", "seed", "path", "maxCommands", "script", "runtimes"];

/** What is wrong with one entry, or `undefined` when it is well formed. */
function entryProblem(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry.length > 0 ? undefined : "the reason is empty";
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return "must be a reason (a string) or an object { reason, seed, path, maxCommands, script, runtimes }";
  }
  const { reason, seed, path, maxCommands, script, runtimes } = entry as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((key) => !ENTRY_FIELDS.includes(key));
  if (unknown.length > 0) return `has unknown field ${unknown.map((k) => `'${k}'`).join(", ")}`;
  if (typeof reason !== "string" || reason.length === 0) return "needs a 'reason' string";
  const count = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);
  if (!count(seed)) return `'seed' must be an integer >= 0: current value is ${seed}`;
  if (path !== undefined && (typeof path !== "string" || !/^\d+(:\d+)*$/.test(path))) {
    return `'path' must look like 12:3:0: current value is ${JSON.stringify(path)}`;
  }
  if ((seed === undefined) !== (path === undefined)) return "'seed' and 'path' go together";
  if (!count(maxCommands) || maxCommands === 0) {
    return `'maxCommands' must be a positive integer: current value is ${maxCommands}`;
  }
  if (script !== undefined) {
    const problem = scriptShapeProblem(script);
    if (problem !== undefined) return problem;
  }
  if (
    runtimes !== undefined &&
    !(Array.isArray(runtimes) &&
      runtimes.every((r) => (RUNTIMES as readonly unknown[]).includes(r)))
  ) {
    return `'runtimes' must list some of ${RUNTIMES.join(", ")}: current value is ${
      JSON.stringify(runtimes)
    }`;
  }
  return undefined;
}

/**
 * Check and select the entries of an expectation file's content: each rule
 * id maps to a reason, or to a reason with the reproduction a failure
 * printed (`{ reason, seed, path, maxCommands? }`); an entry with `runtimes`
 * applies only on those runtimes.
 *
 * @param content The parsed JSON.
 * @param where Names the file in messages.
 * @param runtime The runtime whose entries apply. @default {the current one}
 * @returns Rule id → reason or expectation, for `runtime`.
 * @throws {UsageError} Naming the file, the entry and what is wrong with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExpectations } from "./expectations_file.ts";
 *
 * const rules = { "LSE-4": "accepts a second release", "ORD-1": { reason: "rare", runtimes: ["bun"] } };
 * assert.deepEqual(parseExpectations({ rules }, "x.json", "node"), { "LSE-4": "accepts a second release" });
 * assert.throws(() => parseExpectations({ rules: { "ORD-1": 7 } }, "x.json"), /x.json: 'rules.ORD-1'/);
 * ```
 */
export function parseExpectations(
  content: unknown,
  where: string,
  runtime: Runtime = currentRuntime(),
): Expectations {
  const rules = (content as { rules?: unknown } | null)?.rules;
  if (rules === null || typeof rules !== "object" || Array.isArray(rules)) {
    throw new UsageError(
      `Cannot read expectations ${where} as it must be { "rules": { "<rule id>": <reason or entry> } }`,
    );
  }
  const applying: Record<string, string | Expectation> = {};
  for (const [id, entry] of Object.entries(rules as Record<string, unknown>)) {
    const problem = expectationKeyProblem(id, RULES) ?? entryProblem(entry);
    if (problem !== undefined) {
      throw new UsageError(`Cannot read expectations ${where}: 'rules.${id}' ${problem}`);
    }
    if (typeof entry === "string") {
      applying[id] = entry;
      continue;
    }
    const { runtimes, ...expectation } = entry as Expectation & { runtimes?: Runtime[] };
    if (runtimes === undefined || runtimes.includes(runtime)) applying[id] = expectation;
  }
  return applying;
}

/**
 * Read an expectation file.
 *
 * @param file Its path or URL.
 * @param options `missing: "empty"` returns no expectations for a file that does not exist.
 * @returns The entries that apply on this runtime.
 * @throws {UsageError} If the file cannot be read (unless missing and allowed), is not JSON, or is malformed.
 */
export async function readExpectations(
  file: string | URL,
  options: { missing?: "error" | "empty" } = {},
): Promise<Expectations> {
  const where = file instanceof URL ? file.pathname : file;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" && options.missing === "empty") return {};
    throw new UsageError(`Cannot read expectations ${where}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Cannot read expectations ${where} as it is not JSON: ${(error as Error).message}`,
    );
  }
  return parseExpectations(parsed, where);
}
