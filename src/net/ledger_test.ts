import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "./ledger.ts";
import type { SocketState } from "./types.ts";

function sample(): Ledger {
  const ledger = new Ledger();
  ledger.record({ type: "ConnectionCreated", t: 0, socketId: 1, route: "a" });
  ledger.record({ type: "ConnectionCreated", t: 0, socketId: 2, route: "b" });
  ledger.record({ type: "ConnectionCreated", t: 1, socketId: 3, route: "a" });
  ledger.record({ type: "ConnectionReady", t: 2, socketId: 1, route: "a" });
  ledger.record({ type: "ConnectionReady", t: 2, socketId: 2, route: "b" });
  ledger.record({ type: "RequestSent", t: 3, socketId: 1, route: "a", requestId: 1 });
  ledger.record({ type: "RequestSent", t: 3, socketId: 1, route: "a", requestId: 2 });
  ledger.record({
    type: "ResponseReceived",
    t: 4,
    socketId: 1,
    route: "a",
    requestId: 1,
    sequence: 1,
  });
  ledger.record({ type: "ConnectionHalfClosed", t: 5, socketId: 2, route: "b", reason: "server" });
  return ledger;
}

describe("Ledger", () => {
  test("answers which sockets are connecting, open, half-closed, live and idle", () => {
    const ledger = sample();
    assert.deepEqual(ledger.sockets({ state: "connecting" }), [3]);
    assert.deepEqual(ledger.sockets({ state: "open" }), [1]);
    assert.deepEqual(ledger.sockets({ state: "half-closed" }), [2]);
    assert.deepEqual(ledger.sockets({ route: "a" }), [1, 3]);
    assert.deepEqual(ledger.live(), [1, 2, 3]);
    assert.deepEqual(ledger.live("b"), [2]);
    assert.deepEqual(ledger.idle(), [2], "socket 1 still has request 2 in flight");
    assert.deepEqual(ledger.inFlight(1), [2]);
    assert.equal(ledger.requestsServed(1), 1);
    assert.equal(ledger.routeOf(3), "a");
    assert.equal(ledger.stateOf(99), undefined);
  });

  test("count() agrees with sockets() for every route and state filter", () => {
    const ledger = sample();
    ledger.record({
      type: "ConnectionClosed",
      t: 6,
      socketId: 2,
      route: "b",
      by: "client",
      reason: "evicted",
    });
    ledger.record({ type: "ConnectionReady", t: 7, socketId: 3, route: "a" });
    const states = ["connecting", "open", "half-closed", "closed"] as const;
    const filters = [undefined, ...states, ["open", "half-closed"] as const, states];
    for (const route of [undefined, "a", "b", "unknown"]) {
      for (const state of filters) {
        const filter = { ...(route === undefined ? {} : { route }), ...(state ? { state } : {}) };
        assert.equal(
          ledger.count(filter),
          ledger.sockets(filter).length,
          JSON.stringify(filter),
        );
      }
    }
    assert.equal(ledger.count({ state: "closed" }), 1);
    assert.equal(ledger.count({ route: "a", state: "open" }), 2);
    assert.throws(() => ledger.count({ state: "gone" as SocketState }), {
      name: "RangeError",
      message:
        "Cannot count sockets as 'state' must be one of connecting, open, half-closed, closed: current value is gone",
    });
  });

  test("records who closed what and when, and since() pages through events", () => {
    const ledger = sample();
    ledger.record({
      type: "RequestFailed",
      t: 6,
      socketId: 1,
      route: "a",
      requestId: 2,
      reason: "reset",
    });
    ledger.record({
      type: "ConnectionClosed",
      t: 6,
      socketId: 1,
      route: "a",
      by: "network",
      reason: "reset",
    });
    assert.deepEqual(ledger.closure(1), { t: 6, by: "network", reason: "reset" });
    assert.equal(ledger.closure(2), undefined);
    assert.deepEqual(ledger.inFlight(1), []);
    assert.deepEqual(ledger.since(9).map((e) => e.seq), [10, 11]);
    assert.equal(ledger.length, 11);
  });

  test("serialises with a fixed key order, one event per line", () => {
    const ledger = new Ledger();
    ledger.record({ route: "a", socketId: 1, t: 0, type: "ConnectionCreated" });
    ledger.record({ type: "ConnectionChecked", stale: false, t: 0, route: "a", socketId: 1 });
    assert.equal(
      ledger.serialize(),
      [
        '{"seq":1,"t":0,"type":"ConnectionCreated","socketId":1,"route":"a"}',
        '{"seq":2,"t":0,"type":"ConnectionChecked","socketId":1,"route":"a","stale":false}',
      ].join("\n"),
    );
  });

  test("refuses events that go back in time or name unknown sockets, and keeps its state", () => {
    const ledger = sample();
    assert.throws(
      () => ledger.record({ type: "ConnectionReady", t: 1, socketId: 3, route: "a" }),
      {
        name: "RangeError",
        message:
          "Cannot record event as 't' must not be before the previous event (5): current value is 1",
      },
    );
    assert.throws(
      () => ledger.record({ type: "ConnectionReady", t: 9, socketId: 42, route: "a" }),
      {
        name: "RangeError",
        message:
          "Cannot record event as 'socketId' must name a created socket: current value is 42",
      },
    );
    assert.throws(
      () => ledger.record({ type: "ConnectionCreated", t: 9, socketId: 1, route: "a" }),
      /must be new for ConnectionCreated/,
    );
    assert.equal(ledger.length, 9);
    assert.equal(ledger.stateOf(3), "connecting");
  });
});
