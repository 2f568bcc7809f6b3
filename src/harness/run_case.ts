/**
 * One case of the property: build a run, play its commands, heal, close.
 *
 * @module
 */
import fc from "fast-check";
import type { GlobalTimeOwner } from "../clock/global_time.ts";
import type { Adapter } from "./adapter.ts";
import type { RunCommand } from "./commands/mod.ts";
import { closeAtEnd, heal } from "./heal.ts";
import type { Rule } from "./rule.ts";
import { RunEndedEarly } from "./_run_end.ts";
import { holdFramesOff } from "./_stack_frames.ts";
import { Run } from "./run.ts";
import type { RunSetup } from "./run_view.ts";

/** A drawn case: parameters and commands. */
export interface RunCase {
  /** The run's parameters. */
  readonly setup: RunSetup;
  /** The commands, in order. */
  readonly commands: Iterable<RunCommand>;
}

/** Options of {@linkcode runCase}. */
export interface RunCaseOptions {
  /** Rules to check. */
  readonly rules: readonly Rule[];
  /** Record a readable trace. @default {false} */
  readonly trace?: boolean;
  /** Real-time budget, ms. @default {10_000} */
  readonly watchdogMs?: number;
  /**
   * Judge every rule again after a step in which only time moved, instead of
   * only those whose verdict can change (the reference that skip is tested
   * against). @default {false}
   */
  readonly judgeEveryStep?: boolean;
  /** Called with the finished (or failed) run, before global time is restored. */
  readonly inspect?: (run: Run) => void;
  /**
   * Called when the run stops before its last command because the pool
   * accepted a second release while LSE-4 is not among the rules (the run
   * then passes as far as it went).
   */
  readonly onEndedEarly?: (step: number) => void;
  /** Who holds global time during the run (the check). @default {undefined} */
  readonly timeOwner?: GlobalTimeOwner;
}

/**
 * Watches runs from outside the harness (an isolated check's worker, which
 * reports where a pool that never yields got stuck). Its calls must be cheap:
 * `step` is called before every command.
 */
export interface RunProbe {
  /** A run starts (before the pool is created). */
  run(value: RunCase, options: RunCaseOptions): void;
  /** Command `step` (1-based) starts. */
  step(step: number): void;
  /** The heal phase or the final close starts. */
  phase(phase: "heal" | "close"): void;
  /**
   * The run is over, whatever its outcome.
   *
   * @param waits What the run waited for: the timers its settle loop fired
   * and, on global time, the real macrotasks it waited through.
   */
  ended(waits: RunWaits): void;
}

/** What a run waited for, told to a {@linkcode RunProbe} at its end. */
export interface RunWaits {
  /** Timers fired (the pool's and the harness's). */
  readonly timers: number;
  /** Real macrotasks waited for (global time; 0 on virtual time). */
  readonly macrotasks: number;
}

let probe: RunProbe | undefined;

/**
 * Watch every run of this thread (or stop watching with `undefined`).
 *
 * @param next The probe.
 */
export function probeRuns(next: RunProbe | undefined): void {
  probe = next;
}

function* probed(commands: Iterable<RunCommand>, watch: RunProbe): Iterable<RunCommand> {
  let step = 0;
  for (const command of commands) {
    const at = ++step;
    yield {
      check: (model) => command.check(model),
      run: (model, real) => {
        watch.step(at);
        return command.run(model, real);
      },
      toString: () => command.toString(),
    };
  }
}

/**
 * Play one case against a fresh pool and throw the first rule violation.
 *
 * @param adapter The adapter.
 * @param value The case.
 * @param options Rules and tracing.
 * @returns The number of steps executed.
 * @throws {RuleViolation} The first rule broken.
 * @throws {InconclusiveRun} When the harness could not bring the pool to
 * rest and LIV-1 is not among the rules (counted, neither failed nor passed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCase } from "./run_case.ts";
 *
 * assert.equal(typeof runCase, "function");
 * ```
 */
export async function runCase(
  adapter: Adapter,
  value: RunCase,
  options: RunCaseOptions,
): Promise<number> {
  const { trace = false, watchdogMs = 10_000 } = options;
  const watch = probe;
  watch?.run(value, options);
  const run = new Run(adapter, value.setup, {
    rules: options.rules,
    trace,
    watchdogMs,
    judgeEveryStep: options.judgeEveryStep ?? false,
    ...(options.timeOwner === undefined ? {} : { timeOwner: options.timeOwner }),
  });
  // A third-party pool's errors, formatted by node:stream as it destroys sockets (see the module).
  const framesBack = run.global ? holdFramesOff() : undefined;
  try {
    await run.start();
    try {
      const commands = watch === undefined ? value.commands : probed(value.commands, watch);
      await fc.asyncModelRun(() => ({ model: run, real: run }), commands);
    } catch (error) {
      if (error instanceof RunEndedEarly) {
        options.onEndedEarly?.(run.step);
        return run.step;
      }
      throw error;
    }
    watch?.phase("heal");
    await heal(run);
    watch?.phase("close");
    await closeAtEnd(run);
    return run.step;
  } finally {
    options.inspect?.(run);
    run.dispose();
    framesBack?.();
    watch?.ended({ timers: run.timersRun, macrotasks: run.macrotasks });
  }
}
