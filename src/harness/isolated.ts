/**
 * `checkPoolIsolated`: {@linkcode checkPool} in a worker thread, so that a
 * pool stuck in synchronous code (an acquire, a release or a timer callback
 * that never returns) is reported as a LIV-1 failure instead of hanging the
 * check. The run watchdog of `checkPool` can only act when the pool yields;
 * from another thread, a run that stops moving can be seen and stopped.
 *
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { realTimers } from "../clock/global_time.ts";
import type { Supports } from "./adapter.ts";
import { DEFAULT_MAX_COMMANDS } from "./case.ts";
import type { CheckPoolOptions } from "./check_pool.ts";
import { count } from "./counterexample_text.ts";
import type { Counterexample, PoolReport, RuleResult } from "./result.ts";
import { clauseId, type Rule, ruleApplies } from "./rule.ts";
import { RULES } from "./rules/mod.ts";
import {
  boardBytes,
  boardSlots,
  describedRun,
  type FailureMessage,
  LIVENESS,
  PHASE,
  type RunDescription,
  WORKER_KEY,
  WORKER_URL,
  type WorkerCheckOptions,
  type WorkerInput,
  type WorkerMessage,
} from "./_isolated_worker.ts";

/** Options for {@linkcode checkPoolIsolated}: those of `checkPool`, and which adapter. */
export interface CheckPoolIsolatedOptions extends CheckPoolOptions {
  /**
   * The name of the adapter to check, when the module exports several.
   * @default {the module's only adapter}
   */
  readonly adapter?: string;
}

/**
 * An adapter module a worker could not use: it did not load (in time), or it
 * exports no valid adapter of the requested name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdapterModuleError } from "./isolated.ts";
 *
 * assert.equal(new AdapterModuleError("Cannot load adapter module x.js").code, "ADAPTER_MODULE");
 * ```
 */
export class AdapterModuleError extends Error {
  /** Always `"ADAPTER_MODULE"`. */
  readonly code = "ADAPTER_MODULE" as const;

  /**
   * Describe what is wrong with an adapter module.
   *
   * @param message What is wrong with the module.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AdapterModuleError";
  }
}

/** The least margin beyond the watchdog before a run that does not move is declared stuck, ms. */
export const HANG_MARGIN_MS = 3_000;
/** How often the parent looks at the worker's progress, ms. */
const POLL_MS = 100;
/** How long the adapter module may take to load in the worker, at least, ms. */
const LOAD_LIMIT_MS = 60_000;
/** The clause of LIV-1 a pool that never comes to rest breaks (as the run watchdog reports it). */
const HANG_CLAUSE = clauseId("LIV-1", "b");

/**
 * How long a run of an isolated check may stay on one step before the pool
 * is declared stuck in synchronous code: the run watchdog's budget plus a
 * margin of half of it, and at least {@linkcode HANG_MARGIN_MS}.
 *
 * A pool that yields cannot stay on one step much beyond the watchdog: the
 * run checks its budget after every step and every 64 rounds of settling
 * (each a few microtask hops and at most one macrotask), so it ends within
 * milliseconds of the budget, and the next run starts at once. The margin
 * covers that, a garbage collection pause, and a loaded machine's late
 * timers, with room to spare.
 *
 * @param watchdogMs The run watchdog's budget, ms. @default {10_000}
 * @returns Milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isolationLimitMs } from "./isolated.ts";
 *
 * assert.equal(isolationLimitMs(), 15_000);
 * assert.equal(isolationLimitMs(2_000), 5_000);
 * ```
 */
export function isolationLimitMs(watchdogMs = 10_000): number {
  return watchdogMs + Math.max(HANG_MARGIN_MS, Math.ceil(watchdogMs / 2));
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new TypeError(
      `Cannot check pool in a worker as 'module' must be a module path or URL: current value is ${module}`,
    );
  }
  // A scheme of two letters or more (file:, npm:, https:); C:\… is a path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  return pathToFileURL(resolve(module)).href;
}

/** The module as a replay line names it. */
function moduleName(module: string | URL): string {
  const text = module instanceof URL ? module.href : module;
  return text.startsWith("file:") ? fileURLToPath(text) : text;
}

