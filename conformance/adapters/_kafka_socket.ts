/**
 * A stand-in for `net.Socket` that carries the Kafka protocol over a
 * simulated socket: what the simulated cluster's `socketFactory` gives
 * kafkajs instead of a TCP connection.
 *
 * The client side is a real `Duplex`: kafkajs writes request frames and
 * parses response frames, as over TCP. Each complete request frame that
 * expects an answer becomes one `SimSocket.request()`, so the ledger sees
 * every request kafkajs puts on the wire; its response bytes are built by
 * the broker when the simulated response arrives (held until the harness
 * releases it, in a multiplexed run), in send order as a Kafka broker
 * answers on one connection.
 *
 * The server closing an idle simulated socket is an end of stream (kafkajs
 * hears `end`); a reset, or a server close with requests in flight, fails
 * the stream with `ECONNRESET` (kafkajs hears `error`). Destroying the stream
 * from the client side closes the simulated socket, or aborts its connect.
 * Ending it closes the simulated socket; as with `net.Socket`, an end while
 * the socket connects waits for the connect (Node's lib/net.js
 * `Socket.prototype._final`), so only a destroy abandons a connect in
 * progress. The broker answers the client's end with its own, a response
 * latency later: a Kafka broker closes a channel whose read meets the end of
 * the stream (`NetworkReceive.readFrom` throws `EOFException`, and the
 * `Selector` closes the channel), so kafkajs hears `end` on a socket it
 * ended itself, as over TCP.
 *
 * @module
 */
import { Duplex } from "node:stream";
import type { Route, SimNetwork, SimResponse, SimSocket, SocketId } from "../../src/net/mod.ts";
import { type RequestFrame, takeFrames } from "./_kafka_protocol.ts";

/** What the socket asks of the broker behind it. */
export interface KafkaServer {
  /** Whether the broker answers this request (a Produce with acks 0 gets no answer). */
  expectsAnswer(route: Route, frame: RequestFrame): boolean;
  /** The response bytes for a request, once the simulated response arrived. */
  answer(route: Route, frame: RequestFrame, response: SimResponse): Uint8Array;
}

function resetError(message: string): Error {
  return Object.assign(new Error(message), { code: "ECONNRESET" });
}

/** A client socket to one broker's route over the simulated network. */
export class KafkaSimSocket extends Duplex {
  /** Route (broker) it connects to. */
  readonly route: Route;
  /** Like net.Socket: true until the connect completes or fails. */
  connecting = true;
  #server: KafkaServer;
  #network: SimNetwork;
  #sim: SimSocket | undefined;
  #ended = false;
  #abort = new AbortController();
  #inbound: Uint8Array = new Uint8Array(0);
  #waitingForConnect: (() => void)[] = [];
  #unsubscribe: (() => void)[] = [];

  /**
   * Start connecting to `route`.
   *
   * @param network Network to connect through.
   * @param route The broker's route.
   * @param server The broker side that answers requests.
   */
  constructor(network: SimNetwork, route: Route, server: KafkaServer) {
    super({ allowHalfOpen: false });
    this.route = route;
    this.#server = server;
    this.#network = network;
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
   * Like net.Socket's; does nothing: there is no TCP keep-alive to set.
   *
   * @returns This socket.
   */
  setKeepAlive(): this {
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
   * Like net.Socket's; does nothing (kafkajs calls it after `end()`).
   *
   * @returns This socket.
   */
  unref(): this {
    return this;
  }

  /** Stream internals: response bytes are pushed as the broker answers. */
  override _read(): void {}

  /** Stream internals: each complete request frame goes on the simulated socket. */
  override _write(
    chunk: Uint8Array | string,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.connecting) {
      this.#waitingForConnect.push(() => this._write(chunk, encoding, callback));
      return;
    }
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    const joined = new Uint8Array(this.#inbound.length + bytes.length);
    joined.set(this.#inbound);
    joined.set(bytes, this.#inbound.length);
    const { frames, rest } = takeFrames(joined);
    this.#inbound = rest.slice();
    try {
      for (const frame of frames) this.#serve(frame);
    } catch (error) {
      // The world is gone (its clock was uninstalled after the run): fail the stream, not the process.
      callback(error as Error);
      return;
    }
    callback();
  }

  /**
   * Stream internals: the client ended its side, which closes the simulated
   * socket. As with net.Socket, an `end()` while connecting waits for the
   * connect: the socket connects, says so, and then closes; a write after
   * the end fails with `write after end`, which the client hears as an error.
   * The broker's own end reaches the client a response latency later.
   */
  override _final(callback: (error?: Error | null) => void): void {
    if (this.connecting) {
      this.#waitingForConnect.push(() => this._final(callback));
      return;
    }
    this.#close("client");
    callback();
    const latencyMs = this.#network.behaviourOf(this.route).responseLatencyMs ?? 0;
    this.#network.clock.setTimer(latencyMs, () => this.#endOfStream());
  }

  /** The other side ended the stream: kafkajs hears `end`, once. */
  #endOfStream(): void {
    if (this.#ended || this.destroyed) return;
    this.#ended = true;
    this.push(null);
  }

  /** Stream internals: close the simulated socket, or abort its connect. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close((error as { code?: string } | null)?.code ?? "client");
    callback(error);
  }

  #close(reason: string): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    if (this.#sim === undefined) this.#abort.abort(new Error(reason));
    else this.#sim.close(reason);
  }

  #onConnected(sim: SimSocket): void {
    this.#sim = sim;
    if (this.destroyed) {
      sim.close("client");
      return;
    }
    this.connecting = false;
    this.#unsubscribe.push(
      sim.onHalfClose(() => this.#endOfStream()),
      sim.onClose((by, reason) => {
        if (by !== "client" && !this.destroyed) {
          this.destroy(resetError(`simulated socket ${sim.id} closed by ${by}: ${reason}`));
        }
      }),
    );
    this.emit("connect");
    this.emit("ready");
    for (const write of this.#waitingForConnect.splice(0)) write();
  }

  #serve(frame: RequestFrame): void {
    const sim = this.#sim;
    if (sim === undefined || !this.#server.expectsAnswer(this.route, frame)) return;
    sim.request().then(
      (response) => {
        if (this.destroyed) return;
        try {
          this.push(this.#server.answer(this.route, frame, response));
        } catch (error) {
          // A request the broker cannot answer ends the connection, as a broker does.
          this.destroy(resetError((error as Error).message));
        }
      },
      (error: Error) => {
        if (!this.destroyed) this.destroy(resetError(error.message));
      },
    );
  }
}
