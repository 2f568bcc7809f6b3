// kafkajs 2.2.4: producer.disconnect() resolves while a send() is still retrying; the retry then
// reconnects to the cluster, produces the message, and leaves its new sockets open for good.
//
// Run: node send-reconnects-after-disconnect.mjs   (exit 1 and "BUG: ..." while present)
import { Kafka } from "kafkajs";
import {
  clientOptions,
  destroyAll,
  fakeCluster,
  isMain,
  runMain,
  settle,
  wire,
} from "./_fake_broker.mjs";

export async function reproduce() {
  // broker1 leads topic/0 and refuses the first connect; everything else connects at once.
  const cluster = fakeCluster({ brokers: 2, leader: 1, autoOpen: false });
  let refusals = 1;
  cluster.onSocket = (socket) =>
    setImmediate(() =>
      socket.host === "broker1" && refusals-- > 0 ? socket.refuse() : socket.open()
    );
  const kafka = new Kafka(clientOptions(cluster, { retry: { initialRetryTime: 100 } }));
  const producer = kafka.producer();
  await producer.connect();

  const sent = producer.send({ topic: "topic", acks: 1, messages: [{ value: "A" }] })
    .then((r) => `resolved (offset ${r[0].offset})`, (e) => `rejected: ${e.name} ${e.message}`);
  await settle(); // the connect to broker1 was refused; the send waits ~100 ms to retry
  await producer.disconnect();
  const atDisconnect = { sockets: cluster.sockets.length, open: cluster.openSockets().length };
  const outcome = await sent;
  const opened = cluster.sockets.slice(atDisconnect.sockets).map((s) => `${s.host}#${s.id}`);
  const open = cluster.openSockets().map((s) => `${s.host}#${s.id}`);
  const evidence = `after producer.disconnect() resolved (${atDisconnect.open} sockets open), ` +
    `the pending send ${outcome}; sockets opened after disconnect: [${opened}], ` +
    `still open: [${open}]; messages appended: [${cluster.log}]; wire: ${wire(cluster)}`;

  await producer.disconnect(); // clean up what the first disconnect left behind
  destroyAll(cluster);
  return { bug: opened.length > 0 || open.length > 0, evidence };
}

if (isMain(import.meta)) await runMain(reproduce);
