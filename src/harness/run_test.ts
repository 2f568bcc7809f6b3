import assert from "node:assert/strict";
import process from "node:process";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { setupOf } from "./_test_setup.ts";
import type { Adapter, PoolUnderTest, World } from "./adapter.ts";
import { checkPool } from "./check_pool.ts";
import { caseArbitrary } from "./case.ts";
import { AcquireCommand, commandArbitraries, ConnectFaultCommand } from "./commands/mod.ts";
import type { CallerEvent } from "./observations.ts";
import { RULES } from "./rules/mod.ts";
import { runCase } from "./run_case.ts";
import { defineRule, RuleViolation } from "./rule.ts";
import { Run } from "./run.ts";

/** Checks run many cases: a timeout of their own, so no runner's default (Bun's 5 s) cuts one off on a busy machine. */
const LONG = { timeout: 300_000 };

const SETUP = setupOf();

/** The reference pool on faked global time, its calls wrapped by `wrap`. */
function wrapped(
  name: string,
  timeMode: "global" | "virtual",
  wrap: (pool: PoolUnderTest) => Partial<PoolUnderTest>,
): Adapter {
  return {
    ...referenceAdapter,
    name,
    supports: { ...referenceAdapter.supports, timeMode },
    create: async (config, world) => {
      const pool = await referenceAdapter.create(config, world);
      return { ...pool, ...wrap(pool) };
    },
  };
}

function hops(n: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(() => {});
  return p;
}

describe("Run.settle()", () => {
  test("runs process.nextTick callbacks of a pool on global time", LONG, async () => {
    const adapter = wrapped("next-tick", "global", (pool) => ({
      acquire: async (route, options) => {
        const lease = await pool.acquire(route, options);
        // Hand the lease over on a chain of ticks, as pg-pool does with idle clients.
        return await new Promise((resolve) => {
          const tick = (n: number) => n === 0 ? resolve(lease) : process.nextTick(tick, n - 1);
          process.nextTick(tick, 3);
        });
      },
    }));
    const run = new Run(adapter, SETUP, { rules: [] });
    try {
      await run.start();
      const record = run.acquire("r0", undefined);
      await run.endStep();
      assert.equal(record.status, "leased");
    } finally {
      run.dispose();
    }
  });

  test(
    "waits for a close() that takes many promise hops with nothing on the ledger",
    LONG,
    async () => {
      const adapter = wrapped("slow-close", "virtual", (pool) => ({
        close: async () => {
          await hops(40);
          await pool.close();
        },
      }));
      const report = await checkPool(adapter, { seed: 3, runs: 20, rules: ["CLS"] });
      assert.deepEqual(report.rules.filter((r) => r.status === "fail").map((r) => r.id), []);
    },
  );
});

describe("Run.advanceTo()", () => {
  for (const timeMode of ["virtual", "global"] as const) {
    test(
      `on ${timeMode} time, lets the promise callbacks of one timer run before the next timer of the same instant`,
      LONG,
      async () => {
        const adapter = wrapped(`same-instant-${timeMode}`, timeMode, () => ({}));
        const run = new Run(adapter, SETUP, { rules: [] });
        try {
          await run.start();
          const order: string[] = [];
          // A connect that completes and one refused at the same instant: the
          // pool hears of the first (a promise callback) before the second fires.
          const start = run.now();
          run.clock.setTimer(5, () => {
            order.push("a fires");
            Promise.resolve().then(() => order.push("a's callback"));
          });
          run.clock.setTimer(5, () => order.push("b fires"));
          await run.advanceTo(start + 5);
          assert.deepEqual(order, ["a fires", "a's callback", "b fires"]);
          assert.equal(run.now(), start + 5);
        } finally {
          run.dispose();
        }
      },
    );
  }
});

describe("Run.advanceTo() and the instants rules name as due", () => {
  test(
    "stops at each instant a rule says it is owed a check, judges there, and reports a clause broken there",
    LONG,
    async () => {
      const seen: number[] = [];
      let start = 0;
      // Owes a check 7 ms and 12 ms after the start; broken from 12 ms on. A late pool that
      // caught up before the move ended would pass a check made only at its end (20 ms).
      const rule = defineRule({
        id: "TST-1",
        group: "TMO",
        title: "a rule with deadlines",
        rationale: "test",
        source: "test",
        needs: [],
        clauses: { a: "not late" },
        start: (run) => ({
          step: () => {
            seen.push(run.now() - start);
            return run.now() - start === 12 ? { clause: "a", detail: "late at 12" } : undefined;
          },
          due: () => [start + 7, start + 12].find((at) => at > run.now()),
        }),
      });
      const run = new Run(referenceAdapter, SETUP, { rules: [rule] });
      try {
        await run.start();
        start = run.now();
        await assert.rejects(
          run.advanceTo(start + 20),
          (error) => error instanceof RuleViolation && error.clause === "TST-1.a",
        );
        assert.deepEqual(seen, [7, 12]);
        assert.equal(run.now(), start + 12);
      } finally {
        run.dispose();
      }
    },
  );
});

