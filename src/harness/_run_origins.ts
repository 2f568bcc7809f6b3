/**
 * Where each run of a check comes from, in the terms a replay line needs:
 * the seed of the fast-check call that drew the run and the run's path in
 * it. An isolated check's worker records this before every run, so a run
 * whose pool never yields can still be named after the worker is stopped.
 *
 * The path is followed exactly, with a fast-check plugin that sees every
 * execution of the predicate and its outcome, as fast-check's runner counts
 * them: the index of the value in the current level, and on a failure the
 * index is kept and counting starts again among that value's shrinks. The
 * seed of a call is not visible to a plugin; it follows from how
 * `checkPool` draws them: the first property runs on the check's seed (and
 * `path`), each following property on the next seed of its sequence, and a
 * recorded reproduction on its expectation entry's seed and path.
 *
 * @module
 */
import fc from "fast-check";
import { DEFAULT_MAX_COMMANDS } from "./case.ts";
import type { CorpusCase } from "./corpus.ts";
import type { Expectation, Expectations } from "./expectations.ts";
import { RuleViolation } from "./rule.ts";
import type { RunCase, RunCaseOptions } from "./run_case.ts";

/** Where a run comes from. */
export interface RunOrigin {
  /** Seed of the fast-check call that drew the run, when known. */
  readonly seed?: number;
  /** The run's fast-check path in that call (what `--path` replays), when known. */
  readonly path?: string;
  /** Longest command sequence the run's case was drawn with (`--max-commands`). */
  readonly maxCommands: number;
  /** Whether the run is a property's (exploring or shrinking), counted as a run of the check. */
  readonly property: boolean;
}

/** A failure a fast-check call ended with. */
export interface CallFailure {
  /** The violation (of the shrunk case). */
  readonly error: RuleViolation;
  /** The shrunk case. */
  readonly value: RunCase;
  /** Seed of the call. */
  readonly seed: number;
  /** Path of the shrunk case. */
  readonly path: string;
  /** `maxCommands` of the call's cases. */
  readonly maxCommands: number;
}

/** Options of {@linkcode RunOrigins}. */
export interface RunOriginsOptions {
  /** Seed of the check's first property. */
  readonly seed: number;
  /** Path the first property replays. @default {undefined} */
  readonly path?: string;
  /** `maxCommands` of the properties. */
  readonly maxCommands: number;
  /** The expectation entries, whose reproductions the check replays. @default {{}} */
  readonly expectations?: Expectations;
  /** The saved cases the check replays first. @default {[]} */
  readonly corpus?: readonly CorpusCase[];
  /** Called when a fast-check call ends with a rule violation. @default {undefined} */
  readonly onFailure?: (failure: CallFailure) => void;
}

/** fast-check's next seed for a check's next property (as `checkPool` draws it). */
function nextPropertySeed(seed: number): number {
  return (seed * 1103515245 + 12345) & 0x7fffffff;
}

/**
 * A path relative to a replayed one, as fast-check reports it: the first
 * index is an offset to the replayed path's last one.
 */
function mergePaths(base: string, relative: string): string {
  if (base === "") return relative;
  const head = base.split(":");
  const tail = relative.split(":");
  const middle = Number(head[head.length - 1]) + Number(tail[0]);
  return [...head.slice(0, -1), `${middle}`, ...tail.slice(1)].join(":");
}

/** One fast-check call, followed as its runner follows it. */
class Call {
  /** Index of the current value in the current level. */
  index = -1;
  /** Indices of the failing values that led to the current level. */
  readonly failed: number[] = [];
  /** What the call is, once its first run said. */
  kind: "property" | "replay" | undefined;
  seed: number | undefined;
  base = "";
  maxCommands = DEFAULT_MAX_COMMANDS;

  relative(): string {
    return [...this.failed, this.index].join(":");
  }
}

/** What fast-check counts as a failure (not a pass, a skip or an interrupt). */
function isFailure(result: unknown): boolean {
  return result !== null && typeof result === "object" && !fc.PreconditionFailure.isFailure(result);
}

/** The tracker fast-check calls report to, while one is tracking. */
let tracking: RunOrigins | undefined;
let installed = false;

/**
 * Follows the fast-check calls of one check in this thread (one at a time),
 * and names the origin of each run.
 */
export class RunOrigins {
  readonly #options: RunOriginsOptions;
  #call: Call | undefined;
  /** The call whose predicate is executing now. */
  #running: Call | undefined;
  #properties = 0;
  #lastPropertySeed: number | undefined;
  /** Whether every property call so far ran on the seed predicted for it. */
  #seedsHeld = true;
  #lastFailure: { seed: number; path: string; maxCommands: number } | undefined;
  /** Whether a property has started (saved cases are all replayed before). */
  #explored = false;

  /** @param options The check's seed, path, profile and expectations. */
  constructor(options: RunOriginsOptions) {
    this.#options = options;
  }

