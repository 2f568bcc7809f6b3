import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LedgerEvent } from "../../net/types.ts";
import type { Supports } from "../adapter.ts";
import type { RunView } from "../run_view.ts";
import { REFERENCE_MULTIPLEXED_SUPPORTS } from "../../../conformance/reference/adapter.ts";
import { KAFKAJS_SUPPORTS } from "../../../conformance/adapters/kafkajs.ts";
import type { CallerEvent, SendRecord } from "../observations.ts";
import { inf1, inf2, inf3 } from "./inf.ts";

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

describe("INF-2.a and INF-3: a retried send takes its place in send order at its last attempt", () => {
  /** A send of `seq` on r0 that settled with `status`; `retriedAfter` sends were made before its retry. */
  const send = (
    seq: number,
    status: SendRecord["status"],
    sequence?: number,
    retriedAfter?: number,
  ) =>
    ({
      seq,
      route: "r0",
      startedAt: 0,
      startSeq: 0,
      status,
      socketId: 1,
      ...(sequence === undefined ? {} : { sequence }),
      ...(retriedAfter === undefined ? {} : {
        attempts: [{ startedAt: 0, failedAt: 1, order: [seq, 0] }, {
          startedAt: 5,
          order: [retriedAfter, 1],
        }],
      }),
    }) as SendRecord;
  const resolved = (s: SendRecord) => ({ kind: "send-resolved", send: s }) as CallerEvent;
  const rejected = (s: SendRecord) => ({ kind: "send-rejected", send: s }) as CallerEvent;
  const run = {
    supports: REFERENCE_MULTIPLEXED_SUPPORTS,
    setup: { config: {} },
    sends: [],
  } as unknown as RunView;

  test("send #1 retried after send #2 was made may be answered after it; without the retry it may not", () => {
    const after = [resolved(send(2, "resolved", 1)), resolved(send(1, "resolved", 2, 2))];
    assert.equal(inf2.start(run).step?.({ run, ledger: [], callers: after }), undefined);
    const plain = [resolved(send(2, "resolved", 1)), resolved(send(1, "resolved", 2))];
    assert.equal(inf2.start(run).step?.({ run, ledger: [], callers: plain })?.clause, "a");
    // A retry orders after the sends made before it only: send #3, made after it, comes later.
    const later = [resolved(send(3, "resolved", 1)), resolved(send(1, "resolved", 2, 2))];
    assert.equal(inf2.start(run).step?.({ run, ledger: [], callers: later })?.clause, "a");
  });

  test("a retried send may fail after a send made before its retry", () => {
    const ledger = [1, 2].map((requestId) => ({
      seq: requestId,
      t: 10,
      type: "RequestFailed",
      socketId: 1,
      route: "r0",
      requestId,
      reason: "reset",
    })) as LedgerEvent[];
    const retried = [rejected(send(2, "rejected")), rejected(send(1, "rejected", undefined, 2))];
    assert.equal(inf3.start(run).step?.({ run, ledger, callers: retried }), undefined);
    const plain = [rejected(send(2, "rejected")), rejected(send(1, "rejected"))];
    assert.equal(inf3.start(run).step?.({ run, ledger, callers: plain })?.clause, "a");
  });
});

describe("INF-3.b: a request abandoned at its request timeout", () => {
  /** Request 1 sent at t=0 fails on the wire at `at`; send #2 is still pending, no caller told. */
  const judgeAt = (supports: Supports, at: number) => {
    const run = {
      supports,
      setup: { config: { requestTimeoutMs: 100 } },
      sends: [{ seq: 2, route: "r0", status: "pending" }],
    } as unknown as RunView;
    const ledger = [
      { seq: 1, t: 0, type: "RequestSent", socketId: 1, route: "r0", requestId: 1 },
      {
        seq: 2,
        t: at,
        type: "RequestFailed",
        socketId: 1,
        route: "r0",
        requestId: 1,
        reason: "peer-closed",
      },
    ] as LedgerEvent[];
    return inf3.start(run).step?.({ run, ledger, callers: [] });
  };

  test("past the timeout, a pool that abandons owes its failure to no one; one that disconnects does", () => {
    assert.equal(judgeAt(KAFKAJS_SUPPORTS, 101), undefined);
    assert.equal(judgeAt(KAFKAJS_SUPPORTS, 100)?.clause, "b");
    assert.equal(judgeAt(REFERENCE_MULTIPLEXED_SUPPORTS, 101)?.clause, "b");
  });
});
