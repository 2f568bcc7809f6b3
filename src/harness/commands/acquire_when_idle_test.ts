import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referenceAdapter } from "../../../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../../../fixtures/broken/mod.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter } from "../adapter.ts";
import { RuleViolation } from "../rule.ts";
import { RULES } from "../rules/mod.ts";
import { runCase } from "../run_case.ts";
import type { RunSetup } from "../run_view.ts";
import {
  AcquireCommand,
  AcquireWhenIdleCommand,
  commandArbitraries,
  ReleaseCommand,
  type RunCommand,
} from "./mod.ts";

const SETUP = setupOf({ config: { defaultKeepAliveMs: 100 } });

async function play(
  adapter: Adapter,
  commands: RunCommand[],
  setup: RunSetup = SETUP,
  rules = RULES,
): Promise<string[]> {
  let lines: string[] = [];
  await runCase(adapter, { setup, commands }, {
    rules,
    trace: true,
    inspect: (run) => (lines = run.lines),
  });
  return lines;
}

function drawsWhenIdle(setup: RunSetup): boolean {
  const commands = fc.sample(fc.oneof(...commandArbitraries(referenceAdapter.supports, setup)), {
    seed: 7,
    numRuns: 2_000,
  });
  return commands.some((command) => command instanceof AcquireWhenIdleCommand);
}

describe("AcquireWhenIdleCommand", () => {
  test("it lets an idle connection reach three quarters of its keep-alive, then acquires and reuses it", async () => {
    const lines = await play(referenceAdapter, [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, true),
      new AcquireWhenIdleCommand("r0", false),
    ]);
    assert.match(
      lines[3]!,
      /^3\. t=0 advance to t=75 \(socket #1, idle since t=0, 3\/4 of its keep-alive of 100 ms\)$/,
    );
    assert.deepEqual(lines.slice(4, 6), [
      "   then t=75 acquire #2 r0",
      "   ↳ t=75 acquire #2 got socket #1",
    ]);
  });

  test("with no idle connection it acquires at once", async () => {
    const lines = await play(referenceAdapter, [new AcquireWhenIdleCommand("r0", false)]);
    assert.match(lines[0]!, /^1\. t=0 acquire #1 r0$/);
    assert.equal(
      String(new AcquireWhenIdleCommand("r0", true)),
      'acquire("r0", timed) when the last idle is 3/4 through its keep-alive',
    );
  });

  test("a pool that halves the keep-alive fails EXP-7 at that lease", async () => {
    const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-keep-alive-early")!;
    const commands = [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, true),
      new AcquireWhenIdleCommand("r0", false),
    ];
    const exp7 = RULES.filter((rule) => rule.id === "EXP-7");
    await assert.rejects(
      play(broken.adapter, commands, SETUP, exp7),
      (error) => error instanceof RuleViolation && error.clause === "EXP-7.a" && error.step === 3,
    );
    await play(referenceAdapter, commands, SETUP, exp7);
  });

  test("it is drawn only in runs whose connections may have a keep-alive", () => {
    assert.equal(drawsWhenIdle(SETUP), true);
    assert.equal(drawsWhenIdle(setupOf({ keepAliveHintMs: 50 })), true);
    assert.equal(drawsWhenIdle(setupOf()), false);
  });
});
