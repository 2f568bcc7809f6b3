import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { referenceAdapter } from "../../../conformance/reference/adapter.ts";
import { cmapReferenceAdapter } from "../../../conformance/reference/presets.ts";
import { BROKEN_POOLS } from "../../../fixtures/broken/mod.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter, PoolEventNotice, PoolUnderTest } from "../adapter.ts";
import {
  AcquireCommand,
  AdvanceCommand,
  ClearCommand,
  CloseCommand,
  ReleaseCommand,
} from "../commands/mod.ts";
import type { StepCommand } from "../commands/_command.ts";
import { RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import type { RunSetup } from "../run_view.ts";
import { evt5 } from "./evt_order.ts";
import { withoutClauses } from "../expectations.ts";

/** Checks run a few cases each: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 60_000 };

function brokenFor(clause: string): Adapter {
  return BROKEN_POOLS.find((b) => b.clause === clause)!.adapter;
}

async function violationOf(
  adapter: Adapter,
  setup: RunSetup,
  commands: StepCommand[],
): Promise<RuleViolation | undefined> {
  try {
    await runCase(adapter, { setup, commands }, { rules: [evt5] });
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
}

/** The adapter with the optional fields of every event left out: ids and durations. */
function withoutIds(adapter: Adapter): Adapter {
  return {
    ...adapter,
    name: `${adapter.name}-without-ids`,
    create(config, world) {
      const pool = adapter.create(config, world) as PoolUnderTest;
      return {
        ...pool,
        events(listener: (event: PoolEventNotice) => void) {
          pool.events!(({ connectionId: _, checkOutId: __, durationMs: ___, ...event }) =>
            listener(event)
          );
        },
      };
    },
  } as Adapter;
}

const twoRoutes = setupOf({
  config: { routes: ["r0", "r1"], maxTotal: 3, maxPerRoute: 2 },
  connectLatencyMs: 1,
});

/** Waiters on connects in progress, reuse after time passed, a clear and a close. */
const busyRun = [
  new AcquireCommand("r0", false),
  new AcquireCommand("r0", false),
  new AcquireCommand("r1", false),
  new AdvanceCommand(2),
  new ReleaseCommand(0, true),
  new AdvanceCommand(5),
  new AcquireCommand("r0", false),
  new ReleaseCommand(1, false),
  new ClearCommand("clear"),
  new ClearCommand("ready"),
  new AcquireCommand("r1", false),
  new AdvanceCommand(2),
  new CloseCommand(),
];

describe("EVT-5: the event stream comes in CMAP's order", () => {
  test(
    "the reference pool's stream keeps it, with ids and durations and without",
    LONG,
    async () => {
      for (const adapter of [referenceAdapter, withoutIds(referenceAdapter)]) {
        assert.equal(await violationOf(adapter, twoRoutes, busyRun), undefined, adapter.name);
      }
    },
  );

  test(
    "a check-in after a ConnectionClosed is allowed for a lease that held the connection then",
    LONG,
    async () => {
      const commands = [
        new AcquireCommand("r0", false),
        new AdvanceCommand(2),
        new ClearCommand("clear", true), // closes the leased connection at once
        new ReleaseCommand(0, true), // its holder checks it in afterwards
        new ClearCommand("ready"),
        new AdvanceCommand(2),
      ];
      const setup = setupOf({ connectLatencyMs: 1 });
      assert.equal(await violationOf(cmapReferenceAdapter, setup, commands), undefined);
    },
  );

  const cases: [string, RunSetup, StepCommand[]][] = [
    ["EVT-5.a", setupOf({ connectLatencyMs: 1 }), [
      new AcquireCommand("r0", false),
      new AdvanceCommand(2),
    ]],
    ["EVT-5.b", setupOf({ connectLatencyMs: 1, config: { maxTotal: 2, maxPerRoute: 2 } }), [
      new AcquireCommand("r0", false),
      new AcquireCommand("r0", false),
      new AdvanceCommand(2),
    ]],
    ["EVT-5.c", twoRoutes, [new AcquireCommand("r0", false), new AcquireCommand("r1", false)]],
    ["EVT-5.d", setupOf(), [new AcquireCommand("r0", false), new CloseCommand()]],
    ["EVT-5.e", setupOf(), [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, true),
      new AdvanceCommand(5),
      new AcquireCommand("r0", false),
    ]],
  ];
  for (const [clause, setup, commands] of cases) {
    test(
      `the broken pool for ${clause} breaks ${clause}, where the reference pool passes`,
      LONG,
      async () => {
        assert.equal(await violationOf(referenceAdapter, setup, commands), undefined);
        const violation = await violationOf(brokenFor(clause), setup, commands);
        assert.equal(violation?.clause, clause, violation?.message);
      },
    );
  }

  test(
    "without ids, a check-out before its connection is ready is still seen by socket",
    LONG,
    async () => {
      const violation = await violationOf(withoutIds(brokenFor("EVT-5.a")), setupOf(), [
        new AcquireCommand("r0", false),
      ]);
      assert.equal(violation?.clause, "EVT-5.a");
    },
  );

  test(
    "with one clause excused, the stream is still folded past its breach for the others",
    LONG,
    async () => {
      // The pool forgets the ConnectionCheckOutStarted of the first check-out: its outcome
      // breaks EVT-5.b, which an expectation excuses; the connection it lent is still lent.
      const forgetful: Adapter = {
        ...referenceAdapter,
        name: "forgets-a-start",
        create(config, world) {
          const pool = referenceAdapter.create(config, world) as PoolUnderTest;
          let forgotten = false;
          return {
            ...pool,
            events(listener: (event: PoolEventNotice) => void) {
              pool.events!((event) => {
                if (event.type === "ConnectionCheckOutStarted" && !forgotten) {
                  forgotten = true;
                  return;
                }
                listener(event);
              });
            },
          };
        },
      } as Adapter;
      const commands = [
        new AcquireCommand("r0", false),
        new AdvanceCommand(2),
        new ReleaseCommand(0, true),
        new AdvanceCommand(2),
      ];
      const excused = withoutClauses(evt5, new Set(["b"]));
      await runCase(forgetful, { setup: setupOf(), commands }, { rules: [excused] });
      assert.equal((await violationOf(forgetful, setupOf(), commands))?.clause, "EVT-5.b");
    },
  );
});
