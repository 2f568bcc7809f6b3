import type { KeepAliveHint } from "../net/types.ts";
import { discard, type Entry, type Step } from "./core_state.ts";
import type { ConnectionClosedReason } from "./events.ts";

/*
 * Expiry rules. Deadlines compare strictly, as Apache's `Deadline.isBefore`:
 * a connection whose deadline is 1000 is still usable at 1000 and expired at
 * 1001. "Idle longer than d" likewise means `now - idleSince > d`, except for
 * `closeIdle(d)`, which (as Apache's `closeIdle`) closes those idle at least d.
 * Rules EXP-1 (TTL), EXP-2 (keep-alive), EXP-3 (max=M), EXP-4 (validation),
 * EXP-5 (closeIdle/closeExpired/evictor), TMO-4 (max idle).
 */

/**
 * The deadline of a connection going idle now: Apache's
 * `min(now + keep-alive, createdAt + ttl)`, keep-alive from the last
 * response's `timeout=N` hint or `defaultKeepAliveMs`.
 *
 * @param step The current step.
 * @param entry The connection going idle.
 * @param hint The keep-alive hint of its last response, if any.
 * @returns The deadline in virtual ms.
 */
export function idleDeadline(step: Step, entry: Entry, hint: KeepAliveHint | undefined): number {
  const keepAliveMs = hint?.timeoutMs ?? step.config.defaultKeepAliveMs;
  return Math.min(step.now + keepAliveMs, entry.createdAt + step.config.ttlMs);
}

/**
 * Whether an idle connection has served the keep-alive `max=M` requests and,
 * with `honourKeepAliveMax` (JDK), must not be reused.
 *
 * @param step The current step.
 * @param hint The hint of its last response.
 * @param requestsServed Responses it received.
 * @returns `true` when it must be closed instead of reused.
 */
export function reachedKeepAliveMax(
  step: Step,
  hint: KeepAliveHint | undefined,
  requestsServed: number,
): boolean {
  return step.config.honourKeepAliveMax && hint?.max !== undefined && requestsServed >= hint.max;
}

/**
 * Why an idle connection may no longer be leased, judged without touching
 * the socket; `undefined` when it may be (subject to validation).
 *
 * @param step The current step.
 * @param entry An available connection.
 * @returns The reason to close it, or `undefined`.
 */
export function perishedReason(step: Step, entry: Entry): ConnectionClosedReason | undefined {
  if (entry.generation !== step.state.generation) return "stale";
  if (entry.peerClosed) return "peerClosed";
  if (entry.expiresAt < step.now) return "expired";
  const idleFor = step.now - entry.idleSince;
  if (idleFor > step.config.idleTimeoutMs) return "idle";
  // CMAP's maxIdleTimeMS: judged when a check-out meets the connection, never by a timer.
  if (step.config.idleExpiry === "checkout" && idleFor > step.config.connectionsMaxIdleMs) {
    return "idle";
  }
  return undefined;
}

/**
 * Apache's validate-after-inactivity: a connection idle longer than the
 * setting is probed; one the server closed is discarded.
 *
 * @param step The current step.
 * @param entry An available, otherwise usable connection.
 * @returns `true` when it may be leased.
 */
export function passesValidation(step: Step, entry: Entry): boolean {
  if (step.now - entry.idleSince <= step.config.validateAfterInactivityMs) return true;
  if (!step.probe(entry.id)) return true;
  entry.peerClosed = true;
  discard(step, entry, "peerClosed");
  return false;
}

/**
 * Close every available connection past its deadline (or stale, or seen
 * closed); leased ones are untouched.
 *
 * @param step The current step.
 */
export function closeExpired(step: Step): void {
  for (const entry of idleByAge(step)) {
    const reason = perishedReason(step, entry);
    if (reason !== undefined && reason !== "idle") discard(step, entry, reason);
  }
}

/**
 * Close every idle connection idle for at least `idleMs` (or, with `strict`,
 * longer than `idleMs`), least recently used first.
 *
 * @param step The current step.
 * @param idleMs The idle threshold.
 * @param strict Compare with `>` instead of `>=`.
 */
export function closeIdle(step: Step, idleMs: number, strict: boolean): void {
  for (const entry of idleByAge(step)) {
    const idleFor = step.now - entry.idleSince;
    if (strict ? idleFor > idleMs : idleFor >= idleMs) discard(step, entry, "idle");
  }
}

/**
 * Idle connections, least recently active first. In multiplexed mode an open
 * connection with nothing in flight is idle.
 *
 * @param step The current step.
 * @returns The idle entries, oldest idle first.
 */
export function idleByAge(step: Step): Entry[] {
  return [...step.state.entries.values()]
    .filter((entry) => entry.state === "available" && entry.inFlight === 0)
    .sort((a, b) => a.idleSince - b.idleSince || a.idleOrder - b.idleOrder);
}

/**
 * Kafka's `connections.max.idle.ms`: close connections idle longer than the
 * limit, least recently active first, and arm the timer for the next one
 * (nothing with `idleExpiry: "checkout"`, where check-outs enforce it).
 *
 * @param step The current step.
 */
export function sweepIdle(step: Step): void {
  const maxIdleMs = step.config.connectionsMaxIdleMs;
  if (maxIdleMs === Infinity || step.state.status === "closed") return;
  if (step.config.idleExpiry === "checkout") return;
  closeIdle(step, maxIdleMs, true);
  const oldest = idleByAge(step)[0];
  // Strict comparison: the first instant it is idle *longer* than the limit.
  const next = oldest === undefined ? undefined : oldest.idleSince + maxIdleMs + 1;
  if (next === step.state.sweepAt) return;
  if (step.state.sweepAt !== undefined) {
    step.out.push({ type: "cancelTimer", timer: { kind: "idleSweep" } });
  }
  step.state.sweepAt = next;
  if (next !== undefined) {
    step.out.push({ type: "armTimer", timer: { kind: "idleSweep" }, delayMs: next - step.now });
  }
}

/**
 * The periodic evictor (Apache's `IdleConnectionEvictor`): closeExpired, then
 * the idle timeout, then re-arm.
 *
 * @param step The current step.
 */
export function runEvictor(step: Step): void {
  closeExpired(step);
  if (step.config.idleTimeoutMs !== Infinity) closeIdle(step, step.config.idleTimeoutMs, true);
  armEvictor(step);
}

/**
 * Arm the evictor's next run, if it is configured.
 *
 * @param step The current step.
 */
export function armEvictor(step: Step): void {
  const delayMs = step.config.evictionIntervalMs;
  if (delayMs !== Infinity && step.state.status !== "closed") {
    step.out.push({ type: "armTimer", timer: { kind: "evictor" }, delayMs });
  }
}
