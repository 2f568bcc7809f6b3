import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SocketFilter } from "../../net/ledger.ts";
import type { LedgerEvent, SocketState } from "../../net/types.ts";
import type { Capability } from "../capabilities.ts";
import type { Policies, RouteStats, Supports } from "../adapter.ts";
import type { AcquireRecord, CallerEvent, LeaseFacts } from "../observations.ts";
import { type Rule, ruleApplies } from "../rule.ts";
import { certainlyUsable, type RunView, type SocketUse } from "../run_view.ts";
import { cls1 } from "./cls.ts";
import { exp1, exp5, exp6 } from "./exp.ts";
import { lim4, lim5 } from "./lim.ts";
import { lse4, lse5 } from "./lse.ts";
import { liv1, liv3 } from "./liv.ts";
import { ord1, ord2, ord3 } from "./ord.ts";
import { sta1 } from "./sta.ts";
import { tmo1, tmo3 } from "./tmo.ts";

function acquire(
  id: number,
  status: AcquireRecord["status"],
  more: Partial<AcquireRecord> = {},
): AcquireRecord {
  return { id, route: "r0", status, startStep: id, ...more } as AcquireRecord;
}

interface SocketSpec {
  state: SocketState;
  holder?: AcquireRecord;
  route?: string;
  /** Who closed it, when closed (default the client). */
  by?: "client" | "server" | "network";
  /** Why, when closed (default "x"), and when (default 0). */
  reason?: string;
  closedAt?: number;
  createdAt?: number;
  readyAt?: number;
  brokenSeq?: number;
  /** Requests in flight on it (default 0). */
  inFlight?: number;
}

interface Extra {
  maxWaiters?: number;
  maxTotal?: number;
  stats?: RouteStats;
  capabilities?: Capability[];
  policies?: Partial<Policies>;
  ttlMs?: number;
  routes?: string[];
  closeStep?: number;
  probeStep?: number;
  /** Per-route limit, or limits by route (default 10). */
  limit?: number | Record<string, number>;
  /** The ledger's events (default: each socket created, then established or closed as its state says). */
  events?: LedgerEvent[];
}

/** The events that bring sockets to the given states: all created, then each established or closed. */
function eventsOf(sockets: SocketSpec[]): LedgerEvent[] {
  const events: Omit<LedgerEvent, "seq">[] = [];
  const at = (type: LedgerEvent["type"], i: number, t = 0) =>
    ({ type, t, socketId: i + 1, route: sockets[i]!.route ?? "r0" }) as Omit<LedgerEvent, "seq">;
  sockets.forEach((spec, i) => events.push(at("ConnectionCreated", i, spec.createdAt)));
  sockets.forEach((spec, i) => {
    if (spec.state !== "connecting") events.push(at("ConnectionReady", i));
    if (spec.state === "closed") {
      const closed = { ...at("ConnectionClosed", i, spec.closedAt), reason: spec.reason ?? "x" };
      events.push(closed as Omit<LedgerEvent, "seq">);
    }
  });
  return events.map((e, i) => ({ ...e, seq: i + 1 }) as LedgerEvent);
}

