import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "./virtual_clock.ts";

describe("VirtualClock", () => {
  test("runs due timers in (deadline, arming order) order and stops at the target", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    const log = (name: string) => () => trace.push(`${name}@${clock.now()}`);
    clock.setTimer(30, log("c"));
    clock.setTimer(10, log("a1"));
    clock.setTimer(10, log("a2"));
    clock.setTimer(20, log("b"));
    clock.advance(25);
    assert.deepEqual(trace, ["a1@10", "a2@10", "b@20"]);
    assert.equal(clock.now(), 25);
    assert.equal(clock.nextDeadline(), 30);
    assert.equal(clock.pendingTimers, 1);
  });

  test("a timer due exactly at the target runs; one a millisecond later does not", () => {
    const clock = new VirtualClock();
    const trace: number[] = [];
    clock.setTimer(100, () => trace.push(100));
    clock.setTimer(101, () => trace.push(101));
    clock.advanceTo(100);
    assert.deepEqual(trace, [100]);
    clock.advance(1);
    assert.deepEqual(trace, [100, 101]);
  });

  test("a zero-delay timer is due now but never runs inside setTimer", () => {
    const clock = new VirtualClock({ start: 7 });
    let ran = 0;
    clock.setTimer(0, () => ran++);
    assert.equal(ran, 0);
    assert.equal(clock.nextDeadline(), 7);
    assert.equal(clock.runDue(), 1);
    assert.equal(ran, 1);
    assert.equal(clock.now(), 7);
  });

  test("timers armed by timers during advance run if they fall inside the window", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    clock.setTimer(10, () => {
      trace.push(`outer@${clock.now()}`);
      clock.setTimer(0, () => trace.push(`same-instant@${clock.now()}`));
      clock.setTimer(5, () => trace.push(`inner@${clock.now()}`));
      clock.setTimer(50, () => trace.push(`late@${clock.now()}`));
    });
    clock.advance(20);
    assert.deepEqual(trace, ["outer@10", "same-instant@10", "inner@15"]);
    assert.equal(clock.nextDeadline(), 60);
  });

  test("runDue also runs zero-delay timers armed by due timers, and nothing later", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    clock.setTimer(0, () => {
      trace.push("first");
      clock.setTimer(0, () => trace.push("chained"));
      clock.setTimer(1, () => trace.push("later"));
    });
    assert.equal(clock.runDue(), 2);
    assert.deepEqual(trace, ["first", "chained"]);
  });

  test("runNext runs one timer at a time, up to a deadline, and refuses a time in the past", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    clock.setTimer(3, () => trace.push("a"));
    const cancelled = clock.setTimer(3, () => trace.push("cancelled"));
    clock.setTimer(3, () => trace.push("b"));
    clock.clearTimer(cancelled);
    assert.equal(clock.runNext(), false, "nothing is due now");
    assert.equal(clock.runNext(3), true);
    assert.equal(clock.runNext(3), true);
    assert.equal(clock.runNext(3), false);
    assert.deepEqual(trace, ["a", "b"]);
    assert.throws(() => clock.runNext(2), {
      name: "RangeError",
      message: "Cannot run next timer as 't' must not be before now (3): current value is 2",
    });
    assert.throws(() => clock.runNext(Number.NaN), { name: "RangeError" });
  });

  test("a timer cancelled during advance by an earlier timer does not run", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    const victim = clock.setTimer(20, () => trace.push("victim"));
    clock.setTimer(10, () => {
      trace.push("canceller");
      clock.clearTimer(victim);
    });
    clock.advance(30);
    assert.deepEqual(trace, ["canceller"]);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(clock.nextDeadline(), undefined);
  });

  test("cancelling unknown, fired or already cancelled timers is a no-op", () => {
    const clock = new VirtualClock();
    const id = clock.setTimer(1, () => {});
    clock.clearTimer(id);
    clock.clearTimer(id);
    clock.clearTimer(999);
    const fired = clock.setTimer(1, () => {});
    clock.advance(1);
    clock.clearTimer(fired);
    assert.equal(clock.pendingTimers, 0);
  });

  test("many timers come out in order (heap property under random arming)", () => {
    const clock = new VirtualClock();
    const order: number[] = [];
    let seed = 42;
    const delays: number[] = [];
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      delays.push(seed % 100);
    }
    const ids = delays.map((delay, i) => clock.setTimer(delay, () => order.push(i)));
    for (const id of ids.filter((_, i) => i % 7 === 0)) clock.clearTimer(id);
    clock.advance(100);
    const expected = delays.map((delay, i) => ({ delay, i }))
      .filter(({ i }) => i % 7 !== 0)
      .sort((a, b) => a.delay - b.delay || a.i - b.i)
      .map(({ i }) => i);
    assert.deepEqual(order, expected);
  });

  test("bad input is rejected with a RangeError naming the value, and changes nothing", () => {
    const clock = new VirtualClock({ start: 10 });
    clock.setTimer(5, () => {});
    const cases: [() => unknown, string][] = [
      [
        () => clock.advance(-1),
        "Cannot advance clock as 'ms' must be a finite number >= 0: current value is -1",
      ],
      [
        () => clock.advance(Number.NaN),
        "Cannot advance clock as 'ms' must be a finite number >= 0: current value is NaN",
      ],
      [
        () => clock.advanceTo(9),
        "Cannot advance clock as 't' must not be before now (10): current value is 9",
      ],
      [
        () => clock.advanceTo(Infinity),
        "Cannot advance clock as 't' must be a finite number >= 0: current value is Infinity",
      ],
      [
        () => clock.setTimer(-5, () => {}),
        "Cannot arm timer as 'delayMs' must be a finite number >= 0: current value is -5",
      ],
      [
        () => new VirtualClock({ start: -1 }),
        "Cannot create clock as 'start' must be a finite number >= 0: current value is -1",
      ],
    ];
    for (const [call, message] of cases) {
      assert.throws(call, { name: "RangeError", message });
    }
    assert.throws(() => clock.setTimer(1, "nope" as unknown as () => void), {
      name: "TypeError",
      message: "Cannot arm timer as 'callback' must be a function: current value is nope",
    });
    assert.equal(clock.now(), 10);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextDeadline(), 15);
  });

  test("a throwing timer leaves time at its deadline and later timers armed", () => {
    const clock = new VirtualClock();
    const trace: string[] = [];
    clock.setTimer(10, () => {
      throw new Error("boom");
    });
    clock.setTimer(20, () => trace.push("after"));
    assert.throws(() => clock.advance(30), { message: "boom" });
    assert.equal(clock.now(), 10);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(20);
    assert.deepEqual(trace, ["after"]);
  });

  test("driving the clock from inside a timer callback is refused", () => {
    const clock = new VirtualClock();
    let caught: unknown;
    clock.setTimer(1, () => {
      try {
        clock.advance(1);
      } catch (error) {
        caught = error;
      }
    });
    clock.advance(5);
    assert.ok(caught instanceof Error);
    assert.match(caught.message, /inside one of its timer callbacks/);
    assert.equal(clock.now(), 5);
  });
});
