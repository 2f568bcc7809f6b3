import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LedgerEvent } from "../../net/types.ts";
import type { Supports } from "../adapter.ts";
import type { RunView } from "../run_view.ts";
import { REFERENCE_MULTIPLEXED_SUPPORTS } from "../../../conformance/reference/adapter.ts";
import { KAFKAJS_SUPPORTS } from "../../../conformance/adapters/kafkajs.ts";
import { inf1 } from "./inf.ts";

/** `n` connects to r0 at t=0, and one to r1. */
function connects(n: number): LedgerEvent[] {
  const events = Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    t: 0,
    type: "ConnectionCreated",
    socketId: i + 1,
    route: "r0",
  }));
  events.push({ seq: n + 1, t: 0, type: "ConnectionCreated", socketId: n + 1, route: "r1" });
  return events as LedgerEvent[];
}

/** INF-1's verdict on a ledger, for a pool that declares `supports`. */
function judge(supports: Supports, ledger: LedgerEvent[], limit = 3) {
  const run = {
    supports,
    setup: { config: { maxInFlight: 5 } },
    limitOf: () => limit,
  } as unknown as RunView;
  return inf1.start(run).step?.({ run, ledger, callers: [] });
}

describe("INF-1.b: connections per route", () => {
  test("a multiplexed pool that declares nothing keeps one per route", () => {
    assert.equal(judge(REFERENCE_MULTIPLEXED_SUPPORTS, connects(1)), undefined);
    const breach = judge(REFERENCE_MULTIPLEXED_SUPPORTS, connects(2));
    assert.equal(breach?.clause, "b");
    assert.match(breach!.detail, /2 live connections to r0 after socket #2 .* keeps 1$/);
  });

  test("a declared connectionsPerRoute allows that many, and not one more", () => {
    const two: Supports = { ...REFERENCE_MULTIPLEXED_SUPPORTS, connectionsPerRoute: 2 };
    assert.equal(judge(two, connects(2)), undefined);
    const breach = judge(two, connects(3));
    assert.equal(breach?.clause, "b");
    assert.match(breach!.detail, /3 live connections to r0 after socket #3 .* keeps 2$/);
  });

  test("a closed connection leaves room for another", () => {
    const events = connects(1);
    events.push(
      {
        seq: 10,
        t: 1,
        type: "ConnectionClosed",
        socketId: 1,
        route: "r0",
        by: "network",
        reason: "reset",
      } as LedgerEvent,
      { seq: 11, t: 1, type: "ConnectionCreated", socketId: 9, route: "r0" } as LedgerEvent,
    );
    assert.equal(judge(REFERENCE_MULTIPLEXED_SUPPORTS, events), undefined);
  });

  test("with capability maxPerRoute the drawn limit is read instead", () => {
    const limited: Supports = {
      ...REFERENCE_MULTIPLEXED_SUPPORTS,
      capabilities: [...REFERENCE_MULTIPLEXED_SUPPORTS.capabilities, "maxPerRoute"],
    };
    assert.equal(judge(limited, connects(3), 3), undefined);
    assert.equal(judge(limited, connects(3), 2)?.clause, "b");
  });

  test("the reference multiplexed pool keeps the default; kafkajs declares its two", () => {
    assert.equal(REFERENCE_MULTIPLEXED_SUPPORTS.connectionsPerRoute, undefined);
    assert.equal(KAFKAJS_SUPPORTS.connectionsPerRoute, 2);
  });
});
