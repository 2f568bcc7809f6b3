import type { PoolReport } from "../harness/result.ts";
import { STATUS_NAMES } from "./statuses.ts";

/**
 * The version of the JSON report's shape.
 *
 * - 1: the first to carry the field; reports written before it have the
 *   same shape without it (and without `shard` and `mergedFrom`), and
 *   readers take them as version 1.
 * - 2: each report counts its runs apart (`randomRuns`, `shrinkRuns`,
 *   `shrinkSteps` beside `runs`, their sum; `commands` includes the corpus
 *   replays'); an unexpected pass lists its expectation entries (`stale`)
 *   and a known deviation confirmed only by its recorded reproduction says
 *   so (`reproduced`); and of the shards that share an adapter's runs, only
 *   the first replays the corpus, so shards' `corpus` accounts add up.
 */
export const JSON_FORMAT_VERSION = 2;

/**
 * The versions of the JSON report's shape this kit reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JSON_FORMAT_VERSION, JSON_FORMAT_VERSIONS } from "./json.ts";
 *
 * assert.ok(JSON_FORMAT_VERSIONS.includes(JSON_FORMAT_VERSION));
 * ```
 */
export const JSON_FORMAT_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/** What a shard of a sharded check (`--shard k/n`) did, as its JSON report records it. */
export interface JsonShard {
  /** Which shard, from 1. */
  readonly index: number;
  /** How many shards. */
  readonly count: number;
  /** The seed every shard must share. */
  readonly seed: number;
  /** Every adapter the command checks, in order (the shard checks some of them). */
  readonly adapters: readonly string[];
  /** The flags that shape the check, which every shard must share. */
  readonly settings: JsonShardSettings;
  /** One entry per report, in the same order: which share of the adapter's runs it covers. */
  readonly units: readonly JsonShardUnit[];
}

/** Flags of a sharded check that every shard must share. */
export interface JsonShardSettings {
  /** `--runs`, or `null` for the default. */
  readonly runs: number | null;
  /** `--max-commands`, or `null` for the default. */
  readonly maxCommands: number | null;
  /** `--quick`. */
  readonly quick: boolean;
  /** `--rule` values. */
  readonly rules: readonly string[];
}

/** A share of one adapter's runs, covered by one report of a shard. */
export interface JsonShardUnit {
  /** The adapter's name. */
  readonly adapter: string;
  /** Which share, from 0. */
  readonly slice: number;
  /** How many shares (1: the whole check). */
  readonly slices: number;
}

/** What a JSON report says beyond its reports. */
export interface JsonReportMeta {
  /** Given for a shard of a sharded check. */
  readonly shard?: JsonShard;
  /** Given for a report merged from shards: how many. */
  readonly mergedFrom?: number;
}

/**
 * Render reports as JSON (stable key order as built, two-space indent). The
 * reports keep the machine values of their statuses (`expected-fail`,
 * `not-applicable`, …); `statusNames` gives the human name of each, the
 * words the other reports use, so a tool that shows a JSON report can say
 * the same. Each report is whole (counterexamples with their steps and
 * ledger), so the other formats can be rendered again from it, as
 * `poolcheck merge` does.
 *
 * @param reports One report per adapter.
 * @param meta For a shard, what it covers; for a merged report, how many shards.
 * @returns JSON text ending with a newline:
 * `{ "formatVersion": 2, "statusNames": {…}, ["shard": {…},] ["mergedFrom": n,] "reports": [...] }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderJson } from "./json.ts";
 *
 * const json = JSON.parse(renderJson([{ adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true }]));
 * assert.equal(json.formatVersion, 2);
 * assert.equal(json.reports[0].adapter, "x");
 * assert.equal(json.statusNames["expected-fail"], "known failure");
 * ```
 */
export function renderJson(reports: readonly PoolReport[], meta: JsonReportMeta = {}): string {
  const { shard, mergedFrom } = meta;
  return `${
    JSON.stringify(
      {
        formatVersion: JSON_FORMAT_VERSION,
        statusNames: STATUS_NAMES,
        ...(shard === undefined ? {} : { shard }),
        ...(mergedFrom === undefined ? {} : { mergedFrom }),
        reports,
      },
      null,
      2,
    )
  }\n`;
}
