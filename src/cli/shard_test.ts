import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCli, runCli, UsageError } from "./mod.ts";
import { parseShard, shardLine, shardUnits } from "./shard.ts";
import { output } from "./_test_util.ts";

describe("--shard", () => {
  test("the shards of a command cover every adapter's runs exactly once", () => {
    for (let adapters = 1; adapters <= 7; adapters++) {
      for (let count = 1; count <= 9; count++) {
        // covered[a][r]: how many shards run run r (of 0..count*4) of adapter a.
        const covered = Array.from({ length: adapters }, () => new Array(count * 4).fill(0));
        for (let index = 1; index <= count; index++) {
          const units = shardUnits(adapters, { index, count });
          assert.ok(units.length > 0, `shard ${index}/${count} of ${adapters} has no work`);
          for (const { adapter, slice, slices } of units) {
            assert.ok(slice >= 0 && slice < slices);
            covered[adapter]!.forEach((_, run, row) => {
              if (run % slices === slice) row[run]++;
            });
          }
        }
        for (const row of covered) {
          assert.ok(row.every((n) => n === 1), `${adapters} adapters, ${count} shards: ${row}`);
        }
      }
    }
  });

  test("adapters go round the shards whole; with fewer adapters than shards, runs are shared", () => {
    assert.deepEqual(shardUnits(5, { index: 2, count: 2 }), [
      { adapter: 1, slice: 0, slices: 1 },
      { adapter: 3, slice: 0, slices: 1 },
    ]);
    assert.deepEqual(shardUnits(2, { index: 3, count: 5 }), [{ adapter: 0, slice: 1, slices: 3 }]);
    assert.deepEqual(shardUnits(2, { index: 4, count: 5 }), [{ adapter: 1, slice: 1, slices: 2 }]);
    assert.equal(
      shardLine({ index: 1, count: 2 }, shardUnits(3, { index: 1, count: 2 }), ["a", "b", "c"]),
      "shard 1/2: a; c",
    );
  });

  test("parses k/n and needs the same --seed in every shard", () => {
    assert.deepEqual(parseCli(["--shard", "2/3", "--seed", "4"]).shard, { index: 2, count: 3 });
    assert.deepEqual(parseCli(["--shard=1/1", "--seed=4"]).shard, { index: 1, count: 1 });
    assert.throws(() => parseCli(["--shard", "1/3"]), /'--shard' .* must share its seed/);
    assert.throws(
      () => parseCli(["--shard", "1/3", "--seed", "1", "--path", "0:1"]),
      /'--path' replays one run/,
    );
  });

  const malformed: [string, RegExp][] = [
    ["0/3", /shards are numbered from 1/],
    ["4/3", /there are only 3 shards/],
    ["1/0", /there is at least one shard/],
    ["a/b", /two whole numbers/],
    ["1/3/4", /two whole numbers/],
    ["", /two whole numbers/],
    ["-1/3", /two whole numbers/],
  ];
  for (const [value, why] of malformed) {
    test(`--shard ${JSON.stringify(value)} exits 2 with the reason`, async () => {
      assert.throws(() => parseShard(value), UsageError);
      const stdout = output();
      const stderr = output();
      const code = await runCli(["--adapter", "./a.js", "--seed", "1", `--shard=${value}`], {
        stdout,
        stderr,
      });
      assert.equal(code, 2);
      assert.match(stderr.text, /'--shard' must be k\/n, shard k of n jobs, with 1 <= k <= n/);
      assert.match(stderr.text, why);
      assert.match(stderr.text, new RegExp(`current value is ${value.replace(/[/]/g, "\\/")}\\n`));
      assert.equal(stdout.text, "");
    });
  }

  test("--help documents --shard and merge", async () => {
    const stdout = output();
    assert.equal(await runCli(["--help"], { stdout, stderr: output() }), 0);
    assert.match(stdout.text, /--shard <k\/n>/);
    assert.match(stdout.text, /Usage: poolcheck merge \[flags\] <report\.json>/);
    const merge = output();
    assert.equal(await runCli(["merge", "--help"], { stdout: merge, stderr: output() }), 0);
    for (const flag of ["--json", "--junit", "--markdown", "--html", "--help"]) {
      assert.ok(merge.text.includes(flag), `merge --help does not document ${flag}`);
    }
  });
});
