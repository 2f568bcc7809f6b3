import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BROKEN_POOLS } from "../../../fixtures/broken/mod.ts";
import { cmapReferenceAdapter } from "../../../conformance/reference/presets.ts";
import type { Adapter } from "../adapter.ts";
import {
  AcquireCommand,
  AdvanceCommand,
  ClearCommand,
  ConnectFaultCommand,
  ReleaseCommand,
} from "../commands/mod.ts";
import type { StepCommand } from "../commands/_command.ts";
import { poolConfigOf } from "../pool_config.ts";
import { RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import type { RunSetup } from "../run_view.ts";
import { RULES } from "./mod.ts";

/** Checks run many cases: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 300_000 };

function setupOf(config: Parameters<typeof poolConfigOf>[0], readyAtStart = true): RunSetup {
  return {
    config: poolConfigOf(config),
    acquireTimeoutMs: undefined,
    keepAliveHintMs: undefined,
    keepAliveMax: undefined,
    serverHint: undefined,
    connectLatencyMs: 1,
    responseLatencyMs: 0,
    randomSeed: 1,
    faults: true,
    heavy: false,
    readyAtStart,
  };
}

function brokenFor(clause: string): Adapter {
  return BROKEN_POOLS.find((b) => b.clause === clause)!.adapter;
}

/** The reference CMAP adapter passes the script; the broken pool for `clause` is caught by it. */
function both(clause: string, setup: RunSetup, commands: StepCommand[], brokenSetup = setup) {
  const rules = RULES.filter((rule) => rule.id === clause.split(".")[0]);
  test("the reference pool in CMAP mode keeps it", LONG, async () => {
    await runCase(cmapReferenceAdapter, { setup, commands }, { rules });
  });
  test(`the broken pool for ${clause} is caught`, LONG, async () => {
    await assert.rejects(
      runCase(brokenFor(clause), { setup: brokenSetup, commands }, { rules }),
      (error) => error instanceof RuleViolation && error.clause === clause,
    );
  });
}

describe("CLS-5.a: before the first ready(), acquires fail as cleared", () => {
  both("CLS-5.a", setupOf({}, false), [new AcquireCommand("r0", false), new AdvanceCommand(2)]);
});

describe("CLS-5.b: before the first ready(), nothing connects", () => {
  both("CLS-5.b", setupOf({ minPoolSize: 1 }, false), [new AdvanceCommand(2)]);
});

describe("LIM-6.a: a ready pool tops every route up to its minimum", () => {
  both("LIM-6.a", setupOf({ routes: ["r0", "r1"], maxTotal: 4, minPoolSize: 2 }), [
    new AdvanceCommand(2),
  ]);
});

describe("LIM-6.a with a population interval: the minimum is owed within the interval", () => {
  /** The pool that never populates, declaring a background task every 50 ms. */
  const every50: Adapter = (() => {
    const broken = brokenFor("LIM-6.a");
    return { ...broken, supports: { ...broken.supports, populationIntervalMs: 50 } } as Adapter;
  })();
  const rules = RULES.filter((rule) => rule.id === "LIM-6");
  const setup = setupOf({ maxTotal: 2, minPoolSize: 1 });
  test("below the minimum for the interval is not judged", LONG, async () => {
    await runCase(every50, { setup, commands: [new AdvanceCommand(50)] }, { rules });
  });
  test("below the minimum past the interval is caught", LONG, async () => {
    await assert.rejects(
      runCase(every50, { setup, commands: [new AdvanceCommand(30), new AdvanceCommand(30)] }, {
        rules,
      }),
      (error) =>
        error instanceof RuleViolation && error.clause === "LIM-6.a" &&
        /population interval of 50 ms/.test(error.detail),
    );
  });
  test(
    "the reference pool, populating at once, keeps it with the interval declared",
    LONG,
    async () => {
      const adapter = {
        ...cmapReferenceAdapter,
        supports: { ...cmapReferenceAdapter.supports, populationIntervalMs: 50 },
      } as Adapter;
      await runCase(adapter, {
        setup,
        commands: [new AdvanceCommand(2), new AcquireCommand("r0", false), new AdvanceCommand(80)],
      }, { rules });
    },
  );
});

describe("LIM-6.b: a cleared pool opens nothing until ready()", () => {
  both("LIM-6.b", setupOf({ minPoolSize: 1 }), [
    new AdvanceCommand(2),
    new ClearCommand("clear"),
    new AdvanceCommand(2),
  ]);
});

describe("CLS-6: an interrupting clear ends the leases and fails the waiters", () => {
  const commands = [
    new AcquireCommand("r0", false), // #1 holds the only connection
    new AdvanceCommand(2),
    new AcquireCommand("r0", false), // #2 waits for it
    new ClearCommand("clear", true),
  ];
  const setup = setupOf({ maxTotal: 1, maxPerRoute: 1 });
  describe("CLS-6.a", () => both("CLS-6.a", setup, commands));
  describe("CLS-6.b", () => both("CLS-6.b", setup, commands));
});

describe("TMO-4.c: with idleExpiry checkout, no connection idle past max idle is handed out", () => {
  both("TMO-4.c", setupOf({ maxIdleMs: 5 }), [
    new AcquireCommand("r0", false),
    new AdvanceCommand(2),
    new ReleaseCommand(0, true),
    new AdvanceCommand(10),
    new AcquireCommand("r0", false),
    new AdvanceCommand(2),
  ]);
});

describe("a pool that keeps a minimum may clear itself", () => {
  test(
    "a clear after a failed background connect is explained to EVT-3, ERR-5 and LIV-2",
    LONG,
    async () => {
      const rules = RULES.filter((rule) => ["EVT-3", "ERR-5", "LIV-2", "LIM-6"].includes(rule.id));
      const commands = [
        new ConnectFaultCommand("r0", "refuse"),
        new AdvanceCommand(2), // the background connect is refused: the pool clears itself
        new AcquireCommand("r0", false), // fails as cleared
        new AdvanceCommand(2),
      ];
      await runCase(cmapReferenceAdapter, { setup: setupOf({ minPoolSize: 1 }), commands }, {
        rules,
      });
    },
  );
});

describe("connectOwnership acquire: ORD-1, TMO-1 and CLS-3 follow it", () => {
  const rules = RULES.filter((rule) => ["ORD-1", "TMO-1", "CLS-3"].includes(rule.id));
  const setup = { ...setupOf({ connectTimeoutMs: 20 }), acquireTimeoutMs: 5 };

  test("an acquire on its own hanging connect is not held to its timeout", LONG, async () => {
    const commands = [
      new ConnectFaultCommand("r0", "hang"),
      new AcquireCommand("r0", true), // its own connect hangs until the connect timeout
      new AdvanceCommand(10), // past its acquire deadline, before the connect timeout
    ];
    await runCase(cmapReferenceAdapter, { setup, commands }, { rules });
  });

  test("a plain clear() leaves an acquire on its own connect pending", LONG, async () => {
    const commands = [
      new AcquireCommand("r0", false),
      new ClearCommand("clear"),
      new AdvanceCommand(2), // the connect lands stale and the acquire fails as cleared
    ];
    await runCase(cmapReferenceAdapter, { setup, commands }, { rules });
  });
});
