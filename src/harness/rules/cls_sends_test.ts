import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Supports } from "../adapter.ts";
import type { CallerEvent, SendRecord } from "../observations.ts";
import type { RunView } from "../run_view.ts";
import { REFERENCE_MULTIPLEXED_SUPPORTS } from "../../../conformance/reference/adapter.ts";
import { ruleApplies } from "../rule.ts";
import { cls1 } from "./cls.ts";

/** A send of `seq` on r0. */
function sendOf(seq: number, status: SendRecord["status"] = "pending"): SendRecord {
  return { seq, route: "r0", startedAt: 0, startSeq: 0, status, socketId: 1 };
}

/** CLS-1 for a multiplexed pool declaring `closeSends`, fed one step of caller events. */
function judge(
  closeSends: "reject" | "drain",
  sends: SendRecord[],
  callers: CallerEvent[],
) {
  const supports: Supports = {
    ...REFERENCE_MULTIPLEXED_SUPPORTS,
    policies: { ...REFERENCE_MULTIPLEXED_SUPPORTS.policies, closeSends },
  };
  const run = { supports, sends, acquires: [], closeSeq: 0, closeStep: 1 } as unknown as RunView;
  const checker = cls1.start(run);
  const context = { run, ledger: [], callers };
  return { step: checker.step?.(context), closed: checker.closed?.(context) };
}

const started = (s: SendRecord) => ({ kind: "send-started", send: s }) as CallerEvent;
const resolved = (s: SendRecord) => ({ kind: "send-resolved", send: s }) as CallerEvent;
const rejected = (s: SendRecord) => ({ kind: "send-rejected", send: s }) as CallerEvent;
const closeStarted = { kind: "close-started", t: 0, seq: 0 } as CallerEvent;
const closeResolved = { kind: "close-resolved", t: 0, seq: 0, live: 0 } as CallerEvent;

describe("CLS-1 over the sends of a multiplexed pool (policies.closeSends)", () => {
  test("it applies to a multiplexed pool that declares closeSends, even one that drains waiters", () => {
    const drains: Supports = {
      ...REFERENCE_MULTIPLEXED_SUPPORTS,
      policies: { ...REFERENCE_MULTIPLEXED_SUPPORTS.policies, closeWaiters: "drain" },
    };
    assert.equal(ruleApplies(cls1, drains), true);
    const { closeSends: _, ...policies } = drains.policies;
    assert.equal(ruleApplies(cls1, { ...drains, policies }), false);
  });

  test("CLS-1.c: a send made after close() and answered breaks it, one made before does not", () => {
    const [a, b] = [sendOf(1, "resolved"), sendOf(2, "resolved")];
    const after = judge("drain", [a, b], [
      started(a),
      closeStarted,
      started(b),
      resolved(a),
      resolved(b),
    ]);
    assert.equal(after.step?.clause, "c");
    assert.equal(after.step?.detail, "send #2 (r0), made after close(), was answered on socket #1");
    const before = judge("drain", [a, b], [
      started(a),
      started(b),
      closeStarted,
      resolved(a),
      resolved(b),
    ]);
    assert.equal(before.step, undefined);
  });

  test("CLS-1.d: with reject, a send pending at close() must not stay pending", () => {
    const a = sendOf(1);
    assert.equal(judge("reject", [a], [started(a), closeStarted]).step?.clause, "d");
    assert.equal(judge("drain", [a], [started(a), closeStarted]).step, undefined);
    const failed = sendOf(1, "rejected");
    assert.equal(
      judge("reject", [failed], [started(failed), closeStarted, rejected(failed)]).step,
      undefined,
    );
  });

  test("CLS-1.d: a send made after close() may be pending in its step, not once the pool is closed", () => {
    const b = sendOf(1);
    const verdict = judge("reject", [b], [closeStarted, started(b)]);
    assert.equal(verdict.step, undefined);
    assert.equal(verdict.closed?.clause, "d");
  });

  test("CLS-1.e: with drain, close() resolves only once the sends made before it settled", () => {
    const [a, b] = [sendOf(1, "resolved"), sendOf(2, "resolved")];
    const early = judge("drain", [a, b], [
      started(a),
      started(b),
      closeStarted,
      resolved(a),
      closeResolved,
      resolved(b),
    ]);
    assert.equal(early.step?.clause, "e");
    assert.equal(
      early.step?.detail,
      "close() resolved at t=0 with send #2 (r0), made before it, not settled",
    );
    const drained = judge("drain", [a, b], [
      started(a),
      started(b),
      closeStarted,
      resolved(a),
      resolved(b),
      closeResolved,
    ]);
    assert.equal(drained.step, undefined);
    // A pool that rejects is not held to draining.
    assert.equal(
      judge("reject", [a], [started(a), closeStarted, closeResolved, rejected(a)]).step,
      undefined,
    );
  });
});
