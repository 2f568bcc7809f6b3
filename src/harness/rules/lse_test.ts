import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LedgerEvent } from "../../net/types.ts";
import type { Policies, Supports } from "../adapter.ts";
import type { AcquireRecord, CallerEvent, LeaseFacts } from "../observations.ts";
import { ruleApplies } from "../rule.ts";
import type { RunView } from "../run_view.ts";
import { lse4, lse5, lse7 } from "./lse.ts";

const released: AcquireRecord = {
  id: 1,
  route: "r0",
  status: "released",
  reusable: false,
  facts: { socketId: 1 } as LeaseFacts,
} as AcquireRecord;

function runWith(policies: Partial<Policies> = {}, uses: unknown[] = []): RunView {
  return {
    supports: { capabilities: [], policies, toleranceMs: 0 },
    setup: { config: { defaultKeepAliveMs: 10 } },
    uses: () => uses,
    liveUses: () =>
      (uses as { socket: { state: string } }[]).filter((u) => u.socket.state !== "closed"),
  } as unknown as RunView;
}

const closedByClient = (socketId: number, seq: number): LedgerEvent => ({
  seq,
  t: 0,
  type: "ConnectionClosed",
  socketId,
  route: "r0",
  by: "client",
  reason: "destroyed",
});

function repeated(more: Partial<Extract<CallerEvent, { kind: "bad-release" }>>): CallerEvent {
  return { kind: "bad-release", acquire: released, rejected: true, seqBefore: 4, ...more };
}

describe("LSE-4: repeated releases in either form", () => {
  const step = (callers: CallerEvent[], ledger: LedgerEvent[] = []) =>
    lse4.start(runWith()).step?.({ run: runWith(), ledger, callers });

  test("an accepted repeated destroy is named as broken", () => {
    assert.deepEqual(step([repeated({ rejected: false, reusable: false })]), {
      clause: "a",
      detail: "releasing acquire #1's lease a second time (as broken) was accepted",
    });
  });

  test("a refused repeated destroy that closes the socket another caller holds fails b", () => {
    const breach = step([repeated({ reusable: false, heldBy: 3 })], [closedByClient(1, 5)]);
    assert.equal(breach?.clause, "b");
    assert.match(breach!.detail, /\(as broken\) still closed socket #1, which acquire #3 held/);
  });
});

describe("LSE-5: releases after close() follow the declared policy", () => {
  const failed: CallerEvent = {
    kind: "release-failed",
    acquire: released,
    error: "Error: pool is closed",
    beforeClose: false,
  };
  const accepted: CallerEvent = { kind: "release-accepted", acquire: released };
  const step = (policy: Policies["releaseAfterClose"], callers: CallerEvent[]) => {
    const run = runWith(policy === undefined ? {} : { releaseAfterClose: policy });
    return lse5.start(run).step?.({ run, ledger: [], callers });
  };

  test("'accept': a release after close() that fails breaks b", () => {
    const breach = step("accept", [failed]);
    assert.equal(breach?.clause, "b");
    assert.match(
      breach!.detail,
      /after close\(\) \(socket #1, broken\) failed: Error: pool is closed/,
    );
    assert.equal(step("accept", [accepted]), undefined);
  });

  test("'reject': a release after close() that is accepted breaks c", () => {
    assert.equal(step("reject", [accepted])?.clause, "c");
    assert.equal(step("reject", [failed]), undefined);
  });

  test("undeclared: either answer passes", () => {
    assert.equal(step(undefined, [accepted, failed]), undefined);
  });
});

describe("LSE-7: a repeated release changes nothing", () => {
  const step = (callers: CallerEvent[], ledger: LedgerEvent[]) =>
    lse7.start(runWith()).step?.({ run: runWith(), ledger, callers });

  test("applies to leasing pools that do not promise to refuse repeated releases", () => {
    const supports = (capabilities: string[]) => ({ capabilities }) as unknown as Supports;
    assert.equal(ruleApplies(lse7, supports([])), true);
    assert.equal(ruleApplies(lse7, supports(["rejectsBadRelease"])), false);
    assert.equal(ruleApplies(lse7, supports(["multiplexed"])), false);
  });

  test("an accepted repeated destroy that closes the socket fails, refused or not", () => {
    for (const rejected of [true, false]) {
      const breach = step([repeated({ rejected, reusable: false })], [closedByClient(1, 5)]);
      assert.equal(breach?.clause, "a");
      assert.match(breach!.detail, /which no caller held/);
    }
  });

  test("an idle connection closing at its keep-alive deadline in the same step is not its doing", () => {
    // Released at t=5 with a keep-alive of 10 ms: it may close from t=15 on.
    const idle = { socket: { id: 1, createdAt: 0 }, idleSince: 5 };
    const at = (t: number) =>
      lse7.start(runWith({}, [idle])).step?.({
        run: runWith({}, [idle]),
        ledger: [{ ...closedByClient(1, 5), t }],
        callers: [repeated({ reusable: false })],
      });
    assert.equal(at(15), undefined);
    assert.equal(at(14)?.clause, "a");
  });

  test("closes of other sockets, by the network, or from before it are not its doing", () => {
    const byNetwork = { ...closedByClient(1, 6), by: "network" } as LedgerEvent;
    assert.equal(
      step([repeated({})], [closedByClient(2, 5), byNetwork, closedByClient(1, 4)]),
      undefined,
    );
  });
});
