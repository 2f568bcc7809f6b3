/**
 * What the undici Pool and Agent adapters share: the module (with its fast
 * timer reset), the connector onto the simulated network, and the mapping of
 * a lease onto one HTTP request.
 *
 * A lease is one GET in progress: `acquire` dispatches it and resolves when
 * the response head arrives (the simulated socket is named in the head);
 * the body stays open, so the connection is busy for as long as the lease is
 * held. `release(reusable)` finishes the response on the wire and drains the
 * body: the client's parser completes the message and the connection goes
 * back to the pool. `release(broken)` destroys the body, which aborts the
 * request, and undici destroys an HTTP/1.1 socket whose request was aborted.
 * A second request on a held lease (`request(lease)`) is refused: an HTTP
 * caller cannot send one on a connection whose response it is still reading.
 *
 * @module
 */
// The bare name gives Bun's built-in undici stub; index.js is the npm package in every runtime.
import undici from "undici/index.js";
// undici's own modules, plain CommonJS without declarations: the fast timer and core/util.js.
import fastTimersModule from "undici/lib/util/timers.js";
import undiciUtilModule from "undici/lib/core/util.js";
import { SIM_SOCKET_HEADER, SimHttpSocket } from "../../src/http/mod.ts";
import { framelessError, type SimNetwork } from "../../src/net/mod.ts";
import type { Route, SocketId } from "../../src/net/types.ts";

export { undici };

/** The module-level fast timer of undici (util/timers.js). */
const fastTimers = fastTimersModule as unknown as { reset(): void; now(): number };

/** undici's connect-timeout helper, the one its `buildConnector` uses. */
const undiciUtil = undiciUtilModule as unknown as {
  setupConnectTimeout(
    socket: WeakRef<SimHttpSocket>,
    options: { timeout: number; hostname: string; port: number },
  ): () => void;
};

/**
 * Forget undici's module-level fast timer (its clock and pending timers), so
 * the next fast timer is armed on whatever `setTimeout` is global now: the
 * fake one during a run. Without it a timer armed on real time earlier keeps
 * ticking in real time and never sees virtual time.
 */
export function resetUndiciFastTimer(): void {
  fastTimers.reset();
}

/** Origin a route is served at (`r0` → `http://r0.sim`). */
export function originOf(route: Route): string {
  return `http://${route.toLowerCase().replace(/[^a-z0-9-]/g, "-")}.sim`;
}

/** One HTTP request in progress: what an undici adapter hands out. */
export interface UndiciLease {
  readonly route: Route;
  readonly socketId: SocketId;
  readonly socket: SimHttpSocket;
  readonly body: { resume(): unknown; destroy(error?: Error): unknown; on(...a: never[]): unknown };
  released: boolean;
}

/** Options shared by undici's Client (through Pool and Agent). */
export interface UndiciClientOptions {
  keepAliveTimeout?: number;
  keepAliveTimeoutThreshold: number;
  keepAliveMaxTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
  connect: (
    options: { hostname: string; port: string; protocol: string },
    callback: (error: Error | null, socket: SimHttpSocket | null) => void,
  ) => void;
}

/**
 * Build the client options: header and body timeouts off (a lease may be held
 * for any virtual time; those timers guard a server that stalls mid-response,
 * which the harness never models), the keep-alive hint honoured to the
 * millisecond (threshold 0), and a connector onto the simulated network.
 *
 * The connector follows undici's own `buildConnector` (core/connect.js) for
 * plain HTTP: the socket is returned connecting, undici's
 * `setupConnectTimeout` (core/util.js, a fast timer plus a `setImmediate`)
 * guards the connect, and the callback runs on `connect` or `error`.
 */
export function clientOptions(
  network: SimNetwork,
  routeOf: (hostname: string) => Route,
  config: { defaultKeepAliveMs: number | undefined; connectTimeoutMs: number | undefined },
  track: (socket: SimHttpSocket) => void,
): UndiciClientOptions {
  const { defaultKeepAliveMs, connectTimeoutMs } = config;
  const setupConnectTimeout = undiciUtil.setupConnectTimeout;
  const options: UndiciClientOptions = {
    keepAliveTimeoutThreshold: 0,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect(connectOptions, callback) {
      const { hostname, port } = connectOptions;
      const socket = new SimHttpSocket(network, routeOf(hostname));
      track(socket);
      const clear = setupConnectTimeout(new WeakRef(socket), {
        timeout: connectTimeoutMs ?? 0,
        hostname,
        port: Number(port) || 80,
      });
      let pending: typeof callback | undefined = callback;
      socket
        .once("connect", () => {
          queueMicrotask(clear);
          const done = pending;
          pending = undefined;
          done?.(null, socket);
        })
        .on("error", (error: Error) => {
          queueMicrotask(clear);
          const done = pending;
          pending = undefined;
          done?.(error, null);
        });
    },
  };
  // Without a drawn default keep-alive, undici's own (4 s, lib/dispatcher/client.js
  // kKeepAliveDefaultTimeout) would still close idle sockets: the longest it accepts
  // stands for "none".
  options.keepAliveTimeout = defaultKeepAliveMs === undefined
    ? options.keepAliveMaxTimeout
    : Math.max(1, defaultKeepAliveMs);
  return options;
}

/** What `request` needs from a Pool or an Agent. */
export interface Dispatching {
  request(options: { origin: string; path: string; method: "GET" }): Promise<{
    headers: Record<string, string | string[] | undefined>;
    body: UndiciLease["body"];
  }>;
}

/**
 * Start one request and resolve with the lease once its response head is in.
 *
 * @param dispatcher Pool or Agent.
 * @param route Route (origin) to request.
 * @param socketOf Finds the stream of a simulated socket by id.
 */
export async function acquireRequest(
  dispatcher: Dispatching,
  route: Route,
  socketOf: (id: SocketId) => SimHttpSocket | undefined,
): Promise<UndiciLease> {
  const { headers, body } = await dispatcher.request({
    origin: originOf(route),
    path: "/",
    method: "GET",
  });
  const socketId = Number(headers[SIM_SOCKET_HEADER]);
  const socket = socketOf(socketId);
  if (socket === undefined) throw new Error(`response names unknown socket ${socketId}`);
  // A body error after the lease (the server closed mid-response) is the pool's to handle.
  (body as unknown as { on(event: string, listener: () => void): void }).on("error", () => {});
  return { route, socketId, socket, body, released: false };
}

/**
 * Give a request back: finish the response (reusable) or abort it (broken).
 *
 * @param lease The lease.
 * @param reusable Whether the connection may be reused.
 */
export function releaseRequest(lease: UndiciLease, reusable: boolean): void {
  if (lease.released) throw new Error(`lease on socket ${lease.socketId} already released`);
  lease.released = true;
  if (reusable) {
    lease.socket.finishResponse();
    lease.body.resume();
  } else {
    lease.body.destroy(framelessError("released as broken"));
  }
}
