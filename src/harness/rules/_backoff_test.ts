import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LedgerEvent } from "../../net/types.ts";
import type { BackoffPolicy, Supports } from "../adapter.ts";
import type { RunView } from "../run_view.ts";
import { REFERENCE_SUPPORTS } from "../../../conformance/reference/adapter.ts";
import { reconnectBackoffMs } from "../../pool/backoff.ts";
import type { SendRecord } from "../observations.ts";
import { allowedWait, judgeSendWaits } from "./_operation_backoff.ts";
import {
  backoffPolicy,
  compoundingBackoff,
  KAFKA_BACKOFF_POLICY,
  longestBackoff,
  shortestBackoff,
} from "./_backoff.ts";
import { tmo3 } from "./tmo.ts";

describe("declared backoff bounds", () => {
  test("Kafka's policy gives the bounds of the reference pool's formula, draws at both ends", () => {
    for (const [base, max] of [[1, 1], [3, 7], [4, 100], [10, 200], [40, 200], [7, 3], [40, 41]]) {
      for (let failures = 1; failures <= 9; failures++) {
        const low = reconnectBackoffMs(base!, max!, failures, () => 0);
        const high = reconnectBackoffMs(base!, max!, failures, () => 1 - 2 ** -53);
        const at = `base ${base}, max ${max}, failure ${failures}`;
        assert.equal(shortestBackoff(base!, max!, failures, KAFKA_BACKOFF_POLICY), low, at);
        assert.ok(longestBackoff(base!, max!, failures, KAFKA_BACKOFF_POLICY) >= high, at);
        assert.ok(longestBackoff(base!, max!, failures, KAFKA_BACKOFF_POLICY) <= high + 1, at);
      }
    }
  });

  test("the multiplier sets the growth, the jitter both bounds, the cap both", () => {
    const policy: BackoffPolicy = { multiplier: 3, jitter: 0.1 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => shortestBackoff(100, 2_000, n, policy)),
      [90, 270, 810, 1_800, 1_800],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => longestBackoff(100, 2_000, n, policy)),
      [110, 330, 990, 2_000, 2_000],
    );
  });

  test("multiplier 1 is a constant delay; jitter 0 an exact one", () => {
    const constant: BackoffPolicy = { multiplier: 1, jitter: 0 };
    assert.deepEqual([1, 5, 50].map((n) => shortestBackoff(30, 1_000, n, constant)), [30, 30, 30]);
    assert.deepEqual([1, 5, 50].map((n) => longestBackoff(30, 1_000, n, constant)), [30, 30, 30]);
  });

  test("kafkajs's retry defaults (300 ms, ×2, factor 0.2, 30 s): its first wait is within [240, 360]", () => {
    const kafkajs: BackoffPolicy = { multiplier: 2, jitter: 0.2 };
    assert.equal(shortestBackoff(300, 30_000, 1, kafkajs), 240);
    assert.equal(longestBackoff(300, 30_000, 1, kafkajs), 360);
    assert.equal(longestBackoff(300, 30_000, 12, kafkajs), 30_000);
  });

  test("a pool that declares no policy is held to Kafka's", () => {
    assert.equal(backoffPolicy(REFERENCE_SUPPORTS), KAFKA_BACKOFF_POLICY);
    const declared: BackoffPolicy = { multiplier: 3, jitter: 0 };
    const supports: Supports = {
      ...REFERENCE_SUPPORTS,
      policies: { ...REFERENCE_SUPPORTS.policies, backoff: declared },
    };
    assert.equal(backoffPolicy(supports), declared);
  });
});

