import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorTrail } from "./observations.ts";

describe("errorTrail", () => {
  test("follows causes and an AggregateError's errors", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    const other = Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" });
    const aggregate = new AggregateError([other, refused], "all addresses failed");
    const wrapped = new Error("pool: cannot connect", { cause: aggregate });
    assert.equal(
      errorTrail(wrapped),
      [
        "Error pool: cannot connect",
        "AggregateError all addresses failed",
        "ETIMEDOUT connect ETIMEDOUT",
        "ECONNREFUSED connect ECONNREFUSED 10.0.0.1:5432",
      ].join("\n"),
    );
  });

  test("stops at a cycle, at depth five and at a getter that throws", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(errorTrail(a), "Error a\nError b");
    let deep: Error = new Error("e0");
    for (let i = 1; i <= 8; i++) deep = new Error(`e${i}`, { cause: deep });
    assert.equal(errorTrail(deep).split("\n").length, 6);
    const hostile = Object.defineProperty(new Error("outer"), "cause", {
      get() {
        throw new Error("no");
      },
    });
    assert.equal(errorTrail(hostile), "Error outer");
  });

  test("renders what is not an object as its string", () => {
    assert.equal(errorTrail(undefined), "undefined");
    assert.equal(errorTrail(new Error("x", { cause: "ECONNREFUSED" })), "Error x\nECONNREFUSED");
  });
});
