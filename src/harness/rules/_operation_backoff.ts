/**
 * TMO-3 for a pool whose backoff spaces out the attempts of each operation
 * (policy `backoff.scope` `"operation"`, kafkajs's retrier): the waits
 * between the attempts of one send, as its adapter reports them, judged
 * against the declared policy on both sides.
 *
 * The wait before attempt `k + 1` runs from the failure of attempt `k` to
 * the start of attempt `k + 1`; it is the delay after `k` failures of that
 * send, every send starting afresh. With a compounding policy it is judged
 * against the delay before it as observed (within the tolerance), which is
 * what kafkajs draws it from; the first against the initial delay.
 *
 * @module
 */
import type { BackoffPolicy } from "../adapter.ts";
import type { SendAttempt, SendRecord } from "../observations.ts";
import type { Breach } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import {
  compoundingBackoff,
  type DelayRange,
  longestBackoff,
  shortestBackoff,
} from "./_backoff.ts";

/** The parameters of the declared backoff, as drawn for a run. */
export interface OperationBackoff {
  /** The initial delay, ms. */
  readonly initial: number;
  /** The cap, ms. */
  readonly max: number;
  /** The declared policy. */
  readonly policy: BackoffPolicy;
  /** The adapter's timing tolerance, ms. */
  readonly tolerance: number;
}

/**
 * When the attempt after `attempts[k − 1]` may start counting its wait: the
 * failure of that attempt, or, when the adapter did not report it, the start
 * of the next (a retry that did not wait for its attempt to fail).
 */
function failedAt(attempts: readonly SendAttempt[], k: number): number | undefined {
  return attempts[k - 1]?.failedAt ?? attempts[k]?.startedAt;
}

/**
 * The range the wait after `failures` failures of a send must lie in.
 *
 * @param backoff The drawn parameters.
 * @param failures Failures of the send so far, from 1.
 * @param before The wait after the failure before, as observed (compounding only).
 * @returns Shortest and longest, ms, without the tolerance.
 */
export function allowedWait(
  backoff: OperationBackoff,
  failures: number,
  before: number | undefined,
): DelayRange {
  const { initial, max, policy, tolerance } = backoff;
  if (policy.compounding !== true) {
    return [
      shortestBackoff(initial, max, failures, policy),
      longestBackoff(initial, max, failures, policy),
    ];
  }
  // The observed wait is the delay drawn within the tolerance.
  const previous: DelayRange | undefined = before === undefined
    ? undefined
    : [Math.max(0, before - tolerance), before + tolerance];
  return compoundingBackoff(initial, max, previous, policy);
}

/** The wait before attempt index `k` (from 1) of a send, once it started. */
function waitBefore(attempts: readonly SendAttempt[], k: number): number {
  return attempts[k]!.startedAt - failedAt(attempts, k)!;
}

/**
 * Judge the waits of one send: each wait between two of its attempts from
 * `from` on, and, while it is pending after a failed attempt with no next
 * one, whether the longest wait has passed by `now` (unless `owed` is false,
 * after close() or while the pool is paused).
 *
 * @param send The send.
 * @param backoff The drawn parameters.
 * @param from The first attempt index (from 1) not yet judged.
 * @param now The current virtual time.
 * @param owed Whether a pending send is owed its next attempt.
 * @returns The breach, if any.
 */
export function judgeSendWaits(
  send: SendRecord,
  backoff: OperationBackoff,
  from: number,
  now: number,
  owed: boolean,
): Breach<"a" | "b"> | undefined {
  const attempts = send.attempts ?? [];
  const { tolerance } = backoff;
  const before = (k: number) => k >= 2 ? waitBefore(attempts, k - 1) : undefined;
  for (let k = Math.max(1, from); k < attempts.length; k++) {
    const wait = waitBefore(attempts, k);
    const [shortest, longest] = allowedWait(backoff, k, before(k));
    const at = `send #${send.seq} (${send.route}): attempt ${k + 1} started at t=${
      attempts[k]!.startedAt
    }, ${wait} ms after attempt ${k} failed at t=${failedAt(attempts, k)}`;
    if (wait + tolerance < shortest) {
      return { clause: "a", detail: `${at}; the backoff allows no earlier than ${shortest} ms` };
    }
    if (wait > longest + tolerance) {
      return { clause: "b", detail: `${at}; the backoff allows at most ${longest} ms` };
    }
  }
  const last = attempts.at(-1);
  if (!owed || send.status !== "pending" || last?.failedAt === undefined) return undefined;
  const k = attempts.length;
  const [, longest] = allowedWait(backoff, k, before(k));
  if (now > last.failedAt + longest + tolerance) {
    return {
      clause: "b",
      detail:
        `send #${send.seq} (${send.route}) still pending at t=${now} with no attempt after attempt ${k} failed at t=${last.failedAt}; the backoff allows at most ${longest} ms`,
    };
  }
  return undefined;
}

/**
 * TMO-3's checker for `scope: "operation"`: after each step, judge the
 * attempts of every send that may still have some to judge.
 *
 * @param run The run.
 * @param backoff The drawn parameters.
 * @returns A step function.
 */
export function operationBackoffStep(
  run: RunView,
  backoff: OperationBackoff,
): () => Breach<"a" | "b"> | undefined {
  // Per send: the attempts whose wait is judged. Sends before `settled` are done with.
  const judged = new Map<number, number>();
  let settled = 0;
  return () => {
    const sends = run.sends;
    const now = run.now();
    const owed = run.closeSeq === undefined && !run.paused;
    for (let i = settled; i < sends.length; i++) {
      const send = sends[i]!;
      const breach = judgeSendWaits(send, backoff, judged.get(send.seq) ?? 1, now, owed);
      if (breach !== undefined) return breach;
      judged.set(send.seq, send.attempts?.length ?? 1);
    }
    while (settled < sends.length && sends[settled]!.status !== "pending") {
      judged.delete(sends[settled]!.seq);
      settled++;
    }
    return undefined;
  };
}
