import { describe, test } from "node:test";
import { nodeHttpAgentAdapter as adapter } from "./node_http_agent.ts";
import * as s from "./_http_scenarios.ts";

describe("node-http-agent adapter", () => {
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
  test("the agent timeout destroys a free socket at its deadline on virtual time", () =>
    s.defaultKeepAliveExpires(adapter, 1));
  test("a Keep-Alive: timeout=3 hint shortens the timeout to 3 s minus the 1 s buffer", () =>
    s.hintShortensKeepAlive(adapter, 2_000));
  test("a server half-close of a free socket is observed", () => s.serverCloseIsObserved(adapter));
  test("a refused connect rejects the acquire with ECONNREFUSED", () =>
    s.refusedConnectRejects(adapter));
  test("close() (agent.destroy) closes free sockets", () => s.closeClosesSockets(adapter));
  test("global time is restored when a scenario fails", () => s.timeRestoredOnFailure(adapter));
  test("a second request on a held lease is refused", () => s.secondRequestRefused(adapter));
  test("fifteen requests on one socket leave its timeout listeners bounded", () =>
    s.timeoutListenersBounded(adapter, (lease) => lease.socket));
});
