// kafkajs 2.2.4: connectionTimeout does not abort the TCP connect. Connection.connect's onTimeout
// calls disconnect(), which calls socket.end() and socket.unref(), never socket.destroy(); a
// net.Socket that is still connecting defers end() until it connects (Node's lib/net.js,
// Socket.prototype._final), so the connect goes on. When it completes, the socket connects, and
// the timed-out connect()'s onConnect marks the Connection connected on that ended socket.
//
// The fake socket of _fake_broker.mjs models net.Socket here: its _final waits for 'connect'
// while the connect is pending, and only destroy() abandons the connect.
//
// Run: node connect-timeout-does-not-abort-connect.mjs   (exit 1 and "BUG: ..." while present)
import { createRequire } from "node:module";
import { destroyAll, fakeCluster, isMain, runMain, settle } from "./_fake_broker.mjs";

const require = createRequire(import.meta.url);
const Connection = require("kafkajs/src/network/connection.js");
const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js");

export async function reproduce() {
  const cluster = fakeCluster({ autoOpen: false });
  const connection = new Connection({
    host: "broker0",
    port: 9092,
    socketFactory: cluster.socketFactory,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    connectionTimeout: 50,
    requestTimeout: 30000,
  });

  // The TCP connect does not complete within connectionTimeout (50 ms).
  const outcome = await connection.connect().then(
    () => "resolved",
    (e) => `rejected (${e.message})`,
  );
  const [socket] = cluster.sockets;
  const abandoned = socket.destroyed;
  const state = abandoned
    ? "connect abandoned"
    : socket.connected
    ? "connected"
    : "still connecting";
  const atTimeout = `end() called: ${socket.writableEnded}, destroyed: ${abandoned}, ${state}`;

  // Later the connect completes (a slow broker, a lost SYN retransmitted).
  socket.open();
  await settle();
  const late = socket.connected
    ? `when its connect completed later, it connected and then shut down its write side ` +
      `(ended: ${socket.ended})`
    : "a later completion of the connect found it destroyed";
  const evidence = `connect() ${outcome}; socket #${socket.id} then: ${atTimeout}; ${late}; ` +
    `connection.isConnected() = ${connection.isConnected()}`;

  await connection.disconnect();
  destroyAll(cluster);
  return { bug: !abandoned, evidence };
}

if (isMain(import.meta)) await runMain(reproduce);