/** A run stub: acquires and sockets (route r0 unless given) in the given states and holders. */
function runOf(acquires: AcquireRecord[], sockets: SocketSpec[], extra: Extra = {}): RunView {
  // As in a run, a lease's facts name the socket it got.
  sockets.forEach((spec, i) => {
    if (spec.holder !== undefined) {
      spec.holder.facts = { ...spec.holder.facts, socketId: i + 1 } as LeaseFacts;
    }
  });
  const uses = sockets.map((spec, i) => ({
    socket: {
      id: i + 1,
      route: spec.route ?? "r0",
      state: spec.state,
      createdAt: spec.createdAt ?? 0,
      readyAt: spec.state === "connecting" ? undefined : spec.readyAt ?? spec.createdAt ?? 0,
      inFlight: spec.inFlight ?? 0,
    },
    holder: spec.holder,
    brokenSeq: spec.brokenSeq,
    generation: 0,
    idleSince: spec.holder === undefined && spec.state !== "connecting" ? 0 : undefined,
  })) as unknown as SocketUse[];
  const stats = extra.stats ?? { leased: 0, available: 0, pending: 0, connecting: 0 };
  const states = (state: SocketState | readonly SocketState[] | undefined) =>
    state === undefined ? () => true : (s: SocketState) => [state].flat().includes(s);
  const routes = extra.routes ?? ["r0"];
  const matching = (f: SocketFilter) =>
    uses.filter((u) =>
      states(f.state)(u.socket.state) && (f.route === undefined || u.socket.route === f.route)
    ).map((u) => u.socket.id);
  let checks = 0;
  const supports = {
    capabilities: extra.capabilities ?? [],
    policies: { closeWaiters: "reject", ...extra.policies },
    toleranceMs: 0,
  } as unknown as Supports;
  return {
    setup: {
      config: {
        routes,
        maxTotal: extra.maxTotal ?? 10,
        maxWaiters: extra.maxWaiters,
        ttlMs: extra.ttlMs,
      },
    },
    supports,
    closeSeq: extra.closeStep === undefined ? undefined : 1,
    closeStep: extra.closeStep,
    probeStep: extra.probeStep,
    paused: false,
    generation: 0,
    now: () => 0,
    acquires,
    pending: () => acquires.filter((a) => a.status === "pending"),
    // A new number on every read: nothing derived is cached between the stub's checks.
    get checks() {
      return ++checks;
    },
    sends: [],
    uses: () => uses,
    liveUses: () => uses.filter((u) => u.socket.state !== "closed"),
    held: () => acquires.filter((a) => a.status === "leased"),
    use: (id: number) => uses[id - 1],
    limitOf: (route: string) =>
      typeof extra.limit === "object" ? extra.limit[route] ?? 10 : extra.limit ?? 10,
    pool: {
      stats: () => ({ total: stats, routes: Object.fromEntries(routes.map((r) => [r, stats])) }),
    },
    network: {
      socket: (id: number) => uses[id - 1]?.socket,
      ledger: {
        events: extra.events ?? eventsOf(sockets),
        since: (seq: number) => (extra.events ?? eventsOf(sockets)).filter((e) => e.seq > seq),
        firstSentAfter: (id: number, seq: number) =>
          (extra.events ?? eventsOf(sockets)).find((e) =>
            e.type === "RequestSent" && e.socketId === id && e.seq > seq
          ),
        sockets: matching,
        count: (f: SocketFilter) => matching(f).length,
        live: () => uses.filter((u) => u.socket.state !== "closed").map((u) => u.socket.id),
        routeOf: (id: number) => uses[id - 1]?.socket.route,
        stateOf: (id: number) => uses[id - 1]?.socket.state,
        closure: (id: number) =>
          uses[id - 1]?.socket.state === "closed"
            ? {
              t: sockets[id - 1]!.closedAt ?? 0,
              by: sockets[id - 1]!.by ?? "client",
              reason: sockets[id - 1]!.reason ?? "x",
            }
            : undefined,
      },
    },
  } as unknown as RunView;
}

function check(rule: Rule, run: RunView, callers?: CallerEvent[]): string | undefined {
  const events = callers ??
    run.acquires.map((acquire) => ({ kind: "acquire-started", acquire }) as const);
  return rule.start(run).step?.({ run, ledger: [], callers: events })?.detail;
}

function healed(rule: Rule, run: RunView): string | undefined {
  return rule.start(run).healed?.({ run, ledger: [], callers: [] })?.detail;
}

const counts = (c: Partial<RouteStats>): RouteStats => ({
  leased: 0,
  available: 0,
  pending: 0,
  connecting: 0,
  ...c,
});

