import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/mod.ts";
import { Operations } from "./_operations.ts";
import { settle, type Settling } from "./_settle.ts";

/** A settle target on virtual time that counts how often the loop looked for a due timer. */
function target(): Settling & { looks: number; network: SimNetwork } {
  const clock = new VirtualClock();
  const network = new SimNetwork({ clock, defaults: { connectLatencyMs: 1_000 } });
  const runNext = clock.runNext.bind(clock);
  const run = {
    looks: 0,
    clock: Object.assign(clock, {
      runNext: (t?: number) => {
        run.looks++;
        return runNext(t);
      },
    }),
    network,
    ledger: network.ledger,
    operations: new Operations(),
    global: false,
    toleranceMs: 0,
    step: 1,
    now: () => clock.now(),
    watchdog: () => {},
    stuck: (detail: string) => new Error(detail),
    describe: () => {},
    restedAt: -1,
    timersRun: 0,
  };
  return run;
}

describe("settle() on virtual time", () => {
  test("returns at once when nothing could have run pool code since the pool came to rest", async () => {
    const run = target();
    await settle(run);
    assert.ok(run.looks > 0);
    const looks = run.looks;
    await settle(run);
    assert.equal(run.looks, looks);
  });

  test("settles again after a call into the pool, a settled promise, a ledger event or a due timer", async () => {
    const run = target();
    await settle(run);
    const causes: [string, () => void][] = [
      ["a call", () => run.operations.called()],
      ["a recorded outcome", () => run.operations.touch()],
      // Recorded at once; the connect completes only at t=1000.
      ["a ledger event", () => void run.network.connect("r0")],
      ["a timer due now", () => void run.clock.setTimer(0, () => {})],
    ];
    for (const [cause, act] of causes) {
      const looks = run.looks;
      act();
      await settle(run);
      assert.ok(run.looks > looks, `no settle after ${cause}`);
    }
  });
});
