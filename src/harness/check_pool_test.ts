import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  referenceAdapter,
  referenceMultiplexedAdapter,
} from "../../conformance/reference/adapter.ts";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import type { Adapter, PoolUnderTest } from "./adapter.ts";
import { checkPool } from "./check_pool.ts";
import { GlobalTimeDriver } from "../clock/global_time.ts";

/** Checks run many cases: a timeout of their own, so no runner's default (Bun's 5 s) cuts one off on a busy machine. */
const LONG = { timeout: 300_000 };

function failing(report: Awaited<ReturnType<typeof checkPool>>): string[] {
  return report.rules.filter((r) => r.status === "fail").map((r) => r.id);
}

/** The reference adapter with some of its pool's methods replaced. */
function variant(name: string, patch: (pool: PoolUnderTest) => Partial<PoolUnderTest>): Adapter {
  return {
    ...referenceAdapter,
    name,
    create: async (config, world) => {
      const pool = await referenceAdapter.create(config, world);
      return { ...pool, ...patch(pool) };
    },
  } as Adapter;
}

describe("checkPool()", () => {
  test("the reference pool passes every applicable rule over many runs", LONG, async () => {
    const report = await checkPool(referenceAdapter, { seed: 11, runs: 600 });
    assert.deepEqual(failing(report), []);
    assert.deepEqual(report.errors, []);
    assert.equal(report.ok, true);
    assert.ok(report.commands > 10_000, `only ${report.commands} commands`);
  });

  test("the multiplexed reference pool passes every applicable rule", LONG, async () => {
    const report = await checkPool(referenceMultiplexedAdapter, { seed: 12, runs: 600 });
    assert.deepEqual(failing(report), []);
    assert.equal(report.ok, true);
  });

  test("rules a pool cannot be judged on are not applicable, never passed", LONG, async () => {
    const report = await checkPool(referenceMultiplexedAdapter, {
      seed: 1,
      runs: 5,
      rules: ["LSE"],
    });
    assert.ok(report.rules.every((r) => r.status === "not-applicable" && r.reason !== undefined));
  });

  test("a malformed adapter is rejected before any run", LONG, async () => {
    await assert.rejects(
      checkPool({ ...referenceAdapter, name: "" }),
      /'name' must be a non-empty string/,
    );
    await assert.rejects(checkPool(referenceAdapter, { runs: 0 }), RangeError);
  });

  test("a pool whose acquires never settle is reported, not hung", LONG, async () => {
    const hanging: Adapter = {
      ...referenceAdapter,
      name: "hanging",
      create: async (config, world) => {
        const pool = await referenceAdapter.create(config, world);
        return { ...pool, acquire: () => new Promise(() => {}) };
      },
    };
    const report = await checkPool(hanging, { seed: 3, runs: 30, rules: ["LIV"] });
    assert.ok(failing(report).includes("LIV-1"), `failing: ${failing(report)}`);
    const liv1 = report.rules.find((r) => r.id === "LIV-1")!;
    assert.match(liv1.counterexample!.message, /still pending after heal: acquire #1/);
  });

  test("an adapter that throws on create is reported as an error", LONG, async () => {
    const throwing: Adapter = {
      ...referenceAdapter,
      name: "throwing",
      create: () => {
        throw new Error("boom");
      },
    };
    const report = await checkPool(throwing, { seed: 3, runs: 5 });
    assert.equal(report.ok, false);
    assert.match(report.errors[0] ?? "", /boom/);
  });

  test(
    "a stats() that throws fails STA-1, and the other rules are still judged",
    LONG,
    async () => {
      const throwing = variant("stats-throws", () => ({
        stats: () => {
          throw new Error("stats boom");
        },
      }));
      const report = await checkPool(throwing, { seed: 3, runs: 30 });
      assert.deepEqual(failing(report), ["STA-1"]);
      const sta1 = report.rules.find((r) => r.id === "STA-1")!;
      assert.match(sta1.counterexample!.message, /stats\(\) threw Error: stats boom/);
      assert.deepEqual(report.errors, []);
    },
  );

  test(
    "a connectionOf() that throws fails LSE-2 once; later runs end without a verdict",
    LONG,
    async () => {
      const throwing = variant("connection-of-throws", () => ({
        connectionOf: () => {
          throw new TypeError("no socket");
        },
      }));
      const report = await checkPool(throwing, { seed: 3, runs: 30 });
      assert.deepEqual(failing(report), ["LSE-2"]);
      assert.match(report.inconclusive!.reasons[0]!, /connectionOf\(\) threw TypeError: no socket/);
      assert.ok(report.runs < 100, `runs: ${report.runs}`);
    },
  );

  test(
    "a run without a verdict comes with a command that replays it alone",
    LONG,
    async () => {
      // A connectionOf() that fails for a run's fourth connection, while LSE-2 is not judged:
      // the runs that open four connections have no verdict.
      const storming = variant("flaky-connection-of", (pool) => ({
        connectionOf: (lease) => {
          const socket = pool.connectionOf(lease);
          if (socket === 4) throw new TypeError("no socket");
          return socket;
        },
      }));
      const report = await checkPool(storming, {
        seed: 5,
        runs: 40,
        rules: ["LIM-1"],
        replayCommand: "poolcheck --adapter flaky",
      });
      assert.match(report.inconclusive!.reasons.join(), /connectionOf\(\) threw TypeError/);
      const replay = report.inconclusive!.replay!;
      const path = /^poolcheck --adapter flaky --seed 5 --path (\d+) --runs 1 --rule LIM-1$/.exec(
        replay,
      )![1]!;
      const again = await checkPool(storming, { seed: 5, path, runs: 1, rules: ["LIM-1"] });
      assert.equal(again.runs, 1);
      assert.equal(again.inconclusive?.runs, 1, "the replayed run had a verdict");
      assert.equal(again.inconclusive!.replay, undefined);
    },
  );

  test(
    "an error that is not a rule violation leaves the rules not yet judged not verified",
    LONG,
    async () => {
      let created = 0;
      const flaky: Adapter = {
        ...referenceAdapter,
        name: "flaky-create",
        // From the sixth pool on, the pool lacks release(): the run fails before any step.
        create: async (config, world) => {
          const pool = await referenceAdapter.create(config, world);
          return ++created > 5 ? { ...pool, release: undefined as never } : pool;
        },
      };
      const report = await checkPool(flaky, { seed: 3, runs: 30 });
      assert.equal(report.ok, false);
      assert.match(report.errors[0] ?? "", /run failed without a rule violation/);
      const statuses = new Set(report.rules.map((r) => r.status));
      assert.ok(!statuses.has("pass"), [...statuses].join());
      assert.match(
        report.rules.find((r) => r.status === "not-verified")!.reason!,
        /not a rule violation/,
      );
    },
  );

  test(
    "an expected failure that passes is flagged, and a listed failure is expected",
    LONG,
    async () => {
      const report = await checkPool(referenceAdapter, {
        seed: 5,
        runs: 10,
        rules: ["LIM-1"],
        expectations: { "LIM-1": "known" },
      });
      assert.equal(report.rules[0]?.status, "unexpected-pass");
      assert.equal(report.ok, false);
    },
  );

  test("a check cut short by its real-time budget is reported, never as a pass", LONG, async () => {
    const report = await checkPool(referenceAdapter, { seed: 7, runs: 100_000, budgetMs: 50 });
    assert.equal(report.ok, false);
    assert.match(report.errors.join("\n"), /real-time budget of 50 ms .* not verified/);
    assert.ok(report.rules.every((r) => r.status !== "pass"));
    assert.ok(report.rules.some((r) => r.status === "not-verified"));
    await assert.rejects(checkPool(referenceAdapter, { budgetMs: 0 }), RangeError);
  });

  test(
    "failFast stops at the first failure, unshrunk, and verifies nothing after it",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-timeout-as-closed")!;
      const full = await checkPool(broken.adapter, { seed: 3 });
      const fast = await checkPool(broken.adapter, { seed: 3, failFast: true });
      assert.equal(fast.ok, false);
      const failed = fast.rules.filter((r) => r.status === "fail");
      assert.equal(failed.length, 1);
      assert.equal(fast.shrinkRuns, 0);
      assert.ok(full.shrinkRuns! > 0);
      assert.ok(fast.runs < full.runs);
      const unverified = fast.rules.filter((r) => r.status === "not-verified");
      assert.ok(unverified.length > 0);
      assert.ok(unverified.every((r) => /first failure \(fail fast\)/.test(r.reason ?? "")));
      // A pool that fails nothing is judged in full: failFast changes nothing for it.
      const clean = await checkPool(referenceAdapter, { seed: 3, runs: 50, failFast: true });
      assert.equal(clean.ok, true);
      assert.ok(clean.rules.every((r) => r.status !== "not-verified"));
    },
  );

  test(
    "runs stopped at an accepted second release are counted, not hidden among passes",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.rule === "LSE-4")!;
      // LIM-1 only: LSE-4 is not checked, so each accepted second release ends its run.
      const report = await checkPool(broken.adapter, { seed: 3, rules: ["LIM-1"] });
      assert.equal(report.rules[0]?.status, "pass");
      assert.ok((report.endedEarly ?? 0) > 0, `endedEarly: ${report.endedEarly}`);
      assert.ok(report.endedEarly! < report.runs);
      // With LSE-4 checked the second release is its failure, not an early end.
      const judged = await checkPool(broken.adapter, { seed: 3, rules: ["LSE-4"] });
      assert.equal(judged.rules[0]?.status, "fail");
      const clean = await checkPool(referenceAdapter, { seed: 3, quick: true });
      assert.equal(clean.endedEarly, undefined);
    },
  );

  test("the same seed gives the same trace, and the determinism check agrees", LONG, async () => {
    const first = await checkPool(referenceAdapter, { seed: 99, runs: 20, determinism: true });
    const second = await checkPool(referenceAdapter, { seed: 99, runs: 20 });
    assert.equal(first.nondeterminism, undefined);
    assert.equal(first.commands, second.commands);
  });
});

