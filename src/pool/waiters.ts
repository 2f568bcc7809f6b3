import type { Route } from "../net/types.ts";
import { discard, emit, type Entry, type Failure, type Step, type Waiter } from "./core_state.ts";
import type { CheckOutFailedReason } from "./events.ts";
import { passesValidation, perishedReason } from "./expiry.ts";
import { claimCapacity, connectingCount, openConnection } from "./limits.ts";

/*
 * Waiters are served first come, first served (FIFO) within a route. A waiter
 * blocked by its route's limit or backoff never blocks waiters of other
 * routes: the serving pass skips a blocked route and goes on.
 * Rules ORD-1 (arrival order), ORD-3 (no head-of-line blocking), LSE-3 (idle
 * before new), ORD-4 (LIFO/FIFO reuse), TMO-1 (a late connection serves the
 * next waiter or goes idle).
 */

/**
 * Take the idle connection of `route` to lease next (LIFO or FIFO), closing
 * on the way every one that perished (stale, seen closed, expired, idle too
 * long) or fails validation; lazily, at lease time, as Apache does.
 *
 * @param step The current step.
 * @param route The route.
 * @returns A usable connection, or `undefined`.
 */
export function takeIdle(step: Step, route: Route): Entry | undefined {
  const lifo = step.config.reuseOrder === "lifo";
  for (;;) {
    // The idle connection that went idle last (LIFO) or first (FIFO); of equal orders, the
    // last created (LIFO) or the first (FIFO).
    let entry: Entry | undefined;
    for (const candidate of step.state.byRoute.get(route)?.values() ?? []) {
      if (candidate.state !== "available") continue;
      if (
        entry === undefined ||
        (lifo ? candidate.idleOrder >= entry.idleOrder : candidate.idleOrder < entry.idleOrder)
      ) entry = candidate;
    }
    if (entry === undefined) return undefined;
    const reason = perishedReason(step, entry);
    if (reason !== undefined) {
      discard(step, entry, reason);
    } else if (passesValidation(step, entry)) {
      return entry;
    }
  }
}

/**
 * Lease a connection to a caller (who may never have queued).
 *
 * @param step The current step.
 * @param waiter The caller's id and when its check-out started.
 * @param entry The connection.
 */
export function grant(
  step: Step,
  waiter: Pick<Waiter, "id" | "startedAt">,
  entry: Entry,
): void {
  const waiterId = waiter.id;
  const leaseId = step.state.nextLeaseId++;
  step.state.connecting.delete(entry.id);
  entry.state = "leased";
  entry.leaseId = leaseId;
  entry.uses++;
  step.out.push({ type: "grant", waiterId, connectionId: entry.id, leaseId });
  emit(step, {
    type: "ConnectionCheckedOut",
    route: entry.route,
    connectionId: entry.id,
    leaseId,
    ...(entry.socketId === undefined ? {} : { socketId: entry.socketId }),
    checkOutId: waiterId,
    durationMs: step.now - waiter.startedAt,
  });
}

const FAILURE_REASONS: Record<Failure["kind"], CheckOutFailedReason> = {
  poolClosed: "poolClosed",
  poolCleared: "poolCleared",
  timeout: "timeout",
  requestTimeout: "timeout",
  waitQueueFull: "waitQueueFull",
  connect: "connectionError",
};

/**
 * Fail a caller, removing it from the queue it is in (if any).
 *
 * @param step The current step.
 * @param waiter The caller.
 * @param failure Why.
 */
export function reject(step: Step, waiter: Waiter, failure: Failure): void {
  for (const queue of [step.state.waiters, step.state.sends]) {
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
  }
  cancelAcquireTimer(step, waiter);
  step.out.push({ type: "reject", waiterId: waiter.id, failure });
  emit(step, {
    type: "ConnectionCheckOutFailed",
    route: waiter.route,
    reason: FAILURE_REASONS[failure.kind],
    checkOutId: waiter.id,
    durationMs: step.now - waiter.startedAt,
  });
}

/**
 * Fail every queued caller at once (clear, close).
 *
 * @param step The current step.
 * @param failure Why.
 * @param spareEstablishing Leave callers establishing their own connection
 * alone (a CMAP clear without interruption: they left the wait queue).
 */
export function rejectAll(step: Step, failure: Failure, spareEstablishing = false): void {
  for (const waiter of [...step.state.waiters, ...step.state.sends]) {
    if (spareEstablishing && waiter.establishing !== undefined) continue;
    reject(step, waiter, failure);
  }
}

