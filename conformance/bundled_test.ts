/**
 * Every bundled adapter, checked by the kit with the default profile under
 * whichever runner runs this file (`deno test` or `bun test`), against its
 * expectation file (entries limited to other runtimes do not apply), its
 * bundled corpus replayed first as the conformance job does.
 */
import { test } from "node:test";
import { readCorpus } from "../src/cli/corpus.ts";
import { assertConformant } from "../src/harness/conformance.ts";
import { checkPool } from "../src/harness/check_pool.ts";
import { CORPUS_DIR, loadExpectations } from "./_cli.ts";
import { BUNDLED_ADAPTERS } from "./adapters/mod.ts";

/**
 * Checks run many cases: a timeout of their own, so no runner's default (Bun's
 * 5 s) cuts one off on a busy machine, and a real-time budget four times the
 * default, so the same runs are made however slow the machine (a check cut
 * short by its budget is not ok).
 */
const LONG = { timeout: 600_000 };
const BUDGET_MS = 240_000;

for (const adapter of BUNDLED_ADAPTERS) {
  test(`${adapter.name} matches its expectations (default profile, seed 1)`, LONG, async () => {
    const expectations = await loadExpectations(adapter.name);
    const { cases: corpus } = await readCorpus(CORPUS_DIR, adapter.name);
    assertConformant(
      await checkPool(adapter, { seed: 1, expectations, corpus, budgetMs: BUDGET_MS }),
    );
  });
}
