// kafkajs 2.2.4: a request that times out stops counting against maxInFlightRequests while the
// broker still owes its answer: the next queued request is written at once, so the connection
// carries more unanswered requests than maxInFlightRequests allows. (The queue's `timeout`
// callback in RequestQueue.createSocketRequest deletes the request from `inflight` and calls
// checkPendingRequests; the socket stays open and the broker may still answer.)
//
// Run: node request-timeout-exceeds-max-in-flight.mjs   (exit 1 and "BUG: ..." while present)
import { createRequire } from "node:module";
import { destroyAll, fakeCluster, isMain, runMain, settle, wire } from "./_fake_broker.mjs";

const require = createRequire(import.meta.url);
const Connection = require("kafkajs/src/network/connection.js");
const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js");
const metadata = require("kafkajs/src/protocol/requests/metadata/index.js");

export async function reproduce() {
  // The broker is slow: it holds every Metadata answer until the script releases it.
  const cluster = fakeCluster({ hold: (frame) => frame.api === "Metadata" });
  const connection = new Connection({
    host: "broker0",
    port: 9092,
    socketFactory: cluster.socketFactory,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    connectionTimeout: 1000,
    requestTimeout: 50,
    enforceRequestTimeout: true,
    maxInFlightRequests: 1,
  });
  await connection.connect();
  const [socket] = cluster.sockets;

  // Two requests: A goes on the wire, B waits in the queue (one request in flight at most).
  const send = () =>
    connection.send(metadata.protocol({ version: 0 })({ topics: [] })).then(
      () => "answered",
      (e) => `rejected (${e.name})`,
    );
  const a = send();
  const b = send();
  await settle();
  const before = cluster.held.length;

  // A times out after requestTimeout (checked every min(requestTimeout, 100) ms); its answer is
  // still owed by the broker, but kafkajs writes B on the same socket at once.
  const aOutcome = await a;
  await settle();
  const unanswered = cluster.held.filter((frame) => frame.socket === socket).length;
  const wireAtTimeout = wire(cluster);

  // The broker answers both; A's late answer finds no request ("Response without match").
  for (const frame of [...cluster.held]) cluster.release(frame);
  const bOutcome = await b;
  await connection.disconnect();
  destroyAll(cluster);

  const bWritten = unanswered > 1 ? "B written at once" : "B kept in the queue";
  const evidence = `maxInFlightRequests: 1; unanswered requests on socket #${socket.id}: ` +
    `${before} before A timed out, ${unanswered} after (A ${aOutcome}, still owed by the ` +
    `broker; ${bWritten}); wire: ${wireAtTimeout}; B ${bOutcome}`;
  return { bug: unanswered > 1, evidence };
}

if (isMain(import.meta)) await runMain(reproduce);
