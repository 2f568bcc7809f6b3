import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConnectAbortedError,
  ConnectRefusedError,
  framelessError,
  SocketClosedError,
} from "./errors.ts";

describe("errors of the simulated network", () => {
  const cause = new Error("signal fired");
  const cases: [Error, string, string, string][] = [
    [
      new ConnectRefusedError("db", 3),
      "ConnectRefusedError",
      "Connect to 'db' refused (socket 3)",
      "ECONNREFUSED",
    ],
    [
      new ConnectAbortedError("db", 4, cause),
      "ConnectAbortedError",
      "Connect to 'db' aborted by the client (socket 4)",
      "ECONNABORTED",
    ],
    [
      new SocketClosedError(7, "reset"),
      "SocketClosedError",
      "Socket 7 is closed (reset)",
      "ESOCKETCLOSED",
    ],
  ];

  for (const [error, name, message, code] of cases) {
    test(`${name} keeps its name, message and code, and its stack is a string that starts with them`, () => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, name);
      assert.equal(error.message, message);
      assert.equal((error as Error & { code: string }).code, code);
      assert.equal(typeof error.stack, "string");
      assert.ok(error.stack!.startsWith(`${name}: ${message}`), error.stack);
    });
  }

  test("ConnectAbortedError chains the abort's reason as its cause", () => {
    assert.equal(new ConnectAbortedError("db", 4, cause).cause, cause);
    assert.equal(new ConnectAbortedError("db", 4).cause, undefined);
  });

  test("building them leaves Error.stackTraceLimit as it was, whatever it was", () => {
    const limit = Error.stackTraceLimit;
    try {
      for (const value of [10, 3, 0, Infinity]) {
        Error.stackTraceLimit = value;
        new ConnectRefusedError("db", 1);
        new SocketClosedError(1, "client-closed");
        framelessError("released as broken");
        assert.equal(Error.stackTraceLimit, value);
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
  });

  test("framelessError gives a plain Error with that message and a string stack", () => {
    const error = framelessError("released as broken");
    assert.equal(Object.getPrototypeOf(error), Error.prototype);
    assert.equal(error.message, "released as broken");
    assert.equal(typeof error.stack, "string");
    assert.ok(error.stack!.startsWith("Error: released as broken"));
  });

  test("errors made elsewhere keep their stack frames", () => {
    framelessError("x");
    const stack = new Error("elsewhere").stack ?? "";
    assert.ok(stack.split("\n").length > 1, stack);
  });
});