function checkOptions(options: CheckPoolIsolatedOptions): void {
  const { watchdogMs, adapter } = options;
  if (watchdogMs !== undefined && (!Number.isSafeInteger(watchdogMs) || watchdogMs < 1)) {
    throw new RangeError(
      `Cannot check pool as 'watchdogMs' must be a positive integer: current value is ${watchdogMs}`,
    );
  }
  if (adapter !== undefined && (typeof adapter !== "string" || adapter === "")) {
    throw new TypeError(
      `Cannot check pool in a worker as 'adapter' must be an adapter's name: current value is ${adapter}`,
    );
  }
}

/**
 * Check a pool as {@linkcode checkPool} does, in a worker thread that loads
 * the adapter from its module. The report is the same as `checkPool`'s for
 * the same seed, with one difference: a run whose pool stays in synchronous
 * code for longer than {@linkcode isolationLimitMs} (an endless loop in
 * `acquire`, `release` or a timer callback) stops the check. The worker is
 * terminated, LIV-1 fails with that run as its counterexample (its seed, its
 * fast-check path and the commands up to the one that never returned), the
 * rules not judged yet are reported not verified, and the report is not ok.
 *
 * Runs on Node, Deno and Bun (`node:worker_threads`). `onProgress` is called
 * in this thread, at most every 100 ms; aborting `signal` terminates the
 * worker at once. Starting the worker and loading the kit and the module in
 * it costs a few hundred milliseconds (see docs/adapters.md, Isolation).
 *
 * @param module The adapter module: a path (relative to the working
 * directory) or a URL; it is picked as the CLI's `--adapter <module>` picks:
 * every export that is a valid adapter.
 * @param options The options of `checkPool` (plain data, except `onProgress`
 * and `signal`), and `adapter`, the name of the adapter to check when the
 * module exports several.
 * @returns The report.
 * @throws {TypeError} If an option is malformed, the adapter is invalid, or
 * an option cannot be sent to a worker.
 * @throws {RangeError} If an option is out of range.
 * @throws {AdapterModuleError} If the module does not load, or exports no
 * such adapter.
 * @throws {Error} If the worker fails.
 *
 * @example A module that exports no adapter is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPoolIsolated } from "./isolated.ts";
 *
 * await assert.rejects(
 *   checkPoolIsolated(new URL("./case.ts", import.meta.url), { quick: true }),
 *   /exports no valid adapter/,
 * );
 * ```
 */
