import assert from "node:assert/strict";
import http from "node:http";
import { describe, test } from "node:test";
import { startLoopbackServer } from "./_http_loopback.ts";
import { resetUndiciFastTimer, undici } from "./_http_undici.ts";

async function undiciGet(
  pool: { request(o: object): Promise<{ statusCode: number; body: { text(): Promise<string> } }> },
  origin: string,
) {
  const { statusCode, body } = await pool.request({ origin, path: "/", method: "GET" });
  await body.text();
  return statusCode;
}

function nodeGet(agent: http.Agent, origin: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    http.get(origin, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject);
  });
}

describe("loopback server (real sockets, real time, bounded)", () => {
  test("undici Pool reuses one keep-alive socket for sequential requests", async () => {
    resetUndiciFastTimer();
    const server = await startLoopbackServer({ lifetimeMs: 5_000 });
    const pool = new undici.Pool(server.origin, { connections: 1 });
    try {
      for (let i = 0; i < 3; i++) assert.equal(await undiciGet(pool as never, server.origin), 200);
      assert.equal(server.connections, 1);
      assert.equal(server.requests, 3);
    } finally {
      await pool.destroy();
      await server.close();
    }
  });

  test("undici Pool opens a new socket after the server's Connection: close", async () => {
    resetUndiciFastTimer();
    const server = await startLoopbackServer({ maxRequestsPerSocket: 2, lifetimeMs: 5_000 });
    const pool = new undici.Pool(server.origin, { connections: 1 });
    try {
      for (let i = 0; i < 3; i++) assert.equal(await undiciGet(pool as never, server.origin), 200);
      assert.equal(server.connections, 2);
    } finally {
      await pool.destroy();
      await server.close();
    }
  });

  test("a reset fails its request; the next request gets a new socket", async () => {
    resetUndiciFastTimer();
    const server = await startLoopbackServer({ resetEvery: 2, lifetimeMs: 5_000 });
    const pool = new undici.Pool(server.origin, { connections: 1 });
    try {
      assert.equal(await undiciGet(pool as never, server.origin), 200);
      await assert.rejects(undiciGet(pool as never, server.origin));
      assert.equal(await undiciGet(pool as never, server.origin), 200);
      assert.equal(server.connections, 2);
    } finally {
      await pool.destroy();
      await server.close();
    }
  });

  test("node:http Agent keeps one socket alive, and honours Connection: close", async () => {
    const server = await startLoopbackServer({ maxRequestsPerSocket: 2, lifetimeMs: 5_000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 4; i++) assert.equal(await nodeGet(agent, server.origin), 200);
      assert.equal(server.connections, 2);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  test("requests beyond the server's bound get 503; close is idempotent", async () => {
    const server = await startLoopbackServer({ maxRequests: 1, lifetimeMs: 5_000 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.equal(await nodeGet(agent, server.origin), 200);
      assert.equal(await nodeGet(agent, server.origin), 503);
    } finally {
      agent.destroy();
      await server.close();
      await server.close();
    }
    assert.equal(server.openSockets, 0);
  });

  test("bad knobs are refused with a RangeError", () => {
    assert.throws(() => startLoopbackServer({ delayMs: -1 }), {
      name: "RangeError",
      message: "Cannot start server as 'delayMs' must be a finite number >= 0: current value is -1",
    });
  });
});
