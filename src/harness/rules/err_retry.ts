import { defineRule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** ERR-6: a pool that retries failed connects keeps its waiters through them. */
export const err6 = defineRule({
  id: "ERR-6",
  group: "ERR",
  title: "A pool that retries failed connects keeps its waiters through them",
  rationale:
    "A pool that declares it retries a failed connect (policy `connectFailure: \"retry\"`) promises its callers that a refused or timed-out connect is the pool's business: the acquire waits for a later attempt, after the route's backoff, and ends only with a lease, its own timeout, a clear or close(). A pool that still passes the connect's failure to a waiter breaks that promise: callers written for it do not catch connection errors at acquire, and one refused connect fails a request the next attempt would have served. ERR-1 judges the pools that reject instead; LIV-1 and LIV-3 judge that the retry comes.",
  source:
    "Kafka clients NetworkClient (a request waits through reconnects to its broker, after reconnect.backoff.ms); the reference pool's connectFailure policy",
  needs: ["rejectionKinds"],
  when: {
    text: "connectFailure is retry and not multiplexed",
    test: (s) => NOT_MULTIPLEXED.test(s) && s.policies.connectFailure === "retry",
  },
  clauses: {
    a: "no acquire is rejected with a connection error",
  },
  start() {
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-rejected") continue;
          const { acquire } = event;
          if (acquire.errorKind !== "connectionError") continue;
          return {
            clause: "a",
            detail: `acquire #${acquire.id} (${acquire.route}) was rejected with ${
              acquire.errorCode ?? "an error"
            }, a connection error, though the pool retries failed connects`,
          };
        }
        return undefined;
      },
    };
  },
});
