import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readableSteps } from "./_failure.ts";

describe("a counterexample's steps", () => {
  test("leave out steps that did nothing, number the rest again and mark the failing one", () => {
    const lines = [
      "1. t=0 acquire #1 r0",
      "   ↳ t=0 acquire #1 got socket #1",
      "2. release: nothing held",
      "3. t=0 advance to t=4 (a deadline of r0)",
      "   then t=4 acquire #2 r0",
      "   ↳ t=4 acquire #2 got socket #2",
      "4. reset: no socket",
      "   ↳ t=5 acquire #1 rejected (Error)",
      "5. t=5 close()",
    ];
    const { steps, step } = readableSteps(lines, new Set([2, 4]), 3, "LIM-1");
    assert.deepEqual(steps, [
      "1. t=0 acquire #1 r0",
      "   ↳ t=0 acquire #1 got socket #1",
      "2. t=0 advance to t=4 (a deadline of r0)   ← LIM-1 breaks in this step",
      "   then t=4 acquire #2 r0",
      "   ↳ t=4 acquire #2 got socket #2",
      "   ↳ t=5 acquire #1 rejected (Error)",
      "3. t=5 close()",
    ]);
    assert.equal(step, 2);
  });

  test("keep a step that did nothing when the rule broke in it", () => {
    const { steps, step } = readableSteps(
      ["1. a", "2. release: nothing held"],
      new Set([2]),
      2,
      "X",
    );
    assert.deepEqual(steps, ["1. a", "2. release: nothing held   ← X breaks in this step"]);
    assert.equal(step, 2);
  });
});
