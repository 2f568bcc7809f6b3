import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Supports, validateAdapter, validatePoolUnderTest } from "./adapter.ts";

const supports: Supports = {
  timeMode: "virtual",
  capabilities: ["stats", "ttl"],
  ranges: { routes: [1, 2], maxTotal: [1, 4], maxPerRoute: [1, 2], ttlMs: [5, 50] },
  policies: {
    reuseOrder: "lifo",
    waiterOrder: "fifo",
    overtaking: false,
    expiry: ["lease"],
    closeWaiters: "reject",
    connectFailure: "reject",
    limitsCountIdle: true,
    closeIdleOfOtherRoutes: false,
    closeDetection: "check",
  },
  toleranceMs: 0,
};
const good = { name: "good", supports, create: () => ({}) };

describe("validateAdapter()", () => {
  test("accepts a complete adapter", () => {
    assert.doesNotThrow(() => validateAdapter(good));
  });

  test("accepts a pool without per-route limits that declares no maxPerRoute range", () => {
    const { maxPerRoute: _, ...ranges } = supports.ranges;
    assert.doesNotThrow(() => validateAdapter({ ...good, supports: { ...supports, ranges } }));
  });

  test("accepts CMAP's declarations: paused start, minPoolSize, interruption, lazy idle expiry", () => {
    const cmap = {
      ...good,
      supports: {
        ...supports,
        capabilities: ["clear", "interruptInUse", "minPoolSize"],
        ranges: { ...supports.ranges, minPoolSize: [0, 4] },
        policies: {
          ...supports.policies,
          startsPaused: true,
          idleExpiry: "checkout",
          connectOwnership: "acquire",
        },
      },
    };
    assert.doesNotThrow(() => validateAdapter(cmap));
  });

  const cases: [string, unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ["not an object", 3, TypeError, /'adapter' must be an object: current value is 3/],
    ["empty name", { ...good, name: "" }, TypeError, /'name' must be a non-empty string/],
    [
      "missing create",
      { ...good, create: undefined },
      TypeError,
      /adapter "good" as 'create' must be a function/,
    ],
    [
      "unknown time mode",
      { ...good, supports: { ...supports, timeMode: "real" } },
      RangeError,
      /'supports.timeMode' must be one of/,
    ],
    [
      "unknown capability",
      { ...good, supports: { ...supports, capabilities: ["teleport"] } },
      RangeError,
      /'supports.capabilities\[0\]'/,
    ],
    [
      "inverted range",
      { ...good, supports: { ...supports, ranges: { ...supports.ranges, maxTotal: [4, 1] } } },
      RangeError,
      /'supports.ranges.maxTotal' must be a range/,
    ],
    [
      "range not a pair",
      { ...good, supports: { ...supports, ranges: { ...supports.ranges, routes: 2 } } },
      TypeError,
      /'supports.ranges.routes' must be a \[min, max\] pair/,
    ],
    [
      "capability without range",
      { ...good, supports: { ...supports, capabilities: ["ttl", "maxWaiters"] } },
      TypeError,
      /'supports.ranges.maxWaiters'/,
    ],
    [
      "unknown policy word",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, reuseOrder: "random" } },
      },
      RangeError,
      /'supports.policies.reuseOrder'/,
    ],
    [
      "policy of wrong type",
      { ...good, supports: { ...supports, policies: { ...supports.policies, overtaking: "no" } } },
      TypeError,
      /'supports.policies.overtaking' must be a boolean/,
    ],
    [
      "events without eventTypes",
      { ...good, supports: { ...supports, capabilities: ["events"] } },
      TypeError,
      /'supports.eventTypes' must be a non-empty array of event types as capability 'events' is declared: current value is undefined/,
    ],
    [
      "an unknown event type",
      {
        ...good,
        supports: { ...supports, capabilities: ["events"], eventTypes: ["PoolReady", "Opened"] },
      },
      RangeError,
      /'supports.eventTypes\[1\]' must be one of .*: current value is "Opened"/,
    ],
    [
      "an event type listed twice",
      {
        ...good,
        supports: {
          ...supports,
          capabilities: ["events"],
          eventTypes: ["PoolClosed", "PoolClosed"],
        },
      },
      RangeError,
      /'supports.eventTypes\[1\]' must be listed once: current value is "PoolClosed"/,
    ],
    [
      "startsPaused without clear",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, startsPaused: true } },
      },
      RangeError,
      /'supports.policies.startsPaused' must be false or left out unless capability 'clear' \(its ready\(\)\) is declared: current value is true/,
    ],
    [
      "startsPaused not a boolean",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, startsPaused: "yes" } },
      },
      TypeError,
      /'supports.policies.startsPaused' must be a boolean: current value is "yes"/,
    ],
    [
      "an unknown idleExpiry",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, idleExpiry: "evictor" } },
      },
      RangeError,
      /'supports.policies.idleExpiry' must be one of "timer", "checkout": current value is "evictor"/,
    ],
    [
      "an unknown roomVictim",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, roomVictim: "newest" } },
      },
      RangeError,
      /'supports.policies.roomVictim' must be one of "leastRecentlyReleased", "any": current value is "newest"/,
    ],
    [
      "an unknown connectOwnership",
      {
        ...good,
        supports: { ...supports, policies: { ...supports.policies, connectOwnership: "waiter" } },
      },
      RangeError,
      /'supports.policies.connectOwnership' must be one of "route", "acquire": current value is "waiter"/,
    ],
    [
      "interruptInUse without clear",
      { ...good, supports: { ...supports, capabilities: ["stats", "interruptInUse"] } },
      RangeError,
      /'supports.capabilities\[1\]' must be declared with capability 'clear': current value is "interruptInUse"/,
    ],
    [
      "maxPerRoute without its range",
      {
        ...good,
        supports: {
          ...supports,
          capabilities: ["maxPerRoute"],
          ranges: { routes: [1, 2], maxTotal: [1, 4] },
        },
      },
      TypeError,
      /'supports.ranges.maxPerRoute' must be a \[min, max\] pair as capability 'maxPerRoute' is declared/,
    ],
    [
      "a maxPerRoute range from 0",
      {
        ...good,
        supports: { ...supports, ranges: { ...supports.ranges, maxPerRoute: [0, 2] } },
      },
      RangeError,
      /'supports.ranges.maxPerRoute'/,
    ],
    [
      "minPoolSize without its range",
      { ...good, supports: { ...supports, capabilities: ["minPoolSize"] } },
      TypeError,
      /'supports.ranges.minPoolSize' must be a \[min, max\] pair as capability 'minPoolSize' is declared/,
    ],
    [
      "a minPoolSize range above maxTotal",
      {
        ...good,
        supports: {
          ...supports,
          capabilities: ["minPoolSize"],
          ranges: { ...supports.ranges, minPoolSize: [0, 5] },
        },
      },
      RangeError,
      /'supports.ranges.minPoolSize' must be a range whose max is at most that of 'supports.ranges.maxTotal' \(4\): current value is \[0, 5\]/,
    ],
    [
      "a negative minPoolSize",
      {
        ...good,
        supports: {
          ...supports,
          capabilities: ["minPoolSize"],
          ranges: { ...supports.ranges, minPoolSize: [-1, 2] },
        },
      },
      RangeError,
      /'supports.ranges.minPoolSize' must be a range with 0 ≤ min ≤ max: current value is \[-1, 2\]/,
    ],
    [
      "negative tolerance",
      { ...good, supports: { ...supports, toleranceMs: -1 } },
      RangeError,
      /'supports.toleranceMs' must be a finite number ≥ 0: current value is -1/,
    ],
  ];
  for (const [what, value, kind, message] of cases) {
    test(`rejects ${what} with ${kind.name} naming the field`, () => {
      assert.throws(() => validateAdapter(value), (error: unknown) => {
        assert.ok(error instanceof kind, `got ${error}`);
        assert.match((error as Error).message, message);
        return true;
      });
    });
  }
});