describe("TMO-3.a against a declared policy", () => {
  /** Refusals at t=0 and t=10, then a connect at `at`. */
  const ledger = (at: number) =>
    [
      { seq: 1, t: 0, type: "ConnectionCreated", socketId: 1, route: "r0" },
      { seq: 2, t: 0, type: "ConnectionClosed", socketId: 1, route: "r0", reason: "refused" },
      { seq: 3, t: 10, type: "ConnectionCreated", socketId: 2, route: "r0" },
      { seq: 4, t: 10, type: "ConnectionClosed", socketId: 2, route: "r0", reason: "refused" },
      { seq: 5, t: at, type: "ConnectionCreated", socketId: 3, route: "r0" },
    ] as LedgerEvent[];
  const judge = (policy: BackoffPolicy | undefined, at: number) => {
    const run = {
      supports: {
        ...REFERENCE_SUPPORTS,
        policies: { ...REFERENCE_SUPPORTS.policies, ...(policy ? { backoff: policy } : {}) },
      },
      setup: { config: { reconnectBackoffMs: 10, reconnectBackoffMaxMs: 1_000 } },
      now: () => at,
      closeSeq: 1,
    } as unknown as RunView;
    return tmo3.start(run).step?.({ run, ledger: ledger(at), callers: [] });
  };

  test("after a second failure Kafka's policy waits at least 16 ms, a ×3 policy 24 ms", () => {
    assert.equal(judge(undefined, 26), undefined);
    assert.equal(judge(undefined, 25)?.clause, "a");
    assert.equal(judge({ multiplier: 3, jitter: 0.2 }, 34), undefined);
    const breach = judge({ multiplier: 3, jitter: 0.2 }, 33);
    assert.equal(breach?.clause, "a");
    assert.match(
      breach!.detail,
      /23 ms after failure 2 at t=10; the backoff allows no earlier than 24 ms/,
    );
  });

  test("a wider jitter allows an earlier connect", () => {
    assert.equal(judge({ multiplier: 2, jitter: 0.5 }, 20), undefined);
    assert.equal(judge({ multiplier: 2, jitter: 0.5 }, 19)?.clause, "a");
  });
});

describe("compounding backoff bounds (kafkajs's retrier)", () => {
  const kafkajs: BackoffPolicy = { multiplier: 2, jitter: 0.2, compounding: true };

  test("the extremes are kafkajs's waits with its draws pinned at either end", () => {
    // ceil(300 × 1.2) = 360, ceil(360 × 1.2) × 2 = 864, ceil(864 × 1.2) × 2 = 2074; at the
    // bottom 240, ceil(240 × 0.8) × 2 = 384, ceil(384 × 0.8) × 2 = 616.
    assert.deepEqual([1, 2, 3].map((n) => shortestBackoff(300, 30_000, n, kafkajs)), [
      240,
      384,
      616,
    ]);
    assert.deepEqual([1, 2, 3].map((n) => longestBackoff(300, 30_000, n, kafkajs)), [
      360,
      864,
      2074,
    ]);
  });

  test("each delay is bounded by the one before it, capped; the first is not capped", () => {
    assert.deepEqual(compoundingBackoff(300, 30_000, [250, 250], kafkajs), [400, 600]);
    assert.deepEqual(compoundingBackoff(300, 500, [250, 250], kafkajs), [400, 500]);
    assert.deepEqual(compoundingBackoff(300, 200, [250, 250], kafkajs), [200, 200]);
    assert.deepEqual(compoundingBackoff(300, 200, undefined, kafkajs), [240, 360]);
    assert.deepEqual(compoundingBackoff(0, 100, undefined, kafkajs), [0, 0]);
  });

  test("jitter 0 is exact; rounding up follows kafkajs's arithmetic", () => {
    const exact: BackoffPolicy = { multiplier: 3, jitter: 0, compounding: true };
    assert.deepEqual([1, 2, 3, 4].map((n) => shortestBackoff(7, 100, n, exact)), [7, 21, 63, 100]);
    assert.deepEqual([1, 2, 3, 4].map((n) => longestBackoff(7, 100, n, exact)), [7, 21, 63, 100]);
    // 7 × 0.8 is 5.6000000000000005 in kafkajs's `d − factor × d` too: rounded up, 6.
    assert.deepEqual(compoundingBackoff(7, 100, undefined, kafkajs), [6, 9]);
  });

  test("leaving compounding out keeps the bounds of the fresh-jitter formula", () => {
    const fresh: BackoffPolicy = { multiplier: 2, jitter: 0.2 };
    assert.deepEqual([1, 2, 3].map((n) => shortestBackoff(300, 30_000, n, fresh)), [240, 480, 960]);
    assert.deepEqual([1, 2, 3].map((n) => longestBackoff(300, 30_000, n, fresh)), [360, 720, 1440]);
  });
});