export async function checkPoolIsolated(
  module: string | URL,
  options: CheckPoolIsolatedOptions = {},
): Promise<PoolReport> {
  checkOptions(options);
  const url = moduleUrl(module);
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const { onProgress, signal, adapter, ...rest } = options;
  const forwarded: WorkerCheckOptions = {
    ...rest,
    seed,
    replayCommand: options.replayCommand ?? `npx poolcheck --adapter ${moduleName(module)}`,
  };
  // Room to describe the longest run: the check's, a recorded reproduction's or a saved case's.
  const longest = Math.max(
    options.maxCommands ?? (options.quick === true ? 30 : DEFAULT_MAX_COMMANDS),
    ...Object.values(options.expectations ?? {}).map((entry) =>
      typeof entry === "string" ? 0 : entry.maxCommands ?? DEFAULT_MAX_COMMANDS
    ),
    ...(options.corpus ?? []).map((saved) => saved.maxCommands ?? DEFAULT_MAX_COMMANDS),
  );
  const board = new SharedArrayBuffer(boardBytes(longest));
  Atomics.store(boardSlots(board), LIVENESS.step, PHASE.loading);
  const input: WorkerInput = {
    module: url,
    ...(adapter === undefined ? {} : { adapter }),
    options: forwarded,
    progress: onProgress !== undefined,
    board,
  };
  let worker: Worker;
  try {
    worker = new Worker(new URL(WORKER_URL), { workerData: { [WORKER_KEY]: input } });
  } catch (error) {
    if ((error as Error).name !== "DataCloneError") throw error;
    throw new TypeError(
      `Cannot check pool in a worker as its options must be plain data (functions other than 'onProgress' cannot be sent): ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  return await new IsolatedCheck(worker, board, {
    forwarded,
    module: url,
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(signal === undefined ? {} : { signal }),
  }).report;
}

interface Watch {
  readonly forwarded: WorkerCheckOptions;
  readonly module: string;
  readonly onProgress?: CheckPoolOptions["onProgress"];
  readonly signal?: AbortSignal;
}

/** Why a check stopped before its report: a stuck run, or the caller's abort. */
interface Stop {
  /** The reason the rules not judged are not verified. */
  readonly reason: string;
  /** The line for `errors`. */
  readonly error: string;
  /** LIV-1's counterexample, for a run that never yielded. */
  readonly hang?: Counterexample;
}

/** One isolated check, seen from the parent. */
class IsolatedCheck {
  readonly report: Promise<PoolReport>;
  readonly #worker: Worker;
  readonly #board: SharedArrayBuffer;
  readonly #liveness: Int32Array;
  readonly #watch: Watch;
  readonly #limitMs: number;
  readonly #started = realTimers.now();
  #adapter: { name: string; supports: Supports } | undefined;
  readonly #failures: FailureMessage[] = [];
  #settled = false;
  #abortReason: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #resolve!: (report: PoolReport) => void;
  #reject!: (error: Error) => void;

  constructor(worker: Worker, board: SharedArrayBuffer, watch: Watch) {
    this.#worker = worker;
    this.#board = board;
    this.#liveness = boardSlots(board);
    this.#watch = watch;
    this.#limitMs = isolationLimitMs(watch.forwarded.watchdogMs);
    this.report = new Promise<PoolReport>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    worker.on("message", (message: WorkerMessage) => this.#onMessage(message));
    worker.on(
      "error",
      (error: Error) =>
        this.#fail(new Error(`Cannot check pool in a worker: ${error.message}`, { cause: error })),
    );
    worker.on(
      "exit",
      (code: number) =>
        this.#fail(
          new Error(`Cannot check pool in a worker: it exited (code ${code}) before its report`),
        ),
    );
    const { signal } = watch;
    if (signal !== undefined) {
      const onAbort = () => this.#aborted(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      this.report.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
    }
    this.#poll(-1, PHASE.loading, this.#started);
  }

  #onMessage(message: WorkerMessage): void {
    if (this.#settled) return;
    switch (message.kind) {
      case "started":
        this.#adapter = { name: message.adapter, supports: message.supports };
        if (this.#abortReason !== undefined) this.#aborted(this.#abortReason);
        break;
      case "failure":
        this.#failures.push(message);
        break;
      case "progress":
        try {
          this.#watch.onProgress?.(message.progress);
        } catch (error) {
          this.#fail(error as Error);
        }
        break;
      case "report":
        this.#settle(message.report);
        break;
      case "error": {
        const Kind = message.name === "TypeError"
          ? TypeError
          : message.name === "RangeError"
          ? RangeError
          : message.name === "load"
          ? AdapterModuleError
          : Error;
        this.#fail(new Kind(message.message));
        break;
      }
    }
  }

  /** Watch the worker's run and step; a run stuck on one step for too long stops the check. */
  #poll(run: number, step: number, since: number): void {
    if (this.#settled) return;
    const now = realTimers.now();
    const nowRun = Atomics.load(this.#liveness, LIVENESS.run);
    const nowStep = Atomics.load(this.#liveness, LIVENESS.step);
    if (nowRun !== run || nowStep !== step) {
      since = now;
    } else if (step === PHASE.loading) {
      const limit = Math.max(LOAD_LIMIT_MS, this.#limitMs);
      if (now - since > limit) {
        this.#fail(
          new AdapterModuleError(
            `Cannot load adapter module ${this.#watch.module} in a worker: it did not load within ${limit} ms`,
          ),
        );
        return;
      }
    } else if (now - since > this.#limitMs) {
      this.#stuck(nowRun, nowStep);
      return;
    }
    this.#timer = realTimers.setTimeout(() => this.#poll(nowRun, nowStep, since), POLL_MS);
  }

  #aborted(reason: unknown): void {
    const why = reason instanceof Error ? reason.message : String(reason);
    this.#abortReason = why;
    if (this.#adapter === undefined) return; // stopped once the module has loaded
    const label = this.#watch.forwarded.label ??
      `${this.#adapter.name} (seed ${this.#watch.forwarded.seed})`;
    const stopped = `checking stopped: ${label} was aborted by its caller (${why})`;
    this.#settle(this.#stoppedReport({ reason: stopped, error: stopped }));
  }

  #stuck(serial: number, step: number): void {
    if (this.#adapter === undefined) return;
    const run = describedRun(this.#board, serial);
    const limit = this.#limitMs;
    if (run === undefined || step === PHASE.between) {
      // Outside any run (fast-check drawing, the report being built), or in a run too long to describe.
      const where = step !== PHASE.between
        ? `in run ${serial} (too long to describe)`
        : serial === 0
        ? "before the first run"
        : `after run ${serial} ended`;
      const stopped =
        `checking stopped: the worker ran synchronous code for more than ${limit} ms ${where}`;
      this.#settle(this.#stoppedReport({ reason: stopped, error: stopped }));
      return;
    }
    const hang = hangCounterexample(run, step, limit, this.#watch.forwarded);
    this.#settle(this.#stoppedReport({
      reason: "checking stopped: the pool never yielded (LIV-1)",
      error: `checking stopped: the pool never yielded in a run (seed ${hang.seed}${
        hang.path === "" ? "" : `, path ${hang.path}`
      }) for more than ${limit} ms`,
      hang,
    }));
  }

  /** The report of a check stopped before its end. */
  #stoppedReport(stop: Stop): PoolReport {
    const { name, supports } = this.#adapter!;
    const options = this.#watch.forwarded;
    const expectations = options.expectations ?? {};
    const excused = (f: { rule: string; clause: string }) =>
      expectations[f.clause] !== undefined || expectations[f.rule] !== undefined;
    const rules = selectRules(options.rules).map((rule): RuleResult => {
      const base = { id: rule.id, title: rule.title };
      if (!ruleApplies(rule, supports)) {
        return { ...base, status: "not-applicable", reason: notApplicableReason(rule, supports) };
      }
      const failure = this.#failures.find((f) => f.rule === rule.id && !excused(f));
      if (failure !== undefined) {
        return { ...base, status: "fail", counterexample: foundCounterexample(failure, options) };
      }
      if (rule.id === "LIV-1" && stop.hang !== undefined) {
        const key = [HANG_CLAUSE, "LIV-1"].find((k) => expectations[k] !== undefined);
        if (key === undefined) return { ...base, status: "fail", counterexample: stop.hang };
        const entry = expectations[key]!;
        const reason = typeof entry === "string" ? entry : entry.reason;
        return {
          ...base,
          status: "expected-fail",
          reason: `${key}: ${reason}`,
          counterexample: stop.hang,
          known: [{ clause: key, reason, counterexample: stop.hang }],
        };
      }
      return { ...base, status: "not-verified", reason: stop.reason };
    });
    const unverified = rules.filter((r) => r.status === "not-verified").map((r) => r.id);
    // The finished runs' commands, and those the stuck run had started.
    const step = Atomics.load(this.#liveness, LIVENESS.step);
    const stuck = describedRun(this.#board, Atomics.load(this.#liveness, LIVENESS.run));
    const commands = Atomics.load(this.#liveness, LIVENESS.commands) +
      (stuck?.origin.property === true && step > 0 ? step : 0);
    const runs = Atomics.load(this.#liveness, LIVENESS.runs);
    return {
      adapter: name,
      seed: options.seed,
      runs,
      commands,
      durationMs: realTimers.now() - this.#started,
      rules,
      errors: [
        `${stop.error} after ${count(runs, "run")}${
          unverified.length === 0 ? "" : `: ${unverified.join(", ")} not verified`
        }`,
      ],
      ok: false,
    };
  }

  #settle(report: PoolReport): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#end();
    this.#resolve(report);
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#end();
    this.#reject(error);
  }

  #end(): void {
    if (this.#timer !== undefined) realTimers.clearTimeout(this.#timer);
    // A worker stuck in a loop does not exit by itself: end it, and never let it keep the process up.
    this.#worker.unref();
    this.#worker.terminate().catch(() => {});
  }
}

/** The rules a `rules` filter selects, as `checkPool` selects them. */
function selectRules(filter: readonly string[] | undefined): Rule[] {
  if (filter === undefined || filter.length === 0) return [...RULES];
  return RULES.filter((rule) =>
    filter.some((f) => rule.id === f || rule.id.startsWith(`${f}-`) || rule.group === f)
  );
}

/** Why a rule does not apply, as `checkPool` words it. */
function notApplicableReason(rule: Rule, supports: Supports): string {
  const missing = rule.needs.filter((c) => !supports.capabilities.includes(c));
  if (missing.length > 0) return `needs capability ${missing.map((c) => `'${c}'`).join(", ")}`;
  return `applies only when ${rule.when?.text ?? "declared"}`;
}

function replayFlags(maxCommands: number): string {
  return maxCommands === DEFAULT_MAX_COMMANDS ? "" : ` --max-commands ${maxCommands}`;
}

/** Script lines numbered as steps, the one that broke marked. */
function numbered(lines: readonly string[], broke: number, clause: string): string[] {
  return lines.map((line, i) =>
    `${i + 1}. ${line}${i + 1 === broke ? `   ← ${clause} breaks in this step` : ""}`
  );
}

const HEAL_LINE = "heal: faults stop, every lease released, time passes every deadline";
const CLOSE_LINE = "close() twice";

/** LIV-1's counterexample for a run stuck on one step. */
function hangCounterexample(
  run: RunDescription,
  step: number,
  limitMs: number,
  options: WorkerCheckOptions,
): Counterexample {
  const { origin, commands } = run;
  const mark = `   ← ${HANG_CLAUSE} breaks in this step`;
  let where: string;
  let steps: string[];
  let at: number;
  let shown: readonly string[] = commands;
  if (step === PHASE.setUp) {
    where = "its set-up (create() and the first settle)";
    steps = [`0. set-up: create() and the first settle${mark}`];
    at = 0;
    shown = [];
  } else if (step === PHASE.heal || step === PHASE.close) {
    at = commands.length + (step === PHASE.heal ? 1 : 2);
    where = step === PHASE.heal
      ? `the heal phase (step ${at}: ${HEAL_LINE})`
      : `the final close (step ${at}: ${CLOSE_LINE})`;
    steps = [
      ...numbered(commands, 0, HANG_CLAUSE),
      `${commands.length + 1}. ${HEAL_LINE}${step === PHASE.heal ? mark : ""}`,
      ...(step === PHASE.close ? [`${at}. ${CLOSE_LINE}${mark}`] : []),
    ];
  } else {
    at = step;
    shown = commands.slice(0, step);
    where = run.omitted === undefined
      ? `step ${step} (\`${commands[step - 1]}\`)`
      : `step ${step} (of ${run.omitted} commands, too long to record)`;
    steps = numbered(shown, step, HANG_CLAUSE);
  }
  const message =
    `the pool never yielded: ${where} ran synchronously for more than ${limitMs} ms (a synchronous endless loop?)`;
  const known = origin.seed !== undefined && origin.path !== undefined;
  const checkMaxCommands = options.maxCommands ??
    (options.quick === true ? 30 : DEFAULT_MAX_COMMANDS);
  // Without the run's place in the check, the whole check on its seed meets the same run again.
  const replay = known
    ? `${options.replayCommand} --seed ${origin.seed} --path ${origin.path} --rule LIV-1${
      replayFlags(origin.maxCommands)
    }`
    : `${options.replayCommand} --seed ${options.seed}${replayFlags(checkMaxCommands)}`;
  return {
    clause: HANG_CLAUSE,
    message,
    step: at,
    setup: run.setup,
    commands: shown,
    steps,
    ledger: [],
    seed: known ? origin.seed! : options.seed,
    path: known ? origin.path! : "",
    replay,
  };
}

/** The counterexample of a failure found before the check stopped, not yet replayed with a trace. */
function foundCounterexample(failure: FailureMessage, options: WorkerCheckOptions): Counterexample {
  const { commands, step, clause } = failure;
  const steps = numbered(commands, step, clause);
  if (step > commands.length) {
    steps.push(`${step}. (heal, probe or close)   ← ${clause} breaks in this step`);
  }
  return {
    clause,
    message: failure.detail,
    step,
    setup: failure.setup,
    commands,
    steps,
    ledger: [],
    seed: failure.seed,
    path: failure.path,
    replay:
      `${options.replayCommand} --seed ${failure.seed} --path ${failure.path} --rule ${failure.rule}${
        replayFlags(failure.maxCommands)
      }`,
  };
}