describe("validatePoolUnderTest()", () => {
  const pool = { acquire() {}, release() {}, connectionOf() {}, close() {}, stats() {} };

  test("accepts a pool with the required and declared methods", () => {
    assert.doesNotThrow(() => validatePoolUnderTest("good", pool, supports));
  });

  test("names a method a declared capability needs", () => {
    const { stats: _stats, ...without } = pool;
    assert.throws(
      () => validatePoolUnderTest("good", without, supports),
      /'create\(\).stats' must be a function/,
    );
  });

  test("names the methods of rejectionKinds and events", () => {
    const declared = {
      ...supports,
      capabilities: ["rejectionKinds", "events"],
      eventTypes: ["PoolClosed"],
    } as Supports;
    assert.throws(
      () => validatePoolUnderTest("good", pool, declared),
      /'create\(\).rejectionKind' must be a function: current value is undefined/,
    );
    assert.throws(
      () => validatePoolUnderTest("good", { ...pool, rejectionKind() {} }, declared),
      /'create\(\).events' must be a function: current value is undefined/,
    );
    assert.doesNotThrow(() =>
      validatePoolUnderTest("good", { ...pool, rejectionKind() {}, events() {} }, declared)
    );
  });

  test("rejects an optional method of the wrong type", () => {
    assert.throws(
      () => validatePoolUnderTest("good", { ...pool, send: 1 }, supports),
      /'create\(\).send'/,
    );
  });
});