describe("TMO-3 with scope operation: the waits between a send's attempts", () => {
  const policy: BackoffPolicy = {
    multiplier: 2,
    jitter: 0.2,
    compounding: true,
    scope: "operation",
  };
  const backoff = { initial: 100, max: 1_000, policy, tolerance: 0 };
  /** A send whose attempts started and failed at the given times. */
  const sendWith = (attempts: [number, number?][], status: SendRecord["status"] = "pending") =>
    ({
      seq: 1,
      route: "r0",
      startedAt: 0,
      startSeq: 0,
      status,
      attempts: attempts.map(([startedAt, failedAt]) =>
        failedAt === undefined ? { startedAt } : { startedAt, failedAt }
      ),
    }) as SendRecord;
  const judge = (attempts: [number, number?][], now: number, status?: SendRecord["status"]) =>
    judgeSendWaits(sendWith(attempts, status), backoff, 1, now, true);

  test("the first wait lies in the jittered initial delay, the next within the one before it", () => {
    assert.equal(judge([[0, 5], [85, 90]], 90), undefined);
    assert.equal(judge([[0, 5], [84, 90]], 90)?.clause, "a");
    assert.equal(judge([[0, 5], [125, 130]], 130), undefined);
    assert.equal(judge([[0, 5], [126, 130]], 130)?.clause, "b");
    // A first wait of 100 ms allows [160, 240] next; a 250 ms wait fits the envelope, not this.
    assert.equal(judge([[0, 5], [105, 110], [270, 270]], 270), undefined);
    assert.equal(judge([[0, 5], [105, 110], [350, 350]], 350), undefined);
    assert.equal(judge([[0, 5], [105, 110], [269, 270]], 270)?.clause, "a");
    const late = judge([[0, 5], [105, 110], [360, 370]], 370);
    assert.equal(late?.clause, "b");
    assert.equal(
      late?.detail,
      "send #1 (r0): attempt 3 started at t=360, 250 ms after attempt 2 failed at t=110; the backoff allows at most 240 ms",
    );
  });

  test("a pending send whose attempt failed is owed the next within the longest wait", () => {
    assert.equal(judge([[0, 5]], 125), undefined);
    const owed = judge([[0, 5]], 126);
    assert.equal(owed?.clause, "b");
    assert.match(
      owed!.detail,
      /still pending at t=126 with no attempt after attempt 1 failed at t=5/,
    );
    assert.equal(judge([[0, 5]], 126, "rejected"), undefined);
    assert.equal(judgeSendWaits(sendWith([[0, 5]]), backoff, 1, 500, false), undefined);
  });

  test("an attempt that starts before the one before it failed waits nothing", () => {
    assert.equal(judge([[0], [10, 12]], 12)?.clause, "a");
  });

  test("a fresh-jitter policy bounds each wait by the failure count alone", () => {
    const fresh = {
      ...backoff,
      policy: { multiplier: 2, jitter: 0.2, scope: "operation" as const },
    };
    assert.deepEqual(allowedWait(fresh, 2, 120), [160, 240]);
    assert.deepEqual(allowedWait(backoff, 2, 120), [192, 288]);
    assert.deepEqual(allowedWait({ ...backoff, tolerance: 5 }, 2, 120), [184, 300]);
  });
});
