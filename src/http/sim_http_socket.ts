/**
 * An in-memory stand-in for `net.Socket` that carries HTTP/1.1 over a
 * simulated socket, so real HTTP clients (undici, node:http) pool simulated
 * connections and every connect, request and close lands in the ledger.
 *
 * The client side is a real `Duplex`: the HTTP client writes its request
 * bytes and parses the response bytes it reads, exactly as over TCP. The
 * server side is played here, with just enough HTTP/1.1:
 *
 * - each request head (`…\r\n\r\n`, plus a `Content-Length` body if any)
 *   becomes one `SimSocket.request()`; requests are answered in send order;
 * - a response's head is written when the simulated response arrives
 *   (`200`, `Transfer-Encoding: chunked`, `Connection: keep-alive`, the
 *   `Keep-Alive: timeout=N, max=M` hint in whole seconds, rounded down so the
 *   client never gets more time than the simulated server grants, and
 *   `X-Sim-Socket`/`X-Sim-Sequence` naming the simulated socket);
 * - its body stays open until {@linkcode SimHttpSocket.finishResponse}: an
 *   HTTP "lease" is a response in progress, and finishing it gives the
 *   connection back to the client's pool;
 * - the server half-closing the simulated socket is an end of stream (held
 *   back until the open response is finished, as a server finishes writing
 *   before it closes); a reset, or a request on a half-closed socket, fails
 *   the stream with `ECONNRESET`.
 *
 * `setTimeout(ms)` is net.Socket's inactivity timer, armed on the global
 * `setTimeout` (faked during a run), so a pool's idle-socket timeouts run on
 * virtual time in every runtime.
 *
 * @module
 */
import { Duplex } from "node:stream";
import {
  framelessError,
  type KeepAliveHint,
  type Route,
  type SimNetwork,
  type SimResponse,
  type SimSocket,
  type SocketId,
} from "../net/mod.ts";

/**
 * Header naming the simulated socket that served a response: an adapter
 * reads it from the response head to tell the harness which socket a lease
 * holds (`connectionOf`).
 *
 * @example The lease's socket id is the header's value
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIM_SOCKET_HEADER } from "./mod.ts";
 *
 * const headers: Record<string, string> = { [SIM_SOCKET_HEADER]: "3" };
 * assert.equal(Number(headers[SIM_SOCKET_HEADER]), 3);
 * ```
 */
export const SIM_SOCKET_HEADER = "x-sim-socket";

/**
 * Error of a stream whose simulated socket was reset or closed by the peer;
 * without stack frames, as the network's own errors (the stream's `destroy`
 * formats the stack of the error it is given).
 */
function resetError(message: string): Error {
  return Object.assign(framelessError(message), { code: "ECONNRESET" });
}

/** Request bytes are decoded with one decoder, never in streaming mode (each chunk on its own). */
const decoder = new TextDecoder();

/**
 * Why a client-side destroy closed the simulated socket, for the ledger.
 * `idle` when the socket's inactivity timer had fired and nothing happened
 * since (node:http's agent destroys timed-out free sockets).
 */
function closeReason(error: Error | null, timedOut: boolean): string {
  if (error === null || error === undefined) return timedOut ? "idle" : "client";
  const { message, code, name } = error as Error & { code?: string };
  if (message === "socket idle timeout") return "idle";
  if (code === "UND_ERR_CONNECT_TIMEOUT") return "connect-timeout";
  if (message === "aborted" || code === "UND_ERR_ABORTED") return "aborted";
  if (message === "reset") return "not-reusable";
  return code ?? name;
}

/**
 * What an HTTP adapter's `request(lease)` does: refuse. An HTTP lease is one
 * exchange whose response is still open, and HTTP/1.1 gives its caller no way
 * to send another request on that connection. Writing one straight to the
 * simulated socket (the harness's fallback without `request`) would put a
 * response in the ledger that the client never parsed, so the keep-alive hint
 * the rules read would not be the one the pool saw.
 *
 * @returns A promise rejected with an error that says so.
 *
 * @example The harness's extra request on an HTTP lease is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseSecondRequest } from "./mod.ts";
 *
 * await assert.rejects(refuseSecondRequest(), /one exchange/);
 * ```
 */
export function refuseSecondRequest(): Promise<never> {
  return Promise.reject(
    new Error("an HTTP lease is one exchange: no second request on its connection"),
  );
}

/**
 * Format a keep-alive hint as the `Keep-Alive` header value the simulated
 * server sends. The timeout is in whole seconds, rounded down, so a client
 * never gets more time than the simulated server grants.
 *
 * @param hint The hint the simulated network attached to a response.
 * @returns The header value, or `undefined` for an empty hint.
 *
 * @example A 3.5 s hint with max=10 is sent as whole seconds
 * ```ts
 * import assert from "node:assert/strict";
 * import { keepAliveHeader } from "./mod.ts";
 *
 * assert.equal(keepAliveHeader({ timeoutMs: 3_500, max: 10 }), "timeout=3, max=10");
 * assert.equal(keepAliveHeader({}), undefined);
 * ```
 */