describe("STA-1", () => {
  const held = acquire(1, "leased");
  const stats = (leased: number) => counts({ leased });

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

  test("an acquire bound to a connect in progress may count as pending or not", () => {
    const run = (pending: number) =>
      runOf([acquire(1, "pending")], [{ state: "connecting" }], {
        stats: counts({ pending, connecting: 1 }),
      });
    assert.equal(check(sta1, run(0)), undefined);
    assert.equal(check(sta1, run(1)), undefined);
    assert.match(check(sta1, run(2))!, /pending is 2; the ledger and callers say 0 to 1/);
  });

  test("pending acquires beyond the connects in progress must count", () => {
    const run = runOf([acquire(1, "pending"), acquire(2, "pending")], [{ state: "connecting" }], {
      stats: counts({ pending: 0, connecting: 1 }),
    });
    assert.match(check(sta1, run)!, /pending is 0; the ledger and callers say 1 to 2/);
  });

  describe("a socket reset or closed by the server while in the pool", () => {
    const validating = { policies: { closeDetection: "check" } as Partial<Policies> };

    test("may count as available in a pool that learns of deaths by checking", () => {
      for (const by of ["network", "server"] as const) {
        for (const available of [0, 1]) {
          const run = runOf([], [{ state: "closed", by }], {
            ...validating,
            stats: counts({ available }),
          });
          assert.equal(check(sta1, run), undefined, `${by}, available ${available}`);
        }
      }
    });

    test("must not in a pool that hears of the close (closeDetection: event)", () => {
      const run = runOf([], [{ state: "closed", by: "network" }], {
        policies: { closeDetection: "event" },
        capabilities: ["validateAfterInactivity"],
        stats: counts({ available: 1 }),
      });
      assert.match(check(sta1, run)!, /available is 1; the ledger and callers say 0$/);
    });

    test("must not when the pool closed it, or it never opened, or it was released broken", () => {
      const cases: SocketSpec[] = [
        { state: "closed", by: "client" },
        { state: "closed", by: "network", brokenSeq: 3 },
        { state: "closed", by: "network" },
      ];
      for (const [i, spec] of cases.entries()) {
        const run = runOf([], [spec], {
          ...validating,
          stats: counts({ available: 1 }),
        });
        if (i === 2) (run.uses()[0]!.socket as { readyAt: number | undefined }).readyAt = undefined;
        assert.match(check(sta1, run)!, /available is 1/, `case ${i}`);
      }
    });

    test("a leased one counts as leased or not, never as available", () => {
      const run = runOf([held], [{ state: "closed", by: "network", holder: held }], {
        ...validating,
        stats: counts({ available: 1 }),
      });
      assert.match(check(sta1, run)!, /available is 1; the ledger and callers say 0$/);
    });
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

  test("LIM-4.b: an acquire with an idle connection of its route is not refused as over the bound", () => {
    const refused = (more: Partial<AcquireRecord>) => {
      const a = acquire(2, "rejected", { errorKind: "waitQueueFull", ...more });
      const run = runOf([acquire(1, "pending", { route: "r1" }), a], [], { maxWaiters: 1 });
      return check(lim4, run, [{ kind: "acquire-rejected", acquire: a }]);
    };
    assert.match(
      refused({ idleAtStart: 1 })!,
      /^acquire #2 \(r0\) was refused as over maxWaiters \(1\) while socket #1 of its route was idle and usable/,
    );
    assert.equal(refused({}), undefined, "no idle connection: the queue was full for it");
    assert.equal(refused({ idleAtStart: 1, errorKind: "timeout" }), undefined, "another reason");
  });
});

describe("capacity (LIV-3, ORD-3)", () => {
  test("a lease held on a closed socket occupies its slot", () => {
    const held = acquire(1, "leased");
    const run = runOf(
      [held, acquire(2, "pending")],
      [{ state: "closed", by: "network", holder: held }],
      { maxTotal: 1 },
    );
    assert.equal(check(liv3, run), undefined);
  });

  test("a closed socket no lease holds frees its slot", () => {
    const run = runOf([acquire(1, "released"), acquire(2, "pending")], [{
      state: "closed",
      by: "network",
    }], { maxTotal: 1 });
    assert.match(check(liv3, run)!, /waiter #2 \(r0\) waits with spare capacity/);
  });

  test("a route whose connect failed is judged again once the pool dials it at a later instant", () => {
    const pending = [acquire(1, "pending"), acquire(2, "pending")];
    const refused: SocketSpec = { state: "closed", by: "network", reason: "refused", closedAt: 5 };
    assert.equal(check(liv3, runOf(pending, [refused])), undefined, "it may be backing off");
    const atOnce: SocketSpec = { state: "connecting", createdAt: 5 };
    assert.equal(
      check(liv3, runOf(pending, [refused, atOnce])),
      undefined,
      "a dial at the instant of the refusal shows nothing: the pool may not have heard of it",
    );
    const later: SocketSpec = { state: "connecting", createdAt: 6 };
    assert.match(
      check(liv3, runOf(pending, [refused, later]))!,
      /^waiter #2 \(r0\) waits with spare capacity \(beyond the oldest pending acquires of r0, taken as served by its 1 connect in progress\), and no connect was started for it$/,
    );
    const aborted: SocketSpec = { ...refused, reason: "aborted", closedAt: 7 };
    assert.equal(
      check(liv3, runOf(pending, [refused, later, aborted])),
      undefined,
      "a later failure starts another backoff",
    );
    // ORD-3 leaves such a route alone too: behind a blocked waiter of r1, the waiter of r0 is
    // judged only when r0 cannot be backing off.
    const behind = [acquire(1, "pending", { route: "r1" }), acquire(2, "pending")];
    const extra = { routes: ["r0", "r1"], limit: { r0: 10, r1: 0 } };
    assert.equal(check(ord3, runOf(behind, [refused], extra)), undefined);
    assert.match(check(ord3, runOf(behind, [], extra))!, /^waiter #2 \(r0\) has capacity/);
  });

  test("ORD-3: a waiter behind a route full of closed leases is still judged", () => {
    const held = acquire(1, "leased");
    const blocked = acquire(2, "pending");
    const other = acquire(3, "pending", { route: "r1" });
    const sockets: SocketSpec[] = [{ state: "closed", by: "network", holder: held }];
    const full = runOf([held, blocked, other], sockets, { maxTotal: 1, routes: ["r0", "r1"] });
    // The total is full too: #3 has no capacity either.
    assert.equal(check(ord3, full), undefined);
    const roomy = runOf([held, blocked, other], sockets, { maxTotal: 2, routes: ["r0", "r1"] });
    (roomy as { limitOf: (r: string) => number }).limitOf = () => 1;
    assert.match(check(ord3, roomy)!, /waiter #3 \(r1\) has capacity .* behind blocked waiter #2/);
  });
});

describe("EXP-1", () => {
  const served = (settledAt: number, readyAt: number) => {
    const record = acquire(1, "leased", {
      settledAt,
      facts: { socketId: 1 } as LeaseFacts,
    });
    const run = runOf([record], [{ state: "open", holder: record, createdAt: 0, readyAt }], {
      ttlMs: 100,
    });
    return check(exp1, run, [{ kind: "acquire-resolved", acquire: record }]);
  };

  test("the TTL runs from the moment the connection was established", () => {
    assert.equal(served(103, 3), undefined);
    assert.match(
      served(104, 3)!,
      /got socket #1 at t=104; established at t=3, TTL 100 ms, so it expired after t=103/,
    );
  });

  test("a lease that settles with its response counts from the request sent on the socket", () => {
    const at = (sentAt: number) => {
      const record = acquire(1, "leased", {
        settledAt: 110,
        facts: { socketId: 1, idleSinceSeq: 0 } as LeaseFacts,
      });
      const events = [
        { seq: 1, t: 0, type: "ConnectionCreated", socketId: 1, route: "r0" },
        { seq: 2, t: 3, type: "ConnectionReady", socketId: 1, route: "r0" },
        { seq: 3, t: sentAt, type: "RequestSent", socketId: 1, route: "r0", requestId: 1 },
      ] as LedgerEvent[];
      const run = runOf([record], [{ state: "open", holder: record, createdAt: 0, readyAt: 3 }], {
        ttlMs: 100,
        events,
      });
      return check(exp1, run, [{ kind: "acquire-resolved", acquire: record }]);
    };
    assert.equal(at(103), undefined);
    assert.match(at(104)!, /at t=104 \(its request sent; settled at t=110\); established at t=3/);
  });

  test("closeExpired() must close a connection only past the TTL counted from establishment", () => {
    const at = (t: number) => {
      const run = runOf([], [{ state: "open", createdAt: 0, readyAt: 3 }], {
        ttlMs: 100,
        capabilities: ["closeExpired"],
      });
      return check(exp5, run, [{ kind: "maintenance", op: "closeExpired", t, seq: 1 }]);
    };
    assert.equal(at(103), undefined);
    assert.match(at(104)!, /closeExpired\(\) at t=104 left socket #1 open \(expired at t=103\)/);
  });

  test("reuse is demanded only before the TTL counted from the connect's start", () => {
    const run = runOf([], [{ state: "open", createdAt: 0, readyAt: 3 }], { ttlMs: 100 });
    (run as { now: () => number }).now = () => 99;
    assert.equal(certainlyUsable(run, run.uses()[0]!), false);
    (run as { now: () => number }).now = () => 98;
    assert.equal(certainlyUsable(run, run.uses()[0]!), true);
  });
});

describe("EXP-6", () => {
  /** A run with maxUses 2 in which acquires 1, 2, … each got the socket listed for it. */
  const leased = (sockets: number[]) => {
    const records = sockets.map((socketId, i) =>
      acquire(i + 1, "released", { facts: { socketId } as LeaseFacts })
    );
    const run = runOf(records, [{ state: "open" }, { state: "open" }]);
    (run.setup.config as { maxUses?: number }).maxUses = 2;
    const events = records.map((acquire) => ({ kind: "acquire-resolved", acquire }) as const);
    return { run, message: check(exp6, run, events) };
  };

  test("maxUses leases of one socket pass; one more fails, naming the earlier ones", () => {
    assert.equal(leased([1, 2, 1, 2]).message, undefined);
    assert.match(
      leased([1, 2, 1, 1]).message!,
      /acquire #4 got socket #1, already leased 2 times \(acquires #1, #3\) with maxUses 2/,
    );
  });

  test("a socket that used its leases is not one a pool must reuse", () => {
    const { run } = leased([]);
    const use = run.uses()[0]!;
    use.leases = 1;
    assert.equal(certainlyUsable(run, use), true);
    use.leases = 2;
    assert.equal(certainlyUsable(run, use), false);
  });
});

describe("close and dropped waiters (CLS-1, LIV-1)", () => {
  const supports = (closeWaiters: Policies["closeWaiters"]) =>
    ({ capabilities: [], policies: { closeWaiters } }) as unknown as Supports;

  test("CLS-1 judges pools that reject or drop waiters, not those that drain", () => {
    assert.equal(ruleApplies(cls1, supports("reject")), true);
    assert.equal(ruleApplies(cls1, supports("drop")), true);
    assert.equal(ruleApplies(cls1, supports("drain")), false);
  });

  test("LIV-1 leaves waiters dropped by close to CLS-1", () => {
    const dropped = acquire(1, "pending", { startStep: 1 });
    const later = acquire(2, "pending", { startStep: 3 });
    const drop = { policies: { closeWaiters: "drop" as const }, closeStep: 2 };
    assert.equal(healed(liv1, runOf([dropped], [], drop)), undefined);
    assert.match(healed(liv1, runOf([dropped, later], [], drop))!, /: acquire #2 \(r0\)$/);
    const reject = { policies: { closeWaiters: "reject" as const }, closeStep: 2 };
    assert.match(healed(liv1, runOf([dropped], [], reject))!, /acquire #1/);
    assert.match(healed(liv1, runOf([dropped], [], { policies: drop.policies }))!, /acquire #1/);
  });
});

describe("a connection being handed over (LSE-3, LIV-3, ORD-3)", () => {
  // An HTTP lease resolves with the response head: until then the request the
  // pool sent on a free socket is a pending acquire and no caller holds it.
  test("a socket with a request in flight is not idle", () => {
    const run = runOf([], [{ state: "open", inFlight: 1 }]);
    assert.equal(certainlyUsable(run, run.uses()[0]!), false);
    const idle = runOf([], [{ state: "open" }]);
    assert.equal(certainlyUsable(idle, idle.uses()[0]!), true);
  });

  test("LIV-3: the acquire it is handed to is not a waiter", () => {
    const pending = acquire(2, "pending");
    const run = runOf([acquire(1, "released"), pending], [{ state: "open", inFlight: 1 }]);
    assert.equal(check(liv3, run), undefined);
  });

  test("LIV-3: it serves one pending acquire of its route, not more", () => {
    const pending = [acquire(2, "pending"), acquire(3, "pending")];
    const sockets: SocketSpec[] = [{ state: "open", inFlight: 1 }, { state: "open" }];
    assert.match(
      check(liv3, runOf(pending, sockets))!,
      /^waiter #3 \(r0\) waits while socket #2 of its route idles \(beyond the oldest pending acquires of r0, taken as served by its 1 connection being handed over\)$/,
    );
    const full = runOf(pending, [{ state: "open", inFlight: 1 }], { limit: 1 });
    assert.equal(check(liv3, full), undefined, "a hand-over in progress serves the oldest");
    // With room for another connection, the second is owed a connect of its own (LIV-3.c).
    const roomy = runOf(pending, [{ state: "open", inFlight: 1 }]);
    assert.match(
      check(liv3, roomy)!,
      /^waiter #3 \(r0\) waits with spare capacity \(beyond the oldest pending acquires of r0, taken as served by its 1 connection being handed over\), and no connect was started for it$/,
    );
    const dialing = runOf(pending, [{ state: "open", inFlight: 1 }, { state: "connecting" }]);
    assert.equal(check(liv3, dialing), undefined, "one hand-over and one connect serve both");
  });

  test("LIV-3.c: each waiter beyond the connects in progress gets one, as far as capacity goes", () => {
    const pending = [acquire(1, "pending"), acquire(2, "pending"), acquire(3, "pending")];
    const one: SocketSpec[] = [{ state: "connecting" }];
    assert.match(
      check(liv3, runOf(pending, one))!,
      /^waiter #2 \(r0\) waits with spare capacity \(beyond the oldest pending acquires of r0, taken as served by its 1 connect in progress\), and no connect was started for it$/,
    );
    assert.equal(check(liv3, runOf(pending, one, { limit: 1 })), undefined, "no room: they wait");
    const two: SocketSpec[] = [{ state: "connecting" }, { state: "connecting" }];
    assert.equal(check(liv3, runOf(pending, two, { limit: 2 })), undefined, "the route is full");
    assert.match(check(liv3, runOf(pending, two))!, /^waiter #3 \(r0\)/);
  });

  test("ORD-3: a waiter whose route hands a connection over is being served", () => {
    const held = acquire(1, "leased");
    const blocked = acquire(2, "pending");
    const other = acquire(3, "pending", { route: "r1" });
    const sockets: SocketSpec[] = [
      { state: "open", holder: held },
      { state: "open", route: "r1", inFlight: 1 },
    ];
    const limits = { limit: { r0: 1, r1: 2 }, routes: ["r0", "r1"] };
    assert.equal(check(ord3, runOf([held, blocked, other], sockets, limits)), undefined);
    sockets[1]!.inFlight = 0;
    sockets[1]!.state = "closed";
    const stalled = runOf([held, blocked, other], sockets, limits);
    assert.match(
      check(ord3, stalled)!,
      /waiter #3 \(r1\) has capacity .* behind blocked waiter #2/,
    );
  });
});

describe("TMO-1.a: a timeout is what the adapter reads as one", () => {
  const early = (errorCode: string, errorKind?: "timeout" | "connectionError" | null) => {
    const record = acquire(1, "rejected", {
      startedAt: 0,
      timeoutMs: 10,
      settledAt: 5,
      errorCode,
      ...(errorKind === undefined ? {} : { errorKind }),
    });
    return check(tmo1, runOf([record], []), [{ kind: "acquire-rejected", acquire: record }]);
  };

  test("an early rejection the adapter reads as a connection error is not an acquire timeout", () => {
    assert.equal(early("MongoNetworkTimeoutError", "connectionError"), undefined);
  });

  test("an early rejection read as a timeout, or named one where no kind is read, is", () => {
    assert.match(early("PoolError", "timeout")!, /acquire #1 timed out at t=5/);
    assert.match(early("ACQUIRE_TIMEOUT")!, /acquire #1 timed out at t=5/);
    assert.match(early("TimeoutError", null)!, /acquire #1 timed out at t=5/);
  });
});

describe("an acquire bound to a connect in progress is not a waiter (ORD-1, ORD-2, ORD-3, LIV-3)", () => {
  /** #2 resolved in step 3 on socket #2 while #1 (and #0 more older ones) are pending. */
  const overtaking = (olderPending: number, connecting: number, sameStep = false) => {
    const older = Array.from(
      { length: olderPending },
      (_, i) => acquire(i + 1, "pending", { startedAt: 0 }),
    );
    const id = olderPending + 1;
    const served = acquire(id, "leased", {
      startedAt: 1,
      startStep: sameStep ? 3 : 2,
      settledAt: 2,
      settleStep: 3,
      settleSeq: 1_000,
      settleOrder: 1,
    });
    const sockets: SocketSpec[] = [
      ...Array.from({ length: connecting }, () => ({ state: "connecting" as const })),
      { state: "open", holder: served },
    ];
    const run = runOf([...older, served], sockets);
    return check(sameStep ? ord2 : ord1, run, [{ kind: "acquire-resolved", acquire: served }]);
  };

  test("ORD-1: a newer acquire may be served while an older one waits for its own connect", () => {
    assert.equal(overtaking(1, 1), undefined);
    assert.equal(overtaking(2, 2), undefined);
  });

  test("ORD-1: older acquires beyond the connects in progress are waiters", () => {
    assert.match(
      overtaking(1, 0)!,
      /^waiter #2 \(r0, since t=1\) was served at t=2 before the older waiter #1 \(since t=0\)$/,
    );
    assert.match(
      overtaking(2, 1)!,
      /waiter #3 .* before the older waiter #2 .* \(2 older acquires of r0 were pending, only 1 of them can have had a connect in progress\)$/,
    );
  });

  test("ORD-1: the connects counted are those in progress when the newer acquire was served", () => {
    const event = (type: "ConnectionCreated" | "ConnectionReady", socketId: number, seq: number) =>
      ({ type, seq, t: 0, socketId, route: "r0" }) as LedgerEvent;
    const judge = (order: [1 | 2, 1 | 2], settleSeq: number) => {
      const first = acquire(1, "leased", {
        startedAt: 0,
        settledAt: 3,
        settleStep: 3,
        settleSeq: 5,
        settleOrder: 2,
      });
      const second = acquire(2, "leased", {
        startedAt: 1,
        settledAt: 2,
        settleStep: 3,
        settleSeq,
        settleOrder: 1,
      });
      const sockets: SocketSpec[] = [
        { state: "open", holder: first },
        { state: "open", holder: second },
      ];
      const events = [
        event("ConnectionCreated", 1, 1),
        event("ConnectionCreated", 2, 2),
        event("ConnectionReady", order[0], 3),
        event("ConnectionReady", order[1], 4),
      ];
      const callers: CallerEvent[] = [{ kind: "acquire-resolved", acquire: second }];
      return check(ord1, runOf([first, second], sockets, { events }), callers);
    };
    // Both settled in the same step; socket #1 became ready only after #2 was
    // served on socket #2: #1 was waiting for its own connect.
    assert.equal(judge([2, 1], 3), undefined);
    // Socket #1 was ready before #2 was served: #1 was a waiter then.
    assert.match(judge([1, 2], 4)!, /waiter #2 .* before the older waiter #1/);
  });

  test("ORD-1: waiters served at the same instant are served together, whichever settles first", () => {
    const judge = (firstSettledAt: number) => {
      const first = acquire(1, "leased", {
        startedAt: 0,
        settledAt: firstSettledAt,
        settleStep: 3,
        settleSeq: 10,
        settleOrder: 2,
      });
      const second = acquire(2, "leased", {
        startedAt: 1,
        settledAt: 2,
        settleStep: 3,
        settleSeq: 10,
        settleOrder: 1,
      });
      const sockets: SocketSpec[] = [
        { state: "open", holder: first },
        { state: "open", holder: second },
      ];
      const callers: CallerEvent[] = [{ kind: "acquire-resolved", acquire: second }];
      return check(ord1, runOf([first, second], sockets), callers);
    };
    // One pass served both at t=2; the older acquire's promise took one more hop.
    assert.equal(judge(2), undefined);
    // The older one was served only at t=3.
    assert.match(judge(3)!, /waiter #2 .* before the older waiter #1/);
  });

  test("ORD-2: an older acquire rejected when a connect of its own failed was no waiter (connectOwnership acquire)", () => {
    const judge = (ownership: "acquire" | "route", kind: "connectionError" | "timeout") => {
      // #1 waits; a connect of its route starts after it and fails; #2 is served at once;
      // then, later in the same step, #1 is rejected.
      const older = acquire(1, "rejected", {
        startedAt: 0,
        startSeq: 0,
        settledAt: 2,
        settleStep: 3,
        settleSeq: 2,
        settleOrder: 2,
        errorKind: kind,
      });
      const served = acquire(2, "leased", {
        startedAt: 2,
        startStep: 3,
        settledAt: 2,
        settleStep: 3,
        settleSeq: 2,
        settleOrder: 1,
      });
      const events = [
        { type: "ConnectionCreated", seq: 1, t: 0, socketId: 1, route: "r0" },
        { type: "ConnectionClosed", seq: 2, t: 2, socketId: 1, route: "r0", by: "client" },
      ] as LedgerEvent[];
      const run = runOf([older, served], [{ state: "closed" }, { state: "open", holder: served }], {
        events,
        policies: { connectOwnership: ownership },
      });
      return check(ord2, run, [{ kind: "acquire-resolved", acquire: served }]);
    };
    assert.equal(judge("acquire", "connectionError"), undefined);
    assert.match(judge("acquire", "timeout")!, /new acquire #2 \(r0\) was served at once/);
    assert.match(judge("route", "connectionError")!, /new acquire #2 \(r0\) was served at once/);
  });

  test("ORD-2: a new acquire served at once does not overtake an acquire waiting for its connect", () => {
    assert.equal(overtaking(1, 1, true), undefined);
    assert.match(overtaking(1, 0, true)!, /new acquire #2 \(r0\) was served at once .* waiter #1/);
  });

  test("LIV-3: an acquire waiting for its own connect may wait while a connection idles", () => {
    const sockets: SocketSpec[] = [{ state: "connecting" }, { state: "open" }];
    assert.equal(check(liv3, runOf([acquire(1, "pending")], sockets)), undefined);
    assert.match(
      check(liv3, runOf([acquire(1, "pending"), acquire(2, "pending")], sockets))!,
      /^waiter #2 \(r0\) waits while socket #2 of its route idles \(beyond the oldest pending acquires of r0, taken as served by its 1 connect in progress\)$/,
    );
  });

  test("ORD-3: an acquire of a full route waiting for its own connect blocks nobody; LIV-3 judges the other", () => {
    const bound = acquire(1, "pending");
    const other = acquire(2, "pending", { route: "r1" });
    const sockets: SocketSpec[] = [{ state: "connecting" }];
    const run = runOf([bound, other], sockets, { limit: 1, routes: ["r0", "r1"] });
    assert.equal(check(ord3, run), undefined);
    assert.match(check(liv3, run)!, /^waiter #2 \(r1\) waits with spare capacity/);
    const waiting = runOf([bound, acquire(2, "pending"), { ...other, id: 3 }], sockets, {
      limit: 1,
      routes: ["r0", "r1"],
    });
    assert.match(check(ord3, waiting)!, /waiter #3 \(r1\) .* behind blocked waiter #2 \(r0\)/);
    assert.equal(check(liv3, waiting), undefined, "ORD-3's finding");
  });
});

describe("LSE-4 and LSE-5", () => {
  const released = acquire(1, "released", { facts: { socketId: 1 } as LeaseFacts });
  const run = runOf([released], [{ state: "closed" }, { state: "closed" }]);
  const closed = (socketId: number, by: "client" | "network", seq: number): LedgerEvent => ({
    seq,
    t: 0,
    type: "ConnectionClosed",
    socketId,
    route: "r0",
    by,
    reason: "x",
  });
  const refused: CallerEvent = {
    kind: "bad-release",
    acquire: released,
    rejected: true,
    seqBefore: 4,
  };
  const lse4Step = (ledger: LedgerEvent[]) =>
    lse4.start(run).step?.({ run, ledger, callers: [refused] })?.detail;

  test("LSE-4: a refused second release that closes its socket fails", () => {
    assert.match(lse4Step([closed(1, "client", 5)])!, /refused double release .* closed socket #1/);
  });

  test("LSE-4: closes by the network, of other sockets, or from before the release are not its doing", () => {
    assert.equal(lse4Step([closed(1, "network", 5), closed(2, "client", 6)]), undefined);
    assert.equal(lse4Step([closed(1, "client", 4)]), undefined);
  });

  test("LSE-5: a release that fails before close() fails; after close() it is not judged", () => {
    const failed = (beforeClose: boolean): CallerEvent => ({
      kind: "release-failed",
      acquire: { ...released, reusable: false },
      error: "Error: connection already closed",
      beforeClose,
    });
    assert.match(
      lse5.start(run).step?.({ run, ledger: [], callers: [failed(true)] })?.detail!,
      /releasing acquire #1's lease \(socket #1, broken\) failed: Error: connection already closed/,
    );
    assert.equal(lse5.start(run).step?.({ run, ledger: [], callers: [failed(false)] }), undefined);
  });
});

describe("the other side of expiry and backoff (EXP-5, TMO-3, LIM-5)", () => {
  const closedBy = (seq: number, t: number) =>
    ({
      seq,
      t,
      type: "ConnectionClosed",
      socketId: 1,
      route: "r0",
      by: "client",
      reason: "idle",
    }) as LedgerEvent;

  test("EXP-5: closeIdle(d) closes a connection idle for d ms, and not one idle for less", () => {
    const at = (t: number, closes = true) => {
      const run = runOf([], [{ state: closes ? "closed" : "open" }], {
        capabilities: ["closeIdle"],
      });
      return exp5.start(run).step?.({
        run,
        ledger: closes ? [closedBy(2, t)] : [],
        callers: [{ kind: "maintenance", op: "closeIdle", idleMs: 10, t, seq: 1 }],
      });
    };
    assert.equal(at(10), undefined);
    assert.equal(at(10, false)?.clause, "d");
    assert.match(at(10, false)!.detail, /left socket #1 open \(idle 10 ms ≥ 10 ms\)/);
    assert.equal(at(9, false), undefined);
    assert.equal(at(9)?.clause, "b");
    assert.match(
      at(9)!.detail,
      /closeIdle\(10\) at t=9 closed socket #1, idle only 9 ms and not expired/,
    );
  });

  test("TMO-3: a waiter with capacity gets a connect once the longest backoff has passed", () => {
    const at = (now: number) => {
      const events = [
        { seq: 1, t: 0, type: "ConnectionCreated", socketId: 1, route: "r0" },
        {
          seq: 2,
          t: 0,
          type: "ConnectionClosed",
          socketId: 1,
          route: "r0",
          by: "client",
          reason: "refused",
        },
      ] as LedgerEvent[];
      const run = runOf([acquire(1, "pending")], [{ state: "closed" }], { events });
      Object.assign(run.setup.config, { reconnectBackoffMs: 4, reconnectBackoffMaxMs: 100 });
      (run as { now: () => number }).now = () => now;
      return tmo3.start(run).step?.({ run, ledger: events, callers: [] });
    };
    // One failure: at most floor(4 × 1.2) = 4 ms.
    assert.equal(at(4), undefined);
    assert.equal(at(5)?.clause, "b");
    assert.match(
      at(5)!.detail,
      /waiter #1 \(r0\) had spare capacity and no connect in progress past t=4/,
    );
  });

  test("TMO-3: a connect for a landing of the same turn may follow a refusal the pool was not yet told of", () => {
    // Two connects land in one turn: #1 ready, then #2 refused. The pool hears of each in a
    // callback of its own, after both are on the ledger; #3 may be its answer to #1's ready.
    const judge = (readyFirst: boolean, extra = false) => {
      const ready = { type: "ConnectionReady", socketId: 1, route: "r0" };
      const refused = {
        type: "ConnectionClosed",
        socketId: 2,
        route: "r1",
        by: "network",
        reason: "refused",
      };
      const landed = readyFirst ? [ready, refused] : [refused, ready];
      const created = (socketId: number) => ({ type: "ConnectionCreated", socketId, route: "r1" });
      const events = [
        { type: "ConnectionCreated", socketId: 1, route: "r0" },
        { type: "ConnectionCreated", socketId: 2, route: "r1" },
        ...landed,
        created(3),
        ...(extra ? [created(4)] : []),
      ].map((e, i) => ({ seq: i + 1, t: i < 2 ? 0 : 3, ...e })) as LedgerEvent[];
      const run = runOf([], [], { events });
      Object.assign(run.setup.config, { reconnectBackoffMs: 1, reconnectBackoffMaxMs: 1 });
      return tmo3.start(run).step?.({ run, ledger: events, callers: [] });
    };
    assert.equal(judge(true), undefined);
    // The ready landed after the refusal: the pool knew of the refusal when it started #3.
    assert.equal(judge(false)?.clause, "a");
    // One landing before the refusal accounts for one connect, not two.
    assert.equal(judge(true, true)?.clause, "a");
    assert.match(judge(true, true)!.detail, /socket #4 to r1 opened at t=3, 0 ms after failure 1/);
  });

  test("LIM-5: one connect in progress per pending acquire, not more", () => {
    const created = (seq: number, socketId: number) =>
      ({ seq, t: 0, type: "ConnectionCreated", socketId, route: "r0" }) as LedgerEvent;
    const judge = (acquires: AcquireRecord[]) => {
      const run = runOf(acquires, [{ state: "connecting" }, { state: "connecting" }]);
      return lim5.start(run).step?.({ run, ledger: [created(1, 1), created(2, 2)], callers: [] });
    };
    const first = acquire(1, "pending", { startSeq: 0 });
    assert.equal(judge([first, acquire(2, "pending", { startSeq: 1 })]), undefined);
    // The second acquire timed out before the second connect started: it is no reason for it.
    assert.match(
      judge([first, acquire(2, "rejected", { startSeq: 1, settleSeq: 1 })])!.detail,
      /socket #2 to r0 started at t=0 made 2 connects in progress for 1 pending acquire \(#1\)/,
    );
  });
});
