import assert from "node:assert/strict";
import { test } from "node:test";
import { holdFramesOff } from "./_stack_frames.ts";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { caseArbitrary } from "./check_pool.ts";
import { runCase } from "./run_case.ts";
import fc from "fast-check";

/** Whether this engine keeps a string `stack` for an error built with a limit of 0 (not Bun's). */
function cappable(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return typeof new Error("probe").stack === "string";
  } finally {
    Error.stackTraceLimit = limit;
  }
}

test("holdFramesOff() sets the limit to 0 and the last of overlapping holds puts it back", () => {
  const limit = Error.stackTraceLimit;
  const first = holdFramesOff();
  const second = holdFramesOff();
  if (cappable()) {
    assert.equal(Error.stackTraceLimit, 0);
    assert.equal(new Error("made during a hold").stack, "Error: made during a hold");
  }
  first();
  first();
  if (cappable()) assert.equal(Error.stackTraceLimit, 0);
  second();
  assert.equal(Error.stackTraceLimit, limit);
  assert.ok((new Error("after").stack ?? "").includes("\n"));
});

test("a run on virtual time leaves the stack trace limit alone", async () => {
  const limit = Error.stackTraceLimit;
  const [value] = fc.sample(caseArbitrary(referenceAdapter, 5), { seed: 1, numRuns: 1 });
  let during: number | undefined;
  await runCase(referenceAdapter, value!, {
    rules: [],
    inspect: () => (during = Error.stackTraceLimit),
  });
  assert.equal(during, limit);
  assert.equal(Error.stackTraceLimit, limit);
});

test("a run on global time captures no stack frames, and the limit is back after it", async () => {
  const { genericPoolAdapter } = await import("../../conformance/adapters/generic_pool.ts");
  const limit = Error.stackTraceLimit;
  const [value] = fc.sample(caseArbitrary(genericPoolAdapter, 5), { seed: 1, numRuns: 1 });
  let during: number | undefined;
  await runCase(genericPoolAdapter, value!, {
    rules: [],
    inspect: () => (during = Error.stackTraceLimit),
  });
  assert.equal(during, cappable() ? 0 : limit);
  assert.equal(Error.stackTraceLimit, limit);
});
