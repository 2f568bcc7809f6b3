/**
 * A minimal MongoDB server on the simulated network, played inside the
 * client's socket: {@linkcode SimMongoSocket} is a `Duplex` that stands in
 * for the `net.Socket` the Node.js driver opens (lib/cmap/connect.js
 * `makeSocket`), connects over a {@linkcode SimNetwork} route, and answers
 * what the driver writes on it.
 *
 * What the server answers (framing and documents in `_mongo_wire.ts`):
 * - `hello`, `isMaster` and `ismaster`, over OP_QUERY (the driver's first
 *   message, sent before it knows the wire version) or OP_MSG: a standalone
 *   server of wire versions 0 to 25 (the driver requires at least 9,
 *   lib/cmap/wire_protocol/constants.js), whose `connectionId` is the
 *   simulated socket's id. The handshake is part of establishing the
 *   connection: it is answered at once and is not a request in the ledger,
 *   so the connection is ready when the simulated connect completes;
 * - `ping`: one request on the simulated socket, answered `{ ok: 1 }` when
 *   the simulated server responds (after the route's response latency, or
 *   when the harness answers it), so a ping is a request in the ledger;
 * - any other command: `CommandNotFound` (code 59), at once.
 *
 * The socket behaves as a `net.Socket` does for the driver: `connect` once
 * the simulated connect completes, `error` when it is refused or aborted, an
 * inactivity `timeout` armed with `setTimeout(ms)` on the global timers
 * (faked during a run: the driver's `connectTimeoutMS` runs on virtual
 * time), an end of stream when the server half-closes (the driver's default
 * `allowHalfOpen: false` then closes the socket), and an `ECONNRESET` error
 * when the network resets it or a request fails on it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import type { Document } from "bson";
import {
  framelessError,
  type Route,
  type SimNetwork,
  type SimResponse,
  type SimSocket,
  type SocketId,
} from "../../src/net/mod.ts";
import { encodeReply, takeMessages, type WireMessage } from "./_mongo_wire.ts";

/** The highest wire version the simulated server reports (MongoDB 8.0). */
export const SERVER_MAX_WIRE_VERSION = 25;

/** The port the simulated server listens on, as `mongod` does. */
export const SERVER_PORT = 27017;

/**
 * What the simulated server answers a handshake with: a writable standalone
 * (`ismaster` for the legacy command, `isWritablePrimary` for `hello`).
 *
 * @param command The handshake's command document.
 * @param socketId The simulated socket, reported as the server's `connectionId`.
 * @returns The reply document.
 */
