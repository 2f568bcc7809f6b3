/**
 * Adapter for agentkeepalive 4.x's `HttpAgent`: node:http's `Agent` with a
 * free-socket timeout, an active-socket timeout and a socket TTL.
 *
 * The lease mapping is node:http's Agent's (`node_http_agent.ts`): a lease is
 * one `http.request` in progress, resolved on its response head and held with
 * the body open; released by finishing the response (reusable) or destroying
 * it (broken). Sockets come through agentkeepalive's own
 * `createConnection` override (`lib/agent.js`), which calls
 * `super.createConnection` and then sets the socket up: its creation time
 * (for `socketActiveTTL`), its name and request counters, and its `free`,
 * `close`, `timeout`, `error` and `agentRemove` listeners. `attachAgent`
 * (src/http) builds the simulated socket where that `super` call lands
 * (`http.Agent.prototype.createConnection`), so all of that runs as it does
 * in production; replacing `createConnection` on the instance would skip it,
 * and with it the timeout handler where agentkeepalive's own bugs live.
 *
 * @module
 */
import type http from "node:http";
import { HttpAgent } from "agentkeepalive";
import type { Adapter, PoolUnderTest } from "../../src/harness/adapter.ts";
import { type AgentLease, agentPool } from "../../src/http/mod.ts";

/**
 * The `timeout` standing for "no timeout": the longest timer delay (larger
 * ones fire at once). Used when the run draws no default keep-alive, because
 * with `freeSocketTimeout: 0` node:http's `keepSocketAlive` makes the agent's
 * `timeout` the free socket's timeout (see the adapter's declarations).
 */
const NO_TIMEOUT_MS = 2_147_483_647;

/**
 * agentkeepalive 4.6 `HttpAgent` over the simulated network, with global time
 * faked.
 *
 * Declarations and the source facts behind them (`node_modules/agentkeepalive/lib/agent.js`,
 * and node:http's `lib/_http_agent.js`, which Deno's and Bun's node:http
 * carry; agentkeepalive extends `require('http').Agent`, so it runs on each
 * runtime's own):
 * - `maxPerRoute`, `maxTotal`: `maxSockets` and `maxTotalSockets`, passed
 *   through the constructor to node:http's Agent, which enforces them in
 *   `addRequest` counting active and free sockets (`limitsCountIdle`).
 *   `maxFreeSockets` stays at node:http's default (256), above any
 *   `maxSockets` drawn: the contract has no idle-count limit to draw it from.
 * - `defaultKeepAlive`: `freeSocketTimeout` (agentkeepalive's default 4 s,
 *   constructor). When a socket goes free, `keepSocketAlive` and the agent's
 *   `free` listener set `socket.setTimeout(calcSocketTimeout(socket))`, and the
 *   `timeout` listener installed by `[INIT_SOCKET]` (`installListeners`,
 *   `onTimeout`) destroys a socket that is in `freeSockets` when it fires:
 *   expiry "timer". A run without a default keep-alive passes
 *   `freeSocketTimeout: 0` (`calcSocketTimeout` then returns `undefined` and
 *   node:http's `keepSocketAlive` keeps `timeout` as the free timeout) with
 *   `timeout` at the longest timer delay, so free sockets are kept.
 * - `timeout`: the active socket's inactivity timeout. Left to
 *   agentkeepalive's default, `max(2 × freeSocketTimeout, 8 s)` (constructor),
 *   as a user who sets only `freeSocketTimeout` gets it: `reuseSocket` re-arms
 *   it on every reuse, and `onTimeout` destroys a socket that is not free
 *   with `ERR_SOCKET_TIMEOUT` when its request has no `timeout` listener (a
 *   lease held that long without traffic loses its socket, which no rule
 *   forbids). Without a default keep-alive it is the longest timer delay.
 * - `ttl`: `socketActiveTTL`. `[INIT_SOCKET]` stamps `SOCKET_CREATED_TIME`
 *   with `Date.now()` when `createConnection` returns the socket, before it
 *   connects, so the TTL runs from the start of the connect (stricter than
 *   the rule's "from established"). `calcSocketTimeout` makes a socket whose
 *   TTL has passed not kept alive at release (`keepSocketAlive` returns
 *   false: expiry "release") and shortens a free socket's timer to the TTL
 *   left ("timer").
 * - `keepAliveHint`: node:http's `keepSocketAlive` (called first, through
 *   `super.keepSocketAlive`) reads `Keep-Alive: timeout=N` and refuses the
 *   socket when `N s − 1 s ≤ 0`, else shortens the timeout to it. agentkeepalive
 *   then overwrites the timeout with `calcSocketTimeout`, which reads
 *   `socket.freeSocketTimeout` (set by callers such as urllib, not by the
 *   agent) and `options.freeSocketTimeout`, never the header: the hint counts
 *   only without a default keep-alive (a deviation, see the expectations).
 * - `releaseBroken`: destroying an unfinished response destroys its socket.
 * - Not declared: `stats`, `closeIdle`, `closeExpired`, `clear` (no such API;
 *   `getCurrentStatus()` counts sockets per name but not leases or waiters),
 *   `acquireTimeout`, `maxWaiters`, `maxConnecting`, `connectTimeout` (as for
 *   node:http's Agent; `timeout` is an inactivity timer, not a connect
 *   deadline), `keepAliveMax`, `validateAfterInactivity`, `reconnectBackoff`,
 *   `maxIdle` (the free-socket timeout is the default keep-alive above),
 *   `rejectsBadRelease`.
 * - Not declared: `events`. agentkeepalive emits no event of its own; it
 *   keeps counters (`createSocketCount`, `closeSocketCount`,
 *   `timeoutSocketCount`, `requestCount`…, read by `getCurrentStatus()`), and
 *   node:http's only Agent event, `free`, does not stand for one CMAP type
 *   (see the node:http adapter).
 * - Not declared yet: `rejectionKinds`, as for node:http's Agent (see that
 *   adapter): a request fails only with its socket's error (`ECONNREFUSED`,
 *   `ECONNRESET`, and agentkeepalive's own 'Socket timeout' with code
 *   `ERR_SOCKET_TIMEOUT`, from `onTimeout` in `installListeners`, when an
 *   active socket's timer fires), never for a close, an acquire timeout or a
 *   full queue.
 * - Policies are node:http's Agent's: `scheduling` left at node:http's default
 *   `lifo` (Agent constructor; agentkeepalive does not set it), queued requests
 *   served FIFO by the `free` handler with no overtaking, a failed connect
 *   fails its request, no free socket of another host is closed to make room,
 *   a close or end removes a socket at once ("event"), and `destroy()` leaves
 *   queued requests queued ("drop").
 *
 * @example Declared with a TTL and a default keep-alive
 * ```ts
 * import assert from "node:assert/strict";
 * import { agentkeepaliveAdapter } from "./agentkeepalive.ts";
 *
 * assert.equal(agentkeepaliveAdapter.name, "agentkeepalive");
 * assert.ok(agentkeepaliveAdapter.supports.capabilities.includes("ttl"));
 * ```
 */
