/**
 * Adapter for node:http's `Agent` (keepAlive, maxSockets, maxTotalSockets,
 * maxFreeSockets, scheduling), as Deno's and Bun's node:http ship it.
 *
 * Mapping onto the contract:
 * - a lease is one `http.request` in progress. `acquire` starts it through
 *   the agent (which hands it a free socket, opens one, or queues the
 *   request), and resolves on the `response` event, whose head names the
 *   simulated socket. The response body stays open, so the socket is
 *   assigned to that request while the lease is held;
 * - `release(reusable)` finishes the response on the wire and drains it: the
 *   agent's `free` handler gives the socket to the oldest queued request of
 *   the route or keeps it free (keep-alive). `release(broken)` destroys the
 *   response, which destroys its socket. `request(lease)` (a second request
 *   on a held lease) is refused: the caller is still reading its response;
 * - sockets come from the agent's `createConnection`, which `attachAgent`
 *   (src/http) routes through the simulated network: an in-memory socket
 *   (`SimHttpSocket`) whose `setTimeout` is net.Socket's inactivity timer on
 *   the (faked) global `setTimeout`. That is why the agent's timeouts run on
 *   virtual time here in every runtime (a real net.Socket's timer is not faked
 *   under Deno).
 *
 * @module
 */
import http from "node:http";
import type { Adapter, PoolUnderTest } from "../../src/harness/adapter.ts";
import { type AgentLease, agentPool } from "../../src/http/mod.ts";

/**
 * The agent `timeout` standing for "no default keep-alive": the longest timer
 * delay (larger ones fire at once). `keepSocketAlive` applies a
 * `Keep-Alive: timeout=N` hint only when it is shorter than the agent's
 * `timeout`, and with no `timeout` at all it ignores the hint, so a run
 * without a default keep-alive still gives the agent one, too long to matter.
 */
const NO_DEFAULT_KEEP_ALIVE_MS = 2_147_483_647;

/**
 * node:http `Agent` over the simulated network, with global time faked.
 *
 * Declarations and the source facts behind them (`lib/_http_agent.js` in
 * Node; Deno's `ext/node/polyfills/_http_agent.mjs` and Bun's
 * `node:_http_agent` carry the same logic, checked by printing
 * `Agent.prototype.*.toString()` in both):
 * - `maxPerRoute`: `maxSockets` per agent name (host:port), counting active
 *   and free sockets (`addRequest`: `sockLen = freeLen + sockets[name].length`).
 *   `maxTotal` is `maxTotalSockets` (`totalSocketCount < maxTotalSockets`).
 * - `releaseBroken`: destroying an unfinished response destroys its socket.
 * - `defaultKeepAlive`: the agent's `timeout`; a socket going free gets
 *   `socket.setTimeout(timeout)` (`keepSocketAlive`) and a free socket that
 *   times out is destroyed (`installListeners`, `onTimeout`). Expiry "timer".
 * - `keepAliveHint`: `keepSocketAlive` reads `Keep-Alive: timeout=N` and uses
 *   `N s − agentKeepAliveTimeoutBuffer` (1 s) when that is shorter than the
 *   agent's `timeout`, or does not keep the socket when it is ≤ 0. With no
 *   `timeout` the hint is ignored, so a run without a default keep-alive
 *   sets `timeout` to the longest timer delay (`NO_DEFAULT_KEEP_ALIVE_MS`).
 * - Not declared: `stats`, `closeIdle`, `closeExpired`, `clear` (no API),
 *   `acquireTimeout` (a queued request has no deadline), `maxWaiters`,
 *   `maxConnecting`, `connectTimeout` (the `timeout` is an inactivity timer,
 *   not a connect deadline), `keepAliveMax` (`max=` is not read), `ttl`,
 *   `validateAfterInactivity`, `reconnectBackoff`, `maxIdle`,
 *   `rejectsBadRelease`.
 * - Not declared: `events`. The Agent's only event is `free` (the
 *   constructor's `this.on('free', …)`, fed by each socket's `free` through
 *   `installListeners`), and it does not stand for one CMAP type: a socket
 *   emits it when its response ended on a kept-alive connection, but also
 *   when `removeSocket` has just created it for a queued request
 *   (`createSocket(…, (err, socket) => … socket.emit('free'))`), and the
 *   handler may then destroy it (`!socket.writable`, over a limit,
 *   `keepSocketAlive` false); a request aborted or destroyed frees nothing.
 *   Nothing is emitted when a socket is created, connects or closes, when a
 *   request is queued or fails, or on `destroy()`.
 * - Not declared yet: `rejectionKinds`. The agent never rejects for a close
 *   (`destroy()` leaves queued requests queued), a timeout or a full queue; a
 *   request fails only with its socket's error: `ECONNREFUSED` for a refused
 *   connect, `ECONNRESET` when the socket is reset or closed before the
 *   response head (the simulated socket's reset error, or node:http's
 *   'socket hang up'), so every kind would be `connectionError`, which ERR-5
 *   accepts after a failed connect or a failure of a connection or request of
 *   the route. The classification belongs in `agentPool` (src/http), where
 *   every agent adapter would share it.
 * - Policies: `scheduling: "lifo"` (the default since Node 15.6) pops the most
 *   recently freed socket (`addRequest`); queued requests of a name are served
 *   FIFO by the `free` handler (`requests[name].shift()`), which hands a
 *   freed socket to the oldest queued request before a new request can see it
 *   (no overtaking); a failed connect fails its request ("reject"); limits
 *   count free sockets; no free socket of another name is closed to make
 *   room. The agent has no close: `destroy()` destroys its sockets and leaves
 *   queued requests queued, so waiters are "drop"ped.
 *
 * @example Declared with a per-route limit, LIFO reuse
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeHttpAgentAdapter } from "./node_http_agent.ts";
 *
 * assert.equal(nodeHttpAgentAdapter.name, "node-http-agent");
 * assert.equal(nodeHttpAgentAdapter.supports.policies.reuseOrder, "lifo");
 * ```
 */
export const nodeHttpAgentAdapter: Adapter<AgentLease> = {
  name: "node-http-agent",
  supports: {
    timeMode: "global",
    capabilities: ["releaseBroken", "maxPerRoute", "keepAliveHint", "defaultKeepAlive"],
    ranges: {
      routes: [1, 4],
      maxTotal: [1, 8],
      maxPerRoute: [1, 4],
      keepAliveHintMs: [1_000, 20_000],
      defaultKeepAliveMs: [1, 20_000],
    },
    policies: {
      reuseOrder: "lifo",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["timer"],
      closeWaiters: "drop",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // node:http removes a free socket when it emits 'close' or 'end' (the Agent's onFree/onRemove listeners).
      closeDetection: "event",
    },
    toleranceMs: 1,
    // keepSocketAlive keeps a socket for the hint less agentKeepAliveTimeoutBuffer
    // (1 s), and the hint crosses HTTP in whole seconds (up to 999 ms less).
    keepAliveLeadMs: 1_999,
  },
  create(config, world): PoolUnderTest<AgentLease> {
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: config.maxPerRoute,
      maxTotalSockets: config.maxTotal,
      scheduling: "lifo",
      timeout: config.defaultKeepAliveMs ?? NO_DEFAULT_KEEP_ALIVE_MS,
      // maxFreeSockets stays at its default (256), above any maxSockets drawn, so it never
      // binds: the contract has no idle-count limit to draw it from. A smaller cap only
      // destroys surplus free sockets on release, which no rule forbids.
    });
    return agentPool(agent, world.network, config.routes);
  },
};
