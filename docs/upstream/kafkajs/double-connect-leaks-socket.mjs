// kafkajs 2.2.4: Connection.connect() called again while a connect is pending opens a second
// socket; disconnect() then ends only the second one and the first stays open for good.
// (ConnectionPool.getConnection calls connect() for every request that finds the connection
// down, and Broker's requests call it without the Broker's connect lock.)
//
// Run: node double-connect-leaks-socket.mjs   (exit 1 and "BUG: ..." while present)
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
    connectionTimeout: 1000,
    requestTimeout: 30000,
  });

  // Two requests find the connection down at the same time (as two Produce requests do).
  const first = connection.connect();
  const second = connection.connect();
  await settle();
  for (const socket of cluster.sockets) socket.open();
  await Promise.all([first, second]);
  await connection.disconnect();

  const created = cluster.sockets.length;
  const open = cluster.openSockets().map((s) => `#${s.id}`);
  destroyAll(cluster);
  return {
    bug: open.length > 0,
    evidence: `two concurrent connect() calls created ${created} sockets; after disconnect() ` +
      `${created - open.length} ended and [${open}] still open; ` +
      `connection.isConnected() = ${connection.isConnected()}`,
  };
}

if (isMain(import.meta)) await runMain(reproduce);
