import type { Route, SocketId } from "../net/types.ts";

/**
 * Why the pool closed a connection. CMAP's reasons (`stale`, `idle`, `error`,
 * `poolClosed`) plus the finer causes the reference pool distinguishes.
 * - `stale`: from a generation before the last `clear()`.
 * - `expired`: past its TTL or keep-alive deadline.
 * - `idle`: idle past `idleTimeoutMs`, `closeIdle(ms)` or `connectionsMaxIdleMs`.
 * - `error`: released with `reusable: false`.
 * - `peerClosed`: the server closed it (seen by the half-close event or validation).
 * - `maxRequests`: served the keep-alive `max=M` requests (with `honourKeepAliveMax`).
 * - `maxUses`: its `maxUses`-th lease was released (pg-pool's "expended client").
 * - `evicted`: closed to make room for another route when the pool was full.
 * - `poolClosed`: the pool is closed.
 * - `aborted`: a connect abandoned by the pool (timeout or close).
 */
export type ConnectionClosedReason =
  | "stale"
  | "expired"
  | "idle"
  | "error"
  | "peerClosed"
  | "maxRequests"
  | "maxUses"
  | "evicted"
  | "poolClosed"
  | "aborted";

/** Why an acquire or send failed (CMAP's `ConnectionCheckOutFailed` reasons, extended). */
export type CheckOutFailedReason =
  | "poolClosed"
  | "poolCleared"
  | "timeout"
  | "connectionError"
  | "waitQueueFull";

/** The pool's event names, in MongoDB CMAP's vocabulary. */
export type PoolEventType =
  | "PoolCreated"
  | "PoolReady"
  | "PoolCleared"
  | "PoolClosed"
  | "ConnectionCreated"
  | "ConnectionReady"
  | "ConnectionClosed"
  | "ConnectionCheckOutStarted"
  | "ConnectionCheckOutFailed"
  | "ConnectionCheckedOut"
  | "ConnectionCheckedIn";

/**
 * One thing the pool did. Fields beyond `type` and `t` are set when they apply
 * to the event: connection events carry `connectionId` (the pool's own id) and,
 * once established, `socketId`; connection and check-out events carry `route`
 * and, under CMAP's name, `address` (the same value). After MongoDB CMAP:
 * `PoolCreated` carries the `options` the pool was created with;
 * `ConnectionCheckOutStarted` and the `ConnectionCheckedOut` or
 * `ConnectionCheckOutFailed` that ends the same check-out share a
 * `checkOutId`; `ConnectionReady` (since `ConnectionCreated`),
 * `ConnectionCheckedOut` and `ConnectionCheckOutFailed` (since
 * `ConnectionCheckOutStarted`) carry `durationMs` in virtual time;
 * `PoolCleared` says whether the clear interrupted in-use connections.
 */
export interface PoolEvent {
  /** What happened. */
  readonly type: PoolEventType;
  /** Virtual time. */
  readonly t: number;
  /** Route concerned. */
  readonly route?: Route;
  /** The pool's id for the connection (stable before the socket exists). */
  readonly connectionId?: number;
  /** The simulated socket, once the connection is established. */
  readonly socketId?: SocketId;
  /** The lease checked out or in. */
  readonly leaseId?: number;
  /** Why a connection closed or a check-out failed. */
  readonly reason?: ConnectionClosedReason | CheckOutFailedReason;
  /** The pool's generation after `clear()`. */
  readonly generation?: number;
  /** CMAP's name for the route of a connection or check-out event (equal to `route`). */
  readonly address?: Route;
  /** Links a `ConnectionCheckOutStarted` to the event that ends the same check-out. */
  readonly checkOutId?: number;
  /** Virtual ms since the connect started (`ConnectionReady`) or the check-out started. */
  readonly durationMs?: number;
  /** `PoolCreated`: the behaviour options the pool was given (defaults not filled in). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** `PoolCleared`: whether in-use and connecting connections were closed at once. */
  readonly interruptInUseConnections?: boolean;
}
