import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConnectAbortedError, ConnectRefusedError, type SocketClosedError } from "./errors.ts";
import { SimNetwork as SimNetworkCtor } from "./sim_network.ts";
import type { SimSocket } from "./sim_socket.ts";
import { flush, trace, world } from "./_test_util.ts";

async function open(
  w: ReturnType<typeof world>,
  route = "a",
): Promise<SimSocket> {
  const pending = w.network.connect(route);
  w.clock.runDue();
  return await pending;
}

describe("SimNetwork connects", () => {
  test("a connect completes after its latency, not before", async () => {
    const w = world();
    w.network.configure("a", { connectLatencyMs: 10 });
    const seen: SimSocket[] = [];
    w.network.connect("a").then((s) => seen.push(s));
    w.clock.advance(9);
    await flush();
    assert.equal(seen.length, 0);
    assert.equal(w.network.ledger.stateOf(1), "connecting");
    w.clock.advance(1);
    await flush();
    assert.equal(seen[0]?.state, "open");
    assert.equal(seen[0]?.readyAt, 10);
    assert.deepEqual(trace(w.network), ["0 ConnectionCreated #1", "10 ConnectionReady #1"]);
  });

  test("a zero-latency connect still completes only when the clock is driven", async () => {
    const w = world();
    let done = false;
    w.network.connect("a").then(() => (done = true));
    await flush();
    assert.equal(done, false);
    w.clock.runDue();
    await flush();
    assert.equal(done, true);
  });

  test("a refused connect rejects with ConnectRefusedError and leaves a closed socket", async () => {
    const w = world();
    w.network.configure("a", { connect: "refuse", connectLatencyMs: 3 });
    const pending = w.network.connect("a");
    w.clock.advance(3);
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof ConnectRefusedError);
      assert.equal(error.route, "a");
      return true;
    });
    assert.deepEqual(trace(w.network), [
      "0 ConnectionCreated #1",
      '3 ConnectionClosed #1 by="network" reason="refused"',
    ]);
    assert.deepEqual(w.network.ledger.live(), []);
  });

  test("a hanging connect stays connecting until the client aborts it", async () => {
    const w = world();
    w.network.configure("a", { connect: "hang" });
    const controller = new AbortController();
    const pending = w.network.connect("a", { signal: controller.signal });
    w.clock.advance(60_000);
    assert.deepEqual(w.network.ledger.sockets({ state: "connecting" }), [1]);
    controller.abort(new Error("connect timeout"));
    await assert.rejects(pending, ConnectAbortedError);
    assert.deepEqual(trace(w.network), [
      "0 ConnectionCreated #1",
      '60000 ConnectionClosed #1 by="client" reason="aborted"',
    ]);
  });

  test("an already aborted signal fails the connect at once", async () => {
    const w = world();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      w.network.connect("a", { signal: controller.signal }),
      ConnectAbortedError,
    );
    assert.equal(w.network.ledger.stateOf(1), "closed");
  });

  test("closing a socket that is still connecting aborts its connect", async () => {
    const w = world();
    w.network.configure("a", { connectLatencyMs: 50 });
    const pending = w.network.connect("a");
    w.network.socket(1)!.close("timeout");
    await assert.rejects(pending, ConnectAbortedError);
    w.clock.advance(100);
    assert.deepEqual(trace(w.network), [
      "0 ConnectionCreated #1",
      '0 ConnectionClosed #1 by="client" reason="timeout"',
    ]);
  });
});