export const agentkeepaliveAdapter: Adapter<AgentLease> = {
  name: "agentkeepalive",
  supports: {
    timeMode: "global",
    capabilities: ["releaseBroken", "maxPerRoute", "keepAliveHint", "defaultKeepAlive", "ttl"],
    ranges: {
      routes: [1, 4],
      maxTotal: [1, 8],
      maxPerRoute: [1, 4],
      ttlMs: [1_000, 20_000],
      keepAliveHintMs: [1_000, 20_000],
      defaultKeepAliveMs: [1, 20_000],
    },
    policies: {
      reuseOrder: "lifo",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["release", "timer"],
      closeWaiters: "drop",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // node:http's installListeners removes a socket on 'close' and a free one on 'end'.
      closeDetection: "event",
    },
    // As node:http's Agent: the client defers work to 0 ms timers, and a 0 ms timer armed while a
    // faked timer runs is due 1 ms later (fake-timers), so a deadline may be acted on 1 ms late.
    toleranceMs: 1,
    // keepSocketAlive keeps a socket for the hint less agentKeepAliveTimeoutBuffer
    // (1 s), and the hint crosses HTTP in whole seconds (up to 999 ms less).
    keepAliveLeadMs: 1_999,
  },
  create(config, world): PoolUnderTest<AgentLease> {
    const keepAlive = config.defaultKeepAliveMs;
    const agent: http.Agent = new HttpAgent({
      maxSockets: config.maxPerRoute,
      maxTotalSockets: config.maxTotal,
      freeSocketTimeout: keepAlive ?? 0,
      ...(keepAlive === undefined ? { timeout: NO_TIMEOUT_MS } : {}),
      ...(config.ttlMs === undefined ? {} : { socketActiveTTL: config.ttlMs }),
    });
    return agentPool(agent, world.network, config.routes);
  },
};
