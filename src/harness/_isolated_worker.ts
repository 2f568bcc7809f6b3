/**
 * The worker side of an isolated check ({@linkcode checkPoolIsolated}): it
 * loads the adapter module, runs `checkPool` on the adapter, and keeps the
 * parent informed cheaply enough to run on every step:
 *
 * - shared memory (the board) holds the number of the run in progress and
 *   the step it is in (a command's number, or a phase); the parent polls it,
 *   and when neither moves for longer than the watchdog could let a
 *   yielding pool run, the pool is stuck in synchronous code and the worker
 *   is terminated;
 * - before each run, the board also gets the run's description (its seed
 *   and path, its setup and its commands as script lines, as JSON), so a
 *   stuck run can be described without the worker's help; writing it costs
 *   about half of what a message per run would, and wakes nobody;
 * - messages for each failure a property ends with, for progress (at most
 *   every {@linkcode PROGRESS_INTERVAL_MS}), and the report at the end.
 *
 * This module is also the worker's entry: loaded in a worker started with
 * {@linkcode WORKER_KEY} in its `workerData`, it serves that check. Bundled
 * into a single file, the whole file is loaded, so an entry module that acts
 * on load must do so only on the main thread.
 *
 * @module
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { realTimers } from "../clock/global_time.ts";
import type { Adapter, Supports } from "./adapter.ts";
import { adaptersIn } from "./adapter_exports.ts";
import { DEFAULT_MAX_COMMANDS } from "./case.ts";
import { checkPool, type CheckPoolOptions, type CheckProgress } from "./check_pool.ts";
import type { PoolReport } from "./result.ts";
import type { RunSetup } from "./run_view.ts";
import { type CallFailure, type RunOrigin, RunOrigins } from "./_run_origins.ts";
import { probeRuns, type RunProbe } from "./run_case.ts";

/** The URL a worker is started from: this module, or the bundle it is part of. */
export const WORKER_URL: string = import.meta.url;

/** The `workerData` key that makes this module serve a check. */
export const WORKER_KEY = "poolcheckIsolatedCheck";

/** Least time between two progress messages, ms. */
export const PROGRESS_INTERVAL_MS = 100;

/** The board's `Int32Array` slots; the run's description follows them, as UTF-8 JSON. */
export const LIVENESS = {
  /** Number of the run in progress (1, 2, …; 0 before the first). */
  run: 0,
  /** The step in progress: a command's number (1, 2, …) or one of the phases below. */
  step: 1,
  /** Commands executed by the finished runs of properties (the report's count). */
  commands: 2,
  /** Runs of properties started (the report's count). */
  runs: 3,
  /** Number of the run described. */
  described: 4,
  /** Length of its description, bytes. */
  length: 5,
} as const;

const HEADER_BYTES = 6 * Int32Array.BYTES_PER_ELEMENT;

/**
 * Bytes of a board for runs of at most `maxCommands` commands: room for the
 * commands at 256 bytes each (a command's line is some 20 to 50), and more.
 *
 * @param maxCommands Longest command sequence of the check.
 * @returns Bytes.
 */
export function boardBytes(maxCommands: number): number {
  return HEADER_BYTES + Math.max(16_384, 1_024 + 256 * maxCommands);
}

/** Phases in {@linkcode LIVENESS}.step. */
export const PHASE = {
  /** The pool is being created and settled. */
  setUp: 0,
  /** Heal: faults stop, leases are released, every deadline passes. */
  heal: -1,
  /** The pool is closed at the end of the run. */
  close: -2,
  /** Between runs (fast-check drawing or shrinking, the report being built). */
  between: -3,
  /** The adapter module is loading. */
  loading: -4,
} as const;

/** Options of a check that can cross to the worker (no callbacks, no signal). */
export type WorkerCheckOptions = Omit<CheckPoolOptions, "onProgress" | "signal"> & {
  readonly seed: number;
};

