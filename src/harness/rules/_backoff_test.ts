import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LedgerEvent } from "../../net/types.ts";
import type { BackoffPolicy, Supports } from "../adapter.ts";
import type { RunView } from "../run_view.ts";
import { REFERENCE_SUPPORTS } from "../../../conformance/reference/adapter.ts";
import { reconnectBackoffMs } from "../../pool/backoff.ts";
import {
  backoffPolicy,
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