  /** Whether every property's seed so far was the one predicted for it. */
  get seedsHeld(): boolean {
    return this.#seedsHeld;
  }

  /** Start following this thread's fast-check calls (stops any other tracker). */
  track(): void {
    if (!installed) {
      installed = true;
      fc.installGlobalPlugin(() => tracking === undefined ? {} : tracking.#begin());
    }
    tracking = this;
  }

  /** Stop following. */
  stop(): void {
    if (tracking === this) tracking = undefined;
  }

  #begin(): fc.PluginInstance<unknown> {
    const call = new Call();
    this.#call = call;
    return {
      decorateRun: (nested) => (value) => {
        call.index++;
        this.#running = call;
        const settled = (result: unknown) => {
          if (this.#running === call) this.#running = undefined;
          if (isFailure(result)) {
            call.failed.push(call.index);
            call.index = -1;
          }
        };
        const out = nested(value);
        if (out instanceof Promise) {
          return out.then((result) => {
            settled(result);
            return result;
          });
        }
        settled(out);
        return out;
      },
      onAllRunsComplete: (details) => this.#complete(call, details),
    };
  }

  #complete(call: Call, details: fc.RunDetails<unknown>): void {
    if (this.#call === call) this.#call = undefined;
    if (call.kind === "property") {
      if (details.seed !== call.seed) this.#seedsHeld = false;
      this.#properties++;
      this.#lastPropertySeed = details.seed;
    }
    const error = details.errorInstance;
    const value = (details.counterexample as [RunCase] | null)?.[0];
    if (!details.failed || !(error instanceof RuleViolation) || value === undefined) return;
    const failure = {
      seed: details.seed,
      path: details.counterexamplePath ?? "",
      maxCommands: call.maxCommands,
    };
    this.#lastFailure = failure;
    this.#options.onFailure?.({ ...failure, error, value });
  }

  /**
   * The origin of a run starting now.
   *
   * @param options The options `runCase` was called with.
   * @returns Seed, path and profile that replay it, as far as known.
   */
  originOf(options: RunCaseOptions): RunOrigin {
    const call = this.#running;
    if (call === undefined) {
      // Outside a fast-check call: a failure found is being described (replayed with a trace).
      const last = this.#lastFailure;
      return last === undefined
        ? { maxCommands: this.#options.maxCommands, property: false }
        : { ...last, property: false };
    }
    if (call.kind === undefined) this.#identify(call, options);
    const property = call.kind === "property";
    if (call.seed === undefined || (property && !this.#seedsHeld)) {
      return { maxCommands: call.maxCommands, property };
    }
    return {
      seed: call.seed,
      path: mergePaths(call.base, call.relative()),
      maxCommands: call.maxCommands,
      property,
    };
  }

  /**
   * A property's runs report the steps at which they ended early; a recorded
   * reproduction's single run does not, and checks the one rule it reproduces.
   */
  #identify(call: Call, options: RunCaseOptions): void {
    if (options.onEndedEarly !== undefined) {
      this.#explored = true;
      call.kind = "property";
      call.maxCommands = this.#options.maxCommands;
      if (this.#properties === 0) {
        call.seed = this.#options.seed;
        call.base = this.#options.path ?? "";
      } else if (this.#lastPropertySeed !== undefined) {
        call.seed = nextPropertySeed(this.#lastPropertySeed);
      }
      return;
    }
    call.kind = "replay";
    // Saved cases are replayed before the first property, recorded reproductions after.
    const entries = this.#explored
      ? reproductions(this.#options.expectations ?? {}, [], options)
      : reproductions({}, this.#options.corpus ?? [], options);
    if (entries.length !== 1) return;
    const [entry] = entries as [Required<Pick<Expectation, "seed" | "path">> & Expectation];
    call.seed = entry.seed;
    call.base = entry.path;
    call.maxCommands = entry.maxCommands ?? DEFAULT_MAX_COMMANDS;
  }
}

/**
 * Expectation entries with a reproduction, and saved cases, for the rules of
 * a run (distinct by seed and path).
 */
function reproductions(
  expectations: Expectations,
  corpus: readonly CorpusCase[],
  options: RunCaseOptions,
): Expectation[] {
  const ids = options.rules.map((rule) => rule.id);
  const found = new Map<string, Expectation>();
  for (const [key, entry] of Object.entries(expectations)) {
    if (typeof entry === "string" || entry.seed === undefined || entry.path === undefined) continue;
    if (!ids.some((id) => key === id || key.startsWith(`${id}.`))) continue;
    found.set(`${entry.seed} ${entry.path} ${entry.maxCommands ?? DEFAULT_MAX_COMMANDS}`, entry);
  }
  for (const saved of corpus) {
    if (!ids.includes(saved.rule)) continue;
    const { seed, path, maxCommands, clause } = saved;
    found.set(`${seed} ${path} ${maxCommands}`, { reason: clause, seed, path, maxCommands });
  }
  return [...found.values()];
}
