import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pgPoolAdapter } from "../../../conformance/adapters/pg_pool.ts";
import { BROKEN_POOLS } from "../../../fixtures/broken/mod.ts";
import { cmapReferenceAdapter } from "../../../conformance/reference/presets.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter } from "../adapter.ts";
import { checkPool } from "../check_pool.ts";
import type { StepCommand } from "../commands/_command.ts";
import {
  AcquireCommand,
  AdvanceCommand,
  ConnectFaultCommand,
  ReleaseCommand,
  ServerCloseCommand,
} from "../commands/mod.ts";
import { poolConfigOf } from "../pool_config.ts";
import { runCase } from "../run_case.ts";
import type { RunSetup } from "../run_view.ts";
import { RULES } from "./mod.ts";
import { referenceAdapter } from "../../../conformance/reference/adapter.ts";
import { RuleViolation } from "../rule.ts";

/** Checks run many cases: a timeout of their own, so no runner's default cuts one off. */
const LONG = { timeout: 300_000 };

/**
 * pg-pool with a connect that is refused after the waiter it was made for
 * has timed out: pg-pool calls back the timed-out waiter only, and starts a
 * fresh connect for the waiter that came later instead of failing it
 * (pg-pool index.js `_pulseQueue`, `newClient`). Played as explicit commands,
 * so that no change to how cases are drawn moves it.
 */
const SETUP: RunSetup = {
  config: poolConfigOf({ maxTotal: 1, maxPerRoute: 1 }),
  acquireTimeoutMs: 6,
  keepAliveHintMs: undefined,
  keepAliveMax: undefined,
  serverHint: undefined,
  connectLatencyMs: 6,
  responseLatencyMs: 0,
  randomSeed: 1,
  faults: true,
  heavy: false,
};

describe("ERR-1", () => {
  test(
    "a refused connect whose own waiter left owes no other waiter a rejection",
    LONG,
    async () => {
      const commands = [
        new AcquireCommand("r0", false), // #1 holds the only connection
        new AdvanceCommand(6),
        new AcquireCommand("r0", true), // #2 waits, until t=12
        new ConnectFaultCommand("r0", "refuse"),
        new AdvanceCommand(3),
        new ReleaseCommand(0, false), // t=9: a connect for #2, refused at t=15
        new AcquireCommand("r0", false), // #3 waits behind it
        new AdvanceCommand(3), // t=12: #2 times out
        new AdvanceCommand(3), // t=15: the refusal; pg-pool connects again for #3
      ];
      const rules = RULES.filter((rule) => rule.id === "ERR-1");
      let seen = "";
      await runCase(pgPoolAdapter, { setup: SETUP, commands }, {
        rules,
        inspect: (run) => {
          const [, second, third] = run.acquires;
          const refused = run.network.ledger.events.find((e) =>
            e.type === "ConnectionClosed" && e.reason === "refused"
          );
          seen =
            `#2 ${second?.status} at t=${second?.settledAt}, refused at t=${refused?.t}, #3 ${third?.status} at t=${third?.settledAt}`;
        },
      });
      // What the rule must not misread: the refused connect was #2's, and #2 had left.
      assert.equal(seen, "#2 rejected at t=12, refused at t=15, #3 rejected at t=21");
    },
  );

  test(
    "a refused connect that fails none of the waiters it was made for is caught",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.rule === "ERR-1")!;
      const report = await checkPool(broken.adapter, { seed: 1, rules: ["ERR-1"] });
      assert.deepEqual(report.rules.map((r) => [r.id, r.status]), [["ERR-1", "fail"]]);
    },
  );
});

describe("ERR-3.c", () => {
  // The server half-closes the connection while its caller holds it; the caller gives it back.
  const commands = [
    new AcquireCommand("r0", false),
    new AdvanceCommand(6),
    new ServerCloseCommand(0),
    new ReleaseCommand(0, true),
  ];
  const rules = RULES.filter((rule) => rule.id === "ERR-3");

  test("a pool that hears the half-close closes the connection on its release", LONG, async () => {
    await runCase(referenceAdapter, { setup: SETUP, commands }, { rules });
  });

  test("a pool deaf to half-closes keeps it, and is caught", LONG, async () => {
    const broken = BROKEN_POOLS.find((b) => b.clause === "ERR-3.c")!;
    await assert.rejects(
      runCase(broken.adapter, { setup: SETUP, commands }, { rules }),
      (error) => error instanceof RuleViolation && error.clause === "ERR-3.c",
    );
  });
});

