import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { track, type World, world } from "./_test_util.ts";
import type { Lease } from "./lease.ts";

/** Checks run many cases: a timeout of their own, so no runner's default (Bun's 5 s) cuts one off on a busy machine. */
const LONG = { timeout: 300_000 };

/** One step of a random run against the pool and the network. */
type Step =
  | { readonly kind: "acquire"; readonly route: string; readonly timeoutMs?: number }
  | { readonly kind: "release"; readonly pick: number; readonly reusable: boolean }
  | { readonly kind: "request"; readonly pick: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "serverClose" | "reset"; readonly pick: number }
  | { readonly kind: "refuse" | "heal"; readonly route: string }
  | { readonly kind: "closeIdle"; readonly ms: number }
  | { readonly kind: "closeExpired" | "clear" | "ready" };

const route = fc.constantFrom("a", "b", "c");
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("acquire" as const), route }, { requiredKeys: ["kind", "route"] }),
  fc.record({
    kind: fc.constant("acquire" as const),
    route,
    timeoutMs: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat(), reusable: fc.boolean() }),
  fc.record({ kind: fc.constant("request" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("advance" as const),
    ms: fc.constantFrom(1, 99, 100, 101, 499, 500, 501, 2_001),
  }),
  fc.record({ kind: fc.constantFrom("serverClose" as const, "reset" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constantFrom("refuse" as const, "heal" as const), route }),
  fc.record({ kind: fc.constant("closeIdle" as const), ms: fc.constantFrom(0, 100, 500) }),
  fc.record({ kind: fc.constantFrom("closeExpired" as const, "clear" as const, "ready" as const) }),
);

interface Run {
  readonly w: World;
  readonly held: Lease[];
  /** Keep-alive deadline of each released socket: the hint's 400 ms after release. */
  readonly expiresAt: Map<number, number>;
}

async function perform(run: Run, s: Step): Promise<void> {
  const { w, held } = run;
  const pick = <T>(items: readonly T[], n: number) => items[n % items.length];
  switch (s.kind) {
    case "acquire": {
      const options = s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs };
      w.pool.acquire(s.route, options).then((lease) => {
        checkLeased(run, lease);
        held.push(lease);
      }, () => {});
      break;
    }
    case "release": {
      const lease = pick(held, s.pick);
      if (lease === undefined) break;
      held.splice(held.indexOf(lease), 1);
      run.expiresAt.set(lease.socket.id, w.clock.now() + 400);
      lease.release({ reusable: s.reusable });
      break;
    }
    case "request": {
      const lease = pick(held, s.pick);
      if (lease !== undefined) lease.socket.request().catch(() => {});
      break;
    }
    case "advance":
      return w.advance(s.ms);
    case "serverClose":
    case "reset": {
      const id = pick(w.live(), s.pick);
      if (id !== undefined && w.network.socket(id)?.state !== "connecting") {
        if (s.kind === "reset") w.network.reset(id);
        else w.network.serverClose(id);
      }
      break;
    }
    case "refuse":
      w.network.configure(s.route, { connect: "refuse" });
      break;
    case "heal":
      w.network.configure(s.route, { connect: "ok" });
      break;
    case "closeIdle":
      w.pool.closeIdle(s.ms);
      break;
    case "closeExpired":
    case "clear":
    case "ready":
      w.pool[s.kind]();
      break;
  }
  await w.settle();
}

/** LSE-1, LSE-2, EXP-1, EXP-2, EXP-3, ERR-3 at the moment of leasing. */
function checkLeased(run: Run, lease: Lease): void {
  const { w, held } = run;
  assert.equal(lease.socket.state, "open");
  assert.equal(lease.socket.route, lease.route);
  assert.ok(!held.some((other) => other.socket === lease.socket), "leased twice");
  assert.ok(w.clock.now() <= lease.socket.createdAt + 1_000, "leased past its TTL");
  const keepAliveDeadline = run.expiresAt.get(lease.socket.id) ?? Infinity;
  assert.ok(w.clock.now() <= keepAliveDeadline, "leased past its keep-alive");
  assert.ok(lease.socket.requestsServed < 3, "leased after keep-alive max");
}