/** A pool that lends one socket twice after an accepted stale release (as tarn does). */
const staleRelease: Adapter = {
  ...referenceAdapter,
  name: "stale-release",
  create: async (config, world) => {
    const pool = await referenceAdapter.create(config, world);
    const held = new Map<number, unknown>();
    const released = new Set<unknown>();
    return {
      ...pool,
      acquire: async (route, options) => {
        const lease = await pool.acquire(route, options);
        held.set(pool.connectionOf(lease), lease);
        return lease;
      },
      release: (lease, options) => {
        // The loan is found by its socket: a stale release frees the new holder's loan.
        const socket = pool.connectionOf(lease as never);
        const current = held.get(socket);
        if (released.has(lease) && current === undefined) return;
        const target = released.has(lease) ? current : lease;
        // Booked once the pool took it: a release it refuses (a bad argument) changes nothing.
        pool.release(target as never, options);
        held.delete(socket);
        released.add(lease);
      },
    };
  },
};

describe("checkPool() on accepted double releases", () => {
  test(
    "reports LSE-4 only, not its consequences under LSE-1, ERR-2, ORD-4 or STA-1",
    LONG,
    async () => {
      for (const seed of [1, 2, 3]) {
        const report = await checkPool(staleRelease, { seed, rules: ["LSE", "ERR", "ORD", "STA"] });
        assert.deepEqual(failing(report), ["LSE-4"], `seed ${seed}`);
      }
    },
  );
});