/**
 * Serve the queue in arrival order: hand out idle connections, and open
 * connections for waiters no connect in progress will serve, as capacity,
 * `maxConnecting` and backoff allow.
 *
 * @param step The current step.
 */
export function serveWaiters(step: Step): void {
  const pass = step.config.connectOwnership === "acquire" ? ownersPass : waitersPass;
  // A pass closes the perished idle connections of a route only when it reaches one of the
  // route's waiters: room freed that way after an older waiter's route was found full is
  // offered to that waiter by another pass (each such pass has closed a connection).
  while (pass(step)) { /* again */ }
}

/** One serving pass in arrival order; `true` when it freed room after finding a route full. */
function waitersPass(step: Step): boolean {
  const blocked = new Set<Route>();
  const covered = new Map<Route, number>();
  let freedLate = false;
  for (const waiter of [...step.state.waiters]) {
    const { route } = waiter;
    if (blocked.has(route)) continue;
    const held = step.state.entries.size;
    const idle = takeIdle(step, route); // closes the route's perished idle connections on its way
    if (blocked.size > 0 && step.state.entries.size < held) freedLate = true;
    if (idle !== undefined) {
      step.state.waiters.splice(step.state.waiters.indexOf(waiter), 1);
      cancelAcquireTimer(step, waiter);
      grant(step, waiter, idle);
      continue;
    }
    const ahead = covered.get(route) ?? 0;
    if (ahead < connectingCount(step, route)) {
      covered.set(route, ahead + 1); // a connect in progress will serve it
    } else if (claimCapacity(step, route)) {
      openConnection(step, route);
      covered.set(route, ahead + 1);
    } else {
      blocked.add(route);
    }
  }
  return freedLate;
}

/**
 * CMAP's check-out: the oldest waiter of a route takes an idle connection,
 * or, capacity allowing, starts a connect of its own and leaves the queue of
 * those waiting for one; it then ends with that connection (or its failure),
 * and its acquire timeout no longer applies (the connect timeout does).
 */
function ownersPass(step: Step): boolean {
  let freedLate = false;
  const blocked = new Set<Route>();
  // Connects nobody owns (minPoolSize population) serve the first waiters that find no idle
  // connection, as CMAP's "threads blocked by maxConnecting check out minPoolSize connections"
  // expects: such a waiter waits for them instead of opening a connection of its own.
  const unowned = new Map<Route, number>();
  for (const waiter of [...step.state.waiters]) {
    const { route } = waiter;
    if (waiter.establishing !== undefined || blocked.has(route)) continue;
    const held = step.state.entries.size;
    const idle = takeIdle(step, route); // closes the route's perished idle connections on its way
    if (blocked.size > 0 && step.state.entries.size < held) freedLate = true;
    if (!unowned.has(route)) unowned.set(route, unownedConnectingCount(step, route));
    if (idle !== undefined) {
      step.state.waiters.splice(step.state.waiters.indexOf(waiter), 1);
      cancelAcquireTimer(step, waiter);
      grant(step, waiter, idle);
    } else if (unowned.get(route)! > 0) {
      unowned.set(route, unowned.get(route)! - 1); // a population connect in progress will serve it
    } else if (claimCapacity(step, route)) {
      waiter.establishing = openConnection(step, route, { ownerId: waiter.id }).id;
      cancelAcquireTimer(step, waiter);
    } else {
      blocked.add(route);
    }
  }
  return freedLate;
}

/** Connects in progress to `route` that no caller owns (the pool's own, for `minPoolSize`). */
function unownedConnectingCount(step: Step, route: Route): number {
  let count = 0;
  for (const entry of step.state.entries.values()) {
    if (entry.state === "connecting" && entry.route === route && entry.ownerId === undefined) {
      count++;
    }
  }
  return count;
}

/**
 * The caller that owns a connect (`connectOwnership: "acquire"`), if it still waits.
 *
 * @param step The current step.
 * @param entry The connection.
 * @returns The waiting owner, or `undefined`.
 */
export function ownerOf(step: Step, entry: Entry): Waiter | undefined {
  if (entry.ownerId === undefined) return undefined;
  return step.state.waiters.find((waiter) => waiter.id === entry.ownerId);
}

function cancelAcquireTimer(step: Step, waiter: Waiter): void {
  if (waiter.timeoutMs === undefined) return;
  const timer = { kind: "acquire", waiterId: waiter.id, timeoutMs: waiter.timeoutMs } as const;
  step.out.push({ type: "cancelTimer", timer });
}