/** The violation of ERR-1 a scripted run of `adapter` reports, if any. */
async function ownerViolation(
  adapter: Adapter,
  setup: RunSetup,
  commands: StepCommand[],
): Promise<RuleViolation | undefined> {
  try {
    await runCase(adapter, { setup, commands }, { rules: RULES.filter((r) => r.id === "ERR-1") });
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
}

describe("ERR-1.b: a failed connect fails the acquire that started it, and no other", () => {
  const setup = {
    ...setupOf({ config: { maxTotal: 2, maxPerRoute: 2, maxConnecting: 2, connectTimeoutMs: 50 } }),
    connectLatencyMs: 1,
    acquireTimeoutMs: 10,
    faults: true,
    readyAtStart: true,
  };
  const commands = [
    new ConnectFaultCommand("r0", "hang"),
    new AcquireCommand("r0", true), // #1 starts a connect that hangs
    new ConnectFaultCommand("r0", "refuse"),
    new AcquireCommand("r0", false), // #2 starts a connect that is refused
    new AdvanceCommand(2),
  ];

  test("the reference pool in CMAP mode fails the owner of the refused connect", LONG, async () => {
    assert.equal(await ownerViolation(cmapReferenceAdapter, setup, commands), undefined);
  });

  test("a pool that fails the oldest waiter instead breaks ERR-1.b", LONG, async () => {
    const violation = await ownerViolation(
      BROKEN_POOLS.find((b) => b.clause === "ERR-1.b")!.adapter,
      setup,
      commands,
    );
    assert.equal(violation?.clause, "ERR-1.b", violation?.message);
    // Its owner, #2, is left waiting (and #1, whose own connect still hangs, was failed).
    assert.match(
      violation!.message,
      /socket #2, which acquire #2 \(r0\) started, was refused, but acquire #2 still waits/,
    );
  });

  test(
    "a connection error for a waiter that started no failed connect breaks ERR-1.b",
    LONG,
    async () => {
      const oneAtATime = {
        ...setup,
        config: { ...setup.config, maxConnecting: 1 },
      };
      const timedOut = [
        new ConnectFaultCommand("r0", "hang"),
        new AcquireCommand("r0", true), // #1's connect hangs until the connect timeout
        new AcquireCommand("r0", false), // #2 waits for the connecting slot
        new AdvanceCommand(60), // #1 times out in the broken pool; then its connect times out
      ];
      assert.equal(await ownerViolation(cmapReferenceAdapter, oneAtATime, timedOut), undefined);
      const broken = BROKEN_POOLS.find((b) => b.clause === "ERR-1.b")!.adapter;
      const violation = await ownerViolation(broken, oneAtATime, timedOut);
      assert.equal(violation?.clause, "ERR-1.b", violation?.message);
      assert.match(
        violation!.message,
        /acquire #2 \(r0\) .* no connect it may have started had failed/,
      );
    },
  );

  test("a pool that declares no ownership is not judged on it", LONG, async () => {
    assert.equal(await ownerViolation(referenceAdapter, setup, commands), undefined);
  });
});

describe("ERR-1.c: a waiter a refused connect fails is told it was refused", () => {
  const setup = {
    ...setupOf({ config: { maxTotal: 1, maxPerRoute: 1, connectTimeoutMs: 5 } }),
    connectLatencyMs: 1,
    faults: true,
  };
  const refused = [
    new ConnectFaultCommand("r0", "refuse"),
    new AcquireCommand("r0", false), // #1's connect is refused at t=1
    new AdvanceCommand(2),
  ];
  const untold = BROKEN_POOLS.find((b) => b.clause === "ERR-1.c")!.adapter;

  test(
    "the reference pool's ConnectError carries the network's error as its cause",
    LONG,
    async () => {
      assert.equal(await ownerViolation(referenceAdapter, setup, refused), undefined);
    },
  );

  test("a connection error that drops the refusal breaks ERR-1.c", LONG, async () => {
    const violation = await ownerViolation(untold, setup, refused);
    assert.equal(violation?.clause, "ERR-1.c", violation?.message);
    assert.match(
      violation!.message,
      /acquire #1 \(r0\) was failed as a connection error when the connect of socket #1 was refused/,
    );
  });

  test("a connect that timed out is not judged: there was no refusal to tell", LONG, async () => {
    const hung = [
      new ConnectFaultCommand("r0", "hang"),
      new AcquireCommand("r0", false), // #1's connect times out at t=5
      new AdvanceCommand(6),
    ];
    assert.equal(await ownerViolation(untold, setup, hung), undefined);
  });
});