/** A pool whose every acquire starts a timer that re-arms itself for ever: it never comes to rest. */
const restless: Adapter = {
  ...referenceAdapter,
  name: "restless",
  create: async (config, world) => {
    const pool = await referenceAdapter.create(config, world);
    const tick = () => queueMicrotask(() => void world.clock.setTimer(0, tick));
    return {
      ...pool,
      acquire: (route, options) => {
        tick();
        return pool.acquire(route, options);
      },
    };
  },
};

describe("checkPool() on a pool the harness cannot bring to rest", () => {
  test(
    "reports LIV-1 once; later runs that never settle are counted inconclusive, not looped on",
    LONG,
    async () => {
      const report = await checkPool(restless, {
        seed: 4,
        runs: 30,
        rules: ["LIV-1", "LIM-1", "STA-1"],
        budgetMs: 30_000,
      });
      assert.deepEqual(failing(report), ["LIV-1"]);
      const liv1 = report.rules.find((r) => r.id === "LIV-1")!;
      assert.match(liv1.counterexample!.message, /never settled/);
      assert.deepEqual(report.errors, []);
      assert.ok((report.inconclusive?.runs ?? 0) > 0, "no inconclusive runs counted");
      assert.match(report.inconclusive!.reasons.join(), /never settled/);
      assert.deepEqual(
        report.rules.filter((r) => r.id !== "LIV-1").map((r) => r.status),
        ["pass", "pass"],
      );
    },
  );
});

