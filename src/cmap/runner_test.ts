import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { tarnAdapter } from "../../conformance/adapters/tarn.ts";
import type { Adapter, Capability, PoolUnderTest, Supports } from "../harness/adapter.ts";
import { readScenarios } from "./cli.ts";
import { CMAP_EVENT_TYPES, type CmapScenario, parseScenario } from "./format.ts";
import { renderCmapJson } from "./report.ts";
import { runScenario, runScenarios } from "./runner.ts";

/** Runs of every scenario file: a timeout of their own, so Bun's 5 s default cuts none off. */
const LONG = { timeout: 60_000 };

const FILES = new URL("../../conformance/cmap/", import.meta.url).pathname;

function scenario(fields: Record<string, unknown>): CmapScenario {
  return parseScenario(
    JSON.stringify({ version: 1, style: "unit", description: "d", ...fields }),
    "test.json",
  );
}

/** The reference pool, changed by `change` (a pool with one bug or one missing ability). */
function variant(
  name: string,
  change: (pool: PoolUnderTest) => PoolUnderTest,
  supports: Partial<Supports> = {},
): Adapter {
  return {
    name,
    supports: { ...referenceAdapter.supports, ...supports },
    create: async (config, world) =>
      change(await referenceAdapter.create(config, world) as PoolUnderTest),
  };
}

function without(...capabilities: Capability[]): Partial<Supports> {
  return {
    capabilities: referenceAdapter.supports.capabilities.filter((c) => !capabilities.includes(c)),
  };
}

const CHECK_IN_REUSE = {
  operations: [
    { name: "ready" },
    { name: "checkOut", label: "a" },
    { name: "checkIn", connection: "a" },
    { name: "checkOut" },
  ],
  events: [
    { type: "ConnectionCheckedOut", connectionId: 1 },
    { type: "ConnectionCheckedIn", connectionId: 1 },
    { type: "ConnectionCheckedOut", connectionId: 1 },
  ],
  ignore: [
    "ConnectionPoolCreated",
    "ConnectionPoolReady",
    "ConnectionCreated",
    "ConnectionReady",
    "ConnectionCheckOutStarted",
  ],
};

