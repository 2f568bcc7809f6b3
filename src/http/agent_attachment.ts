/**
 * Route a node:http `Agent`'s sockets through the simulated network while the
 * agent's own socket set-up still runs.
 *
 * An agent gets its sockets from `createConnection(options, callback)`. In
 * node:http that is `Agent.prototype.createConnection`: `net.createConnection`
 * in Node (`lib/_http_agent.js`), a proxy-aware wrapper around it in Deno
 * (`ext/node/polyfills/_http_agent.mjs`) and Bun (`node:_http_agent`). A pool
 * built on the Agent overrides it in a subclass and calls
 * `super.createConnection` from there: agentkeepalive's `Agent#createConnection`
 * (lib/agent.js) takes the socket from super, then stamps its creation time
 * (socketActiveTTL), its request counters and its own `timeout`, `free`,
 * `close`, `error` and `agentRemove` listeners.
 *
 * Assigning `agent.createConnection = …` on the instance would skip all of
 * that: the subclass's override is never called, so the pool under test is not
 * the pool that ships. {@linkcode attachAgent} instead installs one hook on
 * `http.Agent.prototype.createConnection`, the very function
 * `super.createConnection` reaches, and keeps a registry of attached agents:
 * for an attached agent the hook returns a {@linkcode SimHttpSocket} on the
 * agent's network, for every other agent it calls the original. The hook is
 * installed with the first attachment and the original is put back when the
 * last one is detached.
 *
 * @module
 */
import http from "node:http";
import type { Route, SimNetwork } from "../net/mod.ts";
import { SimHttpSocket } from "./sim_http_socket.ts";
import { hostForRoute } from "./agent_lease.ts";

/** The options an agent passes to `createConnection` that the hook reads. */
interface ConnectionOptions {
  readonly host?: string | null;
  readonly hostname?: string | null;
  readonly timeout?: number;
}

/** `Agent.prototype.createConnection` as the agents call it. */
type CreateConnection = (
  this: http.Agent,
  options: ConnectionOptions,
  callback?: (error: Error | null, socket?: unknown) => void,
) => unknown;

/** Where an attached agent's sockets go. */
interface Target {
  readonly network: SimNetwork;
  readonly routeByHost: ReadonlyMap<string, Route>;
}

/** A node:http `Agent` routed through a {@linkcode SimNetwork} by {@linkcode attachAgent}. */
export interface AgentAttachment {
  /** The attached agent. */
  readonly agent: http.Agent;
  /**
   * Stop routing the agent's sockets (sockets it opens later go to the
   * original `createConnection`, i.e. the real network); when no agent is
   * attached any more, `http.Agent.prototype.createConnection` is the original
   * again. Idempotent.
   *
   * Detach only once the agent can open no more sockets: an Agent keeps
   * opening sockets for queued requests after `destroy()` (`removeSocket`,
   * called as each destroyed socket closes), so an adapter's `close()` should
   * leave the agent attached; the registry holds agents weakly.
   */
  detach(): void;
}

const prototype = http.Agent.prototype as unknown as { createConnection: CreateConnection };
const targets = new WeakMap<object, Target>();
let attached = 0;
/** The function the hook replaced; defined while the hook is in the prototype chain of calls. */
let original: CreateConnection | undefined;

/**
 * The hook. Like `net.createConnection`, it returns the socket (the agent then
 * calls its own callback with it: `createSocket` does
 * `const newSocket = this.createConnection(options, oncreate); if (newSocket) oncreate(null, newSocket)`)
 * and arms the socket's inactivity timer from a `timeout` option (the agent
 * passes its own `timeout` there; Node's `net.connect` does
 * `if (options.timeout) socket.setTimeout(options.timeout)`).
 */
const simulatedCreateConnection: CreateConnection = function (this, options, callback) {
  const target = targets.get(this);
  if (target === undefined) return original!.call(this, options, callback);
  const host = options.host ?? options.hostname ?? "";
  const socket = new SimHttpSocket(target.network, target.routeByHost.get(host) ?? host);
  if (options.timeout !== undefined && options.timeout > 0) socket.setTimeout(options.timeout);
  return socket;
};

function install(): void {
  // Already installed: on top, or below a wrapper added since, which still
  // calls it (installing again would make the hook its own original).
  if (original !== undefined) return;
  original = prototype.createConnection;
  prototype.createConnection = simulatedCreateConnection;
}

function uninstall(): void {
  // Only put the original back while the hook is on top: a wrapper installed
  // over it since then still calls it, and the hook delegates every agent.
  if (prototype.createConnection !== simulatedCreateConnection) return;
  prototype.createConnection = original!;
  original = undefined;
}

/**
 * Route the sockets `agent` opens through `network`: each becomes a
 * {@linkcode SimHttpSocket} to the route whose host name
 * ({@linkcode hostForRoute}) the request was made to. The agent's own
 * `createConnection` still runs, and so does its subclass's override: the
 * simulated socket is created where `super.createConnection` would have made
 * a `net.Socket`. A host that is not one of `routes`' names is used as the
 * route itself.
 *
 * An override that never calls `super.createConnection` (it builds its socket
 * some other way) is not reached: its requests go to the real network and
 * {@linkcode leaseThroughAgent} rejects them. `https.Agent` has its own
 * `createConnection` (TLS) and is not supported.
 *
 * @param agent The agent (an `http.Agent` or an instance of a subclass).
 * @param network The run's simulated network (`world.network`).
 * @param routes The routes requests will be made to (`config.routes`).
 * @returns The attachment, to detach the agent.
 * @throws {Error} When `agent` is already attached.
 *
 * @example A plain agent's sockets land in the ledger
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
 *   const attachment = attachAgent(agent, network, ["api"]);
 *   const leasing = leaseThroughAgent(agent, "api");
 *   await settleStreams(driver);
 *   const lease = await leasing;
 *   assert.equal(lease.socketId, 1);
 *   assert.equal(network.ledger.routeOf(1), "api");
 *   releaseAgentLease(lease, { reusable: false });
 *   agent.destroy();
 *   await settleStreams(driver);
 *   attachment.detach();
 * } finally {
 *   driver.uninstall();
 * }
 * ```
 */
export function attachAgent(
  agent: http.Agent,
  network: SimNetwork,
  routes: readonly Route[],
): AgentAttachment {
  if (targets.has(agent)) throw new Error("this agent is already attached to a simulated network");
  targets.set(agent, {
    network,
    routeByHost: new Map(routes.map((route) => [hostForRoute(route), route])),
  });
  attached++;
  install();
  let detached = false;
  return {
    agent,
    detach() {
      if (detached) return;
      detached = true;
      targets.delete(agent);
      if (--attached === 0) uninstall();
    },
  };
}

/**
 * Whether `agent` is attached to a simulated network by {@linkcode attachAgent}.
 *
 * @param agent Any agent.
 * @returns `true` between `attachAgent(agent, …)` and its `detach()`.
 *
 * @example Attached until detached
 * ```ts
 * import assert from "node:assert/strict";
 * import http from "node:http";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "../net/mod.ts";
 * import { attachAgent, isAgentAttached } from "./mod.ts";
 *
 * const agent = new http.Agent();
 * const attachment = attachAgent(agent, new SimNetwork({ clock: new VirtualClock() }), ["api"]);
 * assert.equal(isAgentAttached(agent), true);
 * attachment.detach();
 * assert.equal(isAgentAttached(agent), false);
 * ```
 */
export function isAgentAttached(agent: http.Agent): boolean {
  return targets.has(agent);
}