/** The seed, path and rule of a printed replay line. */
function parseReplay(line: string): { seed: number; path: string; rule: string } {
  const match = / --seed (\d+) --path ([\d:]+) --rule ([A-Z]{3}-\d+)$/.exec(line);
  assert.ok(match !== null, `not a replay line: ${line}`);
  return { seed: Number(match[1]), path: match[2]!, rule: match[3]! };
}

describe("checkPool() counterexamples", () => {
  test(
    "a printed replay line reproduces the same failure, also from a later property's seed",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-waiter-stack")!;
      const report = await checkPool(broken.adapter, { seed: 2 });
      const failures = report.rules.filter((r) => r.status === "fail");
      assert.ok(failures.length >= 2, `failing: ${failing(report)}`);
      assert.ok(failures.some((r) => r.counterexample!.seed !== report.seed));
      for (const failure of failures) {
        const c = failure.counterexample!;
        const { seed, path, rule } = parseReplay(c.replay);
        const replay = await checkPool(broken.adapter, { seed, path, rules: [rule] });
        const again = replay.rules.find((r) => r.id === rule)!;
        assert.equal(again.status, "fail", `${c.replay} did not fail`);
        assert.equal(again.counterexample!.message, c.message);
        assert.deepEqual(again.counterexample!.commands, c.commands);
        assert.deepEqual(again.counterexample!.setup, c.setup);
      }
    },
  );

  test(
    "an expected failure not found by a check is confirmed by replaying its recorded reproduction",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-declared-fifo")!;
      const found = await checkPool(broken.adapter, { seed: 1, rules: ["ORD-4"] });
      const { seed, path } = found.rules[0]!.counterexample!;
      // One run does not find this deviation by itself.
      const missed = await checkPool(broken.adapter, { seed: 3, runs: 1, rules: ["ORD-4"] });
      assert.equal(missed.rules[0]!.status, "pass");
      const reason = "reuses LIFO";
      const confirmed = await checkPool(broken.adapter, {
        seed: 3,
        runs: 1,
        rules: ["ORD-4"],
        expectations: { "ORD-4": { reason, seed, path } },
      });
      assert.equal(confirmed.rules[0]!.status, "expected-fail");
      assert.match(confirmed.rules[0]!.reason!, /recorded reproduction still fails/);
      assert.equal(confirmed.rules[0]!.counterexample?.seed, seed);
      assert.equal(confirmed.ok, true);
      // A reproduction that does not fail the rule leaves an unexpected pass: the same pool,
      // drawn the same way, declaring the order it really has.
      const honest = {
        ...referenceAdapter,
        supports: {
          ...broken.adapter.supports,
          policies: { ...broken.adapter.supports.policies, reuseOrder: "lifo" as const },
        },
      };
      const stale = await checkPool(honest, {
        seed: 3,
        runs: 1,
        rules: ["ORD-4"],
        expectations: { "ORD-4": { reason, seed, path } },
      });
      assert.equal(stale.rules[0]!.status, "unexpected-pass");
      assert.match(stale.rules[0]!.reason!, /reproduction \(seed \d+ path [\d:]+\) passes now/);
      assert.equal(stale.ok, false);
    },
  );

  test(
    "an expectation's script replays the same commands, where a seed and a path no longer draw them",
    LONG,
    async () => {
      const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-declared-fifo")!;
      const found = await checkPool(broken.adapter, { seed: 1, rules: ["ORD-4"] });
      const { script, commands } = found.rules[0]!.counterexample!;
      assert.ok(script !== undefined);
      const reason = "reuses LIFO";
      // A path this generator cannot follow: only the script can reproduce the failure.
      const expectations = { "ORD-4": { reason, seed: 1, path: "999999", script } };
      const confirmed = await checkPool(broken.adapter, {
        seed: 3,
        runs: 1,
        rules: ["ORD-4"],
        expectations,
      });
      assert.equal(confirmed.rules[0]!.status, "expected-fail");
      assert.match(confirmed.rules[0]!.reason!, /recorded reproduction still fails/);
      assert.deepEqual(confirmed.rules[0]!.counterexample!.commands, commands);
      assert.match(confirmed.rules[0]!.counterexample!.replay, /--rule ORD-4$/);
      // The pool declaring the order it has: the script passes, and the entry is out of date.
      const honest = {
        ...referenceAdapter,
        supports: {
          ...broken.adapter.supports,
          policies: { ...broken.adapter.supports.policies, reuseOrder: "lifo" as const },
        },
      };
      const stale = await checkPool(honest, { seed: 3, runs: 1, rules: ["ORD-4"], expectations });
      assert.equal(stale.rules[0]!.status, "unexpected-pass");
      assert.match(stale.rules[0]!.reason!, /reproduction \(script\) passes now/);
      // A script naming a command this kit does not have cannot be replayed, and says why.
      const unknown = { ...script, commands: [{ command: "teleport" }] };
      const unreadable = await checkPool(honest, {
        seed: 3,
        runs: 1,
        rules: ["ORD-4"],
        expectations: { "ORD-4": { reason, script: unknown } },
      });
      assert.equal(unreadable.rules[0]!.status, "unexpected-pass");
      assert.match(unreadable.rules[0]!.reason!, /\(script\) cannot be replayed: .*teleport/);
    },
  );
});