/** What the parent gives the worker. */
export interface WorkerInput {
  /** URL of the adapter module. */
  readonly module: string;
  /** The adapter's name, when the module exports several. */
  readonly adapter?: string;
  readonly options: WorkerCheckOptions;
  /** Whether the parent wants progress. */
  readonly progress: boolean;
  /** The board (see {@linkcode boardBytes}). */
  readonly board: SharedArrayBuffer;
}

/** A run as the board describes it. */
export interface RunDescription {
  /** Its number in {@linkcode LIVENESS}.run. */
  readonly serial: number;
  readonly origin: RunOrigin;
  readonly setup: RunSetup;
  /** The commands as script lines (none when they did not fit). */
  readonly commands: readonly string[];
  /** Set when the commands did not fit on the board. */
  readonly omitted?: number;
}

const encoder = new TextEncoder();

function describe(board: SharedArrayBuffer, slots: Int32Array, run: RunDescription): void {
  const bytes = new Uint8Array(board, HEADER_BYTES);
  let text = JSON.stringify(run);
  let { read, written } = encoder.encodeInto(text, bytes);
  if (read < text.length) {
    text = JSON.stringify({ ...run, commands: [], omitted: run.commands.length });
    ({ read, written } = encoder.encodeInto(text, bytes));
  }
  Atomics.store(slots, LIVENESS.length, written);
  // A description that still does not fit is none.
  Atomics.store(slots, LIVENESS.described, read < text.length ? 0 : run.serial);
}

/**
 * The description of run `serial`, if the board holds it.
 *
 * @param board The board.
 * @param serial The run's number.
 * @returns Its description.
 */
export function describedRun(board: SharedArrayBuffer, serial: number): RunDescription | undefined {
  const slots = boardSlots(board);
  if (Atomics.load(slots, LIVENESS.described) !== serial) return undefined;
  const length = Atomics.load(slots, LIVENESS.length);
  // A copy: decoding reads from memory no other thread writes.
  const bytes = new Uint8Array(board, HEADER_BYTES, length).slice();
  return JSON.parse(new TextDecoder().decode(bytes)) as RunDescription;
}

/** A failure a property (or a replayed reproduction) ended with. */
export interface FailureMessage {
  readonly kind: "failure";
  readonly rule: string;
  readonly clause: string;
  readonly detail: string;
  /** Step at which it broke. */
  readonly step: number;
  readonly seed: number;
  readonly path: string;
  readonly maxCommands: number;
  readonly setup: RunSetup;
  readonly commands: readonly string[];
}

/** What the worker tells the parent. */
export type WorkerMessage =
  | { readonly kind: "started"; readonly adapter: string; readonly supports: Supports }
  | FailureMessage
  | { readonly kind: "progress"; readonly progress: CheckProgress }
  | { readonly kind: "report"; readonly report: PoolReport }
  | {
    readonly kind: "error";
    /** `"load"` when the module did not load or has no such adapter, else the error's name. */
    readonly name: string;
    readonly message: string;
  };

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function pickAdapter(module: Record<string, unknown>, input: WorkerInput): Adapter | string {
  const { found, rejected } = adaptersIn(module);
  if (found.length === 0) {
    const why = rejected.length > 0
      ? `:\n  ${rejected.join("\n  ")}`
      : " (an adapter is an object { name, supports, create })";
    return `Cannot check module ${input.module} in a worker as it exports no valid adapter${why}`;
  }
  const names = found.map((a) => a.name).join(", ");
  if (input.adapter === undefined) {
    if (found.length === 1) return found[0]!;
    return `Cannot check module ${input.module} in a worker as 'adapter' must name one of the adapters it exports (${names}): current value is undefined`;
  }
  return found.find((a) => a.name === input.adapter) ??
    `Cannot check module ${input.module} in a worker as 'adapter' must name one of the adapters it exports (${names}): current value is ${input.adapter}`;
}

/**
 * Serve one check in this worker.
 *
 * @param input What to check and how.
 */
