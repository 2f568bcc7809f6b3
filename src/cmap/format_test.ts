import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CmapFormatError, parseScenario } from "./format.ts";

const BASE = { version: 1, style: "unit", description: "d", operations: [] };

function read(fields: Record<string, unknown>) {
  return parseScenario(JSON.stringify({ ...BASE, ...fields }), "s.json");
}

describe("CMAP scenario format", () => {
  test("reads every operation, the expected error, events, ignore list and fail point", () => {
    const scenario = read({
      style: "integration",
      poolOptions: { maxPoolSize: 2, waitQueueTimeoutMS: 0, backgroundThreadIntervalMS: -1 },
      operations: [
        { name: "ready" },
        { name: "start", target: "t1" },
        { name: "checkOut", label: "a", thread: "t1" },
        { name: "waitForThread", target: "t1" },
        { name: "waitForEvent", event: "ConnectionCheckedOut", count: 1, timeout: 50 },
        { name: "wait", ms: 10 },
        { name: "checkIn", connection: "a" },
        { name: "clear", interruptInUseConnections: true },
        { name: "close" },
      ],
      error: { type: "PoolClosedError", message: "closed" },
      events: [{ type: "ConnectionCheckedOut", connectionId: 42, address: 42 }],
      ignore: ["ConnectionPoolCreated"],
      failPoint: { configureFailPoint: "failCommand", mode: "alwaysOn" },
      runOn: [{ minServerVersion: "4.4" }],
    });
    assert.deepEqual(scenario.operations.map((op) => op.name), [
      "ready",
      "start",
      "checkOut",
      "waitForThread",
      "waitForEvent",
      "wait",
      "checkIn",
      "clear",
      "close",
    ]);
    assert.deepEqual(scenario.operations[2], { name: "checkOut", label: "a", thread: "t1" });
    assert.deepEqual(scenario.error, { type: "PoolClosedError", message: "closed" });
    assert.deepEqual(scenario.ignore, ["ConnectionPoolCreated"]);
    assert.equal(scenario.style, "integration");
    assert.deepEqual(scenario.runOn, [{ minServerVersion: "4.4" }]);
  });

  test("leaves events undefined when the file has none, and ignore empty", () => {
    const scenario = read({});
    assert.equal(scenario.events, undefined);
    assert.deepEqual(scenario.ignore, []);
    assert.deepEqual(scenario.poolOptions, {});
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["version", { version: 0 }, "'version' must be an integer of at least 1: current value is 0"],
    ["style", { style: "e2e" }, `'style' must be "unit" or "integration": current value is "e2e"`],
    [
      "description",
      { description: "" },
      `'description' must be a non-empty string: current value is ""`,
    ],
    ["operations", { operations: {} }, "'operations' must be an array: current value is {}"],
    [
      "an unknown operation",
      { operations: [{ name: "acquire" }] },
      `'operations[0].name' must be one of start, wait, waitForThread, waitForEvent, checkOut, checkIn, clear, close, ready: current value is "acquire"`,
    ],
    [
      "a negative wait",
      { operations: [{ name: "wait", ms: -5 }] },
      "'operations[0].ms' must be an integer of at least 0: current value is -5",
    ],
    [
      "a thread never started",
      { operations: [{ name: "checkOut", thread: "t9" }] },
      `'operations[0].thread' must be a thread started by an earlier 'start' operation: current value is "t9"`,
    ],
    [
      "a thread started twice",
      { operations: [{ name: "start", target: "t" }, { name: "start", target: "t" }] },
      `'operations[1].target' must be a thread not yet started: current value is "t"`,
    ],
    [
      "a check-in of an unknown label",
      { operations: [{ name: "checkIn", connection: "c" }] },
      `'operations[0].connection' must be a label set by an earlier 'checkOut': current value is "c"`,
    ],
    [
      "a zero count",
      { operations: [{ name: "waitForEvent", event: "ConnectionReady", count: 0 }] },
      "'operations[0].count' must be an integer of at least 1: current value is 0",
    ],
    [
      "an unknown event",
      { operations: [{ name: "waitForEvent", event: "connectionReady", count: 1 }] },
      `'operations[0].event' must be a CMAP event name (ConnectionPoolCreated, ConnectionPoolReady, ConnectionPoolCleared, ConnectionPoolClosed, ConnectionCreated, ConnectionReady, ConnectionClosed, ConnectionCheckOutStarted, ConnectionCheckOutFailed, ConnectionCheckedOut, ConnectionCheckedIn): current value is "connectionReady"`,
    ],
    [
      "a non-boolean interrupt flag",
      { operations: [{ name: "clear", interruptInUseConnections: "yes" }] },
      `'operations[0].interruptInUseConnections' must be a boolean: current value is "yes"`,
    ],
    [
      "an event without a type",
      { events: [{ connectionId: 1 }] },
      "'events[0].type' must be a CMAP event name (ConnectionPoolCreated, ConnectionPoolReady, ConnectionPoolCleared, ConnectionPoolClosed, ConnectionCreated, ConnectionReady, ConnectionClosed, ConnectionCheckOutStarted, ConnectionCheckOutFailed, ConnectionCheckedOut, ConnectionCheckedIn): current value is undefined",
    ],
    [
      "an error without a type",
      { error: {} },
      "'error.type' must be a non-empty string: current value is undefined",
    ],
    [
      "a fractional pool size",
      { poolOptions: { maxPoolSize: 1.5 } },
      "'poolOptions.maxPoolSize' must be an integer of at least 0: current value is 1.5",
    ],
    [
      "a zero background interval",
      { poolOptions: { backgroundThreadIntervalMS: 0 } },
      "'poolOptions.backgroundThreadIntervalMS' must be a non-zero integer: current value is 0",
    ],
    [
      "ignore",
      { ignore: "ConnectionReady" },
      `'ignore' must be an array: current value is "ConnectionReady"`,
    ],
  ];
  for (const [what, fields, message] of invalid) {
    test(`refuses ${what}, naming the file, the field and the value`, () => {
      assert.throws(() => read(fields), (error: unknown) => {
        assert.ok(error instanceof CmapFormatError);
        assert.equal(error.message, `Cannot read CMAP scenario s.json as ${message}`);
        assert.equal(error.file, "s.json");
        assert.equal(error.code, "CMAP_FORMAT");
        return true;
      });
    });
  }

  test("refuses text that is not JSON", () => {
    assert.throws(
      () => parseScenario("{ version: 1", "broken.json"),
      /^CmapFormatError: Cannot read CMAP scenario broken\.json as '\(file\)' must be JSON/,
    );
  });
});
