import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { track, type World, world } from "./_test_util.ts";
import { apacheHttpClient5Preset, jdkKeepAliveCachePreset, originRouteKey } from "./presets.ts";

/** Use `/order/1`, release it, then lease `/order/2`: the socket ids of both. */
async function orderSockets(w: World): Promise<[number, number]> {
  const first = track(w.pool.acquire("http://shop:8080/order/1"));
  await w.settle();
  first.value().release();
  const second = track(w.pool.acquire("http://shop:8080/order/2"));
  await w.settle();
  second.value().release();
  await w.pool.close();
  return [first.value().socket.id, second.value().socket.id];
}

describe("presets", () => {
  test("Apache preset: /order/1 and /order/2 share a connection (route = origin)", async () => {
    const [one, two] = await orderSockets(world({ ...apacheHttpClient5Preset }));
    assert.equal(one, two);
  });

  test("JDK preset: /order/1 and /order/2 do not share connections (key = URL)", async () => {
    const [one, two] = await orderSockets(world({ ...jdkKeepAliveCachePreset }));
    assert.notEqual(one, two);
  });

  test("JDK preset: keep-alive 5 s by default; reused at 5000 ms, not at 5001 ms", async () => {
    for (const [idleMs, reused] of [[5_000, true], [5_001, false]] as const) {
      const w = world({ ...jdkKeepAliveCachePreset });
      const first = track(w.pool.acquire("http://shop/x"));
      await w.settle();
      first.value().release();
      await w.advance(idleMs);
      const second = track(w.pool.acquire("http://shop/x"));
      await w.settle();
      assert.equal(second.value().socket.id === first.value().socket.id, reused);
      second.value().release();
      await w.pool.close();
    }
  });

  test("JDK preset: a connection that served keep-alive max=M is not kept", async () => {
    const w = world({ ...jdkKeepAliveCachePreset, network: { keepAliveHint: { max: 1 } } });
    const lease = track(w.pool.acquire("http://shop/x"));
    await w.settle();
    await Promise.all([lease.value().socket.request(), w.settle()]);
    lease.value().release();
    assert.equal(w.pool.stats().total.available, 0);
    await w.pool.close();
  });

  test("originRouteKey fills in default ports and keeps non-URLs", () => {
    assert.equal(originRouteKey("https://shop/a?b=c"), "https://shop:443");
    assert.equal(originRouteKey("http://shop:8080/a"), "http://shop:8080");
    assert.equal(originRouteKey("kafka://broker-1:9092"), "kafka://broker-1:9092");
    assert.equal(originRouteKey("broker-1"), "broker-1");
  });
});