export function helloReply(command: Document, socketId: SocketId): Document {
  const legacy = "isMaster" in command || "ismaster" in command;
  return {
    helloOk: true,
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    logicalSessionTimeoutMinutes: 30,
    connectionId: socketId,
    minWireVersion: 0,
    maxWireVersion: SERVER_MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

function commandName(command: Document): string {
  return Object.keys(command)[0] ?? "";
}

function isHandshake(name: string): boolean {
  return name === "hello" || name === "isMaster" || name === "ismaster";
}

function resetError(message: string): Error {
  return Object.assign(framelessError(message), { code: "ECONNRESET" });
}

/** A reply in send order: ready at once, or waiting for the simulated response. */
interface PendingReply {
  bytes: Buffer | undefined;
}

/**
 * A client socket to the simulated MongoDB server on `route` (see the module
 * comment). Reads `route` as its host name and {@linkcode SERVER_PORT} as
 * its port, which the driver uses to name the connection's address.
 */
export class SimMongoSocket extends Duplex {
  /** Like net.Socket: true until the connect completes or fails. */
  connecting = true;
  /** Like net.Socket: the host connected to (the route). */
  readonly remoteAddress: string;
  /** Like net.Socket: the port connected to. */
  readonly remotePort = SERVER_PORT;
  /** Like net.Socket. */
  readonly remoteFamily = "IPv4";
  /** Inactivity timeout set with `setTimeout`, ms (0: none). */
  timeout = 0;
  /** The simulated response to the latest `ping` answered on this socket. */
  lastPing: SimResponse | undefined;
  #sim: SimSocket | undefined;
  #abort = new AbortController();
  #inbound: Buffer = Buffer.alloc(0);
  #replies: PendingReply[] = [];
  #nextReplyId = 1;
  #heldWrites: (() => void)[] = [];
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #peerEnded = false;
  #unsubscribe: (() => void)[] = [];

  /**
   * Start connecting to `route`.
   *
   * @param network Network to connect through.
   * @param route Route to connect to.
   */
  constructor(network: SimNetwork, route: Route) {
    super({ allowHalfOpen: false });
    this.remoteAddress = route;
    network.connect(route, { signal: this.#abort.signal }).then(
      (sim) => this.#onConnected(sim),
      (error: Error) => {
        this.connecting = false;
        if (!this.destroyed) this.destroy(error);
      },
    );
  }

  /** Id of the simulated socket, once connected. */
  get simSocketId(): SocketId | undefined {
    return this.#sim?.id;
  }

  /**
   * net.Socket's inactivity timer: emits `timeout` after `ms` without reads
   * or writes; 0 disables it.
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
   * Like net.Socket's; nothing to do on a simulated socket.
   *
   * @returns This socket.
   */
  setKeepAlive(): this {
    return this;
  }

  /**
   * Like net.Socket's; nothing to do on a simulated socket.
   *
   * @returns This socket.
   */
  setNoDelay(): this {
    return this;
  }

  /**
   * Like net.Socket's; the socket keeps no event loop alive.
   *
   * @returns This socket.
   */
  ref(): this {
    return this;
  }

  /**
   * Like net.Socket's; the socket keeps no event loop alive.
   *
   * @returns This socket.
   */
  unref(): this {
    return this;
  }

  /** Stream internals: replies are pushed as the server answers. */
  override _read(): void {}

  /** Stream internals: the driver's messages; each complete one is answered in order. */
  override _write(
    chunk: Uint8Array | string,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.connecting) {
      this.#heldWrites.push(() => this._write(chunk, encoding, callback));
      return;
    }
    this.#activity();
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk);
    try {
      const { messages, rest } = takeMessages(Buffer.concat([this.#inbound, bytes]));
      this.#inbound = rest;
      for (const message of messages) this.#answer(message);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }

  /**
   * Stream internals: the client ended its side, which closes the simulated
   * socket; after the server's end of stream that is the socket's own answer
   * to it (`allowHalfOpen: false`), recorded as `peer-closed`.
   */
  override _final(callback: (error?: Error | null) => void): void {
    this.#sim?.close(this.#peerEnded ? "peer-closed" : "client");
    callback();
  }

  /** Stream internals: close the simulated socket (or abort its connect). */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearIdle();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const reason = this.#timedOut
      ? (this.#sim === undefined ? "connect-timeout" : "timeout")
      : error === null
      ? "destroyed"
      : ((error as { code?: string }).code ?? error.name);
    if (this.#sim === undefined) this.#abort.abort(framelessError(reason));
    else this.#sim.close(reason);
    callback(error);
  }

  #onConnected(sim: SimSocket): void {
    this.#sim = sim;
    if (this.destroyed) {
      sim.close("destroyed");
      return;
    }
    this.connecting = false;
    this.#unsubscribe.push(
      sim.onHalfClose(() => {
        this.#peerEnded = true;
        if (!this.destroyed) this.push(null);
      }),
      sim.onClose((by, reason) => {
        if (by !== "client" && !this.destroyed) {
          this.destroy(resetError(`simulated socket ${sim.id} closed by ${by}: ${reason}`));
        }
      }),
    );
    this.#activity();
    this.emit("connect");
    this.emit("ready");
    for (const write of this.#heldWrites.splice(0)) write();
  }

  #answer(message: WireMessage): void {
    const sim = this.#sim!;
    const name = commandName(message.command);
    const reply: PendingReply = { bytes: undefined };
    this.#replies.push(reply);
    const answer = (document: Document) => {
      reply.bytes = encodeReply(message, this.#nextReplyId++, document);
      this.#flush();
    };
    if (isHandshake(name)) return answer(helloReply(message.command, sim.id));
    if (name !== "ping") {
      return answer({
        ok: 0,
        errmsg: `no such command: '${name}'`,
        code: 59,
        codeName: "CommandNotFound",
      });
    }
    sim.request().then(
      (response) => {
        this.lastPing = response;
        answer({ ok: 1 });
      },
      (error: Error) => {
        if (!this.destroyed) this.destroy(resetError(error.message));
      },
    );
  }

  /** Push the replies that are ready, oldest first; one waiting for the server holds the rest. */
  #flush(): void {
    while (this.#replies[0]?.bytes !== undefined) {
      const { bytes } = this.#replies.shift()!;
      if (this.destroyed || this.readableEnded) continue;
      this.#activity();
      this.push(bytes);
    }
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
