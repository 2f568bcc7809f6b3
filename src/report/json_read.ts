/**
 * Reading JSON reports back: the shape `renderJson` writes, checked field by
 * field, so that a report from another job (a shard of a sharded check) can
 * be merged and rendered again in every format.
 *
 * @module
 */
import type { PoolReport } from "../harness/result.ts";
import { JSON_FORMAT_VERSION, JSON_FORMAT_VERSIONS, type JsonShard } from "./json.ts";

/** A JSON report as read back. */
export interface JsonReport {
  /**
   * The version of its shape (1 for reports written before the field
   * existed). Reports of version 1 do not count random and shrink runs
   * apart, nor list an unexpected pass's entries; they are read as they are.
   */
  readonly formatVersion: number;
  /** One report per adapter (per share of an adapter's runs, for a shard). */
  readonly reports: readonly PoolReport[];
  /** What the shard covered, for a shard of a sharded check. */
  readonly shard?: JsonShard;
  /** How many shards it was merged from, for a merged report. */
  readonly mergedFrom?: number;
}

/** A JSON report that does not have the shape `renderJson` writes. */
export class JsonReportError extends Error {
  /**
   * Make the error.
   *
   * @param message What is wrong, and where in the report.
   */
  constructor(message: string) {
    super(message);
    this.name = "JsonReportError";
  }
}

const STATUSES = [
  "pass",
  "fail",
  "not-applicable",
  "not-verified",
  "expected-fail",
  "unexpected-pass",
];

type Json = Record<string, unknown>;

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function wrong(where: string, must: string, value: unknown): never {
  throw new JsonReportError(`'${where}' must be ${must}: current value is ${shown(value)}`);
}

function object(where: string, value: unknown): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    wrong(where, "an object", value);
  }
  return value as Json;
}

function array(where: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) wrong(where, "an array", value);
  return value;
}

function string(where: string, value: unknown): string {
  if (typeof value !== "string") wrong(where, "a string", value);
  return value;
}

function count(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    wrong(where, "a whole number", value);
  }
  return value;
}

function number(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) wrong(where, "a number", value);
  return value;
}

function strings(where: string, value: unknown): string[] {
  return array(where, value).map((item, i) => string(`${where}[${i}]`, item));
}

function optional<T>(json: Json, key: string, where: string, read: (w: string, v: unknown) => T) {
  if (json[key] !== undefined) read(`${where}.${key}`, json[key]);
}

function boolean(where: string, value: unknown): boolean {
  if (typeof value !== "boolean") wrong(where, "true or false", value);
  return value;
}

function counterexample(where: string, value: unknown): void {
  const json = object(where, value);
  for (const key of ["clause", "message", "path", "replay"]) {
    string(`${where}.${key}`, json[key]);
  }
  count(`${where}.step`, json.step);
  count(`${where}.seed`, json.seed);
  object(`${where}.setup`, json.setup);
  for (const key of ["commands", "steps", "ledger"]) strings(`${where}.${key}`, json[key]);
}

function rule(where: string, value: unknown): void {
  const json = object(where, value);
  string(`${where}.id`, json.id);
  string(`${where}.title`, json.title);
  if (!STATUSES.includes(json.status as string)) {
    wrong(`${where}.status`, `one of ${STATUSES.join(", ")}`, json.status);
  }
  optional(json, "reason", where, string);
  optional(json, "counterexample", where, counterexample);
  optional(json, "known", where, (w, v) =>
    array(w, v).forEach((item, i) => {
      const known = object(`${w}[${i}]`, item);
      string(`${w}[${i}].clause`, known.clause);
      string(`${w}[${i}].reason`, known.reason);
      counterexample(`${w}[${i}].counterexample`, known.counterexample);
      optional(known, "reproduced", `${w}[${i}]`, boolean);
    }));
  optional(json, "stale", where, (w, v) =>
    array(w, v).forEach((item, i) => {
      const entry = object(`${w}[${i}]`, item);
      string(`${w}[${i}].key`, entry.key);
      string(`${w}[${i}].reason`, entry.reason);
      optional(entry, "replay", `${w}[${i}]`, string);
    }));
}