describe("Run.settle() on global time", () => {
  test("runs a pool's follow-up timer at now+1 while an operation is pending", LONG, async () => {
    const adapter = wrapped("plus-one", "global", (pool) => ({
      acquire: async (route, options) => {
        const lease = await pool.acquire(route, options);
        // A 0 ms timer armed inside a running fake timer lands at now+1.
        await new Promise((resolve) => setTimeout(resolve, 1));
        return lease;
      },
    }));
    const run = new Run(adapter, SETUP, { rules: [] });
    try {
      await run.start();
      const record = run.acquire("r0", undefined);
      await run.endStep();
      assert.equal(record.status, "leased");
      assert.equal(run.now(), 1);
    } finally {
      run.dispose();
    }
  });
});

/**
 * The reference pool, plus a connect loop at every acquire of its own: a
 * connect that succeeds is closed, one that fails calls `retry`.
 */
function reconnecting(
  name: string,
  retry: (attempt: () => void, world: World) => void,
): Adapter {
  return {
    ...referenceAdapter,
    name,
    create: async (config, world) => {
      const pool = await referenceAdapter.create(config, world);
      return {
        ...pool,
        acquire: (route, options) => {
          const attempt = (): void =>
            void world.network.connect(route).then(
              (socket) => socket.close(),
              () => retry(attempt, world),
            );
          attempt();
          return pool.acquire(route, options);
        },
      };
    },
  };
}

describe("Run's connect-storm guard", () => {
  test(
    "a pool that retries a refused connect at once is stopped by the connect-storm guard",
    LONG,
    async () => {
      // Like generic-pool's create loop: retry a failed connect at once, for ever.
      const retrying = reconnecting("connect-storm", (attempt) => attempt());
      const run = new Run(retrying, SETUP, { rules: [] });
      try {
        await run.start();
        run.network.configure("r0", { connect: "refuse" });
        run.acquire("r0", undefined);
        await assert.rejects(
          run.endStep(),
          (error: Error) => error.name === "InconclusiveRun" && /connect storm/.test(error.message),
        );
      } finally {
        run.dispose();
      }
    },
  );

  test("a pool that reconnects once a second through a long step is no storm", async () => {
    // Like Kafka's client: try the broker again a second after each failure.
    const backingOff = reconnecting(
      "backing-off",
      (attempt, world) => void world.clock.setTimer(1_000, attempt),
    );
    const run = new Run(backingOff, SETUP, { rules: [] });
    try {
      await run.start();
      run.network.configure("r0", { connect: "refuse" });
      run.acquire("r0", undefined);
      await run.advanceTo(300_000);
      await run.endStep();
      assert.ok(run.network.sockets().length > 250, `${run.network.sockets().length} connects`);
    } finally {
      run.dispose();
    }
  });
});

describe("command generation", () => {
  test("draws a hanging connect only when the run's config has a connect timeout", () => {
    const hangs = (connectTimeoutMs: number | undefined) => {
      const setup = setupOf({ faults: true, config: { connectTimeoutMs } });
      const commands = fc.sample(
        fc.oneof(...commandArbitraries(referenceAdapter.supports, setup)),
        {
          seed: 1,
          numRuns: 3_000,
        },
      );
      return commands.filter((c) => c instanceof ConnectFaultCommand && c.mode === "hang").length;
    };
    assert.equal(hangs(undefined), 0);
    assert.ok(hangs(50) > 0);
  });
});

describe("heal", () => {
  test(
    "probes capacity only after a backoff armed by a connect timing out during heal",
    LONG,
    async () => {
      // A hung connect times out at t=79 and arms a 23 ms backoff past the heal's horizon (97 ms):
      // probing at once queued the probe's acquires until maxWaiters refused one.
      const setup = setupOf({
        config: {
          routes: ["r0", "r1", "r2"],
          maxTotal: 3,
          maxPerRoute: 3,
          maxPerRouteOverrides: { r1: 1 },
          maxConnecting: 3,
          maxWaiters: 2,
          connectTimeoutMs: 79,
          reconnectBackoffMs: 23,
          reconnectBackoffMaxMs: 23,
        },
        keepAliveHintMs: 96,
        faults: true,
      });
      const commands = [new ConnectFaultCommand("r0", "hang"), new AcquireCommand("r0", false)];
      const rules = RULES.filter((rule) => rule.id === "LIV-2");
      await runCase(referenceAdapter, { setup, commands }, { rules });
    },
  );
});