describe("checkPool() on global time, abandoned by its caller", () => {
  const onGlobalTime: Adapter = {
    ...referenceAdapter,
    name: "reference-on-global-time",
    supports: { ...referenceAdapter.supports, timeMode: "global" },
  } as Adapter;

  test("a newer check takes global time over; the abandoned one stops and names itself", {
    timeout: 120_000,
  }, async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      let running!: () => void;
      const started = new Promise<void>((resolve) => (running = resolve));
      // Never awaited by its "runner": what a per-test timeout leaves behind.
      const abandoned = checkPool(onGlobalTime, {
        seed: 1,
        runs: 100_000,
        label: "first check",
        onProgress: () => running(),
      });
      await started;
      const report = await checkPool(onGlobalTime, { seed: 2, runs: 20, label: "second check" });
      assert.equal(report.ok, true, report.errors.join("\n"));
      assert.deepEqual(failing(report), []);
      const stopped = await abandoned;
      assert.equal(stopped.ok, false);
      assert.deepEqual(stopped.errors, [
        "checking stopped: first check was abandoned, and second check took global time over",
      ]);
      assert.ok(stopped.rules.some((r) => r.status === "not-verified"));
      assert.deepEqual(warnings, [
        "poolcheck: first check was still running when second check started (its test runner gave up on it, e.g. at a per-test timeout); it has been stopped and global time taken over",
      ]);
    } finally {
      console.warn = warn;
    }
  });

  test("an aborted signal stops the check and puts real time back at once", LONG, async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      const controller = new AbortController();
      let faked: boolean | undefined;
      let restored: boolean | undefined;
      // Aborts from inside a run, while the run holds global time.
      const aborting: Adapter = {
        ...onGlobalTime,
        create: async (config, world) => {
          const pool = await onGlobalTime.create(config, world);
          return {
            ...pool,
            acquire: (route, options) => {
              if (!controller.signal.aborted) {
                faked = GlobalTimeDriver.active;
                controller.abort(new Error("test timed out after 5000ms"));
                restored = !GlobalTimeDriver.active;
              }
              return pool.acquire(route, options);
            },
          };
        },
      } as Adapter;
      const report = await checkPool(aborting, {
        seed: 3,
        runs: 100_000,
        label: "aborted check",
        signal: controller.signal,
      });
      assert.equal(faked, true);
      assert.equal(restored, true, "global time is real again as soon as the signal aborts");
      assert.equal(report.ok, false);
      assert.deepEqual(report.errors, [
        "checking stopped: aborted check was aborted by its caller (test timed out after 5000ms)",
      ]);
      assert.ok(
        report.rules.every((r) => r.status === "not-verified" || r.status === "not-applicable"),
      );
      assert.deepEqual(warnings, [
        "poolcheck: aborted check was aborted by its caller (test timed out after 5000ms); it has been stopped and real time restored",
      ]);
    } finally {
      console.warn = warn;
    }
  });
});

