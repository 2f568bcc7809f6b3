import type { Route, SocketId } from "./types.ts";

/**
 * A connect the server refused.
 *
 * @example Telling a refused connect apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectRefusedError } from "./errors.ts";
 *
 * const error = new ConnectRefusedError("db:5432", 3);
 * assert.equal(error.code, "ECONNREFUSED");
 * assert.equal(error.route, "db:5432");
 * ```
 */
export class ConnectRefusedError extends Error {
  /** Stable error code. */
  readonly code = "ECONNREFUSED" as const;
  /** Route that refused. */
  readonly route: Route;
  /** Socket that was being connected. */
  readonly socketId: SocketId;

  /**
   * Describe a refused connect.
   *
   * @param route Route that refused.
   * @param socketId Socket that was being connected.
   */
  constructor(route: Route, socketId: SocketId) {
    super(`Connect to '${route}' refused (socket ${socketId})`);
    this.name = "ConnectRefusedError";
    this.route = route;
    this.socketId = socketId;
  }
}

/**
 * A connect the client gave up (its abort signal fired, or it closed the
 * socket before it was established).
 *
 * @example Inspecting an aborted connect
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectAbortedError } from "./errors.ts";
 *
 * const error = new ConnectAbortedError("db:5432", 4);
 * assert.equal(error.code, "ECONNABORTED");
 * ```
 */
export class ConnectAbortedError extends Error {
  /** Stable error code. */
  readonly code = "ECONNABORTED" as const;
  /** Route being connected. */
  readonly route: Route;
  /** Socket that was being connected. */
  readonly socketId: SocketId;

  /**
   * Describe an aborted connect.
   *
   * @param route Route being connected.
   * @param socketId Socket that was being connected.
   * @param cause Why the client aborted, if known.
   */
  constructor(route: Route, socketId: SocketId, cause?: unknown) {
    super(`Connect to '${route}' aborted by the client (socket ${socketId})`, { cause });
    this.name = "ConnectAbortedError";
    this.route = route;
    this.socketId = socketId;
  }
}

/** Why a request on a socket failed. */
export type SocketClosedReason = "reset" | "peer-closed" | "client-closed";

/**
 * A request failed because its socket was reset, closed by the server, or
 * closed by the client.
 *
 * @example Reading why a request failed
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketClosedError } from "./errors.ts";
 *
 * const error = new SocketClosedError(7, "peer-closed");
 * assert.equal(error.reason, "peer-closed");
 * assert.equal(error.code, "ESOCKETCLOSED");
 * ```
 */
export class SocketClosedError extends Error {
  /** Stable error code. */
  readonly code = "ESOCKETCLOSED" as const;
  /** Socket the request was on. */
  readonly socketId: SocketId;
  /** What ended the socket. */
  readonly reason: SocketClosedReason;

  /**
   * Describe a request that failed on a closed socket.
   *
   * @param socketId Socket the request was on.
   * @param reason What ended the socket.
   */
  constructor(socketId: SocketId, reason: SocketClosedReason) {
    super(`Socket ${socketId} is closed (${reason})`);
    this.name = "SocketClosedError";
    this.socketId = socketId;
    this.reason = reason;
  }
}
