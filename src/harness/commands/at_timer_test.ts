import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  REFERENCE_SUPPORTS,
  referenceOptions,
  wrapReferencePool,
} from "../../../conformance/reference/adapter.ts";
import { type Lease, ReferencePool } from "../../pool/mod.ts";
import { setupOf } from "../_test_setup.ts";
import type { Adapter } from "../adapter.ts";
import { RULES } from "../rules/mod.ts";
import { runCase } from "../run_case.ts";
import type { RunSetup } from "../run_view.ts";
import {
  AcquireCommand,
  AdvanceCommand,
  AtTimerCommand,
  LandConnectsCommand,
  type RunCommand,
} from "./mod.ts";

const SETUP = setupOf({
  config: { routes: ["r0", "r1"] },
  acquireTimeoutMs: 10,
  heavy: true,
  kinds: ["timed"],
});

/**
 * The reference pool, with a timer of its own due at t=5 whose callback
 * queues a promise callback, and a log of that timer, that callback, every
 * release and every connect the pool hears of.
 */
function logged(timeMode: "virtual" | "global", log: string[]): Adapter {
  const adapter: Adapter<Lease> = {
    name: `logged-${timeMode}`,
    supports: { ...REFERENCE_SUPPORTS, timeMode },
    create(config, world) {
      const options = referenceOptions(config, world);
      const pool = wrapReferencePool(
        new ReferencePool({
          ...options,
          connect: (route, o) =>
            options.connect(route, o).then((socket) => {
              log.push(`pool hears of socket #${socket.id}`);
              return socket;
            }),
        }),
      );
      world.clock.setTimer(5, () => {
        log.push("timer");
        queueMicrotask(() => log.push("promise callback of the timer"));
      });
      return {
        ...pool,
        release(lease, options) {
          log.push("release");
          return pool.release(lease, options);
        },
      };
    },
  };
  return adapter as Adapter;
}

async function play(
  adapter: Adapter,
  commands: RunCommand[],
  setup: RunSetup = SETUP,
): Promise<string[]> {
  let lines: string[] = [];
  await runCase(adapter, { setup, commands }, {
    rules: RULES,
    trace: true,
    inspect: (run) => (lines = run.lines),
  });
  return lines;
}

describe("AtTimerCommand", () => {
  for (const timeMode of ["virtual", "global"] as const) {
    test(`on ${timeMode} time, the action runs in the timer's macrotask, before or after its callback`, async () => {
      const release = { kind: "release", index: 0, reusable: true } as const;
      for (const side of ["before", "after"] as const) {
        const log: string[] = [];
        const lines = await play(logged(timeMode, log), [
          new AcquireCommand("r0", false),
          new AtTimerCommand(side, 0, release),
        ]);
        const around = log.filter((l) => l !== "pool hears of socket #1").slice(0, 3);
        assert.deepEqual(
          around,
          side === "before"
            ? ["release", "timer", "promise callback of the timer"]
            : ["timer", "release", "promise callback of the timer"],
        );
        assert.match(
          lines[2]!,
          new RegExp(`^2\\. t=0 to t=5, ${side} the timer due then: release #1`),
        );
      }
    });
  }

  test("with nothing armed, the caller acts at once and the step says so", async () => {
    const lines = await play(
      {
        ...logged("virtual", []),
        create: (c, w) => wrapReferencePool(new ReferencePool(referenceOptions(c, w))),
      } as Adapter,
      [new AtTimerCommand("after", 0, { kind: "close" })],
    );
    assert.match(lines[0]!, /^1\. t=0 no timer armed within \d+ ms: close\(\)$/);
  });

  test("the same case gives the same trace every time, on both clocks", async () => {
    const commands = [
      new AcquireCommand("r0", false),
      new AcquireCommand("r0", false),
      new AcquireCommand("r0", true),
      new AtTimerCommand("after", 0, { kind: "release", index: 1, reusable: true }),
      new AtTimerCommand("before", 1, { kind: "acquire", route: "r1", timed: true }),
      new AtTimerCommand("after", 0, { kind: "close" }),
    ];
    const setup = setupOf({ ...SETUP, connectLatencyMs: 1, kinds: ["timed", "close"] });
    for (const timeMode of ["virtual", "global"] as const) {
      const first = await play(logged(timeMode, []), commands, setup);
      const second = await play(logged(timeMode, []), commands, setup);
      assert.deepEqual(first, second);
      assert.ok(first.length > commands.length);
    }
  });
});

describe("LandConnectsCommand", () => {
  test("connects due together land in the drawn order, before the pool hears of any", async () => {
    for (const [picks, order] of [[[0], [1, 2]], [[1], [2, 1]]] as const) {
      const log: string[] = [];
      const lines = await play(
        logged("virtual", log),
        [
          new AcquireCommand("r0", false),
          new AcquireCommand("r1", false),
          new LandConnectsCommand(picks),
        ],
        { ...SETUP, connectLatencyMs: 2 },
      );
      assert.match(
        lines[2]!,
        new RegExp(
          `^3\\. t=0 to t=2: connects land in one turn in the order #${order[0]} .*#${order[1]} `,
        ),
      );
      // Both sockets were established before the pool's callback for either ran.
      assert.deepEqual(log.slice(0, 2), order.map((id) => `pool hears of socket #${id}`));
    }
  });

  test("a window holds earlier connects until the last one in it is due", async () => {
    const log: string[] = [];
    const lines = await play(
      logged("virtual", log),
      [
        new AcquireCommand("r0", false),
        new AdvanceCommand(1),
        new AcquireCommand("r1", false),
        new LandConnectsCommand([1], 3),
      ],
      { ...SETUP, connectLatencyMs: 3 },
    );
    assert.match(
      lines[3]!,
      /^4\. t=1 to t=4: connects land in one turn in the order #2 \(r1\), #1 \(r0\)/,
    );
    assert.deepEqual(log.slice(0, 2), ["pool hears of socket #2", "pool hears of socket #1"]);
  });

  test("a caller's action comes first, at the landing instant, before the pool hears of any connect", async () => {
    const log: string[] = [];
    const lines = await play(
      logged("virtual", log),
      [
        new AcquireCommand("r0", false),
        new AcquireCommand("r0", false),
        new AdvanceCommand(1),
        new LandConnectsCommand([], 0, { kind: "acquire", route: "r1", timed: false }),
      ],
      { ...SETUP, connectLatencyMs: 2 },
    );
    assert.match(
      lines[3]!,
      /^4\. t=1 to t=2: acquire #3 r1, then connects land in one turn in the order #1 \(r0\), #2 \(r0\)/,
    );
    assert.deepEqual(log.slice(0, 2), ["pool hears of socket #1", "pool hears of socket #2"]);
    assert.equal(
      String(new LandConnectsCommand([1], 2, { kind: "close" })),
      "close() then landConnects([1], within 2 ms)",
    );
  });

  test("with nothing due to land, the caller does not act", async () => {
    const lines = await play(logged("virtual", []), [
      new LandConnectsCommand([], 0, { kind: "acquire", route: "r0", timed: false }),
    ]);
    assert.match(lines[0]!, /^1\. t=0 landConnects: no connect due/);
    assert.deepEqual(lines.filter((line) => line.startsWith("1.")), [lines[0]]);
  });
});
