/**
 * The CLI as a checkout of the kit runs it: the bundled adapters by name,
 * their expectation files in `expectations/`, their corpus in `corpus/`,
 * and RULES.md to regenerate.
 *
 * @module
 */
import { currentRuntime, readExpectations } from "../src/cli/mod.ts";
import type { CliOptions } from "../src/cli/mod.ts";
import type { Expectations } from "../src/harness/check_pool.ts";
import { BUNDLED_ADAPTERS, DEFAULT_ADAPTERS } from "./adapters/mod.ts";

export { currentRuntime, loadAdapters, parseCli, UsageError } from "../src/cli/mod.ts";

/**
 * Folder of the bundled adapters' corpus: a saved case for every known
 * deviation with a reproduction, generated from the expectation files by
 * `deno task record` and replayed before each check explores.
 */
export const CORPUS_DIR: URL = new URL("./corpus/", import.meta.url);

/** Folder of the bundled adapters' expectation files. */
export const EXPECTATIONS_DIR: URL = new URL("./expectations/", import.meta.url);

/** How a checkout runs the CLI: bundled adapters, their expectations, RULES.md. */
export const CHECKOUT_CLI: CliOptions = {
  program: "deno task conformance",
  bundled: BUNDLED_ADAPTERS,
  defaults: DEFAULT_ADAPTERS,
  // Checked in a worker, loaded from their module by name. Node runs the
  // checkout's CLI as one esbuild bundle and imports no TypeScript: there
  // they are checked in-process (adapters given as modules still in a worker).
  ...(currentRuntime() === "node"
    ? {}
    : { bundledModule: new URL("./adapters/mod.ts", import.meta.url) }),
  bundledExpectations: EXPECTATIONS_DIR,
  bundledCorpus: CORPUS_DIR,
  rulesFile: new URL("../RULES.md", import.meta.url),
};

/**
 * Read a bundled adapter's expectation file (`expectations/<name>.json`), if
 * there is one; entries limited to other runtimes do not apply.
 *
 * @param name Adapter name.
 * @param directory Folder of the expectation files. @default {EXPECTATIONS_DIR}
 * @returns Rule id → reason or expectation.
 * @throws {UsageError} If the file exists but is malformed.
 */
export function loadExpectations(
  name: string,
  directory: URL = EXPECTATIONS_DIR,
): Promise<Expectations> {
  return readExpectations(new URL(`${name}.json`, directory), { missing: "empty" });
}
