import type { Route } from "../net/types.ts";
import { mayConnect } from "./backoff.ts";
import { addEntry, countOf, discard, emit, type Entry, type Step } from "./core_state.ts";
import { idleByAge } from "./expiry.ts";
import { routeLimit } from "./options.ts";

/*
 * Limits count every connection the pool holds (connecting, available and
 * leased), per route and in total, as Apache's StrictConnPool does; connects
 * in progress are also limited on their own (CMAP's maxConnecting).
 * Rules LIM-1 (total), LIM-2 (per route, overrides included), LIM-3 (connecting).
 */

/**
 * Connects in progress, of one route or of the whole pool.
 *
 * @param step The current step.
 * @param route The route, or `undefined` for all routes.
 * @returns How many entries are connecting.
 */
export function connectingCount(step: Step, route?: Route): number {
  const { connecting } = step.state;
  if (route === undefined) return connecting.size;
  let count = 0;
  for (const entry of connecting.values()) if (entry.route === route) count++;
  return count;
}

/**
 * Whether a new connection to `route` may be opened now, closing the least
 * recently used idle connection of another route to make room when the pool
 * is full and `closeIdleOfOtherRoutes` is set (Apache).
 *
 * @param step The current step.
 * @param route The route a caller waits for.
 * @returns `true` when a connect may start now.
 */
export function claimCapacity(step: Step, route: Route): boolean {
  const { state, config } = step;
  if (state.status !== "ready" || !mayConnect(step, route)) return false;
  if (countOf(state, route) >= routeLimit(config, route)) return false;
  if (connectingCount(step) >= config.maxConnecting) return false;
  if (state.entries.size < config.maxTotal) return true;
  return makeRoom(step, route);
}

function makeRoom(step: Step, route: Route): boolean {
  if (!step.config.closeIdleOfOtherRoutes) return false;
  const victim = idleByAge(step).find((entry) => entry.route !== route);
  if (victim === undefined) return false;
  discard(step, victim, "evicted");
  return true;
}

/**
 * Start a connect to `route`; the entry counts against the limits at once.
 *
 * @param step The current step.
 * @param route The route.
 * @param origin The acquire that owns it (`connectOwnership: "acquire"`), or
 * `populating` for a background connect towards `minPoolSize`.
 * @returns The new entry, in state `connecting`.
 */
export function openConnection(
  step: Step,
  route: Route,
  origin: { readonly ownerId?: number; readonly populating?: boolean } = {},
): Entry {
  const { state, config, now } = step;
  const entry: Entry = {
    id: state.nextConnectionId++,
    route,
    generation: state.generation,
    createdAt: now,
    state: "connecting",
    socketId: undefined,
    idleSince: now,
    idleOrder: 0,
    expiresAt: Infinity,
    peerClosed: false,
    leaseId: undefined,
    uses: 0,
    inFlight: 0,
    ownerId: origin.ownerId,
    populating: origin.populating ?? false,
  };
  addEntry(state, entry);
  step.out.push({ type: "connect", connectionId: entry.id, route });
  emit(step, { type: "ConnectionCreated", route, connectionId: entry.id });
  if (config.connectTimeoutMs !== Infinity) {
    const timer = { kind: "connect", connectionId: entry.id } as const;
    step.out.push({ type: "armTimer", timer, delayMs: config.connectTimeoutMs });
  }
  return entry;
}
