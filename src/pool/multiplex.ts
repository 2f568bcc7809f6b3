import type { Route } from "../net/types.ts";
import { discard, type Entry, type Step } from "./core_state.ts";
import { claimCapacity, connectingCount, openConnection } from "./limits.ts";

/*
 * Multiplexed mode, after Kafka's NetworkClient: one connection per route,
 * shared by every request. At most `maxInFlight` requests are outstanding on
 * it; the rest queue in send order and are written as responses come back.
 * The socket answers in send order, so callers get responses in send order;
 * when it drops, its in-flight requests fail oldest first (the network rejects
 * them in that order) and queued requests wait for the reconnect. A request
 * unanswered for `requestTimeoutMs` fails as timed out and takes its
 * connection down with it (NetworkClient.handleTimedOutRequests): an answer
 * may still be on its way, and the next one read would be taken for it.
 * Rules INF-1 (maxInFlight), INF-2 (send order), INF-3 (failures on disconnect).
 */

/**
 * The route's usable connection: open, current generation, not seen closed.
 *
 * @param step The current step.
 * @param route The route.
 * @returns The connection, or `undefined`.
 */
export function routeConnection(step: Step, route: Route): Entry | undefined {
  for (const entry of step.state.entries.values()) {
    if (
      entry.route === route && entry.state === "available" && !entry.peerClosed &&
      entry.generation === step.state.generation
    ) return entry;
  }
  return undefined;
}

/**
 * Write queued requests, in send order, to their route's connection while it
 * has room, and open a connection for a route that has none.
 *
 * @param step The current step.
 */
export function pumpSends(step: Step): void {
  const blocked = new Set<Route>();
  for (const send of [...step.state.sends]) {
    const { route } = send;
    if (blocked.has(route)) continue;
    const connection = routeConnection(step, route);
    if (connection !== undefined && connection.inFlight < step.config.maxInFlight) {
      step.state.sends.splice(step.state.sends.indexOf(send), 1);
      connection.inFlight++;
      markActive(step, connection);
      step.out.push({ type: "write", waiterId: send.id, connectionId: connection.id });
      if (step.config.requestTimeoutMs !== Infinity) {
        step.out.push({
          type: "armTimer",
          timer: { kind: "request", waiterId: send.id, connectionId: connection.id },
          delayMs: step.config.requestTimeoutMs,
        });
      }
      continue;
    }
    if (
      connection === undefined && connectingCount(step, route) === 0 &&
      claimCapacity(step, route)
    ) {
      openConnection(step, route);
    }
    blocked.add(route);
  }
}

/**
 * A request on `connectionId` settled (answered or failed).
 *
 * @param step The current step.
 * @param connectionId The connection it was written to.
 * @param waiterId The caller that sent it.
 */
export function settleRequest(step: Step, connectionId: number, waiterId: number): void {
  if (step.config.requestTimeoutMs !== Infinity) {
    step.out.push({ type: "cancelTimer", timer: { kind: "request", waiterId, connectionId } });
  }
  const entry = step.state.entries.get(connectionId);
  if (entry === undefined) return;
  entry.inFlight--;
  markActive(step, entry);
}

/**
 * A request written to `connectionId` was not answered within the request
 * timeout: its caller fails, and the connection closes, which fails the
 * other requests in flight on it.
 *
 * @param step The current step.
 * @param connectionId The connection it was written to.
 * @param waiterId The caller that sent it.
 */
export function requestTimedOut(step: Step, connectionId: number, waiterId: number): void {
  step.out.push({
    type: "reject",
    waiterId,
    failure: { kind: "requestTimeout", timeoutMs: step.config.requestTimeoutMs },
  });
  const entry = step.state.entries.get(connectionId);
  if (entry !== undefined) discard(step, entry, "error");
}

/**
 * Close connections of an older generation once nothing is in flight on them.
 *
 * @param step The current step.
 */
export function closeDrainedStale(step: Step): void {
  for (const entry of [...step.state.entries.values()]) {
    if (
      entry.state === "available" && entry.inFlight === 0 &&
      entry.generation !== step.state.generation
    ) discard(step, entry, "stale");
  }
}

function markActive(step: Step, entry: Entry): void {
  entry.idleSince = step.now;
  entry.idleOrder = step.state.nextIdleOrder++;
}
