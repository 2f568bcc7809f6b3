/**
 * A lease through a node:http `Agent`: one request whose response head is in
 * and whose body is still open, so the agent keeps the socket assigned to it
 * until the lease is released.
 *
 * @module
 */
import http from "node:http";
import { framelessError, type Route, type SocketId } from "../net/mod.ts";
import { SIM_SOCKET_HEADER, SimHttpSocket } from "./sim_http_socket.ts";

/** One request through an agent whose response head is in; what an HTTP-agent adapter hands out. */
export interface AgentLease {
  /** Route the request was made to. */
  readonly route: Route;
  /** The simulated socket that served it (from the {@linkcode SIM_SOCKET_HEADER} header). */
  readonly socketId: SocketId;
  /** The socket the agent assigned to the request. */
  readonly socket: SimHttpSocket;
  /** The request in progress. */
  readonly request: http.ClientRequest;
  /** Its response, body still open. */
  readonly response: http.IncomingMessage;
  /** Set by {@linkcode releaseAgentLease}. */
  released: boolean;
}

/**
 * Host name a route is served at (`r0` → `r0.sim`): the agent names its
 * socket sets `host:port`, so each route gets its own per-host limit and free
 * list, and {@linkcode attachAgent} maps the host back to the route.
 *
 * @param route A route of the run.
 * @returns A host name made of lower-case letters, digits and dashes, ending in `.sim`.
 *
 * @example Routes become host names
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostForRoute } from "./mod.ts";
 *
 * assert.equal(hostForRoute("r0"), "r0.sim");
 * assert.equal(hostForRoute("DB:5432"), "db-5432.sim");
 * ```
 */
export function hostForRoute(route: Route): string {
  return `${route.toLowerCase().replace(/[^a-z0-9-]/g, "-")}.sim`;
}

/**
 * Start a GET to `route` through `agent` and resolve when its response head
 * arrives: the agent handed the request a free socket, opened one, or queued
 * it until one was freed. The body stays open (the simulated server finishes
 * it only on {@linkcode releaseAgentLease}), so the socket stays assigned to
 * this request for as long as the lease is held.
 *
 * The agent must be attached ({@linkcode attachAgent}); a response that did not
 * come over a {@linkcode SimHttpSocket} rejects the lease.
 *
 * @param agent The agent under test.
 * @param route The route to request.
 * @returns The lease; rejected with the request's error (a refused or reset
 * connect: `ECONNREFUSED`, `ECONNRESET`).
 *
 * @example Two leases on one host: the second reuses the released socket
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
 *   const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
 *   attachAgent(agent, network, ["api"]);
 *   const leasing = leaseThroughAgent(agent, "api");
 *   await settleStreams(driver);
 *   const first = await leasing;
 *   releaseAgentLease(first, { reusable: true });
 *   await settleStreams(driver); // the agent's 'free' handler keeps the socket
 *   const again = leaseThroughAgent(agent, "api");
 *   await settleStreams(driver);
 *   const second = await again;
 *   assert.equal(second.socketId, first.socketId);
 *   assert.equal(network.ledger.requestsServed(first.socketId), 2);
 *   releaseAgentLease(second, { reusable: false });
 *   agent.destroy();
 *   await settleStreams(driver);
 * } finally {
 *   driver.uninstall();
 * }
 * ```
 */
export function leaseThroughAgent(agent: http.Agent, route: Route): Promise<AgentLease> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: hostForRoute(route), port: 80, path: "/", method: "GET" },
      (response) => {
        // An error after the lease (the server closed mid-response) is the agent's to handle.
        response.on("error", () => {});
        const socket: unknown = response.socket;
        if (!(socket instanceof SimHttpSocket)) {
          response.destroy();
          reject(
            new Error(
              `the response to ${route} did not come over a simulated socket: ` +
                "is the agent attached, and does its createConnection call super.createConnection?",
            ),
          );
          return;
        }
        const socketId = Number(response.headers[SIM_SOCKET_HEADER]);
        resolve({ route, socketId, socket, request, response, released: false });
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/**
 * Give a lease back, as a caller of the agent does. Reusable: finish the
 * response on the wire and drain it; the client then frees the socket and the
 * agent's `free` handler gives it to the oldest queued request of its host or
 * keeps it free (keep-alive). Broken: destroy the response, which destroys
 * its socket.
 *
 * Its signature is the contract's `release`, so an adapter can use it as is.
 *
 * @param lease A lease from {@linkcode leaseThroughAgent}.
 * @param options `reusable: false` when the connection is broken.
 * @throws {Error} When the lease was already released.
 *
 * @example A broken release closes the socket
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
 *   const leasing = leaseThroughAgent(agent, "api");
 *   await settleStreams(driver);
 *   const lease = await leasing;
 *   releaseAgentLease(lease, { reusable: false });
 *   await settleStreams(driver);
 *   assert.equal(network.ledger.stateOf(lease.socketId), "closed");
 *   assert.throws(() => releaseAgentLease(lease, { reusable: true }), /already released/);
 *   agent.destroy();
 * } finally {
 *   driver.uninstall();
 * }
 * ```
 */
export function releaseAgentLease(
  lease: AgentLease,
  options: { readonly reusable: boolean },
): void {
  if (lease.released) throw new Error(`lease on socket ${lease.socketId} already released`);
  lease.released = true;
  if (options.reusable) {
    lease.socket.finishResponse();
    lease.response.resume();
  } else {
    lease.response.destroy(framelessError("released as broken"));
  }
}
