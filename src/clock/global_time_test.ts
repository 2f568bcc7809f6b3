import assert from "node:assert/strict";
import { describe, test } from "node:test";
import timers from "node:timers";
import timersPromises from "node:timers/promises";
import { performance as perfHooksPerformance } from "node:perf_hooks";
import process from "node:process";
import { GlobalTimeDriver, realTimers, withGlobalTime } from "./global_time.ts";

const REAL_EPOCH_FLOOR = Date.UTC(2020, 0, 1);

describe("GlobalTimeDriver", () => {
  test("fakes setTimeout, setInterval, Date and performance, driven by advance", async () => {
    await withGlobalTime(async (driver) => {
      const trace: string[] = [];
      setTimeout(() => trace.push(`timeout@${Date.now()}`), 30);
      const interval = setInterval(() => trace.push(`tick@${driver.now()}`), 20);
      const before = performance.now();
      driver.advance(45);
      clearInterval(interval);
      assert.deepEqual(trace, ["tick@20", "timeout@30", "tick@40"]);
      assert.equal(performance.now() - before, 45);
      // Microtasks stay real: a promise resolves without driving the clock.
      assert.equal(await Promise.resolve("micro"), "micro");
    }, { start: 0 });
  });

  test("nextDeadline sees timers armed through the global functions", async () => {
    await withGlobalTime((driver) => {
      assert.equal(driver.nextDeadline(), undefined);
      setTimeout(() => {}, 70);
      driver.setTimer(40, () => {});
      assert.equal(driver.nextDeadline(), 40);
      assert.equal(driver.pendingTimers, 2);
      driver.advanceTo(40);
      assert.equal(driver.nextDeadline(), 70);
      return Promise.resolve();
    });
  });

  test("Date.now() starts at a realistic epoch by default while now() starts at 0", async () => {
    await withGlobalTime((driver) => {
      assert.equal(Date.now(), 1_700_000_000_000);
      assert.equal(driver.now(), 0);
      driver.advance(5);
      assert.equal(Date.now(), 1_700_000_000_005);
      return Promise.resolve();
    });
  });

  test("a kit zero-delay timer armed inside a faked timer runs at that instant", async () => {
    await withGlobalTime((driver) => {
      const trace: string[] = [];
      setTimeout(() => {
        driver.setTimer(0, () => trace.push(`kit@${driver.now()}`));
        setTimeout(() => trace.push(`pool@${driver.now()}`), 0);
      }, 10);
      driver.advanceTo(10);
      assert.deepEqual(trace, ["kit@10"]);
      assert.equal(driver.nextDeadline(), 11, "fake-timers keeps its +1 ms for pool timers");
      driver.advance(1);
      assert.deepEqual(trace, ["kit@10", "pool@11"]);
      return Promise.resolve();
    });
  });

  test("runDue runs only what is due now; clearTimer cancels", async () => {
    await withGlobalTime((driver) => {
      const trace: string[] = [];
      driver.setTimer(0, () => trace.push("now"));
      const cancelled = driver.setTimer(0, () => trace.push("cancelled"));
      driver.setTimer(1, () => trace.push("later"));
      driver.clearTimer(cancelled);
      assert.equal(driver.runDue(), 1);
      assert.deepEqual(trace, ["now"]);
      return Promise.resolve();
    });
  });

  test("runNext runs one timer at a time, up to a deadline", async () => {
    await withGlobalTime((driver) => {
      const trace: string[] = [];
      driver.setTimer(3, () => trace.push("a"));
      driver.setTimer(3, () => trace.push("b"));
      driver.setTimer(9, () => trace.push("c"));
      assert.equal(driver.runNext(), false, "nothing is due now");
      assert.equal(driver.runNext(5), true);
      assert.deepEqual(trace, ["a"]);
      assert.equal(driver.now(), 3);
      assert.equal(driver.runNext(5), true);
      assert.equal(driver.runNext(5), false, "c is due after 5");
      assert.deepEqual(trace, ["a", "b"]);
      assert.throws(() => driver.runNext(2), {
        name: "RangeError",
        message:
          "Cannot run next timer as 't' must be a finite number not before now (3): current value is 2",
      });
      return Promise.resolve();
    });
  });

  test("moveTo reaches a timer's instant without running it", async () => {
    await withGlobalTime(async (driver) => {
      const order: string[] = [];
      setTimeout(() => order.push(`timer@${driver.now()}`), 30);
      driver.moveTo(30);
      order.push(`caller@${driver.now()} Date ${Date.now()}`);
      assert.equal(driver.nextDeadline(), 30);
      assert.equal(driver.runNext(), true);
      assert.deepEqual(order, ["caller@30 Date 30", "timer@30"]);
      assert.throws(() => driver.moveTo(10), /'t' must be a finite number not before now \(30\)/);
      setTimeout(() => {}, 5);
      assert.throws(
        () => driver.moveTo(40),
        /must not pass the timer due at 35: current value is 40/,
      );
      assert.equal(driver.now(), 30);
      await Promise.resolve();
    }, { start: 0 });
  });

  test("Date.now() is real again after a run that throws", async () => {
    await assert.rejects(
      withGlobalTime((driver) => {
        assert.equal(driver.now(), 0);
        driver.advance(10);
        throw new Error("run failed");
      }),
      { message: "run failed" },
    );
    assert.ok(Date.now() > REAL_EPOCH_FLOOR, "Date.now() is real");
    assert.equal(GlobalTimeDriver.active, false);
    const realFired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 0));
    assert.equal(realFired, true, "the real setTimeout fires on its own");
  });

  test("only one driver at a time; a second install is refused and the first stays", () => {
    const driver = GlobalTimeDriver.install();
    try {
      assert.throws(() => GlobalTimeDriver.install(), {
        message: "Cannot fake global time as it is already faked: uninstall that driver first",
      });
      assert.equal(driver.installed, true);
      assert.equal(driver.now(), 0);
    } finally {
      driver.uninstall();
    }
    driver.uninstall();
    assert.equal(driver.installed, false);
    assert.throws(() => driver.now(), /after it was uninstalled/);
  });

  test("a driver of another owner takes over: the holder is uninstalled and told who took over", () => {
    const told: string[] = [];
    const owner = (label: string) => ({
      label,
      takenOver: (by: { label: string }) => told.push(`${label} by ${by.label}`),
    });
    const first = owner("first check");
    const second = owner("second check");
    const held = GlobalTimeDriver.install({ owner: first });
    let taker: GlobalTimeDriver | undefined;
    try {
      assert.throws(() => GlobalTimeDriver.install({ owner: first }), {
        message:
          "Cannot fake global time for first check as it is already faked by first check: uninstall that driver first",
      });
      assert.throws(() => GlobalTimeDriver.install(), {
        message:
          "Cannot fake global time as it is already faked by first check: uninstall that driver first",
      });
      taker = GlobalTimeDriver.install({ owner: second });
      assert.equal(held.installed, false);
      assert.equal(taker.installed, true);
      assert.equal(GlobalTimeDriver.owner, second);
      assert.deepEqual(told, ["first check by second check"]);
    } finally {
      taker?.uninstall();
      held.uninstall();
    }
    assert.equal(GlobalTimeDriver.active, false);
  });

  test("suspend puts back every real function fake-timers replaced; resume fakes again as a fresh install", () => {
    const g = globalThis as Record<string, unknown>;
    const names = ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate"];
    const snapshot = () => [
      ...names.map((n) => g[n]),
      g.Date,
      g.performance,
      Object.getOwnPropertyDescriptor(globalThis, "performance")?.get,
      process.hrtime,
      ...names.map((n) => (timers as unknown as Record<string, unknown>)[n]),
      timersPromises.setTimeout,
      timersPromises.setImmediate,
      perfHooksPerformance.now,
    ];
    const real = snapshot();
    const owner = { label: "suspending owner", takenOver: () => {} };
    const driver = GlobalTimeDriver.install({ owner });
    try {
      const fake = snapshot();
      assert.notDeepEqual(fake, real);
      const firstId = driver.setTimer(10, () => {});
      setTimeout(() => {}, 5);
      driver.advance(3);
      driver.suspend();
      assert.deepEqual(snapshot(), real);
      assert.ok(Date.now() > REAL_EPOCH_FLOOR);
      assert.equal(driver.installed, true);
      assert.equal(GlobalTimeDriver.suspendedFor(owner), driver);
      assert.equal(
        GlobalTimeDriver.suspendedFor({ label: "another", takenOver: () => {} }),
        undefined,
      );
      driver.resume();
      assert.deepEqual(snapshot(), fake);
      assert.equal(GlobalTimeDriver.suspendedFor(owner), undefined);
      // As a fresh install: time at the start, no timer left, ids from 1 again.
      assert.equal(driver.now(), 0);
      assert.equal(Date.now(), 1_700_000_000_000);
      assert.equal(performance.now(), 0);
      assert.equal(driver.nextDeadline(), undefined);
      assert.equal(driver.setTimer(1, () => {}), firstId);
      driver.suspend();
    } finally {
      driver.uninstall();
    }
    assert.deepEqual(snapshot(), real);
    assert.equal(GlobalTimeDriver.active, false);
    assert.throws(() => driver.resume(), /after it was uninstalled/);
  });

  test("bad input gets a RangeError naming the value", () => {
    assert.throws(() => GlobalTimeDriver.install({ start: -3 }), {
      name: "RangeError",
      message:
        "Cannot fake global time as 'start' must be a finite number >= 0: current value is -3",
    });
    using driver = GlobalTimeDriver.install();
    assert.throws(() => driver.advance(-1), { name: "RangeError" });
    driver.advance(5);
    assert.throws(() => driver.advanceTo(4), {
      name: "RangeError",
      message:
        "Cannot advance clock as 't' must be a finite number not before now (5): current value is 4",
    });
    assert.throws(() => driver.setTimer(Number.NaN, () => {}), { name: "RangeError" });
    assert.equal(driver.now(), 5);
  });

  test("realTimers keep measuring real time while time is faked", async () => {
    await withGlobalTime(async () => {
      const start = realTimers.now();
      assert.ok(start > REAL_EPOCH_FLOOR);
      await new Promise((resolve) => realTimers.setTimeout(resolve, 1));
      assert.equal(Date.now(), 1_700_000_000_000);
    });
  });
});
