// A tiny in-memory Kafka cluster for kafkajs's `socketFactory` option: no network, no sleeping.
// It speaks ApiVersions (v0-v2), Metadata v0 and Produce v0, encoded with kafkajs's own
// Encoder/Decoder. Every socket is a Duplex whose TCP connect completes only when the script
// calls `socket.open()` (or at once with `autoOpen`), and every request frame is logged; a
// `hold(frame)` predicate can keep chosen answers back until `release(frame)`. Like a
// net.Socket, a socket ended while its connect is pending connects first and only then shuts
// down its write side; a write after end() fails with an 'error' (ERR_STREAM_WRITE_AFTER_END).
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import process from "node:process";
import { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const Encoder = require("kafkajs/src/protocol/encoder.js");
const Decoder = require("kafkajs/src/protocol/decoder.js");

export const API = { 0: "Produce", 3: "Metadata", 18: "ApiVersions" };

export class FakeSocket extends Duplex {
  constructor(cluster, id, host, port) {
    super({ allowHalfOpen: false });
    Object.assign(this, { cluster, id, host, port, connected: false, ended: false });
    this.inbound = Buffer.alloc(0);
  }
  // What net.Socket offers and kafkajs may call.
  setKeepAlive() {
    return this;
  }
  setNoDelay() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  /** The TCP connect completes: kafkajs's onConnect runs. */
  open() {
    if (this.connected || this.destroyed) return;
    this.connected = true;
    this.emit("connect");
  }
  /** The TCP connect fails. */
  refuse() {
    this.destroy(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
  }
  _read() {}
  _write(chunk, _encoding, callback) {
    this.inbound = Buffer.concat([this.inbound, chunk]);
    while (this.inbound.length >= 4) {
      const size = this.inbound.readInt32BE(0);
      if (this.inbound.length < 4 + size) break;
      const bytes = this.inbound.subarray(4, 4 + size);
      this.inbound = this.inbound.subarray(4 + size);
      this.cluster.receive(this, bytes);
    }
    callback();
  }
  // As net.Socket's _final (Node's lib/net.js): an end() while the connect is pending waits for
  // it, `if (this.pending) return this.once('connect', () => this._final(cb))`, so the socket
  // connects and only then shuts down its write side. Only destroy() abandons a pending connect.
  _final(callback) {
    if (!this.connected) {
      this.once("connect", () => this._final(callback));
      return;
    }
    this.ended = true;
    callback();
  }
  _destroy(error, callback) {
    this.ended = true;
    callback(error);
  }
}

/**
 * @param {object} options
 * @param {number} [options.brokers=1] node ids 0..n-1, hosts "broker0", "broker1", ...
 * @param {number} [options.leader=0] leader of the one partition of topic "topic"
 * @param {boolean} [options.autoOpen=true] complete every TCP connect on the next turn
 * @param {(frame: object) => boolean} [options.hold] keep this request's answer back
 */
export function fakeCluster({ brokers = 1, leader = 0, autoOpen = true, hold = () => false } = {}) {
  const nodes = Array.from({ length: brokers }, (_, nodeId) => ({
    nodeId,
    host: `broker${nodeId}`,
    port: 9092,
  }));
  const cluster = {
    nodes,
    sockets: [],
    frames: [],
    held: [],
    log: [], // the messages appended, in offset order
    onSocket: () => {},
    onFrame: () => {},
    bootstrap: [`${nodes[0].host}:9092`],
    socketFactory: ({ host, port, onConnect }) => {
      const socket = new FakeSocket(cluster, cluster.sockets.length + 1, host, port);
      socket.once("connect", onConnect);
      cluster.sockets.push(socket);
      if (autoOpen) setImmediate(() => socket.open());
      cluster.onSocket(socket);
      return socket;
    },
    receive(socket, bytes) {
      const d = new Decoder(bytes);
      const apiKey = d.readInt16();
      const apiVersion = d.readInt16();
      const correlationId = d.readInt32();
      d.readString(); // clientId
      const frame = { socket, api: API[apiKey] ?? `api${apiKey}`, apiVersion, correlationId };
      if (frame.api === "Produce") frame.values = readProduceValues(d);
      cluster.frames.push(frame);
      cluster.onFrame(frame);
      if (hold(frame)) cluster.held.push(frame);
      else cluster.release(frame);
    },
    release(frame) {
      cluster.held = cluster.held.filter((f) => f !== frame);
      const body = answer(frame);
      const payload = new Encoder().writeInt32(frame.correlationId).writeEncoder(body);
      const bytes = new Encoder().writeInt32(payload.size()).writeEncoder(payload).buffer;
      setImmediate(() => !frame.socket.destroyed && frame.socket.push(bytes));
    },
    /** Sockets the client never ended nor destroyed. */
    openSockets: () => cluster.sockets.filter((s) => !s.ended && !s.destroyed),
  };

  function answer(frame) {
    if (frame.api === "ApiVersions") {
      const apis = [[0, 0, 0], [3, 0, 0], [18, 0, 2]];
      const body = new Encoder().writeInt16(0).writeArray(
        apis.map(([key, min, max]) =>
          new Encoder().writeInt16(key).writeInt16(min).writeInt16(max)
        ),
      );
      return frame.apiVersion >= 1 ? body.writeInt32(0) : body;
    }
    if (frame.api === "Metadata") {
      return new Encoder()
        .writeArray(
          nodes.map((n) =>
            new Encoder().writeInt32(n.nodeId).writeString(n.host).writeInt32(n.port)
          ),
        )
        .writeArray([
          new Encoder().writeInt16(0).writeString("topic").writeArray([
            new Encoder().writeInt16(0).writeInt32(0).writeInt32(leader)
              .writeArray([leader], "int32").writeArray([leader], "int32"),
          ]),
        ]);
    }
    if (frame.api === "Produce") {
      const offset = cluster.log.length;
      cluster.log.push(...frame.values);
      frame.offset = offset;
      return new Encoder().writeArray([
        new Encoder().writeString("topic").writeArray([
          new Encoder().writeInt32(0).writeInt16(0).writeInt64(offset),
        ]),
      ]);
    }
    return new Encoder();
  }
  return cluster;
}

// Produce v0 body: acks, timeout, [topic, [partition, message set]]; message v0: offset, size,
// crc, magic, attributes, key, value. Returns the message values, in order.
function readProduceValues(d) {
  d.readInt16();
  d.readInt32();
  const values = [];
  d.readArray((t) => {
    t.readString();
    t.readArray((p) => {
      p.readInt32();
      const set = new Decoder(p.readBytes(p.readInt32()));
      while (set.canReadInt64()) {
        set.readInt64();
        const message = new Decoder(set.readBytes(set.readInt32()));
        message.readInt32();
        message.readInt8();
        message.readInt8();
        message.readBytes();
        values.push(message.readBytes().toString());
      }
    });
  });
  return values;
}

/** The request frames seen so far, as "host#socket:Api[values]". */
export function wire(cluster) {
  return cluster.frames
    .map((f) => `${f.socket.host}#${f.socket.id}:${f.api}${f.values ? `[${f.values}]` : ""}`)
    .join(" ");
}

/** Destroy every fake socket the client left open (so a test leaves nothing behind). */
export function destroyAll(cluster) {
  for (const socket of cluster.sockets) socket.destroy();
}

/** Let pending I/O callbacks and promise chains run (no timers involved). */
export async function settle(turns = 20) {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A kafkajs client option set for the fake cluster, logging nothing. */
export function clientOptions(cluster, extra = {}) {
  return {
    clientId: "repro",
    brokers: cluster.bootstrap,
    socketFactory: cluster.socketFactory,
    logLevel: 0,
    ...extra,
  };
}

/** Run `main` when the module is the entry point (Node, Deno and Bun). */
export function isMain(meta) {
  if (typeof meta.main === "boolean") return meta.main;
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(meta.url) === entry;
}

/** Print the verdict and exit 1 on a bug, 0 when the behaviour is correct. */
export async function runMain(reproduce) {
  const { bug, evidence } = await reproduce();
  console.log(`${bug ? "BUG" : "OK"}: ${evidence}`);
  process.exit(bug ? 1 : 0);
}
