/**
 * Which exports of a module are adapters: the rule the CLI's `--adapter
 * <module>` and an isolated check's worker both apply.
 *
 * @module
 */
import { type Adapter, validateAdapter } from "./adapter.ts";

/** The adapters a module exports, and the exports that look like one but are not valid. */
export interface ModuleAdapters {
  /** Every export that is a valid adapter, once each, in export order. */
  readonly found: Adapter[];
  /** `export '<name>': <why it is invalid>` for each export that looks like an adapter. */
  readonly rejected: string[];
}

/**
 * Find the adapters among a module's exports. An export is an adapter when
 * it passes validation; one that fails it but has `create` or `supports` was
 * probably meant as one, and is listed with the reason.
 *
 * @param module The module's namespace (what `import()` returns).
 * @returns The adapters and the rejected candidates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adaptersIn } from "./adapter_exports.ts";
 * import * as reference from "../../conformance/reference/adapter.ts";
 *
 * const { found } = adaptersIn({ ...reference, broken: { name: "x", supports: {} } });
 * assert.deepEqual(found.map((a) => a.name), ["reference", "reference-multiplexed"]);
 * ```
 */
export function adaptersIn(module: Record<string, unknown>): ModuleAdapters {
  const found: Adapter[] = [];
  const rejected: string[] = [];
  for (const [name, value] of Object.entries(module)) {
    try {
      validateAdapter(value);
      if (!found.includes(value)) found.push(value);
    } catch (error) {
      const looksLikeOne = value !== null && typeof value === "object" &&
        ("create" in value || "supports" in value);
      if (looksLikeOne) rejected.push(`export '${name}': ${(error as Error).message}`);
    }
  }
  return { found, rejected };
}
