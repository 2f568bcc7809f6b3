import assert from "node:assert/strict";
import { test } from "node:test";
import { VirtualClock } from "../../src/clock/virtual_clock.ts";
import { checkPool } from "../../src/harness/check_pool.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";
import { SimNetwork } from "../../src/net/sim_network.ts";
import {
  apachePresetAdapter,
  cmapPresetAdapter,
  cmapReferenceAdapter,
  jdkPresetAdapter,
  kafkaPresetAdapter,
} from "./presets.ts";

/** A whole default check: a timeout of its own, so no runner's default cuts it off on a busy machine. */
const LONG = { timeout: 300_000 };

// How many rules each must pass at least: the leasing presets all but those of multiplexed pools
// and of capabilities they do not declare; the multiplexed one fewer.
const JUDGED = [
  [apachePresetAdapter, 30],
  [jdkPresetAdapter, 30],
  [kafkaPresetAdapter, 12],
  [cmapPresetAdapter, 30],
  // The CMAP declarations the harness draws (paused start, minimum, interrupting clear, idle
  // expiry at check-out, connects owned by their acquire) on the reference pool's small limits.
  [cmapReferenceAdapter, 38],
] as const;

for (const [adapter, judged] of JUDGED) {
  test(`${adapter.name} conforms to the values its source documents`, LONG, async () => {
    const report = await checkPool(adapter, { seed: 20_261_121 });
    const failing = report.rules.filter((r) => r.status === "fail");
    assert.deepEqual(failing.map((r) => `${r.id}: ${r.counterexample?.message}`), []);
    assert.equal(report.ok, true);
    // The run judged most of what such a pool can be judged on, not a handful of rules.
    assert.ok(report.rules.filter((r) => r.status === "pass").length >= judged);
  });
}

test("reference-cmap-preset hands the harness a paused pool built from CMAP's defaults, ready() makes it serve", async () => {
  const clock = new VirtualClock();
  const network = new SimNetwork({ clock });
  const config = poolConfigOf({ maxTotal: 100, maxPerRoute: 100, maxConnecting: 2 });
  const pool = await cmapPresetAdapter.create(config, { clock, network, random: () => 0.5 });
  await assert.rejects(pool.acquire("r0", {}), { name: "PoolClearedError" });
  assert.equal(network.ledger.length, 0);
  await pool.ready!();
  const acquiring = pool.acquire("r0", {});
  clock.runDue();
  const lease = await acquiring;
  assert.equal(pool.stats?.().total.max, 100);
  await pool.release(lease, { reusable: true });
  await pool.close();
});
