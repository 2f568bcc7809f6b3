import assert from "node:assert/strict";
import { describe, test } from "node:test";
import process from "node:process";
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/mod.ts";
import { Operations } from "./_operations.ts";
import { drainPromises, settle, type Settling } from "./_settle.ts";

/** A settle target on a virtual clock that counts how often the loop looked for a due timer. */
function target(global = false): Settling & { looks: number; network: SimNetwork } {
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
    global,
    toleranceMs: 0,
    step: 1,
    now: () => clock.now(),
    watchdog: () => {},
    stuck: (detail: string) => new Error(detail),
    describe: () => {},
    restedAt: -1,
    timersRun: 0,
    macrotasks: 0,
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

describe("drainPromises()", () => {
  for (const global of [false, true]) {
    test(`on ${global ? "global" : "virtual"} time, runs promise callbacks but fires no due timer, which settle() does`, async () => {
      const run = target(global);
      const log: string[] = [];
      run.clock.setTimer(0, () => log.push("timer"));
      let chain = Promise.resolve();
      for (let i = 0; i < 5; i++) chain = chain.then(() => {});
      void chain.then(() => {
        log.push("promise callback");
        run.operations.touch();
      });
      await drainPromises(run);
      assert.deepEqual(log, ["promise callback"]);
      assert.equal(run.looks, 0);
      assert.equal(run.timersRun, 0);
      // Only global time waits for real macrotasks.
      assert.equal(run.macrotasks > 0, global);
      assert.equal(run.clock.nextDeadline(), 0);
      await settle(run);
      assert.deepEqual(log, ["promise callback", "timer"]);
      assert.equal(run.timersRun, 1);
      assert.equal(run.clock.nextDeadline(), undefined);
    });
  }
});

describe("settle() on global time", () => {
  test("one round runs a chain of promise and nextTick callbacks of any length before the next timer", async () => {
    const run = target(true);
    const log: string[] = [];
    run.clock.setTimer(0, () => log.push("timer"));
    let depth = 0;
    const step = () => {
      if (++depth === 200) {
        log.push("chain done");
        run.operations.touch();
        return;
      }
      if (depth % 2 === 0) process.nextTick(step);
      else void Promise.resolve().then(step);
    };
    step();
    await drainPromises(run);
    assert.deepEqual(log, ["chain done"]);
    depth = 0;
    step();
    const waited = run.macrotasks;
    assert.ok(waited > 0);
    await settle(run);
    assert.deepEqual(log, ["chain done", "chain done", "timer"]);
    // The round that fired the timer, then one that brought nothing new: a macrotask each.
    assert.equal(run.looks, 2);
    assert.equal(run.macrotasks - waited, 2);
  });

  test("returns at once at rest, unless a timer is due within the tolerance while operations are pending", async () => {
    const run = target(true);
    await settle(run);
    const looks = run.looks;
    await settle(run);
    assert.equal(run.looks, looks);
    // A pending operation and a timer due 1 ms on: the settle moves time on to it.
    let resolve = () => {};
    run.operations.track("pending", () => new Promise<void>((r) => (resolve = r)), {});
    await settle(run);
    const fired: number[] = [];
    run.clock.setTimer(1, () => fired.push(run.now()));
    assert.equal(run.restedAt, run.operations.calls + run.operations.activity + run.ledger.length);
    await settle(run);
    assert.deepEqual(fired, [1]);
    resolve();
    await settle(run);
  });
});