/** LIM-1..3 and STA-1 from the ledger, once the world has settled. */
function checkSettled(run: Run): void {
  const { w } = run;
  const ledger = w.network.ledger;
  const live = ledger.live();
  assert.ok(live.length <= 4, `live ${live.length} > maxTotal`);
  for (const r of ["a", "b", "c"]) assert.ok(ledger.live(r).length <= 2, `route ${r} over limit`);
  const connecting = ledger.sockets({ state: "connecting" }).length;
  assert.ok(connecting <= 3, "connecting over maxConnecting");
  const stats = w.pool.stats().total;
  assert.equal(stats.connecting, connecting);
  assert.equal(stats.connecting + stats.available + stats.leased, live.length);
}

test("random runs keep the limits, exclusivity, TTL and stats invariants", LONG, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
      const w = world({
        maxTotal: 4,
        maxPerRoute: 2,
        maxConnecting: 3,
        ttlMs: 1_000,
        defaultKeepAliveMs: 500,
        validateAfterInactivityMs: 100,
        network: { connectLatencyMs: 1, keepAliveHint: { timeoutMs: 400, max: 3 } },
      });
      const run: Run = { w, held: [], expiresAt: new Map() };
      for (const s of steps) {
        await perform(run, s);
        checkSettled(run);
      }
      w.pool.ready();
      for (const r of ["a", "b", "c"]) w.network.configure(r, { connect: "ok" });
      const closing = track(w.pool.close());
      await w.settle();
      // Leases granted before close keep arriving until everything settled.
      for (const lease of run.held.splice(0)) lease.release();
      await w.settle();
      assert.equal(closing.state(), "fulfilled", "close() did not complete");
      assert.equal(w.network.ledger.live().length, 0);
    }),
    { seed: 20_261_121, numRuns: 300 },
  );
});

type MuxStep =
  | { readonly kind: "send"; readonly route: string }
  | { readonly kind: "respond" | "reset" | "serverClose"; readonly pick: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "refuse" | "heal"; readonly route: string };

const muxStep: fc.Arbitrary<MuxStep> = fc.oneof(
  fc.record({ kind: fc.constant("send" as const), route }),
  fc.record({
    kind: fc.constantFrom("respond" as const, "reset" as const, "serverClose" as const),
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(1, 50, 200, 1_001) }),
  fc.record({ kind: fc.constantFrom("refuse" as const, "heal" as const), route }),
);

test(
  "random multiplexed runs keep maxInFlight, send order, and settle every send exactly once",
  LONG,
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(muxStep, { minLength: 1, maxLength: 60 }), async (steps) => {
        const w = world({
          multiplexed: true,
          maxInFlight: 3,
          connectFailure: "retry",
          reconnectBackoffMs: 10,
          reconnectBackoffMaxMs: 100,
          network: { manualResponses: true },
        });
        const settled = new Map<number, number>();
        const answered = new Map<number, number[]>();
        let sent = 0;
        for (const s of steps) {
          const id = w.live()[("pick" in s ? s.pick : 0) % Math.max(1, w.live().length)];
          if (s.kind === "send") {
            const n = sent++;
            w.pool.send(s.route).then((response) => {
              const seen = answered.get(response.socketId) ?? [];
              assert.ok(seen.every((m) => m < n), "responses out of send order");
              answered.set(response.socketId, [...seen, n]);
              settled.set(n, (settled.get(n) ?? 0) + 1);
            }, () => settled.set(n, (settled.get(n) ?? 0) + 1));
          } else if (s.kind === "advance") {
            await w.advance(s.ms);
          } else if (s.kind === "refuse" || s.kind === "heal") {
            w.network.configure(s.route, { connect: s.kind === "refuse" ? "refuse" : "ok" });
          } else if (id !== undefined && w.network.socket(id)?.state !== "connecting") {
            if (s.kind === "respond") w.network.respond(id);
            else if (s.kind === "reset") w.network.reset(id);
            else w.network.serverClose(id);
          }
          await w.settle();
          for (const socket of w.live()) assert.ok(w.network.ledger.inFlight(socket).length <= 3);
        }
        w.network.heal();
        await w.advance(2_000);
        assert.deepEqual([...settled.values()].filter((count) => count !== 1), []);
        assert.equal(settled.size, sent);
        await w.pool.close();
      }),
      { seed: 20_261_122, numRuns: 200 },
    );
  },
);