function report(where: string, value: unknown): PoolReport {
  const json = object(where, value);
  string(`${where}.adapter`, json.adapter);
  count(`${where}.seed`, json.seed);
  const runs = count(`${where}.runs`, json.runs);
  // Given together (format 2), unless the check could not tell its runs apart.
  if (json.randomRuns !== undefined || json.shrinkRuns !== undefined) {
    const random = count(`${where}.randomRuns`, json.randomRuns);
    const shrink = count(`${where}.shrinkRuns`, json.shrinkRuns);
    count(`${where}.shrinkSteps`, json.shrinkSteps);
    if (random + shrink !== runs) {
      wrong(`${where}.runs`, `randomRuns + shrinkRuns (${random + shrink})`, runs);
    }
  } else if (json.shrinkSteps !== undefined) {
    wrong(`${where}.randomRuns`, "a whole number when shrinkSteps is given", json.randomRuns);
  }
  count(`${where}.commands`, json.commands);
  number(`${where}.durationMs`, json.durationMs);
  array(`${where}.rules`, json.rules).forEach((item, i) => rule(`${where}.rules[${i}]`, item));
  optional(json, "inconclusive", where, (w, v) => {
    const inconclusive = object(w, v);
    count(`${w}.runs`, inconclusive.runs);
    strings(`${w}.reasons`, inconclusive.reasons);
    optional(inconclusive, "replay", w, string);
  });
  optional(json, "endedEarly", where, count);
  optional(json, "nondeterminism", where, string);
  optional(json, "corpus", where, (w, v) => {
    const corpus = object(w, v);
    count(`${w}.replays`, corpus.replays);
    for (const key of ["failing", "fixed", "skipped"]) {
      array(`${w}.${key}`, corpus[key]).forEach((item, i) => {
        const note = object(`${w}.${key}[${i}]`, item);
        for (const field of ["source", "clause", "path", "note"]) {
          string(`${w}.${key}[${i}].${field}`, note[field]);
        }
        count(`${w}.${key}[${i}].seed`, note.seed);
      });
    }
  });
  strings(`${where}.errors`, json.errors);
  if (typeof json.ok !== "boolean") wrong(`${where}.ok`, "true or false", json.ok);
  return json as unknown as PoolReport;
}

function shard(value: unknown, reports: number): JsonShard {
  const json = object("shard", value);
  const total = count("shard.count", json.count);
  const index = count("shard.index", json.index);
  if (total < 1 || index < 1 || index > total) {
    wrong("shard.index", `from 1 to shard.count (${total})`, index);
  }
  count("shard.seed", json.seed);
  strings("shard.adapters", json.adapters);
  const settings = object("shard.settings", json.settings);
  for (const key of ["runs", "maxCommands"]) {
    if (settings[key] !== null) count(`shard.settings.${key}`, settings[key]);
  }
  if (typeof settings.quick !== "boolean") {
    wrong("shard.settings.quick", "true or false", settings.quick);
  }
  strings("shard.settings.rules", settings.rules);
  const units = array("shard.units", json.units);
  if (units.length !== reports) {
    wrong("shard.units", `one entry per report (${reports})`, `${units.length} entries`);
  }
  units.forEach((item, i) => {
    const unit = object(`shard.units[${i}]`, item);
    string(`shard.units[${i}].adapter`, unit.adapter);
    const slices = count(`shard.units[${i}].slices`, unit.slices);
    const slice = count(`shard.units[${i}].slice`, unit.slice);
    if (slices < 1 || slice >= slices) {
      wrong(`shard.units[${i}].slice`, `below slices (${slices})`, slice);
    }
  });
  return json as unknown as JsonShard;
}

/**
 * Parse a JSON report written by `renderJson` (by `--json`), checking every
 * field the renderers read.
 *
 * @param text The file's text.
 * @returns The report.
 * @throws {JsonReportError} If it is not JSON, or a field is missing or of
 * the wrong kind: the message names the field, e.g. `'reports[0].rules[2].status'`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderJson } from "./json.ts";
 * import { parseJsonReport } from "./json_read.ts";
 *
 * const report = { adapter: "x", seed: 1, runs: 0, commands: 0, durationMs: 0, rules: [], errors: [], ok: true };
 * assert.deepEqual(parseJsonReport(renderJson([report])).reports, [report]);
 * assert.throws(() => parseJsonReport('{"reports": [{}]}'), /'reports\[0\]\.adapter' must be a string/);
 * ```
 */
export function parseJsonReport(text: string): JsonReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JsonReportError(`it is not JSON (${(error as Error).message})`);
  }
  const json = object("the report", parsed);
  const formatVersion = json.formatVersion === undefined ? 1 : json.formatVersion;
  if (!JSON_FORMAT_VERSIONS.includes(formatVersion as number)) {
    const newer = typeof formatVersion === "number" && formatVersion > JSON_FORMAT_VERSION
      ? ": a newer kit wrote it"
      : "";
    wrong(
      "formatVersion",
      `${JSON_FORMAT_VERSIONS.join(" or ")}, the versions this kit reads${newer}`,
      formatVersion,
    );
  }
  const reports = array("reports", json.reports).map((item, i) => report(`reports[${i}]`, item));
  const read: { -readonly [K in keyof JsonReport]: JsonReport[K] } = {
    formatVersion: formatVersion as number,
    reports,
  };
  if (json.shard !== undefined) read.shard = shard(json.shard, reports.length);
  if (json.mergedFrom !== undefined) read.mergedFrom = count("mergedFrom", json.mergedFrom);
  return read;
}
