// kafkajs 2.2.4: when connect() is called again while a connect is pending, the first connect's
// connectionTimeout ends the second (healthy) socket and never abandons the first, hanging one.
//
// Run: node connect-timeout-ends-wrong-socket.mjs   (exit 1 and "BUG: ..." while present)
import { createRequire } from "node:module";
import { destroyAll, fakeCluster, isMain, runMain } from "./_fake_broker.mjs";

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

  const settled = (p) => p.then(() => "resolved", (e) => `rejected (${e.message})`);
  const first = settled(connection.connect());
  const second = settled(connection.connect());
  const [hanging, healthy] = cluster.sockets; // the first TCP connect never completes
  if (healthy) setImmediate(() => healthy.open());
  const outcomes = await Promise.all([first, second]); // the first after connectionTimeout (50 ms)
  const state = (s) => s.ended ? "ended" : s.connected ? "open" : "still connecting";
  const evidence = `first connect() ${outcomes[0]}, second ${outcomes[1]}; ` +
    `the first, hanging socket #${hanging.id} is ${state(hanging)}` +
    (healthy ? `; the second, connected socket #${healthy.id} is ${state(healthy)}` : "") +
    `; connection.isConnected() = ${connection.isConnected()}`;
  const bug = !hanging.ended || healthy?.ended === true;
  await connection.disconnect();
  destroyAll(cluster);
  return { bug, evidence };
}

if (isMain(import.meta)) await runMain(reproduce);
