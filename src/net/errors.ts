import { resumeFrames, suspendFrames } from "./_frameless.ts";
import type { Route, SocketId } from "./types.ts";

/**
 * A plain `Error` built without stack frames, as the simulated network builds
 * its own errors: for an adapter that destroys a client's stream or aborts a
 * request with an error of its own (`released as broken`), since node:stream's
 * `destroy` formats the stack of the error it is given, which is costly under
 * Deno. Its `stack` is its first line alone (where the engine allows it; under
 * Bun the frames are kept).
 *
 * @param message Its message.
 * @returns The error.
 *
 * @example Destroying a response body with a frameless error
 * ```ts
 * import assert from "node:assert/strict";
 * import { Readable } from "node:stream";
 * import { framelessError } from "./errors.ts";
 *
 * const body = new Readable({ read() {} });
 * body.on("error", () => {});
 * const error = framelessError("released as broken");
 * body.destroy(error);
 * assert.equal(body.errored, error);
 * assert.equal(error.message, "released as broken");
 * ```
 */
export function framelessError(message: string): Error {
  const limit = suspendFrames();
  const error = new Error(message);
  resumeFrames(limit);
  return error;
}

/**
 * A connect the server refused. Like every error of the simulated network, it
 * carries no stack frames: its `stack` is its first line alone.
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
    const message = `Connect to '${route}' refused (socket ${socketId})`;
    const limit = suspendFrames();
    super(message);
    resumeFrames(limit);
    this.name = "ConnectRefusedError";
    this.route = route;
    this.socketId = socketId;
  }
}

/**
 * A connect the client gave up (its abort signal fired, or it closed the
 * socket before it was established). It carries no stack frames.
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
    const message = `Connect to '${route}' aborted by the client (socket ${socketId})`;
    const limit = suspendFrames();
    super(message, { cause });
    resumeFrames(limit);
    this.name = "ConnectAbortedError";
    this.route = route;
    this.socketId = socketId;
  }
}

/** Why a request on a socket failed. */
export type SocketClosedReason = "reset" | "peer-closed" | "client-closed";

/**
 * A request failed because its socket was reset, closed by the server, or
 * closed by the client. It carries no stack frames.
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
    const message = `Socket ${socketId} is closed (${reason})`;
    const limit = suspendFrames();
    super(message);
    resumeFrames(limit);
    this.name = "SocketClosedError";
    this.socketId = socketId;
    this.reason = reason;
  }
}