describe("CMAP runner", () => {
  test(
    "the reference pool fails none of the bundled scenarios; each one it skips names why",
    LONG,
    async () => {
      const scenarios = await readScenarios([FILES]);
      assert.ok(scenarios.length >= 25);
      const report = await runScenarios(scenarios, referenceAdapter);
      const failed = report.results.filter((r) => r.status === "fail");
      assert.deepEqual(failed.map((r) => `${r.file}: ${r.reasons.join("; ")}`), []);
      assert.ok(report.results.filter((r) => r.status === "pass").length >= 20);
      for (const result of report.results.filter((r) => r.status === "not applicable")) {
        assert.match(result.reasons[0]!, /capability '|range|no counterpart/);
      }
    },
  );

  test("the bundled scenarios use every operation, event type and CMAP reason", async () => {
    const scenarios = await readScenarios([FILES]);
    const operations = new Set(scenarios.flatMap((s) => s.operations.map((op) => op.name)));
    assert.deepEqual([...operations].sort(), [
      "checkIn",
      "checkOut",
      "clear",
      "close",
      "ready",
      "start",
      "wait",
      "waitForEvent",
      "waitForThread",
    ]);
    const events = scenarios.flatMap((s) => s.events ?? []);
    assert.deepEqual(new Set(events.map((e) => e.type)), new Set(CMAP_EVENT_TYPES));
    const reasons = (type: string) =>
      new Set(events.filter((e) => e.type === type).map((e) => e.reason));
    assert.deepEqual(
      reasons("ConnectionClosed"),
      new Set(["stale", "idle", "error", "poolClosed"]),
    );
    assert.deepEqual(
      reasons("ConnectionCheckOutFailed"),
      new Set(["timeout", "poolClosed", "connectionError"]),
    );
    const clears = scenarios.flatMap((s) => s.operations).filter((op) => op.name === "clear");
    assert.deepEqual(
      new Set(clears.map((op) => op.name === "clear" && op.interruptInUseConnections)),
      new Set([undefined, false, true]),
    );
  });

  test("gives the same report twice: runs are deterministic", LONG, async () => {
    const scenarios = await readScenarios([FILES]);
    const first = renderCmapJson([await runScenarios(scenarios, referenceAdapter)]);
    assert.equal(renderCmapJson([await runScenarios(scenarios, referenceAdapter)]), first);
  });

  test("a pool that loses checked-in connections fails, at the event that differs", async () => {
    const leaky = variant("leaky", (pool) => ({ ...pool, release: () => {} }));
    const result = await runScenario(scenario(CHECK_IN_REUSE), leaky);
    assert.equal(result.status, "fail");
    assert.deepEqual(result.reasons, [
      `event 2 of 3 expected: expected ConnectionCheckedIn {"connectionId":1}, observed ConnectionCheckedOut {"address":"r0","connectionId":2,"duration":0} at t=0 ms (type: expected ConnectionCheckedIn, observed ConnectionCheckedOut)`,
    ]);
    assert.deepEqual(result.observed?.map((e) => e.type), [
      "ConnectionCheckedOut",
      "ConnectionCheckedOut",
    ]);
  });

  test("an extra event fails a scenario unless extra events are allowed", async () => {
    const twice = variant("twice", (pool) => ({
      ...pool,
      events(listener) {
        pool.events!((event) => {
          listener(event);
          if (event.type === "PoolCleared") listener(event);
        });
      },
    }));
    const cleared = scenario({
      operations: [{ name: "ready" }, { name: "clear" }],
      events: [{ type: "ConnectionPoolReady" }, { type: "ConnectionPoolCleared" }],
      ignore: ["ConnectionPoolCreated"],
    });
    const strict = await runScenario(cleared, twice);
    assert.equal(strict.status, "fail");
    assert.deepEqual(strict.reasons, [
      `extra event 3 (2 expected): observed ConnectionPoolCleared {"address":"r0","interruptInUseConnections":false} at t=0 ms`,
    ]);
    assert.equal((await runScenario(cleared, twice, { allowExtraEvents: true })).status, "pass");
  });

  test("an error of the wrong kind fails, naming the operation, the error and both kinds", async () => {
    const confused = variant("confused", (pool) => ({ ...pool, rejectionKind: () => "timeout" }));
    const closed = scenario({
      operations: [{ name: "close" }, { name: "checkOut" }],
      error: { type: "PoolClosedError" },
    });
    assert.equal((await runScenario(closed, referenceAdapter)).status, "pass");
    const result = await runScenario(closed, confused);
    assert.equal(result.status, "fail");
    assert.match(
      result.reasons[0]!,
      /^operation 2 \(checkOut\) failed with PoolClosedError \[POOL_CLOSED\]: .* \(kind timeout\); expected PoolClosedError \(kind poolClosed\)$/,
    );
  });

  test("a missing error and an unexpected one both fail", async () => {
    const missing = await runScenario(
      scenario({ operations: [{ name: "checkOut" }], error: { type: "WaitQueueTimeoutError" } }),
      referenceAdapter,
    );
    assert.deepEqual(missing.reasons, [
      "expected the main thread to fail with WaitQueueTimeoutError (kind timeout), but every operation completed",
    ]);
    const unexpected = await runScenario(
      scenario({ operations: [{ name: "close" }, { name: "checkOut" }] }),
      referenceAdapter,
    );
    assert.match(unexpected.reasons[0]!, /^operation 2 \(checkOut\) failed: PoolClosedError/);
  });

  test("a main-thread check-out that can never be served fails without hanging", async () => {
    const result = await runScenario(
      scenario({
        poolOptions: { maxPoolSize: 1 },
        operations: [{ name: "checkOut" }, { name: "checkOut" }],
      }),
      referenceAdapter,
    );
    assert.deepEqual(result.reasons, [
      "operation 2 (checkOut) failed: StuckError: operation 2 (checkOut) never completed: nothing was left to happen (no timer armed)",
    ]);
  });

  test("waitForEvent moves virtual time on until the events arrive, and fails at its timeout", async () => {
    const timed = {
      poolOptions: { maxPoolSize: 1, waitQueueTimeoutMS: 150 },
      operations: [
        { name: "checkOut" },
        { name: "start", target: "t" },
        { name: "checkOut", thread: "t" },
        { name: "waitForEvent", event: "ConnectionCheckOutFailed", count: 1 },
      ],
      events: [{ type: "ConnectionCheckOutFailed", reason: "timeout" }],
      ignore: [
        "ConnectionPoolCreated",
        "ConnectionCreated",
        "ConnectionReady",
        "ConnectionCheckOutStarted",
        "ConnectionCheckedOut",
      ],
    };
    const passed = await runScenario(scenario(timed), referenceAdapter);
    assert.equal(passed.status, "pass");
    const early = structuredClone(timed);
    Object.assign(early.operations[3]!, { timeout: 100 });
    const result = await runScenario(scenario(early), referenceAdapter);
    assert.equal(result.status, "fail");
    assert.match(
      result.reasons[0]!,
      /^operation 4 \(waitForEvent .*\) failed: StuckError: waitForEvent ConnectionCheckOutFailed x1 timed out after 100 ms \(saw 0\)$/,
    );
  });

  const notApplicable: [string, Adapter, Record<string, unknown>, string][] = [
    [
      "events, for a pool that reports none",
      variant("silent", (pool) => pool, without("events")),
      CHECK_IN_REUSE,
      "comparing events needs capability 'events'",
    ],
    [
      "a pool size beyond the declared range",
      referenceAdapter,
      { ...CHECK_IN_REUSE, poolOptions: { maxPoolSize: 50 } },
      "poolOptions.maxPoolSize 50 is outside the adapter's declared maxTotal range [1, 6] (--ignore-ranges runs it anyway)",
    ],
    [
      "a pool option the kit has no counterpart for",
      referenceAdapter,
      { ...CHECK_IN_REUSE, poolOptions: { loadBalanced: true } },
      "poolOptions.loadBalanced has no counterpart in the kit",
    ],
    [
      "a fail point on a command the simulated connections never run",
      referenceAdapter,
      {
        ...CHECK_IN_REUSE,
        style: "integration",
        failPoint: {
          configureFailPoint: "failCommand",
          mode: "alwaysOn",
          data: { failCommands: ["insert"], closeConnection: true },
        },
      },
      `fail point on command "insert": the simulated connections run no commands but the handshake`,
    ],
    [
      "a PoolCleared that no clear causes",
      referenceAdapter,
      {
        operations: [{ name: "ready" }],
        events: [{ type: "ConnectionPoolCleared" }],
      },
      "expects 1 ConnectionPoolCleared for 0 clear operations: the others are the driver's topology monitoring reacting to an error, not the pool",
    ],
    [
      "an error type without a rejection kind",
      referenceAdapter,
      { operations: [{ name: "checkOut" }], error: { type: "MongoServerError" } },
      "error type MongoServerError has no rejection kind in the kit",
    ],
  ];
  for (const [what, adapter, fields, reason] of notApplicable) {
    test(`a scenario is not applicable for want of ${what}`, async () => {
      const result = await runScenario(scenario(fields), adapter);
      assert.equal(result.status, "not applicable");
      assert.deepEqual(result.reasons, [reason]);
    });
  }

  test("a field no event of the adapter carries makes an otherwise passing scenario not applicable", async () => {
    const result = await runScenario(
      scenario({
        ...CHECK_IN_REUSE,
        events: CHECK_IN_REUSE.events.map((e) => ({ ...e, serviceId: 42 })),
      }),
      referenceAdapter,
    );
    assert.equal(result.status, "not applicable");
    assert.deepEqual(result.reasons, [
      "expects event field 'serviceId', which no event of the adapter carries (everything else matched)",
    ]);
  });

  test("the specification's 'duration': 42 is judged against the kit's durationMs", async () => {
    const checkedOut = (e: { type: string }) => e.type === "ConnectionCheckedOut";
    const withDuration = await runScenario(
      scenario({
        ...CHECK_IN_REUSE,
        events: CHECK_IN_REUSE.events.map((e) => checkedOut(e) ? { ...e, duration: 42 } : e),
      }),
      referenceAdapter,
    );
    assert.equal(withDuration.status, "pass");
    // CMAP's ConnectionCheckedIn carries no duration: expecting one there is a difference.
    const onCheckIn = await runScenario(
      scenario({
        ...CHECK_IN_REUSE,
        events: CHECK_IN_REUSE.events.map((e) => checkedOut(e) ? e : { ...e, duration: 42 }),
      }),
      referenceAdapter,
    );
    assert.equal(onCheckIn.status, "fail");
  });

  test("a close reason the adapter maps none of is left out, and named if all else matched", async () => {
    const closes = {
      operations: [{ name: "ready" }, { name: "checkOut", label: "a" }, { name: "close" }, {
        name: "checkIn",
        connection: "a",
      }],
      events: [{ type: "ConnectionClosed", connectionId: 1, reason: "poolClosed" }],
      ignore: CMAP_EVENT_TYPES.filter((type) => type !== "ConnectionClosed"),
    };
    const { closeReasons: _, ...unmapped } = referenceAdapter.supports;
    const silent: Adapter = {
      name: "no-reasons",
      supports: unmapped,
      create: async (config, world) => {
        const pool = await referenceAdapter.create(config, world) as PoolUnderTest;
        return {
          ...pool,
          events: (listener) =>
            pool.events!((event) => {
              const { reason: _reason, ...rest } = event;
              listener(event.type === "ConnectionClosed" ? rest : event);
            }),
        };
      },
    };
    const result = await runScenario(scenario(closes), silent);
    assert.equal(result.status, "not applicable", result.reasons.join("\n"));
    assert.deepEqual(result.reasons, [
      "expects event field 'reason', which no event of the adapter carries (everything else matched)",
    ]);
    assert.equal((await runScenario(scenario(closes), referenceAdapter)).status, "pass");
  });

  test("a refused connect is not applicable to a pool that declares it retries", async () => {
    const retries = variant("retries", (pool) => pool, {
      policies: { ...referenceAdapter.supports.policies, connectFailure: "retry" },
    });
    const result = await runScenario(
      scenario({
        style: "integration",
        failPoint: {
          configureFailPoint: "failCommand",
          mode: { times: 1 },
          data: { failCommands: ["hello"], closeConnection: true },
        },
        operations: [{ name: "ready" }, { name: "checkOut" }],
        error: { type: "ConnectionError" },
      }),
      retries,
    );
    assert.equal(result.status, "not applicable");
    assert.match(result.reasons[0]!, /declares connectFailure "retry"/);
  });

  test("a pool without clear() runs a scenario that only opens with ready", async () => {
    const ready = variant("always-ready", (pool) => {
      const { clear: _clear, ready: _ready, ...rest } = pool;
      return rest;
    }, without("clear"));
    const result = await runScenario(scenario(CHECK_IN_REUSE), ready);
    assert.equal(result.status, "pass");
    assert.deepEqual(result.notes, [
      "no maxPoolSize: the largest limit the adapter declares, 4",
      "the opening ready is skipped: the pool has no pause, it is always ready",
    ]);
  });

  test("a fail point that blocks the handshake slows the connects it applies to", async () => {
    const result = await runScenario(
      scenario({
        style: "integration",
        failPoint: {
          configureFailPoint: "failCommand",
          mode: { times: 1 },
          data: { failCommands: ["hello"], blockConnection: true, blockTimeMS: 70 },
        },
        operations: [{ name: "ready" }, { name: "checkOut", label: "a" }, { name: "checkOut" }],
        events: [
          { type: "ConnectionCreated", connectionId: 1 },
          { type: "ConnectionReady", connectionId: 1 },
          { type: "ConnectionCreated", connectionId: 2 },
          { type: "ConnectionReady", connectionId: 2 },
        ],
        ignore: [
          "ConnectionPoolCreated",
          "ConnectionPoolReady",
          "ConnectionCheckOutStarted",
          "ConnectionCheckedOut",
        ],
      }),
      referenceAdapter,
    );
    assert.equal(result.status, "pass");
    assert.ok(result.notes.includes("fail point: connects take 70 ms (first 1 connects)"));
  });

  test("connection ids count from the scenario's start, after the connects of a warm-up", async () => {
    const warm: Adapter = {
      name: "warm",
      supports: referenceAdapter.supports,
      async create(config, world) {
        const pool = await referenceAdapter.create(config, world) as PoolUnderTest;
        await pool.release(await pool.acquire("r0", {}), { reusable: true });
        return pool;
      },
    };
    const result = await runScenario(
      scenario({
        operations: [{ name: "checkOut", label: "a" }, { name: "checkOut" }],
        events: [
          { type: "ConnectionCheckedOut", connectionId: 0 },
          { type: "ConnectionCreated", connectionId: 1 },
          { type: "ConnectionReady", connectionId: 1 },
          { type: "ConnectionCheckedOut", connectionId: 1 },
        ],
        ignore: ["ConnectionPoolCreated", "ConnectionCheckOutStarted"],
      }),
      warm,
    );
    assert.deepEqual(result.reasons, []);
    assert.equal(result.status, "pass");
  });

  test("runs a pool on global time (tarn) as well as one on virtual time", LONG, async () => {
    const result = await runScenario(scenario(CHECK_IN_REUSE), tarnAdapter);
    assert.equal(result.status, "pass");
  });
});