async function serve(input: WorkerInput): Promise<void> {
  // Stay up until the parent ends the worker, so its last message always arrives before the exit.
  parentPort!.on("message", () => {});
  const liveness = boardSlots(input.board);
  let module: Record<string, unknown>;
  try {
    module = await import(input.module);
  } catch (error) {
    post({
      kind: "error",
      name: "load",
      message: `Cannot load adapter module ${input.module}: ${(error as Error).message}`,
    });
    return;
  }
  const adapter = pickAdapter(module, input);
  if (typeof adapter === "string") {
    post({ kind: "error", name: "load", message: adapter });
    return;
  }
  Atomics.store(liveness, LIVENESS.step, PHASE.between);
  post({ kind: "started", adapter: adapter.name, supports: adapter.supports });
  const { options } = input;
  const watching = watchRuns(parentPort!, input.board, options);
  let lastProgress = -Infinity;
  const onProgress = (progress: CheckProgress) => {
    const now = realTimers.now();
    if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    post({ kind: "progress", progress });
  };
  try {
    const report = await checkPool(adapter, input.progress ? { ...options, onProgress } : options);
    post({ kind: "report", report });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    post({ kind: "error", name, message });
  } finally {
    watching.stop();
  }
}

/**
 * The board's slots.
 *
 * @param board The board.
 * @returns Its `Int32Array` of {@linkcode LIVENESS} slots.
 */
export function boardSlots(board: SharedArrayBuffer): Int32Array {
  return new Int32Array(board, 0, HEADER_BYTES / Int32Array.BYTES_PER_ELEMENT);
}

/**
 * Instrument this thread's runs for the parent: the board on every step and
 * before every run, a message for every failure a fast-check call ends with.
 *
 * @param port Where messages go.
 * @param board The board.
 * @param options The check's options.
 * @returns The probe it installed, and `stop`, which ends the instrumentation.
 */
export function watchRuns(
  port: { postMessage(message: WorkerMessage): void },
  board: SharedArrayBuffer,
  options: WorkerCheckOptions,
): { probe: RunProbe; stop(): void } {
  const liveness = boardSlots(board);
  const quick = options.quick ?? false;
  const origins = new RunOrigins({
    seed: options.seed,
    ...(options.path === undefined ? {} : { path: options.path }),
    maxCommands: options.maxCommands ?? (quick ? 30 : DEFAULT_MAX_COMMANDS),
    expectations: options.expectations ?? {},
    corpus: options.corpus ?? [],
    onFailure: (failure) => port.postMessage(failureMessage(failure)),
  });
  let serial = 0;
  let property = false;
  let steps = 0;
  let commands = 0;
  let runs = 0;
  origins.track();
  const probe: RunProbe = {
    run(value, runOptions) {
      const origin = origins.originOf(runOptions);
      describe(board, liveness, {
        serial: ++serial,
        origin,
        setup: value.setup,
        commands: Array.from(value.commands, String),
      });
      property = origin.property;
      steps = 0;
      if (property) Atomics.store(liveness, LIVENESS.runs, ++runs);
      Atomics.store(liveness, LIVENESS.run, serial);
      Atomics.store(liveness, LIVENESS.step, PHASE.setUp);
    },
    step(step) {
      steps = step;
      Atomics.store(liveness, LIVENESS.step, step);
    },
    phase(phase) {
      Atomics.store(liveness, LIVENESS.step, phase === "heal" ? PHASE.heal : PHASE.close);
    },
    ended() {
      if (property) Atomics.store(liveness, LIVENESS.commands, commands += steps);
      Atomics.store(liveness, LIVENESS.step, PHASE.between);
    },
  };
  probeRuns(probe);
  return {
    probe,
    stop() {
      probeRuns(undefined);
      origins.stop();
    },
  };
}

function failureMessage(failure: CallFailure): FailureMessage {
  const { error, value } = failure;
  return {
    kind: "failure",
    rule: error.ruleId,
    clause: error.clause,
    detail: error.detail,
    step: error.step,
    seed: failure.seed,
    path: failure.path,
    maxCommands: failure.maxCommands,
    setup: value.setup,
    commands: Array.from(value.commands, String),
  };
}

if (!isMainThread && workerData?.[WORKER_KEY] !== undefined) {
  serve(workerData[WORKER_KEY] as WorkerInput).catch((error) =>
    post({ kind: "error", name: "Error", message: String(error) })
  );
}
