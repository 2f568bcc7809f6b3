import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/sim_network.ts";
import { type PoolBehaviourOptions, resolvePoolConfig } from "./options.ts";
import {
  apacheHttpClient5Preset,
  cmapPreset,
  jdkKeepAliveCachePreset,
  kafkaProducerPreset,
} from "./presets.ts";
import { ReferencePool } from "./reference_pool.ts";

const INVALID: [PoolBehaviourOptions, typeof TypeError | typeof RangeError, string][] = [
  [
    { maxPerRoute: 0 },
    RangeError,
    "'maxPerRoute' must be a positive integer or Infinity: current value is 0",
  ],
  [
    { maxTotal: 2.5 },
    RangeError,
    "'maxTotal' must be a positive integer or Infinity: current value is 2.5",
  ],
  [
    { maxTotal: "5" as unknown as number },
    TypeError,
    `'maxTotal' must be a positive integer or Infinity: current value is "5"`,
  ],
  [
    { maxConnecting: -1 },
    RangeError,
    "'maxConnecting' must be a positive integer or Infinity: current value is -1",
  ],
  [
    { maxWaiters: NaN },
    RangeError,
    "'maxWaiters' must be a non-negative integer or Infinity: current value is NaN",
  ],
  [
    { maxInFlight: 0 },
    RangeError,
    "'maxInFlight' must be a positive integer or Infinity: current value is 0",
  ],
  [
    { ttlMs: -1 },
    RangeError,
    "'ttlMs' must be a number of milliseconds >= 0 or Infinity: current value is -1",
  ],
  [
    { defaultKeepAliveMs: null as unknown as number },
    TypeError,
    "'defaultKeepAliveMs' must be a number of milliseconds >= 0 or Infinity: current value is null",
  ],
  [
    { idleTimeoutMs: -0.5 },
    RangeError,
    "'idleTimeoutMs' must be a number of milliseconds >= 0 or Infinity: current value is -0.5",
  ],
  [
    { validateAfterInactivityMs: NaN },
    RangeError,
    "'validateAfterInactivityMs' must be a number of milliseconds >= 0 or Infinity: current value is NaN",
  ],
  [
    { evictionIntervalMs: 0 },
    RangeError,
    "'evictionIntervalMs' must be greater than 0 or Infinity: current value is 0",
  ],
  [
    { connectTimeoutMs: -1 },
    RangeError,
    "'connectTimeoutMs' must be a number of milliseconds >= 0 or Infinity: current value is -1",
  ],
  [
    { reconnectBackoffMs: Infinity },
    RangeError,
    "'reconnectBackoffMs' must be a number of milliseconds >= 0: current value is Infinity",
  ],
  [
    { connectionsMaxIdleMs: -1 },
    RangeError,
    "'connectionsMaxIdleMs' must be a number of milliseconds >= 0 or Infinity: current value is -1",
  ],
  [
    { maxUses: 0 },
    RangeError,
    "'maxUses' must be a positive integer or Infinity: current value is 0",
  ],
  [
    { maxUses: 2.5 },
    RangeError,
    "'maxUses' must be a positive integer or Infinity: current value is 2.5",
  ],
  [
    { maxUses: "3" as unknown as number },
    TypeError,
    `'maxUses' must be a positive integer or Infinity: current value is "3"`,
  ],
  [
    { honourKeepAliveMax: 1 as unknown as boolean },
    TypeError,
    "'honourKeepAliveMax' must be a boolean: current value is 1",
  ],
  [
    { multiplexed: "yes" as unknown as boolean },
    TypeError,
    `'multiplexed' must be a boolean: current value is "yes"`,
  ],
  [
    { reuseOrder: "random" as "lifo" },
    RangeError,
    `'reuseOrder' must be one of "lifo", "fifo": current value is "random"`,
  ],
  [
    { connectFailure: 3 as unknown as "retry" },
    TypeError,
    `'connectFailure' must be one of "reject", "retry": current value is 3`,
  ],
  [
    { routeKey: "url" as unknown as () => string },
    TypeError,
    `'routeKey' must be a function: current value is "url"`,
  ],
  [
    { random: 4 as unknown as () => number },
    TypeError,
    "'random' must be a function: current value is 4",
  ],
  [
    { maxPerRouteOverrides: [] as unknown as Record<string, number> },
    TypeError,
    "'maxPerRouteOverrides' must be an object: current value is []",
  ],
  [
    { maxPerRouteOverrides: { a: 0 } },
    RangeError,
    `'maxPerRouteOverrides["a"]' must be a positive integer or Infinity: current value is 0`,
  ],
  [
    { minPoolSize: -1 },
    RangeError,
    "'minPoolSize' must be a non-negative integer: current value is -1",
  ],
  [
    { minPoolSize: Infinity },
    RangeError,
    "'minPoolSize' must be a non-negative integer: current value is Infinity",
  ],
  [
    { minPoolSize: "2" as unknown as number },
    TypeError,
    `'minPoolSize' must be a non-negative integer: current value is "2"`,
  ],
  [
    { minPoolRoutes: "db" as unknown as string[] },
    TypeError,
    `'minPoolRoutes' must be an array of strings: current value is "db"`,
  ],
  [
    { minPoolRoutes: [1] as unknown as string[] },
    TypeError,
    "'minPoolRoutes' must be an array of strings: current value is [1]",
  ],
  [
    { startPaused: "yes" as unknown as boolean },
    TypeError,
    `'startPaused' must be a boolean: current value is "yes"`,
  ],
  [
    { idleExpiry: "evictor" as "timer" },
    RangeError,
    `'idleExpiry' must be one of "timer", "checkout": current value is "evictor"`,
  ],
  [
    { connectOwnership: "waiter" as "route" },
    RangeError,
    `'connectOwnership' must be one of "route", "acquire": current value is "waiter"`,
  ],
  [
    { connectOwnership: 1 as unknown as "route" },
    TypeError,
    `'connectOwnership' must be one of "route", "acquire": current value is 1`,
  ],
  // Invalid combinations.
  [
    { maxTotal: 10, minPoolSize: 11 },
    RangeError,
    "'minPoolSize' must be at most 'maxTotal' (10): current value is 11",
  ],
  [
    { multiplexed: true, idleExpiry: "checkout" },
    RangeError,
    `'idleExpiry' must be "timer" when 'multiplexed' is true: current value is "checkout"`,
  ],
  [
    { maxTotal: 10, maxPerRoute: 11 },
    RangeError,
    "'maxPerRoute' must be at most 'maxTotal' (10): current value is 11",
  ],
  [
    { maxTotal: 10, maxPerRouteOverrides: { a: 20 } },
    RangeError,
    `'maxPerRouteOverrides["a"]' must be at most 'maxTotal' (10): current value is 20`,
  ],
  [
    { reconnectBackoffMs: 100, reconnectBackoffMaxMs: 50 },
    RangeError,
    "'reconnectBackoffMaxMs' must be at least 'reconnectBackoffMs' (100): current value is 50",
  ],
  [
    { connectFailure: "retry" },
    RangeError,
    `'reconnectBackoffMs' must be greater than 0 when 'connectFailure' is "retry": current value is 0`,
  ],
];

