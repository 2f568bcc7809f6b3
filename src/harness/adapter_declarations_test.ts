import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Supports, validateAdapter } from "./adapter.ts";
import {
  REFERENCE_MULTIPLEXED_SUPPORTS,
  REFERENCE_SUPPORTS,
} from "../../conformance/reference/adapter.ts";
import { cmapReferenceAdapter } from "../../conformance/reference/presets.ts";

const create = () => Promise.reject(new Error("not created"));

/** Whether `validateAdapter` accepts `supports`, or the error it throws. */
function verdict(supports: unknown): true | Error {
  try {
    validateAdapter({ name: "x", supports, create });
    return true;
  } catch (error) {
    return error as Error;
  }
}

function rejects(supports: unknown, Kind: typeof TypeError | typeof RangeError, field: string) {
  const result = verdict(supports);
  assert.ok(result instanceof Kind, `expected a ${Kind.name}, got ${result}`);
  assert.match(result.message, new RegExp(`'${field.replaceAll(".", "\\.")}'`));
}

describe("validateAdapter(): connectionsPerRoute", () => {
  const multiplexed = (n: unknown) => ({
    ...REFERENCE_MULTIPLEXED_SUPPORTS,
    connectionsPerRoute: n,
  });

  test("a positive integer on a multiplexed pool is accepted", () => {
    assert.equal(verdict(multiplexed(1)), true);
    assert.equal(verdict(multiplexed(2)), true);
  });

  test("anything else is named", () => {
    rejects(multiplexed(1.5), TypeError, "supports.connectionsPerRoute");
    rejects(multiplexed("2"), TypeError, "supports.connectionsPerRoute");
    rejects(multiplexed(0), RangeError, "supports.connectionsPerRoute");
  });

  test("it needs capability multiplexed, and not maxPerRoute", () => {
    rejects(
      { ...REFERENCE_SUPPORTS, connectionsPerRoute: 2 },
      RangeError,
      "supports.connectionsPerRoute",
    );
    const limited: Supports = {
      ...REFERENCE_MULTIPLEXED_SUPPORTS,
      capabilities: [...REFERENCE_MULTIPLEXED_SUPPORTS.capabilities, "maxPerRoute"],
    };
    assert.equal(verdict(limited), true);
    rejects({ ...limited, connectionsPerRoute: 2 }, RangeError, "supports.connectionsPerRoute");
  });
});

describe("validateAdapter(): policies.backoff", () => {
  const withBackoff = (backoff: unknown, base: Supports = REFERENCE_SUPPORTS) => ({
    ...base,
    policies: { ...base.policies, backoff },
  });

  test("a multiplier ≥ 1 and a jitter in [0, 1) are accepted", () => {
    assert.equal(verdict(withBackoff({ multiplier: 2, jitter: 0.2 })), true);
    assert.equal(verdict(withBackoff({ multiplier: 1, jitter: 0 })), true);
    assert.equal(verdict(withBackoff({ multiplier: 1.5, jitter: 0.99 })), true);
    assert.equal(verdict(withBackoff({ multiplier: 2, jitter: 0.2, afterDisconnect: true })), true);
  });

  test("a malformed policy is named by its field", () => {
    rejects(withBackoff(2), TypeError, "supports.policies.backoff");
    rejects(withBackoff({ jitter: 0.2 }), TypeError, "supports.policies.backoff.multiplier");
    rejects(
      withBackoff({ multiplier: 0.5, jitter: 0.2 }),
      RangeError,
      "supports.policies.backoff.multiplier",
    );
    rejects(
      withBackoff({ multiplier: Infinity, jitter: 0.2 }),
      RangeError,
      "supports.policies.backoff.multiplier",
    );
    rejects(withBackoff({ multiplier: 2 }), TypeError, "supports.policies.backoff.jitter");
    rejects(
      withBackoff({ multiplier: 2, jitter: 1 }),
      RangeError,
      "supports.policies.backoff.jitter",
    );
    rejects(
      withBackoff({ multiplier: 2, jitter: -0.1 }),
      RangeError,
      "supports.policies.backoff.jitter",
    );
    rejects(
      withBackoff({ multiplier: 2, jitter: NaN }),
      RangeError,
      "supports.policies.backoff.jitter",
    );
    rejects(
      withBackoff({ multiplier: 2, jitter: 0.2, afterDisconnect: "yes" }),
      TypeError,
      "supports.policies.backoff.afterDisconnect",
    );
  });

  test("compounding and scope are named when malformed, and scope operation needs multiplexed", () => {
    const policy = { multiplier: 2, jitter: 0.2 };
    assert.equal(verdict(withBackoff({ ...policy, compounding: true, scope: "route" })), true);
    rejects(
      withBackoff({ ...policy, compounding: 1 }),
      TypeError,
      "supports.policies.backoff.compounding",
    );
    rejects(
      withBackoff({ ...policy, scope: "send" }),
      RangeError,
      "supports.policies.backoff.scope",
    );
    const result = verdict(withBackoff({ ...policy, scope: "operation" }));
    assert.ok(result instanceof RangeError);
    assert.equal(
      result.message,
      'Cannot use adapter "x" as \'supports.policies.backoff.scope\' must be "route" or left out unless capability \'multiplexed\' is declared: current value is "operation"',
    );
  });

  test("it needs capability reconnectBackoff", () => {
    rejects(
      withBackoff({ multiplier: 2, jitter: 0.2 }, REFERENCE_MULTIPLEXED_SUPPORTS),
      RangeError,
      "supports.policies.backoff",
    );
  });
});

describe("validateAdapter(): populationIntervalMs", () => {
  const withInterval = (interval: unknown, base: Supports = cmapReferenceAdapter.supports) => ({
    ...base,
    populationIntervalMs: interval,
  });

  test("a finite number ≥ 0 on a pool with capability minPoolSize is accepted", () => {
    assert.equal(verdict(withInterval(0)), true);
    assert.equal(verdict(withInterval(100)), true);
  });

  test("anything else is named", () => {
    rejects(withInterval("100"), TypeError, "supports.populationIntervalMs");
    rejects(withInterval(-1), RangeError, "supports.populationIntervalMs");
    rejects(withInterval(Infinity), RangeError, "supports.populationIntervalMs");
  });

  test("it needs capability minPoolSize", () => {
    rejects(withInterval(100, REFERENCE_SUPPORTS), RangeError, "supports.populationIntervalMs");
  });
});

describe("validateAdapter(): policies.closeSends", () => {
  const withCloseSends = (
    closeSends: unknown,
    base: Supports = REFERENCE_MULTIPLEXED_SUPPORTS,
  ) => ({
    ...base,
    policies: { ...base.policies, closeSends },
  });

  test("reject and drain are accepted on a multiplexed pool, and it may be left out", () => {
    assert.equal(verdict(withCloseSends("reject")), true);
    assert.equal(verdict(withCloseSends("drain")), true);
    assert.equal(verdict(withCloseSends(undefined)), true);
  });

  test("anything else is named, and a pool that leases connections may not declare it", () => {
    rejects(withCloseSends("drop"), RangeError, "supports.policies.closeSends");
    rejects(
      withCloseSends("drain", REFERENCE_SUPPORTS),
      RangeError,
      "supports.policies.closeSends",
    );
  });
});
