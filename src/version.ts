/**
 * The kit's version, as package.json and deno.json give it (a test keeps the
 * three in step). Saved regression cases record it, so a case saved by an
 * older kit can be told apart when its replay no longer fits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KIT_VERSION } from "./version.ts";
 *
 * assert.match(KIT_VERSION, /^\d+\.\d+\.\d+/);
 * ```
 *
 * @module
 */

/** The kit's version (semver). */
export const KIT_VERSION = "0.1.0";
