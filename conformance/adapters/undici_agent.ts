/**
 * Adapter for undici 8's `Agent` over several origins: one dispatcher per
 * origin (a `Pool` of `connections` clients, or a single `Client` when
 * `connections` is 1), so routes are origins.
 *
 * The lease mapping is the Pool adapter's (`_http_undici.ts`): a lease is one
 * GET in progress, resolved at its response head, released by finishing the
 * response (reusable) or aborting the request (broken). Connections come from
 * undici's `connect` option: an in-memory socket over the simulated network.
 *
 * @module
 */
import type { Adapter, PoolUnderTest } from "../../src/harness/adapter.ts";
import type { Route, SocketId } from "../../src/net/types.ts";
import {
  acquireRequest,
  clientOptions,
  originOf,
  releaseRequest,
  resetUndiciFastTimer,
  undici,
  type UndiciLease,
} from "./_http_undici.ts";
import { refuseSecondRequest, type SimHttpSocket } from "../../src/http/mod.ts";
import { UNDICI_EVENT_TYPES, undiciEvents, undiciRejectionKind } from "./undici_pool.ts";

// A fast timer armed on real time before any run would never see fake time.
resetUndiciFastTimer();

/**
 * undici 8.12 `Agent` over the simulated network, with global time faked.
 *
 * Declarations and the source facts behind them (under
 * `node_modules/undici/lib/`), beyond those of `undiciPoolAdapter`:
 * - `maxPerRoute`: `connections` is per origin, each origin getting its own
 *   dispatcher (`dispatcher/agent.js`, `kDispatch`, `defaultFactory`). The
 *   Agent has no total limit, so `maxTotal` is drawn at 12, which routes (≤ 2)
 *   × maxPerRoute (≤ 3) never exceed; the total never binds. Two routes are
 *   enough to show that origins share nothing; more only spread the same
 *   commands thinner (fewer waiters per origin) and make runs slower.
 * - `ttl` is not declared: `clientTtl` is a Pool option, and with
 *   `connections: 1` the Agent builds a `Client`, which has no TTL.
 * - `rejectionKinds` and `events`: as the Pool's (`undiciRejectionKind`,
 *   `undiciEvents` in `undici_pool.ts`): the Agent forwards each
 *   dispatcher's `connect` and `disconnect` as `[agent, …targets]`
 *   (`dispatcher/agent.js`, `kOnConnect`, `kOnDisconnect`), and a request
 *   fails with its dispatcher's errors, or with `ClientClosedError` /
 *   `ClientDestroyedError` from the Agent's own `dispatch` once it is closed
 *   (`dispatcher/dispatcher-base.js`).
 * - Per origin, the policies are the Pool's (FIFO queue, no overtaking,
 *   reuse "any", drain on close, a failed connect rejects); across origins
 *   nothing is shared, so no idle connection of another route is closed to
 *   make room.
 *
 * @example Several routes, a per-route limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { undiciAgentAdapter } from "./undici_agent.ts";
 *
 * assert.equal(undiciAgentAdapter.name, "undici-agent");
 * assert.ok(undiciAgentAdapter.supports.capabilities.includes("maxPerRoute"));
 * ```
 */
export const undiciAgentAdapter: Adapter<UndiciLease> = {
  name: "undici-agent",
  supports: {
    timeMode: "global",
    capabilities: [
      "releaseBroken",
      "maxPerRoute",
      "keepAliveHint",
      "defaultKeepAlive",
      "connectTimeout",
      "rejectionKinds",
      "events",
    ],
    ranges: {
      routes: [1, 2],
      maxTotal: [12, 12],
      maxPerRoute: [1, 3],
      keepAliveHintMs: [1_000, 20_000],
      defaultKeepAliveMs: [1, 20_000],
      connectTimeoutMs: [500, 10_000],
    },
    policies: {
      reuseOrder: "any",
      waiterOrder: "fifo",
      overtaking: false,
      expiry: ["timer"],
      closeWaiters: "drain",
      connectFailure: "reject",
      limitsCountIdle: true,
      closeIdleOfOtherRoutes: false,
      // undici's Client listens for 'end' and 'close' on its socket and drops it at once (lib/dispatcher/client-h1.js).
      closeDetection: "event",
    },
    toleranceMs: 500,
    // The hint crosses HTTP in whole seconds (up to 999 ms less than the server
    // keeps the connection); keepAliveTimeoutThreshold is 0 here.
    keepAliveLeadMs: 999,
    eventTypes: UNDICI_EVENT_TYPES,
  },
  create(config, world): PoolUnderTest<UndiciLease> {
    resetUndiciFastTimer();
    const routeByHost = new Map<string, Route>(
      config.routes.map((route) => [new URL(originOf(route)).hostname, route]),
    );
    const sockets = new Map<SocketId, SimHttpSocket>();
    const routeOf = (hostname: string) => routeByHost.get(hostname) ?? hostname;
    const events = undiciEvents(routeOf);
    const track = (socket: SimHttpSocket) => {
      events.track(socket);
      socket.once("connect", () => sockets.set(socket.simSocketId as SocketId, socket));
    };
    const agent = new undici.Agent({
      connections: config.maxPerRoute,
      ...clientOptions(world.network, routeOf, config, track),
    } as never);
    return {
      acquire: (route) => acquireRequest(agent as never, route, (id) => sockets.get(id)),
      release: (lease, { reusable }) => releaseRequest(lease, reusable),
      connectionOf: (lease) => lease.socketId,
      request: refuseSecondRequest,
      close: async () => {
        await agent.close();
        resetUndiciFastTimer();
      },
      rejectionKind: undiciRejectionKind,
      events: (listener) => events.subscribe(agent as never, listener),
    };
  },
};
