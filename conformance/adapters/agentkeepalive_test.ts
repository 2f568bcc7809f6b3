import assert from "node:assert/strict";
import type http from "node:http";
import { describe, test } from "node:test";
import { agentkeepaliveAdapter as adapter } from "./agentkeepalive.ts";
import * as s from "./_http_scenarios.ts";
import { advance, settle } from "./_http_test_util.ts";

/** What agentkeepalive's `[INIT_SOCKET]` leaves on a socket it set up (lib/constants.js names). */
function setUpBy(socket: object): { name: string | undefined; requests: number | undefined } {
  const symbols = Object.getOwnPropertySymbols(socket);
  const find = (description: string) =>
    (socket as Record<symbol, unknown>)[
      symbols.find((symbol) => symbol.description === description) ?? Symbol()
    ];
  return {
    name: find("agentkeepalive#socketName") as string | undefined,
    requests: find("agentkeepalive#socketRequestCount") as number | undefined,
  };
}

describe("agentkeepalive adapter", () => {
  test("declares a valid adapter", () => s.declaresWell(adapter));
  test("an acquire opens a socket in the ledger and the lease names it", () =>
    s.acquireOpensSocket(adapter));
  test("a reusable release makes the socket free and the next acquire reuses it", () =>
    s.releaseThenReuse(adapter));
  test("a broken release closes the socket and the next acquire connects anew", () =>
    s.brokenReleaseCloses(adapter));
  test("at maxSockets an acquire queues and gets the freed socket", () =>
    s.waiterGetsReleasedSocket(adapter));
  test("each host gets its own sockets", () => s.routesAreSeparate(adapter));
  test("freeSocketTimeout destroys a free socket at its deadline on virtual time", () =>
    s.defaultKeepAliveExpires(adapter, 1));
  test("socketActiveTTL retires a socket: reused before it, a new one after", () =>
    s.ttlRetiresConnection(adapter));
  test("a server half-close of a free socket is observed", () => s.serverCloseIsObserved(adapter));
  test("a refused connect rejects the acquire with ECONNREFUSED", () =>
    s.refusedConnectRejects(adapter));
  test("close() (agent.destroy) closes free sockets", () => s.closeClosesSockets(adapter));
  test("global time is restored when a scenario fails", () => s.timeRestoredOnFailure(adapter));
  test("a second request on a held lease is refused", () => s.secondRequestRefused(adapter));
  test("fifteen requests on one socket leave its timeout listeners bounded", () =>
    s.timeoutListenersBounded(adapter, (lease) => lease.socket));

  test("agentkeepalive's own createConnection sets up the simulated socket", async () => {
    await s.scene(adapter, s.configOf(), async ({ lease, pool, driver }) => {
      const first = await lease();
      assert.match(setUpBy(first.socket).name ?? "", /^sock\[0#r0\.sim:80:\]$/);
      assert.equal(setUpBy(first.socket).requests, 1);
      const agent = (first.request as http.ClientRequest & { agent: { createSocketCount: number } })
        .agent;
      assert.equal(agent.createSocketCount, 1);
      pool.release(first, { reusable: true });
      await settle(driver);
      const second = await lease();
      assert.equal(second.socket, first.socket);
      assert.equal(setUpBy(second.socket).requests, 2, "reuseSocket counted the reuse");
      pool.release(second, { reusable: true });
    });
  });

  test("without a default keep-alive a Keep-Alive: timeout=3 hint closes the free socket after 3 s minus 1 s", async () => {
    await s.scene(adapter, s.configOf({ defaultKeepAliveMs: undefined }), async (scene) => {
      scene.world.network.configure("r0", { keepAliveHint: { timeoutMs: 3_000 } });
      const held = await scene.lease();
      scene.pool.release(held, { reusable: true });
      await settle(scene.driver);
      const releasedAt = scene.driver.now();
      await advance(scene.driver, 2_100, 50);
      const closure = scene.world.network.ledger.closure(1);
      assert.equal(closure?.by, "client", scene.lines().join("\n"));
      assert.ok(closure.t - releasedAt <= 2_001, `closed after ${closure.t - releasedAt} ms`);
    });
  });

  test("with freeSocketTimeout set, the Keep-Alive hint is overwritten (the free socket outlives it)", async () => {
    await s.scene(adapter, s.configOf({ defaultKeepAliveMs: 10_000 }), async (scene) => {
      scene.world.network.configure("r0", { keepAliveHint: { timeoutMs: 3_000 } });
      const held = await scene.lease();
      scene.pool.release(held, { reusable: true });
      await settle(scene.driver);
      await advance(scene.driver, 5_000, 500);
      assert.equal(scene.world.network.ledger.stateOf(1), "open", "kept past the 3 s hint");
      await advance(scene.driver, 5_500, 500);
      assert.equal(scene.world.network.ledger.closure(1)?.reason, "idle");
    });
  });
});