export function keepAliveHeader(hint: KeepAliveHint): string | undefined {
  const parts: string[] = [];
  if (hint.timeoutMs !== undefined) parts.push(`timeout=${Math.floor(hint.timeoutMs / 1000)}`);
  if (hint.max !== undefined) parts.push(`max=${hint.max}`);
  return parts.length === 0 ? undefined : parts.join(", ");
}

/** One request on the wire and its response, until the response is finished. */
interface Exchange {
  response: SimResponse | undefined;
  headWritten: boolean;
}

/**
 * A client socket connected (or connecting) to `route` over the simulated
 * network, speaking HTTP/1.1 as described in the module comment. It is what
 * an HTTP client's connection factory returns instead of a `net.Socket`
 * (see {@linkcode attachAgent} for node:http agents).
 *
 * @example One exchange, driven by hand on a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { SimNetwork } from "../net/mod.ts";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SIM_SOCKET_HEADER, SimHttpSocket, settleStreams } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock });
 * const socket = new SimHttpSocket(network, "api");
 * let received = "";
 * socket.setEncoding("latin1");
 * socket.on("data", (chunk: string) => (received += chunk));
 * // Written before the connect completes: held back until it does.
 * socket.write("GET / HTTP/1.1\r\nhost: api.sim\r\n\r\n");
 * await settleStreams(clock);
 * assert.match(received, new RegExp(`${SIM_SOCKET_HEADER}: 1\r\n`));
 * assert.equal(socket.finishResponse(), true); // the terminating chunk: the exchange is over
 * socket.destroy();
 * assert.equal(network.ledger.closure(1)?.by, "client");
 * ```
 */
export class SimHttpSocket extends Duplex {
  /** Route it connects to. */
  readonly route: Route;
  /** Like net.Socket: true until the connect completes or fails. */
  connecting = true;
  /** Like net.Socket; `undefined` (plain HTTP/1.1, no ALPN). */
  readonly alpnProtocol: string | undefined = undefined;
  /** Inactivity timeout set with `setTimeout`, ms (0: none). */
  timeout = 0;
  /** Like net.Socket; a fixed loopback address (clients log it, none route by it). */
  readonly remoteAddress = "127.0.0.1";
  /** Like net.Socket; the HTTP port. */
  readonly remotePort = 80;
  /** Like net.Socket. */
  readonly remoteFamily = "IPv4";
  #sim: SimSocket | undefined;
  #abort = new AbortController();
  #inbound = "";
  #bodyLeft = 0;
  #waitingForConnect: (() => void)[] = [];
  /** Requests in send order whose response is not yet finished. */
  #exchanges: Exchange[] = [];
  #eofPending = false;
  #ended = false;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #unsubscribe: (() => void)[] = [];

