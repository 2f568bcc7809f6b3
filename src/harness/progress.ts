/**
 * Progress of a running check as a line of text: on a terminal one line
 * rewritten in place, elsewhere (a CI log) a plain line every few seconds,
 * so a long check is never silent.
 *
 * @module
 */
import { realTimers } from "../clock/global_time.ts";
import type { CheckProgress, Expectations } from "./check_pool.ts";
import { count } from "./counterexample_text.ts";

/** Options for {@linkcode progressReporter}. */
export interface ProgressReporterOptions {
  /** Where lines go (standard error, usually). */
  readonly write: (text: string) => unknown;
  /** A terminal: rewrite one line in place instead of printing lines. @default {false} */
  readonly interactive?: boolean;
  /**
   * The most random runs a property makes: `runs` (the check's share of
   * them, with a `slice`), for "random run 112 of at most 300".
   */
  readonly planned: number;
  /** Known deviations: failing rules listed here are reported as known, the others as new. @default {{}} */
  readonly expectations?: Expectations;
  /** Least time between two plain lines, ms. @default {5_000} */
  readonly intervalMs?: number;
  /** Real time, ms. @default {the real clock, even while global time is faked} */
  readonly now?: () => number;
}

/** What {@linkcode progressReporter} returns. */
export interface ProgressReporter {
  /** Pass as `checkPool`'s `onProgress`. */
  readonly onProgress: (progress: CheckProgress) => void;
  /** Call when the check is over: clears a terminal's line. */
  readonly done: () => void;
}

/**
 * The text of one progress line: the random runs and shrink runs made so
 * far, the real time taken, where the running property is (a check runs
 * one property over the rules it still judges, and starts another after
 * each failure: each draws at most `planned` random cases), and the rules
 * found failing.
 *
 * @param progress Where the check stands.
 * @param planned The most random runs a property makes.
 * @param elapsedMs Real time since the check started.
 * @param expectations Known deviations.
 * @returns E.g. `tarn: 412 random runs, 30 shrink runs, 6 s (property 3: random run 112 of at most 300); failing: known LSE-4, new ORD-2`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { progressText } from "./progress.ts";
 *
 * const progress = {
 *   adapter: "tarn", runs: 442, randomRuns: 412, shrinkRuns: 30, property: 3, propertyRuns: 112,
 *   shrinking: false, failed: ["LSE-4", "ORD-2"],
 * };
 * assert.equal(
 *   progressText(progress, 300, 6_200, { "LSE-4": "x" }),
 *   "tarn: 412 random runs, 30 shrink runs, 6 s (property 3: random run 112 of at most 300); failing: known LSE-4, new ORD-2",
 * );
 * assert.match(
 *   progressText({ ...progress, shrinking: true }, 300, 6_200),
 *   /\(property 3: shrinking the failure of its random run 112\)/,
 * );
 * ```
 */
export function progressText(
  progress: CheckProgress,
  planned: number,
  elapsedMs: number,
  expectations: Expectations = {},
): string {
  const known = progress.known ?? progress.failed.filter((id) => id in expectations);
  const fresh = progress.known === undefined
    ? progress.failed.filter((id) => !(id in expectations))
    : progress.failed;
  const failing = [
    ...(known.length > 0 ? [`known ${known.join(" ")}`] : []),
    ...(fresh.length > 0 ? [`new ${fresh.join(" ")}`] : []),
  ];
  const where = progress.shrinking
    ? `shrinking the failure of its random run ${progress.propertyRuns}`
    : `random run ${progress.propertyRuns} of at most ${planned}`;
  return `${progress.adapter}: ${count(progress.randomRuns, "random run")}, ${
    count(progress.shrinkRuns, "shrink run")
  }, ${Math.round(elapsedMs / 1000)} s (property ${progress.property}: ${where}); ${
    failing.length > 0 ? `failing: ${failing.join(", ")}` : "no rule failing so far"
  }`;
}

/**
 * Report a check's progress: on a terminal, one line rewritten after every
 * run; elsewhere a plain line at most every `intervalMs`.
 *
 * @param options Where to write, and what the check plans.
 * @returns `onProgress` for `checkPool`, and `done`.
 *
 * @example Plain lines in a CI log, at most one every five seconds
 * ```ts
 * import assert from "node:assert/strict";
 * import { progressReporter } from "./progress.ts";
 *
 * let now = 0;
 * const lines: string[] = [];
 * const reporter = progressReporter({ write: (t) => lines.push(t), planned: 300, now: () => now });
 * const at = (runs: number) => ({
 *   adapter: "x", runs, randomRuns: runs, shrinkRuns: 0, property: 1, propertyRuns: runs,
 *   shrinking: false, failed: [],
 * });
 * reporter.onProgress(at(1));
 * now = 6_000;
 * reporter.onProgress(at(90));
 * reporter.done();
 * assert.deepEqual(lines, [
 *   "x: 90 random runs, 0 shrink runs, 6 s (property 1: random run 90 of at most 300); no rule failing so far\n",
 * ]);
 * ```
 */
export function progressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { write, interactive = false, planned, expectations = {}, intervalMs = 5_000 } = options;
  const { now = realTimers.now } = options;
  const started = now();
  let lastLine = started;
  let shown = false;
  return {
    onProgress(progress) {
      const at = now();
      const text = progressText(progress, planned, at - started, expectations);
      if (interactive) {
        write(`\r${text}\x1b[K`);
        shown = true;
      } else if (at - lastLine >= intervalMs) {
        lastLine = at;
        write(`${text}\n`);
      }
    },
    done() {
      if (interactive && shown) write("\r\x1b[K");
    },
  };
}
