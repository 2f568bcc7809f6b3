/**
 * The bounds of a declared reconnect backoff policy (TMO-3): the delay after
 * `failures` consecutive failures of a route is `initial × multiplier^(failures−1)`,
 * capped, times a jitter factor drawn in `[1 − jitter, 1 + jitter)`, floored
 * to whole ms and capped again, as Kafka's `ExponentialBackoff` computes it.
 * Left undeclared, the policy is Kafka's reconnect backoff: multiplier 2,
 * jitter 0.2.
 *
 * A compounding policy (`compounding: true`, kafkajs's retrier,
 * src/retry/index.js `createRetriable`) derives each delay from the one
 * before it instead: the first is the initial delay times a jitter factor,
 * rounded up and not capped; each next is the previous delay times a jitter
 * factor, rounded up, times the multiplier, capped. Its bounds after
 * `failures` failures, knowing nothing of the delays before, are those
 * extremes carried through every delay ({@linkcode compoundingBackoff}).
 *
 * @module
 */
import type { BackoffPolicy, Supports } from "../adapter.ts";

/** Kafka's reconnect backoff (`reconnect.backoff.ms` grows ×2, jitter ±20 %): the default policy. */
export const KAFKA_BACKOFF_POLICY: BackoffPolicy = Object.freeze({ multiplier: 2, jitter: 0.2 });

/**
 * The backoff policy a pool declares, or Kafka's when it declares none.
 *
 * @param supports The pool's declaration.
 * @returns Its multiplier and jitter.
 */
export function backoffPolicy(supports: Supports): BackoffPolicy {
  return supports.policies.backoff ?? KAFKA_BACKOFF_POLICY;
}

/**
 * `initial × multiplier^(failures−1)`, with the exponent capped where the
 * term reaches `max` (Kafka's `expMax`).
 */
function term(initial: number, max: number, failures: number, policy: BackoffPolicy): number {
  // log2(multiplier) is exactly 1 for Kafka's ×2: the same exponent as the reference pool's.
  const maxExponent = Math.log2(max / initial) / Math.log2(policy.multiplier);
  return initial * policy.multiplier ** Math.min(failures - 1, maxExponent);
}

/**
 * The shortest delay the policy allows after `failures` consecutive failures:
 * the term with the lowest jitter factor `1 − jitter`, floored to whole ms,
 * capped at `max`; `initial` when `max ≤ initial` (no growth, no jitter).
 *
 * @param initial The initial delay, ms (`reconnectBackoffMs`).
 * @param max The cap, ms (`reconnectBackoffMaxMs`).
 * @param failures Consecutive failures, from 1.
 * @param policy Multiplier and jitter.
 * @returns The delay, ms.
 *
 * @example Kafka's policy, base 10 ms, cap 100 ms
 * ```ts
 * import assert from "node:assert/strict";
 * import { KAFKA_BACKOFF_POLICY, shortestBackoff } from "./_backoff.ts";
 *
 * assert.deepEqual(
 *   [1, 2, 3, 4, 5].map((n) => shortestBackoff(10, 100, n, KAFKA_BACKOFF_POLICY)),
 *   [8, 16, 32, 64, 80],
 * );
 * ```
 */
export function shortestBackoff(
  initial: number,
  max: number,
  failures: number,
  policy: BackoffPolicy,
): number {
  if (policy.compounding === true) return compoundingEnvelope(initial, max, failures, policy)[0];
  if (initial === 0) return 0;
  if (max <= initial) return initial;
  return Math.min(Math.floor(term(initial, max, failures, policy) * (1 - policy.jitter)), max);
}

/**
 * The longest delay the policy allows after `failures` consecutive failures:
 * the term with the highest jitter factor `1 + jitter` (the draw stays below
 * it), floored to whole ms, capped at `max`; `initial` when `max ≤ initial`.
 *
 * @param initial The initial delay, ms (`reconnectBackoffMs`).
 * @param max The cap, ms (`reconnectBackoffMaxMs`).
 * @param failures Consecutive failures, from 1.
 * @param policy Multiplier and jitter.
 * @returns The delay, ms.
 *
 * @example kafkajs's retry policy, initial 300 ms, cap 30 s
 * ```ts
 * import assert from "node:assert/strict";
 * import { longestBackoff } from "./_backoff.ts";
 *
 * const policy = { multiplier: 2, jitter: 0.2 };
 * assert.deepEqual([1, 2, 3].map((n) => longestBackoff(300, 30_000, n, policy)), [360, 720, 1440]);
 * ```
 */
export function longestBackoff(
  initial: number,
  max: number,
  failures: number,
  policy: BackoffPolicy,
): number {
  if (policy.compounding === true) return compoundingEnvelope(initial, max, failures, policy)[1];
  if (initial === 0) return 0;
  if (max <= initial) return initial;
  return Math.min(Math.floor(term(initial, max, failures, policy) * (1 + policy.jitter)), max);
}

/** The shortest and longest delay of a range, ms. */
export type DelayRange = readonly [shortest: number, longest: number];

/**
 * The delays a compounding policy allows after one more failure, given the
 * range the delay before it lay in (none for the first delay). As kafkajs's
 * `randomFromRetryTime` draws it, a delay `d` jitters to
 * `ceil(U(d − jitter·d, d + jitter·d))`: the first is the initial delay so
 * jittered, and not capped (`createRetry` starts its retrier with it as it
 * is); each next is the previous one so jittered, times the multiplier,
 * capped at `max` (`calculateExponentialRetryTime`). The draw stays below
 * its upper end, so rounding up keeps both ends.
 *
 * @param initial The initial delay, ms (`reconnectBackoffMs`).
 * @param max The cap, ms (`reconnectBackoffMaxMs`).
 * @param previous The range of the delay before, or `undefined` for the first delay.
 * @param policy Multiplier and jitter.
 * @returns The range of the next delay, ms.
 *
 * @example kafkajs's defaults: initial 300 ms, ×2, jitter 0.2, cap 30 s
 * ```ts
 * import assert from "node:assert/strict";
 * import { compoundingBackoff } from "./_backoff.ts";
 *
 * const policy = { multiplier: 2, jitter: 0.2, compounding: true };
 * assert.deepEqual(compoundingBackoff(300, 30_000, undefined, policy), [240, 360]);
 * // After a first delay of 300 ms exactly: ceil(240..360) × 2.
 * assert.deepEqual(compoundingBackoff(300, 30_000, [300, 300], policy), [480, 720]);
 * // Not knowing the first: from its extremes, 240 and 360.
 * assert.deepEqual(compoundingBackoff(300, 30_000, [240, 360], policy), [384, 864]);
 * ```
 */
export function compoundingBackoff(
  initial: number,
  max: number,
  previous: DelayRange | undefined,
  policy: BackoffPolicy,
): DelayRange {
  const { multiplier, jitter } = policy;
  if (previous === undefined) {
    return [Math.ceil(initial - jitter * initial), Math.ceil(initial + jitter * initial)];
  }
  const [low, high] = previous;
  return [
    Math.min(Math.ceil(low - jitter * low) * multiplier, max),
    Math.min(Math.ceil(high + jitter * high) * multiplier, max),
  ];
}

/**
 * The range of a compounding policy's delay after `failures` failures,
 * knowing none of the delays before: each bound carried from the first.
 */
function compoundingEnvelope(
  initial: number,
  max: number,
  failures: number,
  policy: BackoffPolicy,
): DelayRange {
  let range = compoundingBackoff(initial, max, undefined, policy);
  for (let k = 2; k <= failures; k++) range = compoundingBackoff(initial, max, range, policy);
  return range;
}