describe("releases in every form", () => {
  /** The reference pool declaring (or not) that it refuses repeated releases, its errors swallowed by `wrap`. */
  function referenceThat(refuses: boolean, swallow: boolean): Adapter {
    const capabilities = referenceAdapter.supports.capabilities.filter((c) =>
      refuses || c !== "rejectsBadRelease"
    );
    return {
      ...wrapped(`refuses-${refuses}-swallows-${swallow}`, "virtual", (pool) => ({
        release: (lease, options) => {
          try {
            return pool.release(lease, options);
          } catch (error) {
            if (!swallow) throw error;
          }
        },
      })),
      supports: { ...referenceAdapter.supports, capabilities },
    };
  }

  async function releaseTwice(adapter: Adapter): Promise<CallerEvent[]> {
    const run = new Run(adapter, SETUP, { rules: [] });
    try {
      await run.start();
      const record = run.acquire("r0", undefined);
      await run.endStep();
      run.release(record, false);
      await run.endStep();
      run.releaseAgain(record, false);
      await run.endStep();
      return run.callerEvents;
    } finally {
      run.dispose();
    }
  }

  test(
    "an accepted repeated release ends the run only for a pool that promised to refuse it",
    LONG,
    async () => {
      await assert.rejects(
        releaseTwice(referenceThat(true, true)),
        (error: Error) => error.name === "RunEndedEarly",
      );
      const events = await releaseTwice(referenceThat(false, true));
      assert.deepEqual(
        events.filter((e) => e.kind === "bad-release").map((e) => [e.rejected, e.reusable]),
        [[false, false]],
      );
      const refused = await releaseTwice(referenceThat(false, false));
      assert.equal(refused.some((e) => e.kind === "bad-release" && e.rejected), true);
    },
  );

  test("a release after close() records whether the pool took it back", LONG, async () => {
    const run = new Run(referenceAdapter, SETUP, { rules: [] });
    try {
      await run.start();
      const record = run.acquire("r0", undefined);
      await run.endStep();
      run.close();
      await run.endStep();
      run.release(record, true);
      await run.endStep();
      assert.deepEqual(
        run.callerEvents.filter((e) => e.kind === "release-accepted").map((e) => e.acquire.id),
        [1],
      );
      assert.equal(run.network.socket(record.facts!.socketId)?.state, "closed");
    } finally {
      run.dispose();
    }
  });

  test(
    "a release of one route's lease while another waits is judged by each route's own limits",
    LONG,
    async () => {
      const rules = RULES.filter((r) => ["LIM-1", "LIM-2", "LIV-3", "STA-1"].includes(r.id));
      // Whether acquire #3 (r1) is served once r0's lease is released as broken.
      const served = async (maxTotal: number, maxPerRoute: number) => {
        const setup = setupOf({ config: { routes: ["r0", "r1"], maxTotal, maxPerRoute } });
        const run = new Run(referenceAdapter, setup, { rules });
        try {
          await run.start();
          const first = run.acquire("r0", undefined);
          await run.endStep();
          run.acquire("r1", undefined);
          await run.endStep();
          const third = run.acquire("r1", undefined);
          await run.endStep();
          assert.equal(third.status, "pending");
          run.release(first, false);
          await run.endStep();
          return third.status;
        } finally {
          run.dispose();
        }
      };
      // r1 is at its own limit: the slot r0 frees is not r1's, and its waiter waits on.
      assert.equal(await served(3, 1), "pending");
      // Only the total held r1's waiter: the freed slot is its now, and it is served.
      assert.equal(await served(2, 2), "leased");
    },
  );

  test(
    "releases pick across routes: some release one route's lease while another route waits",
    LONG,
    async () => {
      const cases = fc.sample(caseArbitrary(referenceAdapter, 60), { seed: 4, numRuns: 60 });
      let crossing = 0;
      for (const value of cases) {
        if (value.setup.config.routes.length < 2) continue;
        await runCase(referenceAdapter, value, {
          rules: [],
          inspect: (run) => {
            const waiting = new Set<number>();
            for (const event of run.callerEvents) {
              if (event.kind === "acquire-started") waiting.add(event.acquire.id);
              if (event.kind === "acquire-resolved" || event.kind === "acquire-rejected") {
                waiting.delete(event.acquire.id);
              }
              if (event.kind !== "released") continue;
              const route = event.acquire.route;
              if ([...waiting].some((id) => run.acquires[id - 1]!.route !== route)) crossing++;
            }
          },
        });
      }
      assert.ok(crossing > 10, `${crossing} releases while another route waited`);
    },
  );
});
