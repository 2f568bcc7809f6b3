import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PoolCore } from "./core.ts";
import type { Command } from "./core_state.ts";
import { type PoolBehaviourOptions, resolvePoolConfig } from "./options.ts";

/** The commands other than events, as compact tuples. */
function actions(commands: readonly Command[]): unknown[] {
  return commands.filter((c) => c.type !== "emit").map((c) => {
    const { type, ...rest } = c;
    return [type, rest];
  });
}

function core(options: PoolBehaviourOptions = {}, probe = (_id: number) => false): PoolCore {
  return new PoolCore(resolvePoolConfig(options), probe);
}

const NO_HINT = { reusable: true, keepAlive: undefined, requestsServed: 1 } as const;

describe("PoolCore (clock-free)", () => {
  test("an acquire on an empty pool asks for a connect; the connection is granted when ready", () => {
    const pool = core({ connectTimeoutMs: 500 });
    assert.deepEqual(actions(pool.acquire(0, 1, "a", 100)), [
      ["armTimer", { timer: { kind: "acquire", waiterId: 1, timeoutMs: 100 }, delayMs: 100 }],
      ["connect", { connectionId: 1, route: "a" }],
      ["armTimer", { timer: { kind: "connect", connectionId: 1 }, delayMs: 500 }],
    ]);
    assert.deepEqual(actions(pool.connected(7, 1, 41)), [
      ["cancelTimer", { timer: { kind: "connect", connectionId: 1 } }],
      ["cancelTimer", { timer: { kind: "acquire", waiterId: 1, timeoutMs: 100 } }],
      ["grant", { waiterId: 1, connectionId: 1, leaseId: 1 }],
    ]);
  });

  test("the same events give the same commands", () => {
    const run = () => {
      const pool = core({
        connectFailure: "retry",
        reconnectBackoffMs: 10,
        reconnectBackoffMaxMs: 80,
      });
      return [
        pool.acquire(0, 1, "a"),
        pool.connectFailed(1, 1, "refused"),
        pool.timerFired(9, { kind: "backoff", route: "a" }),
        pool.connectFailed(9, 2, "refused"),
      ];
    };
    assert.deepEqual(run(), run());
  });

  test("with honourKeepAliveMax, a release at max=M requests closes the connection", () => {
    const pool = core({ honourKeepAliveMax: true });
    pool.acquire(0, 1, "a");
    pool.connected(0, 1, 1);
    const commands = pool.release(0, 1, {
      reusable: true,
      keepAlive: { max: 3 },
      requestsServed: 3,
    });
    assert.deepEqual(actions(commands), [["close", { connectionId: 1, reason: "maxRequests" }]]);
  });

  test("without it, the same release keeps the connection (Apache ignores max=M)", () => {
    const pool = core({ honourKeepAliveMax: false });
    pool.acquire(0, 1, "a");
    pool.connected(0, 1, 1);
    pool.release(0, 1, { reusable: true, keepAlive: { max: 3 }, requestsServed: 3 });
    assert.equal(pool.stats().total.available, 1);
  });

  test("maxUses 2: the release of the second lease closes the connection", () => {
    const pool = core({ maxUses: 2 });
    pool.acquire(0, 1, "a");
    pool.connected(0, 1, 1);
    assert.deepEqual(actions(pool.release(0, 1, NO_HINT)), []);
    assert.deepEqual(actions(pool.acquire(1, 2, "a")), [
      ["grant", { waiterId: 2, connectionId: 1, leaseId: 2 }],
    ]);
    assert.deepEqual(actions(pool.release(1, 2, NO_HINT)), [
      ["close", { connectionId: 1, reason: "maxUses" }],
    ]);
    assert.equal(pool.stats().total.available, 0);
  });

  test("a connection idle past validateAfterInactivity is probed; a stale one is closed and skipped", () => {
    const probed: number[] = [];
    const pool = core({ validateAfterInactivityMs: 100 }, (id) => (probed.push(id), true));
    pool.acquire(0, 1, "a");
    pool.connected(0, 1, 1);
    pool.release(0, 1, NO_HINT);
    pool.acquire(100, 2, "a");
    assert.deepEqual(probed, []);
    pool.release(100, 2, NO_HINT);
    assert.deepEqual(actions(pool.acquire(201, 3, "a")), [
      ["close", { connectionId: 1, reason: "peerClosed" }],
      ["connect", { connectionId: 2, route: "a" }],
    ]);
    assert.deepEqual(probed, [1]);
  });

  test("a waiter's route is blocked by backoff until its timer fires", () => {
    const pool = core({ reconnectBackoffMs: 50 });
    pool.acquire(0, 1, "a");
    pool.connectFailed(0, 1, "refused");
    assert.deepEqual(actions(pool.acquire(10, 2, "a")), []);
    assert.equal(pool.stats().total.pending, 1);
    assert.deepEqual(actions(pool.timerFired(50, { kind: "backoff", route: "a" })), [
      ["connect", { connectionId: 2, route: "a" }],
    ]);
  });

  test("close() with nothing open is drained at once", () => {
    const pool = core();
    const commands = pool.close(0);
    assert.equal(commands.at(-1)?.type, "drained");
    // Closed: a second close() does nothing, and an acquire is refused at once.
    assert.deepEqual(pool.close(1), []);
    assert.deepEqual(actions(pool.acquire(2, 1, "a")), [
      ["reject", { waiterId: 1, failure: { kind: "poolClosed" } }],
    ]);
  });
});
