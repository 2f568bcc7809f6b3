/**
 * Sharding: how `--shard k/n` splits one check across n CI jobs.
 *
 * The unit of work is an adapter. With at least as many adapters as shards,
 * shard k checks the adapters at positions k-1, k-1+n, k-1+2n, … (from 0),
 * each with every selected rule and every run, so each adapter's report is
 * exactly the one an unsharded check with the same seed gives. With fewer
 * adapters than shards, the runs are split too: adapter a goes to the shards
 * k with (k-1) mod A = a, and those shards share its runs, each running
 * every m-th drawn case of each property (see `CheckPoolOptions.slice`).
 *
 * Rule groups are not a unit: one run exercises the pool once and every
 * selected rule judges that same run, so checking the groups apart would
 * repeat the runs once per group, and each shard would do more work than
 * the unsharded check.
 *
 * @example Three shards of one adapter share its runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShard, shardUnits } from "./shard.ts";
 *
 * assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
 * assert.deepEqual(shardUnits(1, { index: 2, count: 3 }), [{ adapter: 0, slice: 1, slices: 3 }]);
 * ```
 *
 * @module
 */
import type { JsonShard } from "../report/json.ts";
import { UsageError } from "./usage_error.ts";

/** One shard of `count` (`index` from 1, as `--shard` writes it). */
export interface Shard {
  /** Which shard, 1 to `count`. */
  readonly index: number;
  /** How many shards. */
  readonly count: number;
}

/** Work a shard does: a share of one adapter's runs. */
export interface ShardUnit {
  /** Position of the adapter among the checked adapters, from 0. */
  readonly adapter: number;
  /** Which share of the adapter's runs, from 0. */
  readonly slice: number;
  /** How many shares the adapter's runs are cut into (1: the whole check). */
  readonly slices: number;
}

/**
 * Parse a `--shard` value: `k/n` with 1 ≤ k ≤ n.
 *
 * @param value The flag's value.
 * @returns The shard.
 * @throws {UsageError} If it is not `k/n` with 1 ≤ k ≤ n.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShard } from "./shard.ts";
 *
 * assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
 * assert.throws(() => parseShard("4/3"), /'--shard' must be k\/n/);
 * ```
 */
export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const fail = (why: string): never => {
    throw new UsageError(
      `Cannot run poolcheck as '--shard' must be k/n, shard k of n jobs, with 1 <= k <= n (${why}): current value is ${value}`,
    );
  };
  if (match === null) return fail("two whole numbers with a slash between them, e.g. 2/3");
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) return fail("too large");
  if (count < 1) return fail("there is at least one shard");
  if (index < 1) return fail("shards are numbered from 1");
  if (index > count) return fail(`there are only ${count} shards`);
  return { index, count };
}

/**
 * The work of one shard, given how many adapters the command checks.
 * Together the shards 1/n to n/n cover every adapter's runs exactly once.
 *
 * @param adapters How many adapters (at least 1).
 * @param shard Which shard.
 * @returns The shard's units, in adapter order.
 *
 * @example Four adapters over three shards
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardUnits } from "./shard.ts";
 *
 * assert.deepEqual(shardUnits(4, { index: 1, count: 3 }).map((u) => u.adapter), [0, 3]);
 * ```
 */
export function shardUnits(adapters: number, shard: Shard): ShardUnit[] {
  const k = shard.index - 1;
  const n = shard.count;
  if (adapters >= n) {
    const units: ShardUnit[] = [];
    for (let adapter = k; adapter < adapters; adapter += n) {
      units.push({ adapter, slice: 0, slices: 1 });
    }
    return units;
  }
  const adapter = k % adapters;
  // The shards of this adapter are adapter + 1, adapter + 1 + A, …, up to n.
  const slices = Math.floor((n - 1 - adapter) / adapters) + 1;
  return [{ adapter, slice: Math.floor(k / adapters), slices }];
}

/**
 * Describe a shard's work in a line, e.g. for the top of its text report.
 *
 * @param shard The shard.
 * @param units Its units.
 * @param names Adapter names, by position.
 * @returns One line, without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardLine } from "./shard.ts";
 *
 * assert.equal(
 *   shardLine({ index: 2, count: 3 }, [{ adapter: 0, slice: 1, slices: 3 }], ["my-pool"]),
 *   "shard 2/3: my-pool, runs 2, 5, 8, … of each property (every 3rd drawn case)",
 * );
 * ```
 */
export function shardLine(
  shard: Shard,
  units: readonly ShardUnit[],
  names: readonly string[],
): string {
  const parts = units.map(({ adapter, slice, slices }) => {
    const name = names[adapter] ?? `adapter ${adapter + 1}`;
    if (slices === 1) return name;
    const runs = [1, 2, 3].map((i) => slice + 1 + (i - 1) * slices).join(", ");
    return `${name}, runs ${runs}, … of each property (every ${ordinal(slices)} drawn case)`;
  });
  return `shard ${shard.index}/${shard.count}: ${parts.join("; ")}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

/** What {@linkcode jsonShard} reads of a command line. */
export interface ShardedCheck {
  /** The shard. */
  readonly shard?: Shard;
  readonly seed?: number;
  readonly runs?: number;
  readonly maxCommands?: number;
  readonly quick: boolean;
  readonly rules: readonly string[];
}

/**
 * What a shard's JSON report records of it, for `poolcheck merge` to check
 * that the shards are complete and come from one command.
 *
 * @param cli The command line (with `shard` and `seed`).
 * @param adapters Every adapter of the command, in order.
 * @param units The shard's units.
 * @returns The `shard` field of the JSON report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonShard } from "./shard.ts";
 *
 * const shard = jsonShard(
 *   { shard: { index: 1, count: 2 }, seed: 7, quick: true, rules: [] },
 *   [{ adapter: { name: "x" } }],
 *   [{ adapter: 0, slice: 0, slices: 2 }],
 * );
 * assert.deepEqual(shard.units, [{ adapter: "x", slice: 0, slices: 2 }]);
 * ```
 */
export function jsonShard(
  cli: ShardedCheck,
  adapters: readonly { readonly adapter: { readonly name: string } }[],
  units: readonly ShardUnit[],
): JsonShard {
  const { shard = { index: 1, count: 1 }, seed = 0 } = cli;
  const names = adapters.map((entry) => entry.adapter.name);
  return {
    index: shard.index,
    count: shard.count,
    seed,
    adapters: names,
    settings: {
      runs: cli.runs ?? null,
      maxCommands: cli.maxCommands ?? null,
      quick: cli.quick,
      rules: [...cli.rules],
    },
    units: units.map((unit) => ({
      adapter: names[unit.adapter]!,
      slice: unit.slice,
      slices: unit.slices,
    })),
  };
}
