// kafkajs 2.2.4: after disconnect() and a reconnect, the broker's end of the old socket (its
// answer to the client's own FIN) tears down the new connection: the old socket's `end` handler
// fails the requests in flight on the new socket with "Closed connection" and ends the new socket.
// (Connection.connect's onEnd reads `this.isConnected()` and calls `this.disconnect()`, which act
// on the Connection's current socket, not on the socket the handler was registered for.)
//
// Run: node old-socket-end-disconnects-new-one.mjs   (exit 1 and "BUG: ..." while present)
import { createRequire } from "node:module";
import { destroyAll, fakeCluster, isMain, runMain, settle } from "./_fake_broker.mjs";

const require = createRequire(import.meta.url);
const Connection = require("kafkajs/src/network/connection.js");
const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js");
const metadata = require("kafkajs/src/protocol/requests/metadata/index.js");

export async function reproduce() {
  // The broker holds its Metadata answers back, so a request stays in flight on the new socket.
  const cluster = fakeCluster({ hold: (frame) => frame.api === "Metadata" });
  const connection = new Connection({
    host: "broker0",
    port: 9092,
    socketFactory: cluster.socketFactory,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    connectionTimeout: 1000,
    requestTimeout: 30000,
  });

  await connection.connect();
  const old = cluster.sockets[0];
  await connection.disconnect(); // ends the old socket: the client's FIN is on its way
  await connection.connect(); // the next request reconnects, on a new socket
  const fresh = cluster.sockets[1];
  const request = connection.send(metadata.protocol({ version: 0 })({ topics: [] })).then(
    () => "answered",
    (e) => `rejected (${e.name}: ${e.message})`,
  );
  await settle();

  // The broker reads the old socket's end of stream and closes its side, as a broker does.
  old.push(null);
  await settle();
  for (const frame of [...cluster.held]) cluster.release(frame);
  const outcome = await Promise.race([request, settle().then(() => "still pending")]);

  const evidence =
    `after disconnect() and connect(), the broker's end of the old socket #${old.id} ` +
    `left the new socket #${fresh.id} ${fresh.ended ? "ended" : "open"}; ` +
    `the Metadata request in flight on it was ${outcome}; ` +
    `connection.isConnected() = ${connection.isConnected()}`;
  const bug = fresh.ended || outcome !== "answered";
  await connection.disconnect();
  destroyAll(cluster);
  return { bug, evidence };
}

if (isMain(import.meta)) await runMain(reproduce);