describe("SimNetwork requests", () => {
  test("responses come after their latency, in send order, with sequence numbers", async () => {
    const w = world();
    const socket = await open(w);
    w.network.configure("a", { responseLatencyMs: 10 });
    const first = socket.request();
    w.clock.advance(2);
    w.network.configureSocket(socket.id, { responseLatencyMs: 1 });
    const second = socket.request();
    assert.equal(socket.inFlight, 2);
    w.clock.advance(10);
    const [r1, r2] = await Promise.all([first, second]);
    assert.deepEqual([r1.sequence, r1.at, r2.sequence, r2.at], [1, 10, 2, 10]);
    assert.equal(socket.requestsServed, 2);
    assert.deepEqual(trace(w.network).slice(2), [
      "0 RequestSent #1 requestId=1",
      "2 RequestSent #1 requestId=2",
      "10 ResponseReceived #1 requestId=1 sequence=1",
      "10 ResponseReceived #1 requestId=2 sequence=2",
    ]);
  });

  test("manual responses are held until respond(), oldest first", async () => {
    const w = world({ manualResponses: true });
    const socket = await open(w);
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) socket.request().then((r) => answers.push(r.requestId));
    w.clock.advance(1_000);
    await flush();
    assert.deepEqual(answers, []);
    assert.equal(w.network.respond(1), true);
    await flush();
    assert.deepEqual(answers, [1]);
    assert.deepEqual(w.network.ledger.inFlight(1), [2, 3]);
    w.network.heal();
    w.clock.runDue();
    await flush();
    assert.deepEqual(answers, [1, 2, 3]);
    assert.equal(w.network.respond(1), false);
  });

  test("keep-alive hints ride on responses and max=M half-closes after the M-th", async () => {
    const w = world();
    w.network.configure("a", { keepAliveHint: { timeoutMs: 5_000, max: 2 } });
    const socket = await open(w);
    const first = socket.request();
    w.clock.runDue();
    assert.deepEqual((await first).keepAlive, { timeoutMs: 5_000, max: 2 });
    assert.deepEqual(socket.lastKeepAlive, { timeoutMs: 5_000, max: 2 });
    assert.equal(socket.state, "open");
    const second = socket.request();
    w.clock.runDue();
    await second;
    assert.equal(socket.state, "half-closed");
    assert.equal(trace(w.network).at(-1), '0 ConnectionHalfClosed #1 reason="max-requests"');
  });

  test("a reset fails every in-flight request once, oldest first, and closes the socket", async () => {
    const w = world({ manualResponses: true });
    const socket = await open(w);
    const failures: string[] = [];
    for (let i = 0; i < 3; i++) {
      socket.request().catch((e: SocketClosedError) => failures.push(`${i}:${e.reason}`));
    }
    w.network.reset(socket.id);
    await flush();
    assert.deepEqual(failures, ["0:reset", "1:reset", "2:reset"]);
    assert.deepEqual(trace(w.network).slice(-4), [
      '0 RequestFailed #1 requestId=1 reason="reset"',
      '0 RequestFailed #1 requestId=2 reason="reset"',
      '0 RequestFailed #1 requestId=3 reason="reset"',
      '0 ConnectionClosed #1 by="network" reason="reset"',
    ]);
    await assert.rejects(socket.request(), { reason: "reset" });
  });
});

describe("SimNetwork server-side closes", () => {
  test("the server half-closes an idle socket exactly at its idle timeout", async () => {
    const w = world({ serverIdleTimeoutMs: 5_000 });
    const socket = await open(w);
    let heard = 0;
    socket.onHalfClose(() => heard++);
    w.clock.advance(4_999);
    assert.equal(socket.state, "open");
    w.clock.advance(1);
    assert.equal(socket.state, "half-closed");
    assert.equal(heard, 1);
    assert.deepEqual(w.network.ledger.idle(), [1], "half-closed sockets still count as idle");
  });

  test("a request at the instant the keep-alive ends finds the socket closed", async () => {
    const w = world({ serverIdleTimeoutMs: 5_000 });
    const socket = await open(w);
    w.clock.advanceTo(5_000);
    await assert.rejects(socket.request(), { name: "SocketClosedError", reason: "peer-closed" });
    assert.deepEqual(trace(w.network).slice(2), [
      '5000 ConnectionHalfClosed #1 reason="idle-timeout"',
      "5000 RequestSent #1 requestId=1",
      '5000 RequestFailed #1 requestId=1 reason="peer-closed"',
      '5000 ConnectionClosed #1 by="server" reason="peer-closed"',
    ]);
  });

  test("a request one millisecond before the keep-alive ends is served and re-arms it", async () => {
    const w = world({ serverIdleTimeoutMs: 5_000 });
    const socket = await open(w);
    w.clock.advanceTo(4_999);
    const answer = socket.request();
    w.clock.runDue();
    assert.equal((await answer).at, 4_999);
    w.clock.advanceTo(9_998);
    assert.equal(socket.state, "open");
    w.clock.advance(1);
    assert.equal(socket.state, "half-closed");
  });

  test("validation sees a half-closed socket as stale and records the check", async () => {
    const w = world();
    const socket = await open(w);
    assert.equal(socket.isStale(), false);
    w.network.serverClose(socket.id);
    assert.equal(socket.isStale(), true);
    assert.deepEqual(trace(w.network).slice(2), [
      "0 ConnectionChecked #1 stale=false",
      '0 ConnectionHalfClosed #1 reason="server"',
      "0 ConnectionChecked #1 stale=true",
    ]);
  });

  test("a server close with requests in flight fails them and closes", async () => {
    const w = world({ manualResponses: true });
    const socket = await open(w);
    const failed = socket.request().catch((e: SocketClosedError) => e.reason);
    w.network.serverClose(socket.id);
    assert.equal(await failed, "peer-closed");
    assert.deepEqual(w.network.ledger.closure(1), { t: 0, by: "server", reason: "peer-closed" });
  });

  test("client close is idempotent, fails in-flight requests and notifies listeners", async () => {
    const w = world({ manualResponses: true });
    const socket = await open(w);
    const closes: string[] = [];
    socket.onClose((by, reason) => closes.push(`${by}:${reason}`));
    const failed = socket.request().catch((e: SocketClosedError) => e.reason);
    socket.close("idle");
    socket.close("again");
    assert.equal(await failed, "client-closed");
    assert.deepEqual(closes, ["client:idle"]);
    assert.equal(w.network.ledger.events.filter((e) => e.type === "ConnectionClosed").length, 1);
  });
});

