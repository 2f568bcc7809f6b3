import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PoolEventNotice } from "../../src/harness/adapter.ts";
import { undiciAgentAdapter as adapter } from "./undici_agent.ts";
import { resetUndiciFastTimer as before } from "./_http_undici.ts";
import * as s from "./_http_scenarios.ts";
import { configOf, scene } from "./_http_scenarios.ts";
import { settle, track } from "./_http_test_util.ts";

describe("undici-agent adapter", () => {
  test("declares a valid adapter", () => s.declaresWell(adapter));
  test("an acquire opens a socket in the ledger and the lease names it", () =>
    s.acquireOpensSocket(adapter, before));
  test("a reusable release makes the socket idle and the next acquire reuses it", () =>
    s.releaseThenReuse(adapter, before));
  test("a broken release closes the socket and the next acquire connects anew", () =>
    s.brokenReleaseCloses(adapter, before));
  test("at the per-route limit an acquire waits and gets the released socket", () =>
    s.waiterGetsReleasedSocket(adapter, before));
  test("each origin gets its own sockets", () => s.routesAreSeparate(adapter, before));
  test("keepAliveTimeout closes an idle socket at its deadline on virtual time", () =>
    s.defaultKeepAliveExpires(adapter, 1, before));
  test("a Keep-Alive: timeout=3 hint closes the idle socket after 3 s", () =>
    s.hintShortensKeepAlive(adapter, 3_000, before));
  test("a server half-close of an idle socket is observed", () =>
    s.serverCloseIsObserved(adapter, before));
  test("a refused connect rejects the acquire with ECONNREFUSED", () =>
    s.refusedConnectRejects(adapter, before));
  test("connectTimeout gives up a hanging connect on undici's fast timer", () =>
    s.connectTimeoutFires(adapter, 500, before));
  test("close() closes idle sockets", () => s.closeClosesSockets(adapter, before));
  test("global time is restored when a scenario fails", () =>
    s.timeRestoredOnFailure(adapter, before));
  test("a second request on a held lease is refused", () =>
    s.secondRequestRefused(adapter, before));
});

describe("undici-agent adapter, rejection kinds and events", () => {
  test("connect and disconnect are reported on each origin's route and socket", () =>
    scene(
      adapter,
      configOf({ routes: ["r0", "r1"], maxTotal: 12, maxPerRoute: 1 }),
      async ({ pool, lease, driver }) => {
        const events: PoolEventNotice[] = [];
        pool.events?.((event) => events.push(event));
        pool.release(await lease("r0"), { reusable: true });
        pool.release(await lease("r1"), { reusable: false });
        await settle(driver);
        assert.deepEqual(events, [
          { type: "ConnectionReady", route: "r0", socketId: 1 },
          { type: "ConnectionReady", route: "r1", socketId: 2 },
          { type: "ConnectionClosed", route: "r1", socketId: 2 },
        ]);
      },
      before,
    ));

  test("an acquire after close() is rejected as poolClosed", () =>
    scene(adapter, configOf(), async ({ pool, driver }) => {
      const closing = track(pool.close());
      const late = track(pool.acquire("r0", {}));
      await settle(driver);
      assert.equal(closing.state, "resolved");
      assert.equal(pool.rejectionKind?.(late.error), "poolClosed");
    }, before));
});
