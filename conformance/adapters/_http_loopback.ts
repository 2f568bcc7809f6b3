/**
 * Real-socket mode for the HTTP adapters: a node:http server on 127.0.0.1
 * (port 0) with the simulated network's fault knobs, for checking a pool over
 * real sockets in real time. It is bounded in count (connections and
 * requests) and in time (it closes itself after `lifetimeMs`, on the real
 * clock even while global time is faked), and a test starts and stops it.
 *
 * @module
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { realTimers } from "../../src/clock/mod.ts";

/** Fault knobs and bounds of a {@linkcode LoopbackServer}. */
export interface LoopbackServerOptions {
  /** The server closes a keep-alive socket idle this long, ms. @default {5_000} */
  readonly keepAliveTimeoutMs?: number;
  /** Send `Keep-Alive: timeout=N` (seconds) with every response. @default {true} */
  readonly sendHint?: boolean;
  /** Close the connection after this many responses on it (`max=`). @default {undefined} */
  readonly maxRequestsPerSocket?: number;
  /** Reset (destroy) the socket instead of answering every Nth request overall. @default {undefined} */
  readonly resetEvery?: number;
  /** Delay before each response, ms (real time). @default {0} */
  readonly delayMs?: number;
  /** Connections accepted in total; later ones are destroyed at once. @default {64} */
  readonly maxConnections?: number;
  /** Requests answered in total; later ones get 503 and the connection closes. @default {1_000} */
  readonly maxRequests?: number;
  /** The server closes itself (and every socket) after this long, real ms. @default {10_000} */
  readonly lifetimeMs?: number;
}

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests received so far. */
  readonly requests: number;
  /** Sockets currently open on the server side. */
  readonly openSockets: number;
  /** Stop: close every socket and the listener. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a loopback server with fault knobs.
 *
 * @param options Knobs and bounds.
 * @returns The running server.
 * @throws {RangeError} If a knob is negative or not finite.
 *
 * @example A request over a real socket
 * ```ts
 * import assert from "node:assert/strict";
 * import http from "node:http";
 * import { startLoopbackServer } from "./_http_loopback.ts";
 *
 * const server = await startLoopbackServer({ lifetimeMs: 2_000 });
 * try {
 *   const status = await new Promise<number | undefined>((resolve, reject) => {
 *     http.get(server.origin, (res) => {
 *       res.resume();
 *       res.on("end", () => resolve(res.statusCode));
 *     }).on("error", reject);
 *   });
 *   assert.equal(status, 200);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function startLoopbackServer(options: LoopbackServerOptions = {}): Promise<LoopbackServer> {
  const {
    keepAliveTimeoutMs = 5_000,
    sendHint = true,
    maxRequestsPerSocket,
    resetEvery,
    delayMs = 0,
    maxConnections = 64,
    maxRequests = 1_000,
    lifetimeMs = 10_000,
  } = options;
  for (const [name, value] of Object.entries({ keepAliveTimeoutMs, delayMs, lifetimeMs })) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `Cannot start server as '${name}' must be a finite number >= 0: current value is ${value}`,
      );
    }
  }
  const sockets = new Set<Socket>();
  const served = new WeakMap<Socket, number>();
  let connections = 0;
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests++;
    const socket = request.socket;
    if (requests > maxRequests) {
      response.writeHead(503, { connection: "close" }).end();
      return;
    }
    if (resetEvery !== undefined && requests % resetEvery === 0) {
      socket.destroy();
      return;
    }
    const count = (served.get(socket) ?? 0) + 1;
    served.set(socket, count);
    const last = maxRequestsPerSocket !== undefined && count >= maxRequestsPerSocket;
    const headers: Record<string, string> = { "content-length": "2" };
    if (last) headers.connection = "close";
    else if (sendHint) {
      const max = maxRequestsPerSocket === undefined ? "" : `, max=${maxRequestsPerSocket}`;
      headers["keep-alive"] = `timeout=${Math.floor(keepAliveTimeoutMs / 1000)}${max}`;
    }
    const answer = () => response.writeHead(200, headers).end("ok");
    if (delayMs > 0) realTimers.setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on("connection", (socket: Socket) => {
    connections++;
    if (connections > maxConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  let closed: Promise<void> | undefined;
  let lifetime: ReturnType<typeof realTimers.setTimeout> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      if (lifetime !== undefined) realTimers.clearTimeout(lifetime);
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
    return closed;
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      lifetime = realTimers.setTimeout(() => void close(), lifetimeMs);
      resolve({
        origin: `http://127.0.0.1:${port}`,
        get connections() {
          return connections;
        },
        get requests() {
          return requests;
        },
        get openSockets() {
          return sockets.size;
        },
        close,
      });
    });
  });
}
