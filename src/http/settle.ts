/**
 * Drive an HTTP client by hand, outside the harness: let its streams and
 * promise callbacks run, and the timers due now, until nothing more happens.
 *
 * @module
 */
import { type DrivableClock, realTimers } from "../clock/mod.ts";

/** One real turn of the event loop: streams emit on `nextTick` and `setImmediate`. */
function turn(): Promise<void> {
  return new Promise((resolve) => realTimers.setImmediate(resolve));
}

/**
 * Let an HTTP client settle on virtual time: turn the real event loop (no
 * real time is waited for) and run the clock's due timers, until three turns
 * in a row run no timer. Time does not move, except by the 1 ms a timer armed
 * with 0 ms from inside a faked timer is due later (fake-timers adds it), so
 * such a timer runs too. The harness has its own settle loop; this is for a
 * test or an example that drives an agent itself.
 *
 * @param clock The clock the client's timers and the simulated network run on
 * (the `GlobalTimeDriver` when global time is faked).
 * @param maxTurns Give up after this many turns.
 *
 * @example A lease through an agent arrives once the client has settled
 * ```ts
 * import assert from "node:assert/strict";
 * import http from "node:http";
 * import { GlobalTimeDriver } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { attachAgent, leaseThroughAgent, releaseAgentLease, settleStreams } from "./mod.ts";
 *
 * const driver = GlobalTimeDriver.install();
 * try {
 *   const network = new SimNetwork({ clock: driver });
 *   const agent = new http.Agent({ keepAlive: true });
 *   attachAgent(agent, network, ["api"]);
 *   let socketId = 0;
 *   leaseThroughAgent(agent, "api").then((lease) => {
 *     socketId = lease.socketId;
 *     releaseAgentLease(lease, { reusable: true });
 *   });
 *   await settleStreams(driver);
 *   assert.equal(socketId, 1);
 *   assert.deepEqual(network.ledger.idle(), [1]);
 *   agent.destroy();
 *   await settleStreams(driver);
 * } finally {
 *   driver.uninstall();
 * }
 * ```
 */
export async function settleStreams(clock: DrivableClock, maxTurns = 200): Promise<void> {
  for (let quiet = 0, i = 0; quiet < 3 && i < maxTurns; i++) {
    await turn();
    let ran = clock.runDue();
    if (ran === 0 && clock.nextDeadline() === clock.now() + 1) {
      clock.advance(1);
      ran = 1;
    }
    quiet = ran === 0 ? quiet + 1 : 0;
  }
}