  /**
   * Start connecting to `route`.
   *
   * @param network Network to connect through.
   * @param route Route to connect to.
   */
  constructor(network: SimNetwork, route: Route) {
    super({ allowHalfOpen: false });
    this.route = route;
    network.connect(route, { signal: this.#abort.signal }).then(
      (sim) => this.#onConnected(sim),
      (error: Error) => {
        this.connecting = false;
        if (!this.destroyed) this.destroy(error);
      },
    );
  }

  /** The simulated socket, once connected (its id is in every response head). */
  get simSocket(): SimSocket | undefined {
    return this.#sim;
  }

  /** Id of the simulated socket, once connected. */
  get simSocketId(): SocketId | undefined {
    return this.#sim?.id;
  }

  /**
   * Finish the oldest response whose head was written (the terminating
   * chunk): the client then considers the exchange complete.
   *
   * @returns `false` when no response is open or the stream is gone.
   */
  finishResponse(): boolean {
    const head = this.#exchanges[0];
    if (head === undefined || !head.headWritten || this.destroyed || this.#ended) return false;
    this.#exchanges.shift();
    this.#push("0\r\n\r\n");
    this.#writeReadyHeads();
    if (this.#eofPending && this.#exchanges.length === 0) this.#end();
    return true;
  }

  /**
   * net.Socket's inactivity timer: emits `timeout` after `ms` without reads
   * or writes; 0 disables it.
   *
   * As net.Socket does (`setStreamTimeout` in Node's `lib/internal/stream_base_commons.js`),
   * a callback is added as a one-time `timeout` listener when arming, and
   * removed when disarming with 0: node:http's client disarms with
   * `socket.setTimeout(0, req.timeoutCb)` when a request's socket goes back
   * to the agent, so adding it there would leak one listener per request.
   *
   * @param ms Inactivity in ms.
   * @param callback Added as a one-time `timeout` listener (removed when `ms` is 0).
   * @returns This socket.
   */
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback !== undefined) {
      if (ms === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    this.#armIdle();
    return this;
  }

  /**
   * Like net.Socket's; does nothing: there is no TCP keep-alive to set.
   *
   * @returns This socket.
   */
  setKeepAlive(): this {
    return this;
  }

  /**
   * Like net.Socket's; does nothing: there is no Nagle algorithm to disable.
   *
   * @returns This socket.
   */
  setNoDelay(): this {
    return this;
  }

  /**
   * Like net.Socket's; does nothing: the socket keeps no event loop alive.
   *
   * @returns This socket.
   */
  ref(): this {
    return this;
  }

  /**
   * Like net.Socket's; does nothing (see {@linkcode SimHttpSocket.ref}).
   *
   * @returns This socket.
   */
  unref(): this {
    return this;
  }

  /** Stream internals: the response bytes are pushed as the simulated server answers. */
  override _read(): void {}

  /**
   * Stream internals: take the client's request bytes; each complete request
   * becomes one request on the simulated socket (held back while connecting).
   */
  override _write(
    chunk: Uint8Array | string,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.connecting) {
      this.#waitingForConnect.push(() => this._write(chunk, _encoding, callback));
      return;
    }
    this.#activity();
    this.#inbound += typeof chunk === "string" ? chunk : decoder.decode(chunk);
    try {
      this.#parseRequests();
    } catch (error) {
      // The world is gone (its clock was uninstalled after the run): fail the stream, not the process.
      callback(error as Error);
      return;
    }
    callback();
  }

  /** Stream internals: the client ended its side, which closes the simulated socket. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#sim?.close("client");
    this.#end();
    callback();
  }

  /** Stream internals: close the simulated socket (or abort its connect), with the reason for the ledger. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearIdle();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const reason = closeReason(error, this.#timedOut);
    if (this.#sim === undefined) this.#abort.abort(framelessError(reason));
    else this.#sim.close(reason);
    callback(error);
  }

  #onConnected(sim: SimSocket): void {
    this.#sim = sim;
    if (this.destroyed) {
      sim.close("client");
      return;
    }
    this.connecting = false;
    this.#unsubscribe.push(
      sim.onHalfClose(() => {
        if (this.#exchanges.length === 0) this.#end();
        else this.#eofPending = true;
      }),
      sim.onClose((by, reason) => {
        if (by !== "client" && !this.destroyed) {
          this.destroy(resetError(`simulated socket ${sim.id} closed by ${by}: ${reason}`));
        }
      }),
    );
    this.#armIdle();
    this.emit("connect");
    this.emit("ready");
    for (const write of this.#waitingForConnect.splice(0)) write();
  }

  /** Take complete request heads (and bodies) off the inbound bytes. */
  #parseRequests(): void {
    while (true) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, this.#inbound.length);
        this.#inbound = this.#inbound.slice(take);
        this.#bodyLeft -= take;
        if (this.#bodyLeft > 0) return;
      }
      const end = this.#inbound.indexOf("\r\n\r\n");
      if (end === -1) return;
      const head = this.#inbound.slice(0, end);
      this.#inbound = this.#inbound.slice(end + 4);
      const length = /^content-length:\s*(\d+)\s*$/im.exec(head)?.[1];
      this.#bodyLeft = length === undefined ? 0 : Number(length);
      this.#serve();
    }
  }

  #serve(): void {
    const sim = this.#sim;
    if (sim === undefined) return;
    const exchange: Exchange = { response: undefined, headWritten: false };
    this.#exchanges.push(exchange);
    sim.request().then(
      (response) => {
        exchange.response = response;
        this.#writeReadyHeads();
      },
      (error: Error) => {
        if (!this.destroyed) this.destroy(resetError(error.message));
      },
    );
  }

  /**
   * Write the heads of answered exchanges, oldest first; a head waits while
   * an older response is still open (one response on the wire at a time).
   */
  #writeReadyHeads(): void {
    const first = this.#exchanges[0];
    if (first === undefined || first.headWritten || first.response === undefined) return;
    if (this.destroyed || this.#ended) return;
    first.headWritten = true;
    const { socketId, sequence, keepAlive } = first.response;
    const lastOne = this.#sim?.state !== "open";
    const lines = [
      "HTTP/1.1 200 OK",
      `${SIM_SOCKET_HEADER}: ${socketId}`,
      `x-sim-sequence: ${sequence}`,
      `connection: ${lastOne ? "close" : "keep-alive"}`,
    ];
    const hint = keepAlive === undefined ? undefined : keepAliveHeader(keepAlive);
    if (hint !== undefined && !lastOne) lines.push(`keep-alive: ${hint}`);
    lines.push("transfer-encoding: chunked", "", "");
    this.#push(lines.join("\r\n"));
  }

  #push(text: string): void {
    this.#activity();
    this.push(text);
  }

  #end(): void {
    if (this.#ended || this.destroyed) return;
    this.#ended = true;
    this.push(null);
  }

  #activity(): void {
    this.#timedOut = false;
    this.#armIdle();
  }

  #armIdle(): void {
    this.#clearIdle();
    if (this.timeout > 0 && !this.destroyed) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        this.#timedOut = true;
        this.emit("timeout");
      }, this.timeout);
    }
  }

  #clearIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
