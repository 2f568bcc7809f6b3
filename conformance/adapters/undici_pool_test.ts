import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PoolEventNotice } from "../../src/harness/adapter.ts";
import { undiciPoolAdapter as adapter, undiciRejectionKind } from "./undici_pool.ts";
import { resetUndiciFastTimer as before, undici } from "./_http_undici.ts";
import * as s from "./_http_scenarios.ts";
import { configOf, scene } from "./_http_scenarios.ts";
import { settle, track } from "./_http_test_util.ts";

describe("undici-pool adapter", () => {
  test("declares a valid adapter", () => s.declaresWell(adapter));
  test("an acquire opens a socket in the ledger and the lease names it", () =>
    s.acquireOpensSocket(adapter, before));
  test("a reusable release makes the socket idle and the next acquire reuses it", () =>
    s.releaseThenReuse(adapter, before));
  test("a broken release closes the socket and the next acquire connects anew", () =>
    s.brokenReleaseCloses(adapter, before));
  test("at the limit an acquire waits and gets the released socket", () =>
    s.waiterGetsReleasedSocket(adapter, before));
  test("keepAliveTimeout closes an idle socket at its deadline on virtual time", () =>
    s.defaultKeepAliveExpires(adapter, 1, before));
  test("a Keep-Alive: timeout=3 hint closes the idle socket after 3 s", () =>
    s.hintShortensKeepAlive(adapter, 3_000, before));
  test("a server half-close of an idle socket is observed", () =>
    s.serverCloseIsObserved(adapter, before));
  test("a refused connect rejects the acquire with ECONNREFUSED", () =>
    s.refusedConnectRejects(adapter, before));
  test("close() closes idle sockets", () => s.closeClosesSockets(adapter, before));
  test("global time is restored when a scenario fails", () =>
    s.timeRestoredOnFailure(adapter, before));
  test("a second request on a held lease is refused", () =>
    s.secondRequestRefused(adapter, before));
});

describe("undici-pool adapter, time-based options", () => {
  test("connectTimeout gives up a hanging connect on undici's fast timer", () =>
    s.connectTimeoutFires(adapter, 500, before));
  test("clientTtl retires a connection older than the TTL at the next dispatch", () =>
    s.ttlRetiresConnection(adapter, before));
});

describe("undici-pool adapter, rejection kinds and events", () => {
  test("undici's errors are read by their code", () => {
    const { errors } = undici;
    assert.equal(undiciRejectionKind(new errors.ClientClosedError()), "poolClosed");
    assert.equal(undiciRejectionKind(new errors.ClientDestroyedError()), "poolClosed");
    assert.equal(undiciRejectionKind(new errors.ConnectTimeoutError()), "connectionError");
    assert.equal(undiciRejectionKind(new errors.SocketError("closed")), "connectionError");
    assert.equal(undiciRejectionKind(new errors.InvalidArgumentError("x")), undefined);
    assert.equal(undiciRejectionKind({ code: "UND_ERR_CLOSED" }), undefined);
  });

  test("a refused connect and a closed pool reject with their kinds", () =>
    scene(adapter, configOf(), async ({ pool, world, driver }) => {
      world.network.configure("r0", { connect: "refuse" });
      const refused = track(pool.acquire("r0", {}));
      await settle(driver);
      world.network.heal();
      const closing = track(pool.close());
      const late = track(pool.acquire("r0", {}));
      await settle(driver);
      assert.equal(closing.state, "resolved");
      assert.deepEqual([refused.error, late.error].map((e) => pool.rejectionKind?.(e)), [
        "connectionError",
        "poolClosed",
      ]);
    }, before));

  test("connect and disconnect are reported on the socket of the Client", () =>
    scene(adapter, configOf(), async ({ pool, lease, driver }) => {
      const events: PoolEventNotice[] = [];
      pool.events?.((event) => events.push(event));
      pool.release(await lease(), { reusable: false });
      await settle(driver);
      pool.release(await lease(), { reusable: true });
      await settle(driver);
      const closing = track(pool.close());
      await settle(driver);
      assert.equal(closing.state, "resolved");
      assert.deepEqual(events, [
        { type: "ConnectionReady", route: "r0", socketId: 1 },
        { type: "ConnectionClosed", route: "r0", socketId: 1 },
        { type: "ConnectionReady", route: "r0", socketId: 2 },
        { type: "ConnectionClosed", route: "r0", socketId: 2 },
      ]);
    }, before));
});
