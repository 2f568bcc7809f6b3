import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REFERENCE_SUPPORTS, referenceAdapter } from "../../../conformance/reference/adapter.ts";
import { EVENT_BUGS } from "../../../fixtures/broken/events.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter, CloseCause, PoolEventNotice, PoolUnderTest, Supports } from "../adapter.ts";
import { validateAdapter } from "../adapter_validation.ts";
import { AcquireCommand } from "../commands/acquire.ts";
import { ClearCommand } from "../commands/clear.ts";
import { CloseCommand } from "../commands/close.ts";
import type { RunCommand } from "../commands/mod.ts";
import { ReleaseCommand } from "../commands/release.ts";
import { ServerCloseCommand } from "../commands/server_close.ts";
import { RuleViolation } from "../rule.ts";
import { runCase } from "../run_case.ts";
import { evt4 } from "./evt.ts";

async function violationOf(
  adapter: Adapter,
  commands: RunCommand[],
): Promise<RuleViolation | undefined> {
  try {
    await runCase(adapter, { setup: setupOf(), commands }, { rules: [evt4] });
    return undefined;
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
}

/** The reference adapter with every ConnectionClosed reason replaced by `reason`. */
function reporting(reason: string): Adapter {
  return {
    ...referenceAdapter,
    name: `reports-${reason}`,
    create(config, world) {
      const pool = referenceAdapter.create(config, world) as PoolUnderTest;
      return {
        ...pool,
        events(listener: (event: PoolEventNotice) => void) {
          pool.events!((event) =>
            listener(event.type === "ConnectionClosed" ? { ...event, reason } : event)
          );
        },
      };
    },
  } as Adapter;
}

describe("EVT-4: the reasons of closed connections", () => {
  test("a declaration maps reasons onto known causes, with ConnectionClosed reported", () => {
    const declare = (supports: Partial<Supports>): Adapter => ({
      ...referenceAdapter,
      supports: { ...REFERENCE_SUPPORTS, ...supports } as Supports,
    });
    assert.throws(
      () => validateAdapter(declare({ closeReasons: { gone: "vanished" as never } })),
      /supports\.closeReasons\["gone"\]/,
    );
    assert.throws(
      () =>
        validateAdapter(
          declare({ eventTypes: ["PoolClosed"], closeReasons: { gone: "poolClosed" } }),
        ),
      /'ConnectionClosed' listed in supports\.eventTypes/,
    );
    assert.doesNotThrow(() => validateAdapter(declare({ closeReasons: { gone: "poolClosed" } })));
  });

  test("the reference pool's reasons are explained: a broken release, a clear, a close", async () => {
    const commands = [
      new AcquireCommand("r0", false),
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, false),
      new ClearCommand("clear"),
      new ReleaseCommand(0, true),
      new CloseCommand(),
    ];
    assert.equal(await violationOf(referenceAdapter, commands), undefined);
  });

  test("a close blamed on a clear that never happened breaks EVT-4.b", async () => {
    const violation = await violationOf(reporting("stale"), [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, false),
    ]);
    assert.equal(violation?.clause, "EVT-4.b");
    assert.match(violation!.message, /reason "stale" \(stale\), but clear\(\) was never called/);
  });

  test("a reason the adapter does not list breaks EVT-4.a", async () => {
    const violation = await violationOf(reporting("gone"), [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, false),
    ]);
    assert.equal(violation?.clause, "EVT-4.a");
    assert.match(violation!.message, /the reason "gone", which the adapter does not list/);
  });

  test("a server close reported as an error is explained for a pool with no reason for it (CMAP)", async () => {
    /** Reports a peer close as "error" (as CMAP's pools do), and `peerClosed` as listed or not. */
    const asError = (listsPeerClosed: boolean): Adapter => {
      const { peerClosed: _, ...others } = REFERENCE_SUPPORTS.closeReasons!;
      const reasons: Record<string, CloseCause> = listsPeerClosed
        ? { ...others, peerClosed: "peerClosed" }
        : others;
      return {
        ...referenceAdapter,
        supports: { ...REFERENCE_SUPPORTS, closeReasons: reasons } as Supports,
        create(config, world) {
          const pool = referenceAdapter.create(config, world) as PoolUnderTest;
          return {
            ...pool,
            events(listener: (event: PoolEventNotice) => void) {
              pool.events!((event) =>
                listener(
                  event.type === "ConnectionClosed" && event.reason === "peerClosed"
                    ? { ...event, reason: "error" }
                    : event,
                )
              );
            },
          };
        },
      } as Adapter;
    };
    const commands = [
      new AcquireCommand("r0", false),
      new ReleaseCommand(0, true),
      new ServerCloseCommand(0),
      new AcquireCommand("r0", false),
    ];
    assert.equal(await violationOf(asError(false), commands), undefined);
    // A pool with a reason of its own for a peer close must give that one.
    const violation = await violationOf(
      asError(true),
      commands,
    );
    assert.equal(violation?.clause, "EVT-4.b");
    assert.match(violation!.message, /reason "error" \(error\), but it was never released broken/);
  });

  test("each EVT-4 broken pool is one of the fixtures", () => {
    const clauses = EVENT_BUGS.filter((b) => b.rule === "EVT-4").map((b) => b.clause);
    assert.deepEqual(clauses.sort(), ["EVT-4.a", "EVT-4.b"]);
  });
});