describe("SimNetwork input checks and determinism", () => {
  test("bad behaviour is rejected with a clear error and changes nothing", () => {
    const w = world();
    w.network.configure("a", { connectLatencyMs: 5 });
    const cases: [() => unknown, string, string][] = [
      [
        () => w.network.configure("a", { connectLatencyMs: -1 }),
        "RangeError",
        "Cannot configure route as 'connectLatencyMs' must be a finite number >= 0: current value is -1",
      ],
      [
        () => w.network.configure("a", { connect: "maybe" as "ok" }),
        "RangeError",
        "Cannot configure route as 'connect' must be one of ok, refuse, hang: current value is maybe",
      ],
      [
        () => w.network.configure("a", { keepAliveHint: { max: 0 } }),
        "RangeError",
        "Cannot configure route as 'keepAliveHint.max' must be a positive integer: current value is 0",
      ],
      [
        () => w.network.configure("a", { responseLatencyMs: Infinity }),
        "RangeError",
        "Cannot configure route as 'responseLatencyMs' must be a finite number >= 0: current value is Infinity",
      ],
      [
        () => w.network.reset(42),
        "RangeError",
        "Cannot reset socket as 'id' must name a socket: current value is 42",
      ],
      [
        () => w.network.configure("a", null as unknown as object),
        "TypeError",
        "Cannot configure route as 'behaviour' must be an object: current value is null",
      ],
    ];
    for (const [call, name, message] of cases) assert.throws(call, { name, message });
    assert.deepEqual(w.network.behaviourOf("a"), { connectLatencyMs: 5 });
    assert.throws(
      () => new SimNetworkCtor({ clock: undefined as never }),
      { name: "TypeError", message: /'clock' must be a Clock/ },
    );
  });

  test("the same script gives the same ledger, byte for byte", async () => {
    const script = async () => {
      const w = world({ serverIdleTimeoutMs: 3_000, responseLatencyMs: 4 });
      w.network.configure("b", { connect: "refuse", connectLatencyMs: 2 });
      w.network.configure("c", { keepAliveHint: { timeoutMs: 1_000, max: 3 } });
      const sockets = await Promise.all(["a", "c"].map((route) => open(w, route)));
      w.network.connect("b").catch(() => {});
      for (const socket of sockets) for (let i = 0; i < 3; i++) socket.request().catch(() => {});
      w.clock.advance(5);
      w.network.reset(sockets[0]!.id);
      w.clock.advance(10_000);
      await flush();
      return w.network.ledger.serialize();
    };
    const first = await script();
    const second = await script();
    assert.ok(first.length > 500);
    assert.equal(first, second);
  });
});
