// kafkajs 2.2.4: two producer.send() calls to one partition, made while the partition leader's
// connection is being opened, reach the broker in the reverse order of the calls.
//
// Run: node produce-order-while-connecting.mjs   (exit 1 and "BUG: ..." while the bug is present)
import { Kafka } from "kafkajs";
import { clientOptions, fakeCluster, isMain, runMain, settle, wire } from "./_fake_broker.mjs";

export async function reproduce() {
  // broker0 (bootstrap) answers at once; broker1, the leader of topic/0, connects when we say so.
  const cluster = fakeCluster({ brokers: 2, leader: 1, autoOpen: false });
  cluster.onSocket = (socket) => socket.host === "broker0" && setImmediate(() => socket.open());
  const producer = new Kafka(clientOptions(cluster)).producer();
  await producer.connect();
  const send = (value) => producer.send({ topic: "topic", acks: 1, messages: [{ value }] });

  const a = send("A"); // opens the connection to broker1 (its TCP connect is pending)
  await settle();
  const b = send("B"); // waits for that connect
  await settle();
  cluster.sockets.find((s) => s.host === "broker1").open();
  const [[ra], [rb]] = await Promise.all([a, b]);
  await producer.disconnect();

  const produced = cluster.frames.filter((f) => f.api === "Produce").map((f) => f.values[0]);
  return {
    bug: produced.join() !== "A,B",
    evidence: `send() called for A, then B; Produce frames on the wire: ${produced.join(", ")}; ` +
      `offsets returned: A=${ra.offset}, B=${rb.offset}; wire: ${wire(cluster)}`,
  };
}

if (isMain(import.meta)) await runMain(reproduce);
