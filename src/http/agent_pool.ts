/**
 * A node:http-style `Agent` as the pool under test: what an adapter's
 * `create` returns for an agent, once it has built it from the drawn config.
 *
 * @module
 */
import type http from "node:http";
import type { PoolUnderTest } from "../harness/adapter.ts";
import type { Route, SimNetwork } from "../net/mod.ts";
import { attachAgent } from "./agent_attachment.ts";
import { type AgentLease, leaseThroughAgent, releaseAgentLease } from "./agent_lease.ts";
import { refuseSecondRequest } from "./sim_http_socket.ts";

/**
 * Route an agent's sockets through the simulated network ({@linkcode attachAgent})
 * and drive it as a pool: a lease is one GET whose response stays open
 * ({@linkcode leaseThroughAgent}), a release finishes or destroys it
 * ({@linkcode releaseAgentLease}), a second request on a lease is refused,
 * and `close()` is the agent's `destroy()`.
 *
 * The agent stays attached after `close()`: node:http's Agent still opens
 * sockets for queued requests after `destroy()` (`removeSocket`, as each
 * destroyed socket closes), and those must land in the ledger too. The
 * registry holds agents weakly.
 *
 * @param agent The agent, built from the run's config.
 * @param network The run's simulated network (`world.network`).
 * @param routes The run's routes (`config.routes`).
 * @returns The pool under test.
 * @throws {Error} If the agent is already attached to a simulated network.
 *
 * @example An adapter's `create` for node:http's own Agent
 * ```ts
 * import assert from "node:assert/strict";
 * import http from "node:http";
 * import { SimNetwork, VirtualClock } from "../../mod.ts";
 * import { agentPool } from "./mod.ts";
 *
 * const network = new SimNetwork({ clock: new VirtualClock() });
 * const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
 * const pool = agentPool(agent, network, ["r0"]);
 * assert.equal(typeof pool.acquire, "function");
 * await pool.close();
 * ```
 */
export function agentPool(
  agent: http.Agent,
  network: SimNetwork,
  routes: readonly Route[],
): PoolUnderTest<AgentLease> {
  attachAgent(agent, network, routes);
  return {
    acquire: (route) => leaseThroughAgent(agent, route),
    release: releaseAgentLease,
    connectionOf: (lease) => lease.socketId,
    request: refuseSecondRequest,
    close: () => {
      agent.destroy();
      return Promise.resolve();
    },
  };
}
