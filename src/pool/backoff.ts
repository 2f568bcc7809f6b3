import type { Route } from "../net/types.ts";
import type { Step } from "./core_state.ts";

/*
 * Rule TMO-3: per-route reconnect backoff, reset only after a success.
 */

/** Jitter bounds of Kafka's reconnect backoff: a factor uniform in [0.8, 1.2). */
const JITTER = 0.2;

/**
 * Kafka's reconnect backoff (`ExponentialBackoff` in the Kafka clients):
 * `base × 2^(failures−1) × jitter`, jitter uniform in [0.8, 1.2), floored to
 * whole ms and capped at `maxMs`. The exponent stops growing once the term
 * reaches the cap, and there is no jitter when `maxMs <= baseMs`.
 *
 * @param baseMs `reconnect.backoff.ms`.
 * @param maxMs `reconnect.backoff.max.ms`.
 * @param failures Consecutive failures of the route, at least 1.
 * @param random Source of numbers in [0, 1).
 * @returns The delay before the next connect attempt, in ms.
 *
 * @example Kafka's defaults without jitter (random() = 0.5 gives factor 1)
 * ```ts
 * import assert from "node:assert/strict";
 * import { reconnectBackoffMs } from "./backoff.ts";
 *
 * const half = () => 0.5;
 * assert.deepEqual(
 *   [1, 2, 3, 4, 5, 6].map((n) => reconnectBackoffMs(50, 1_000, n, half)),
 *   [50, 100, 200, 400, 800, 1_000],
 * );
 * ```
 */
export function reconnectBackoffMs(
  baseMs: number,
  maxMs: number,
  failures: number,
  random: () => number,
): number {
  if (baseMs === 0 || failures < 1) return 0;
  if (maxMs <= baseMs) return baseMs;
  const maxExponent = Math.log2(maxMs / baseMs);
  const term = baseMs * 2 ** Math.min(failures - 1, maxExponent);
  const factor = 1 - JITTER + random() * 2 * JITTER;
  return Math.min(Math.floor(term * factor), maxMs);
}

/**
 * Whether a route may start a connect now (no backoff pending).
 *
 * @param step The current step.
 * @param route The route.
 * @returns `true` when no backoff delays the route.
 */
export function mayConnect(step: Step, route: Route): boolean {
  const backoff = step.state.backoff.get(route);
  return backoff === undefined || backoff.retryAt <= step.now;
}

/**
 * Count a failure of the route and arm the timer that ends its backoff.
 *
 * @param step The current step.
 * @param route The route whose connect failed or whose connection dropped.
 */
export function recordFailure(step: Step, route: Route): void {
  const { reconnectBackoffMs: base, reconnectBackoffMaxMs: max, random } = step.config;
  const failures = (step.state.backoff.get(route)?.failures ?? 0) + 1;
  const delayMs = reconnectBackoffMs(base, max, failures, random);
  step.state.backoff.set(route, { failures, retryAt: step.now + delayMs });
  if (delayMs > 0) {
    const timer = { kind: "backoff", route } as const;
    step.out.push({ type: "cancelTimer", timer });
    step.out.push({ type: "armTimer", timer, delayMs });
  }
}

/**
 * A connect of the route succeeded: its backoff starts over.
 *
 * @param step The current step.
 * @param route The route.
 */
export function recordSuccess(step: Step, route: Route): void {
  if (step.state.backoff.delete(route)) {
    step.out.push({ type: "cancelTimer", timer: { kind: "backoff", route } });
  }
}
