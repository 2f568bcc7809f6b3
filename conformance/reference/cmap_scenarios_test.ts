import assert from "node:assert/strict";
import { test } from "node:test";
import { VirtualClock } from "../../src/clock/virtual_clock.ts";
import { validateAdapter } from "../../src/harness/adapter.ts";
import { poolConfigOf } from "../../src/harness/pool_config.ts";
import { SimNetwork } from "../../src/net/sim_network.ts";
import { cmapPausedAdapter } from "./cmap_scenarios.ts";

test("reference-cmap-paused declares a paused start and starts paused until ready()", async () => {
  validateAdapter(cmapPausedAdapter);
  assert.equal(cmapPausedAdapter.supports.policies.startsPaused, true);
  const clock = new VirtualClock();
  const network = new SimNetwork({ clock });
  const config = poolConfigOf({ minPoolSize: 1 });
  const pool = await cmapPausedAdapter.create(config, { clock, network, random: () => 0.5 });
  const refused = await pool.acquire("r0", {}).catch((error: unknown) => error);
  assert.equal(pool.rejectionKind?.(refused), "poolCleared");
  clock.runDue();
  assert.equal(network.sockets().length, 0);
  await pool.ready!();
  clock.runDue(); // the background run populates r0 up to minPoolSize
  assert.equal(network.sockets().length, 1);
  await pool.close();
});
