/**
 * What an adapter for an HTTP client's pool needs: a simulated HTTP/1.1
 * socket over the simulated network ({@linkcode SimHttpSocket}), and for
 * node:http-style agents (`http.Agent`, agentkeepalive, your own subclass) a
 * way to route the agent's sockets through the network beneath the agent's
 * own socket set-up ({@linkcode attachAgent}), plus the lease helpers
 * ({@linkcode hostForRoute}, {@linkcode leaseThroughAgent},
 * {@linkcode releaseAgentLease}), and {@linkcode settleStreams} to drive a
 * client by hand on virtual time.
 *
 * For HTTP a lease is one exchange whose response is still open: the pool
 * keeps the connection assigned to it until the caller has read the response,
 * which the simulated server finishes only when the lease is released. See
 * `docs/http_adapters.md` for the whole story and a worked adapter.
 *
 * @example An agent subclass whose own createConnection override still runs
 * ```ts
 * import assert from "node:assert/strict";
 * import http from "node:http";
 * import type { Duplex } from "node:stream";
 * import { GlobalTimeDriver } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { attachAgent, leaseThroughAgent, releaseAgentLease, settleStreams } from "./mod.ts";
 *
 * class CountingAgent extends http.Agent {
 *   created = 0;
 *   override createConnection(
 *     ...args: Parameters<http.Agent["createConnection"]>
 *   ): Duplex | null | undefined {
 *     this.created++; // the pool's own set-up: it must run in the test too
 *     return super.createConnection(...args);
 *   }
 * }
 *
 * const driver = GlobalTimeDriver.install();
 * try {
 *   const network = new SimNetwork({ clock: driver });
 *   const agent = new CountingAgent({ keepAlive: true });
 *   const attachment = attachAgent(agent, network, ["api"]);
 *   const leasing = leaseThroughAgent(agent, "api");
 *   await settleStreams(driver);
 *   const lease = await leasing;
 *   assert.equal(agent.created, 1);
 *   assert.equal(network.ledger.routeOf(lease.socketId), "api");
 *   releaseAgentLease(lease, { reusable: false });
 *   agent.destroy();
 *   await settleStreams(driver);
 *   attachment.detach();
 * } finally {
 *   driver.uninstall();
 * }
 * ```
 *
 * @module
 */
export {
  keepAliveHeader,
  refuseSecondRequest,
  SIM_SOCKET_HEADER,
  SimHttpSocket,
} from "./sim_http_socket.ts";
export { type AgentAttachment, attachAgent, isAgentAttached } from "./agent_attachment.ts";
export {
  type AgentLease,
  hostForRoute,
  leaseThroughAgent,
  releaseAgentLease,
} from "./agent_lease.ts";
export { agentPool } from "./agent_pool.ts";
export { settleStreams } from "./settle.ts";
