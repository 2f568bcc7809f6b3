/**
 * Keeps the upstream reproductions honest: while kafkajs 2.2.4 is pinned, each script must
 * still show its bug. When a kafkajs upgrade fixes one, its test fails here: check the script
 * prints "OK: ..." under Node, then drop the case (and the issue text in README.md).
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

interface Reproduction {
  reproduce(): Promise<{ bug: boolean; evidence: string }>;
}

/** Each script finishes within a second; kafkajs's own timers are the only waits. */
const REPRO = { timeout: 10_000 };

const SCRIPTS: readonly [string, RegExp][] = [
  ["./produce-order-while-connecting.mjs", /Produce frames on the wire: B, A/],
  ["./broker-not-connected-during-apiversions.mjs", /Error\("Broker not connected"\)/],
  ["./send-reconnects-after-disconnect.mjs", /sockets opened after disconnect: \[broker0#3,/],
  ["./double-connect-leaks-socket.mjs", /created 2 sockets; after disconnect\(\) 1 ended/],
  ["./connect-timeout-ends-wrong-socket.mjs", /socket #2 is ended/],
  [
    "./connect-timeout-does-not-abort-connect.mjs",
    /destroyed: false, still connecting; .*connection\.isConnected\(\) = true/,
  ],
  ["./old-socket-end-disconnects-new-one.mjs", /new socket #2 ended; .*Closed connection/],
  [
    "./request-timeout-exceeds-max-in-flight.mjs",
    /maxInFlightRequests: 1; unanswered requests on socket #1: 1 before A timed out, 2 after/,
  ],
];

describe("kafkajs 2.2.4 upstream reproductions", () => {
  for (const [script, evidence] of SCRIPTS) {
    test(`${script} still shows its bug`, REPRO, async () => {
      const { reproduce } = (await import(script)) as Reproduction;
      const result = await reproduce();
      assert.equal(result.bug, true, result.evidence);
      assert.match(result.evidence, evidence);
    });
  }
});
