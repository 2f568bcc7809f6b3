/**
 * Every bundled adapter, checked by the kit with the default profile under
 * whichever runner runs this file (`deno test` or `bun test`), against its
 * expectation file (entries limited to other runtimes do not apply).
 */
import { test } from "node:test";
import { assertConformant } from "../src/harness/conformance.ts";
import { checkPool } from "../src/harness/check_pool.ts";
import { loadExpectations } from "./_cli.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

/** Checks run many cases: a timeout of their own, so no runner's default (Bun's 5 s) cuts one off on a busy machine. */
const LONG = { timeout: 300_000 };

for (const adapter of BUNDLED_ADAPTERS) {
  test(`${adapter.name} matches its expectations (default profile, seed 1)`, LONG, async () => {
    const expectations = await loadExpectations(adapter.name);
    assertConformant(await checkPool(adapter, { seed: 1, expectations }));
  });
}
