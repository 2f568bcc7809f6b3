// kafkajs 2.2.4: a request that reaches a broker whose socket is connected but whose ApiVersions
// request is still unanswered fails with a plain Error("Broker not connected").
//
// Run: node broker-not-connected-during-apiversions.mjs   (exit 1 and "BUG: ..." while present)
import { Kafka } from "kafkajs";
import { clientOptions, fakeCluster, isMain, runMain, settle, wire } from "./_fake_broker.mjs";

export async function reproduce() {
  // One broker; its answer to ApiVersions is held back until we release it.
  const cluster = fakeCluster({ hold: (frame) => frame.api === "ApiVersions" });
  const admin = new Kafka(clientOptions(cluster)).admin();

  const connecting = admin.connect(); // socket opens, ApiVersions is sent and held
  await settle();
  const metadata = admin.fetchTopicMetadata({ topics: ["topic"] }).then(
    (result) => ({ ok: true, result }),
    (error) => ({ ok: false, error }),
  );
  await settle();
  const wireBefore = wire(cluster);
  for (const frame of cluster.held) cluster.release(frame); // the broker answers ApiVersions
  await connecting;
  const outcome = await metadata;
  await admin.disconnect();

  const error = outcome.error;
  return {
    bug: !outcome.ok && error.message === "Broker not connected",
    evidence: outcome.ok
      ? `fetchTopicMetadata resolved after the connect (wire: ${wire(cluster)})`
      : `fetchTopicMetadata made while ApiVersions was in flight rejected with ` +
        `${error.name}("${error.message}"), retriable=${error.retriable}; ` +
        `wire when it failed: ${wireBefore}`,
  };
}

if (isMain(import.meta)) await runMain(reproduce);