describe("options", () => {
  for (const [options, ErrorClass, message] of INVALID) {
    test(`rejects with ${ErrorClass.name}: ${message}`, () => {
      assert.throws(() => resolvePoolConfig(options), (error: unknown) => {
        assert.equal((error as Error).constructor, ErrorClass);
        assert.equal((error as Error).message, `Cannot create pool as ${message}`);
        return true;
      });
    });
  }

  test("the constructor checks its collaborators", () => {
    const clock = new VirtualClock();
    const network = new SimNetwork({ clock });
    assert.throws(
      () =>
        new ReferencePool({
          clock: undefined as unknown as VirtualClock,
          connect: network.connect,
        }),
      {
        name: "TypeError",
        message: "Cannot create pool as 'clock' must be a Clock: current value is undefined",
      },
    );
    assert.throws(
      () => new ReferencePool({ clock, connect: "net" as unknown as typeof network.connect }),
      {
        name: "TypeError",
        message: `Cannot create pool as 'connect' must be a function: current value is "net"`,
      },
    );
    assert.throws(
      () => new ReferencePool({ clock, connect: network.connect, maxTotal: 0 }),
      RangeError,
    );
    assert.throws(
      () =>
        new ReferencePool({
          clock,
          connect: network.connect,
          onEvent: "log" as unknown as () => void,
        }),
      {
        name: "TypeError",
        message: `Cannot create pool as 'onEvent' must be a function: current value is "log"`,
      },
    );
  });

  test("defaults are Apache HttpClient 5's, applied without turning 0 into a default", () => {
    const config = resolvePoolConfig({ validateAfterInactivityMs: 0, maxWaiters: 0 });
    assert.equal(config.validateAfterInactivityMs, 0);
    assert.equal(config.maxWaiters, 0);
    assert.equal(config.maxTotal, 25);
    assert.equal(config.maxPerRoute, 5);
    assert.equal(config.reuseOrder, "lifo");
    assert.equal(config.defaultKeepAliveMs, 180_000);
    assert.equal(config.reconnectBackoffMaxMs, 0);
    assert.equal(resolvePoolConfig({ reconnectBackoffMs: 70 }).reconnectBackoffMaxMs, 70);
    assert.equal(config.startPaused, false);
    assert.equal(config.minPoolSize, 0);
    assert.equal(config.connectOwnership, "route");
    assert.equal(config.idleExpiry, "timer");
  });

  test("every preset is a valid configuration", () => {
    const presets = [
      apacheHttpClient5Preset,
      kafkaProducerPreset,
      jdkKeepAliveCachePreset,
      cmapPreset,
    ];
    for (const preset of presets) {
      assert.doesNotThrow(() => resolvePoolConfig(preset));
    }
  });
});
