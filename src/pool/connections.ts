import type { ClosedBy, KeepAliveHint, SocketId } from "../net/types.ts";
import { recordFailure, recordSuccess } from "./backoff.ts";
import { discard, emit, type Entry, type Failure, markIdle, type Step } from "./core_state.ts";
import type { ConnectionClosedReason } from "./events.ts";
import { idleDeadline, reachedKeepAliveMax } from "./expiry.ts";
import { grant, ownerOf, reject } from "./waiters.ts";
import { clearPool } from "./clearing.ts";

/*
 * What happens to a connection between the network and the pool: its connect
 * completes or fails, the server or network ends it, its holder returns it.
 * Rules ERR-1 (failed connects never leak capacity), ERR-2 (broken releases
 * close), ERR-3 (a close the pool observed is final), TMO-2 (connect timeout).
 */

/** What a release tells the core about the connection's last use. */
export interface ReleaseFacts {
  /** `false` closes the connection. */
  readonly reusable: boolean;
  /** Keep-alive hint of the last response on the socket. */
  readonly keepAlive: KeepAliveHint | undefined;
  /** Responses the socket received. */
  readonly requestsServed: number;
}

/**
 * A connect completed: the connection goes idle (a waiter takes it when the
 * step serves the queue), or is closed if the pool was cleared meanwhile.
 *
 * @param step The current step.
 * @param connectionId The pool's id for the connection.
 * @param socketId The socket the network created.
 */
export function connectionReady(step: Step, connectionId: number, socketId: SocketId): void {
  const entry = step.state.entries.get(connectionId);
  if (entry === undefined || entry.state !== "connecting") {
    // Abandoned (timeout or close) before the socket arrived.
    step.out.push({ type: "close", connectionId, reason: "aborted" });
    return;
  }
  step.out.push({ type: "cancelTimer", timer: { kind: "connect", connectionId } });
  entry.socketId = socketId;
  recordSuccess(step, entry.route);
  emit(step, {
    type: "ConnectionReady",
    route: entry.route,
    connectionId,
    socketId,
    durationMs: step.now - entry.createdAt,
  });
  markIdle(step, entry);
  entry.expiresAt = step.config.multiplexed ? Infinity : idleDeadline(step, entry, undefined);
  const owner = ownerOf(step, entry);
  if (entry.generation !== step.state.generation) {
    discard(step, entry, "stale");
    // CMAP never checks out a stale connection: its owner fails as the clear's other waiters did.
    if (owner !== undefined) {
      reject(step, owner, { kind: "poolCleared", generation: step.state.generation });
    }
  } else if (owner !== undefined) {
    step.state.waiters.splice(step.state.waiters.indexOf(owner), 1);
    grant(step, owner, entry);
  }
}

/**
 * A connect failed or timed out: it frees its slot at once, counts towards
 * the route's backoff, and with the "reject" policy fails the route's oldest
 * waiter, or the acquire that owns the connect ("retry" keeps everyone
 * waiting for the next attempt). A background connect towards `minPoolSize`
 * that fails clears the pool, as CMAP's SDAM hand-off does.
 *
 * @param step The current step.
 * @param connectionId The pool's id for the connection.
 * @param failure What the waiter is told.
 */
export function connectFailed(step: Step, connectionId: number, failure: Failure): void {
  const entry = step.state.entries.get(connectionId);
  if (entry === undefined || entry.state !== "connecting") return;
  discard(step, entry, "error");
  recordFailure(step, entry.route);
  if (entry.populating) return clearPool(step, false);
  const owner = ownerOf(step, entry);
  if (owner !== undefined) {
    owner.establishing = undefined;
    if (step.config.connectFailure === "reject") reject(step, owner, failure);
    return;
  }
  if (step.config.connectFailure === "retry") return;
  const queue = step.config.multiplexed ? step.state.sends : step.state.waiters;
  const oldest = queue.find((waiter) => waiter.route === entry.route);
  if (oldest !== undefined) reject(step, oldest, failure);
}

/**
 * The server half-closed a socket: it is never handed out again; an idle one
 * is closed now, a leased one when it comes back.
 *
 * @param step The current step.
 * @param connectionId The pool's id for the connection.
 */
export function connectionHalfClosed(step: Step, connectionId: number): void {
  const entry = step.state.entries.get(connectionId);
  if (entry === undefined) return;
  entry.peerClosed = true;
  if (entry.state === "available" && entry.inFlight === 0) discard(step, entry, "peerClosed");
}

/**
 * A socket closed without the pool closing it (server, network, or a holder
 * calling `socket.close()`): it leaves the pool at once.
 *
 * @param step The current step.
 * @param connectionId The pool's id for the connection.
 * @param by Who closed it.
 */
export function connectionLost(step: Step, connectionId: number, by: ClosedBy): void {
  const entry = step.state.entries.get(connectionId);
  if (entry === undefined) return;
  // Kafka counts a dropped connection as a failure of its node.
  if (step.config.multiplexed && by !== "client") recordFailure(step, entry.route);
  discard(step, entry, by === "server" ? "peerClosed" : "error");
}

/**
 * A holder returns its lease: the connection goes idle with a new deadline
 * (Apache: min(now + keep-alive, creation + TTL)) or is closed.
 *
 * @param step The current step.
 * @param leaseId The lease.
 * @param facts The connection's last use.
 */
export function leaseReturned(step: Step, leaseId: number, facts: ReleaseFacts): void {
  const orphan = step.state.orphanLeases.get(leaseId);
  const entry = orphan ??
    [...step.state.entries.values()].find((candidate) => candidate.leaseId === leaseId);
  if (entry === undefined) return;
  emit(step, {
    type: "ConnectionCheckedIn",
    route: entry.route,
    connectionId: entry.id,
    leaseId,
    ...(entry.socketId === undefined ? {} : { socketId: entry.socketId }),
  });
  if (orphan !== undefined) {
    step.state.orphanLeases.delete(leaseId);
    return;
  }
  const reason = closeOnReturn(step, entry, facts);
  if (reason !== undefined) return discard(step, entry, reason);
  markIdle(step, entry);
  entry.expiresAt = idleDeadline(step, entry, facts.keepAlive);
}

function closeOnReturn(
  step: Step,
  entry: Entry,
  facts: ReleaseFacts,
): ConnectionClosedReason | undefined {
  if (step.state.status === "closed") return "poolClosed";
  if (!facts.reusable) return "error";
  if (entry.peerClosed) return "peerClosed";
  if (entry.generation !== step.state.generation) return "stale";
  if (reachedKeepAliveMax(step, facts.keepAlive, facts.requestsServed)) return "maxRequests";
  // pg-pool counts a use on every release and removes the client once the
  // count reaches maxUses (pg-pool 3.14 index.js `_release`:
  // `client._poolUseCount >= this.options.maxUses`); leases are counted at
  // grant here, which is the same number when the lease comes back.
  if (entry.uses >= step.config.maxUses) return "maxUses";
  return undefined;
}
