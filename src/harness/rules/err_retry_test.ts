import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../../conformance/reference/adapter.ts";
import {
  kafkaPresetAdapter,
  referenceRetryAdapter,
} from "../../../conformance/reference/presets.ts";
import { RETRY_BUGS } from "../../../fixtures/broken/retry.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter } from "../adapter.ts";
import { AcquireCommand, AdvanceCommand, ConnectFaultCommand } from "../commands/mod.ts";
import { ruleApplies, RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import { err6 } from "./err_retry.ts";

const SETUP = setupOf({
  config: { reconnectBackoffMs: 10, reconnectBackoffMaxMs: 10 },
  connectLatencyMs: 1,
  kinds: ["refuse"],
  faults: true,
});

/** A refused connect under a waiting acquire, then time for the backoff to pass. */
const COMMANDS = [
  new ConnectFaultCommand("r0", "refuse"),
  new AcquireCommand("r0", false),
  new AdvanceCommand(1),
  new AdvanceCommand(20),
];

function play(adapter: Adapter): Promise<number> {
  return runCase(adapter, { setup: SETUP, commands: COMMANDS }, { rules: [err6] });
}

describe("ERR-6", () => {
  test("applies to a leasing pool that retries, not to one that rejects or multiplexes", () => {
    assert.equal(ruleApplies(err6, referenceRetryAdapter.supports), true);
    assert.equal(ruleApplies(err6, referenceAdapter.supports), false);
    assert.equal(ruleApplies(err6, kafkaPresetAdapter.supports), false);
  });

  test("a pool that declares it retries but rejects the waiter at a refused connect fails it", async () => {
    await assert.rejects(
      play(RETRY_BUGS[0]!.adapter),
      (error) => error instanceof RuleViolation && error.clause === "ERR-6.a" && error.step === 3,
    );
  });

  test("the reference pool that retries keeps the waiter and passes", async () => {
    await play(referenceRetryAdapter);
  });
});