describe("checkPool() with expectations naming clauses", () => {
  // close() resolves at once and closes nothing: CLS-2.b breaks at close, and
  // with that clause excused the idle connections left open break CLS-2.d or .g.
  const neverCloses = variant("never-closes", () => ({ close: () => Promise.resolve() }));
  const check = (adapter: Adapter, expectations: Record<string, string>) =>
    checkPool(adapter, { seed: 5, runs: 100, rules: ["CLS-2"], expectations });
  const closeEarly = BROKEN_POOLS.find((b) => b.adapter.name === "broken-close-early")!.adapter;

  test("a listed clause is a known deviation", LONG, async () => {
    const report = await check(closeEarly, { "CLS-2.b": "resolves early" });
    const result = report.rules.find((r) => r.id === "CLS-2")!;
    assert.equal(result.status, "expected-fail");
    assert.deepEqual(result.known?.map((k) => k.clause), ["CLS-2.b"]);
    assert.equal(result.counterexample?.clause, "CLS-2.b");
    assert.equal(report.ok, true);
  });

  test("a rule listed by another clause fails through the unlisted one", LONG, async () => {
    const report = await check(closeEarly, { "CLS-2.e": "never resolves" });
    const result = report.rules.find((r) => r.id === "CLS-2")!;
    assert.equal(result.status, "fail");
    assert.equal(result.counterexample?.clause, "CLS-2.b");
    assert.equal(report.ok, false);
  });

  test("a rule-level entry still excuses every clause", LONG, async () => {
    const report = await check(closeEarly, { "CLS-2": "resolves early" });
    assert.equal(report.rules.find((r) => r.id === "CLS-2")!.status, "expected-fail");
  });

  test(
    "with one clause excused, the check goes on to find the rule's other clauses",
    LONG,
    async () => {
      const report = await check(neverCloses, { "CLS-2.b": "resolves at once" });
      const result = report.rules.find((r) => r.id === "CLS-2")!;
      assert.equal(result.status, "fail");
      assert.deepEqual(result.known?.map((k) => k.clause), ["CLS-2.b"]);
      assert.notEqual(result.counterexample?.clause, "CLS-2.b");
      assert.match(
        result.reason!,
        /is not a known deviation \(known deviations of this rule: CLS-2\.b\)/,
      );
    },
  );

  test("a key that names no rule or clause is rejected before any run", LONG, async () => {
    await assert.rejects(
      check(closeEarly, { "CLS-2.z": "x" }),
      /'expectations' key 'CLS-2\.z' names no clause of CLS-2: CLS-2 has clauses a, b, c, d, e, f, g/,
    );
    await assert.rejects(
      check(closeEarly, { "XYZ-1": "x" }),
      /'expectations' key 'XYZ-1' names no rule or clause/,
    );
  });
});
