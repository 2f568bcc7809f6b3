import type { Route } from "../net/types.ts";

/**
 * An acquire or send the pool refused because it is closed (before or while
 * the call waited).
 *
 * @example Acquiring from a closed pool
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolClosedError } from "./errors.ts";
 *
 * const error = new PoolClosedError("api");
 * assert.equal(error.code, "POOL_CLOSED");
 * assert.equal(error.route, "api");
 * ```
 */
export class PoolClosedError extends Error {
  /** Stable error code. */
  readonly code = "POOL_CLOSED" as const;
  /** Route the caller asked for. */
  readonly route: Route;

  /**
   * Create the error.
   *
   * @param route Route the caller asked for.
   */
  constructor(route: Route) {
    super(`Cannot acquire a connection to '${route}' as the pool is closed`);
    this.name = "PoolClosedError";
    this.route = route;
  }
}

/**
 * An acquire that waited until its `timeoutMs` deadline without a connection.
 *
 * @example Reading the deadline that passed
 * ```ts
 * import assert from "node:assert/strict";
 * import { AcquireTimeoutError } from "./errors.ts";
 *
 * const error = new AcquireTimeoutError("api", 500);
 * assert.equal(error.code, "ACQUIRE_TIMEOUT");
 * assert.equal(error.timeoutMs, 500);
 * ```
 */
export class AcquireTimeoutError extends Error {
  /** Stable error code. */
  readonly code = "ACQUIRE_TIMEOUT" as const;
  /** Route the caller asked for. */
  readonly route: Route;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Create the error.
   *
   * @param route Route the caller asked for.
   * @param timeoutMs The timeout that elapsed.
   */
  constructor(route: Route, timeoutMs: number) {
    super(`Cannot acquire a connection to '${route}' within ${timeoutMs} ms`);
    this.name = "AcquireTimeoutError";
    this.route = route;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A request sent in multiplexed mode was not answered within the pool's
 * `requestTimeoutMs` (Kafka's `request.timeout.ms`). The pool closed the
 * connection it was written to, so the other requests in flight on it
 * failed too.
 *
 * @example Telling a timed-out request apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestTimeoutError } from "./errors.ts";
 *
 * const error = new RequestTimeoutError("broker-1", 30_000);
 * assert.equal(error.code, "REQUEST_TIMEOUT");
 * assert.equal(error.timeoutMs, 30_000);
 * ```
 */
export class RequestTimeoutError extends Error {
  /** Stable error code. */
  readonly code = "REQUEST_TIMEOUT" as const;
  /** Route the request was sent to. */
  readonly route: Route;
  /** The request timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Create the error.
   *
   * @param route Route the request was sent to.
   * @param timeoutMs The request timeout that elapsed.
   */
  constructor(route: Route, timeoutMs: number) {
    super(`Request to '${route}' not answered within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
    this.route = route;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * An acquire or send failed because the pool was cleared (CMAP `clear()`):
 * waiters fail at once, and calls fail until `ready()`.
 *
 * @example Telling a cleared pool apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolClearedError } from "./errors.ts";
 *
 * const error = new PoolClearedError("api", 2);
 * assert.equal(error.code, "POOL_CLEARED");
 * assert.equal(error.generation, 2);
 * ```
 */
export class PoolClearedError extends Error {
  /** Stable error code. */
  readonly code = "POOL_CLEARED" as const;
  /** Route the caller asked for. */
  readonly route: Route;
  /** Generation the pool moved to when it was cleared. */
  readonly generation: number;

  /**
   * Create the error.
   *
   * @param route Route the caller asked for.
   * @param generation Generation the pool moved to.
   */
  constructor(route: Route, generation: number) {
    super(`Cannot acquire a connection to '${route}' as the pool was cleared and is paused`);
    this.name = "PoolClearedError";
    this.route = route;
    this.generation = generation;
  }
}

/**
 * An acquire that would have had to wait while `maxWaiters` callers already
 * wait; it fails at once.
 *
 * @example Reading the limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { WaitQueueFullError } from "./errors.ts";
 *
 * const error = new WaitQueueFullError("api", 10);
 * assert.equal(error.code, "WAIT_QUEUE_FULL");
 * assert.equal(error.maxWaiters, 10);
 * ```
 */
export class WaitQueueFullError extends Error {
  /** Stable error code. */
  readonly code = "WAIT_QUEUE_FULL" as const;
  /** Route the caller asked for. */
  readonly route: Route;
  /** The limit that was reached. */
  readonly maxWaiters: number;

  /**
   * Create the error.
   *
   * @param route Route the caller asked for.
   * @param maxWaiters The limit that was reached.
   */
  constructor(route: Route, maxWaiters: number) {
    super(`Cannot wait for a connection to '${route}' as ${maxWaiters} callers already wait`);
    this.name = "WaitQueueFullError";
    this.route = route;
    this.maxWaiters = maxWaiters;
  }
}

/** Options for {@linkcode ConnectError}. */
export interface ConnectErrorOptions {
  /** The network's error, when the network reported one. */
  cause?: unknown;
  /** Set when the pool gave up after its connect timeout. */
  timeoutMs?: number;
}

/**
 * A connect the pool started for the caller failed (refused, aborted, or
 * timed out). `cause` is the network's error.
 *
 * @example A connect that timed out
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectError } from "./errors.ts";
 *
 * const error = new ConnectError("api", { timeoutMs: 100 });
 * assert.equal(error.code, "CONNECT_FAILED");
 * assert.equal(error.timeoutMs, 100);
 * ```
 */
export class ConnectError extends Error {
  /** Stable error code. */
  readonly code = "CONNECT_FAILED" as const;
  /** Route the connect was for. */
  readonly route: Route;
  /** The connect timeout that elapsed, if that is why it failed. */
  readonly timeoutMs: number | undefined;

  /**
   * Create the error.
   *
   * @param route Route the connect was for.
   * @param options The network error and/or the timeout.
   */
  constructor(route: Route, options: ConnectErrorOptions = {}) {
    const { cause, timeoutMs } = options;
    const why = timeoutMs === undefined
      ? cause instanceof Error ? cause.message : String(cause)
      : `timed out after ${timeoutMs} ms`;
    super(`Cannot connect to '${route}': ${why}`, { cause });
    this.name = "ConnectError";
    this.route = route;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Misuse of a lease: releasing one twice, or releasing a lease this pool did
 * not hand out. The pool is left unchanged.
 *
 * @example Reading a misuse
 * ```ts
 * import assert from "node:assert/strict";
 * import { LeaseError } from "./errors.ts";
 *
 * const error = new LeaseError(4, "it was already released");
 * assert.equal(error.code, "LEASE_INVALID");
 * assert.equal(error.leaseId, 4);
 * ```
 */
export class LeaseError extends Error {
  /** Stable error code. */
  readonly code = "LEASE_INVALID" as const;
  /** Id of the lease that was misused, if it had one. */
  readonly leaseId: number | undefined;

  /**
   * Create the error.
   *
   * @param leaseId Id of the misused lease, if known.
   * @param why What was wrong, e.g. `it was already released`.
   * @param shown The value passed as it should be shown, when it has no id
   * (e.g. `null`, `{}`).
   */
  constructor(leaseId: number | undefined, why: string, shown?: string) {
    super(`Cannot release lease ${leaseId ?? shown ?? "(unknown)"} as ${why}`);
    this.name = "LeaseError";
    this.leaseId = leaseId;
  }
}
