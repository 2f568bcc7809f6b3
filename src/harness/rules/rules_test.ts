import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RouteStats } from "../adapter.ts";
import type { AcquireRecord } from "../observations.ts";
import type { Rule } from "../rule.ts";
import type { RunView, SocketUse } from "../run_view.ts";
import { lim4 } from "./lim.ts";
import { sta1 } from "./sta.ts";

type State = "connecting" | "open" | "closed";

function acquire(id: number, status: AcquireRecord["status"]): AcquireRecord {
  return { id, route: "r0", status } as AcquireRecord;
}

/** A run stub: acquires on route r0, sockets in the given states and holders. */
function runOf(
  acquires: AcquireRecord[],
  sockets: { state: State; holder?: AcquireRecord }[],
  extra: { maxWaiters?: number; stats?: RouteStats } = {},
): RunView {
  const uses = sockets.map(({ state, holder }, i) => ({
    socket: { id: i + 1, route: "r0", state },
    holder,
  })) as unknown as SocketUse[];
  const stats = extra.stats ?? { leased: 0, available: 0, pending: 0, connecting: 0 };
  return {
    setup: { config: { routes: ["r0"], maxWaiters: extra.maxWaiters } },
    closeSeq: undefined,
    acquires,
    uses: () => uses,
    pool: { stats: () => ({ total: stats, routes: { r0: stats } }) },
    network: {
      ledger: {
        sockets: ({ state }: { state?: State }) =>
          uses.filter((u) => u.socket.state === state).map((u) => u.socket.id),
      },
    },
  } as unknown as RunView;
}

function check(rule: Rule, run: RunView): string | undefined {
  const callers = run.acquires.map((acquire) => ({ kind: "acquire-started", acquire }) as const);
  return rule.start(run).step?.({ run, ledger: [], callers });
}

describe("STA-1", () => {
  const held = acquire(1, "leased");
  const stats = (leased: number) => ({ leased, available: 0, pending: 0, connecting: 0 });

  test("a lease held on a closed socket may count as leased or not", () => {
    assert.equal(
      check(sta1, runOf([held], [{ state: "closed", holder: held }], { stats: stats(0) })),
      undefined,
    );
    assert.equal(
      check(sta1, runOf([held], [{ state: "closed", holder: held }], { stats: stats(1) })),
      undefined,
    );
  });

  test("only such leases: an open leased socket must count, a closed free one must not", () => {
    assert.match(
      check(sta1, runOf([held], [{ state: "open", holder: held }], { stats: stats(0) }))!,
      /leased is 0/,
    );
    assert.match(
      check(sta1, runOf([], [{ state: "closed" }], { stats: stats(1) }))!,
      /leased is 1/,
    );
    assert.match(
      check(sta1, runOf([held], [{ state: "closed", holder: held }], { stats: stats(2) }))!,
      /leased is 2; the ledger and callers say 0 to 1/,
    );
  });
});

describe("LIM-4", () => {
  test("an acquire waiting for its own connect is not a waiter", () => {
    const run = runOf([acquire(1, "pending")], [{ state: "connecting" }], { maxWaiters: 0 });
    assert.equal(check(lim4, run), undefined);
  });

  test("pending acquires beyond the connects in progress are waiters", () => {
    const pending = [acquire(1, "pending"), acquire(2, "pending")];
    const run = runOf(pending, [{ state: "connecting" }], { maxWaiters: 0 });
    assert.match(check(lim4, run)!, /1 acquires waiting .*newest #2.*maxWaiters is 0/);
    const within = runOf(pending, [{ state: "connecting" }], { maxWaiters: 1 });
    assert.equal(check(lim4, within), undefined);
  });
});
