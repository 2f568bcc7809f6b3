/**
 * Shared vocabulary of the simulated network: routes, sockets, faults and the
 * ledger events the rules read.
 *
 * @module
 */

/** A route names a server endpoint, e.g. `"http://a:80"` or a broker id. */
export type Route = string;

/** Identifier of a simulated socket, unique within one network: 1, 2, 3, … */
export type SocketId = number;

/** Identifier of a request, unique within one network: 1, 2, 3, … */
export type RequestId = number;

/**
 * Life cycle of a simulated socket.
 * - `connecting`: connect started, not yet established.
 * - `open`: established, both sides up.
 * - `half-closed`: the server closed its side; the client learns it only by
 *   validating the socket, using it, or listening for the close event.
 * - `closed`: gone (closed by the client, reset, or a failed connect).
 */
export type SocketState = "connecting" | "open" | "half-closed" | "closed";

/** Who ended a socket. */
export type ClosedBy = "client" | "server" | "network";

/** A `Keep-Alive: timeout=N, max=M` response header, in milliseconds and requests. */
export interface KeepAliveHint {
  /** Idle time the server promises to keep the connection (`timeout=N`, as ms). */
  readonly timeoutMs?: number;
  /** Number of requests the server will serve on this connection in total (`max=M`). */
  readonly max?: number;
}

/**
 * Server and network behaviour of a route (or of one socket, overriding its
 * route). All fields optional; unset means the default noted.
 */
export interface EndpointBehaviour {
  /** Time a connect takes before it is established or refused. @default {0} */
  readonly connectLatencyMs?: number;
  /**
   * Connect outcome: `ok`, `refuse` (fails after the latency with
   * ConnectRefusedError), or `hang` (never completes; only the client's abort
   * ends it, so a connect timeout can fire).
   * @default {"ok"}
   */
  readonly connect?: "ok" | "refuse" | "hang";
  /** Time between a request and its response. @default {0} */
  readonly responseLatencyMs?: number;
  /**
   * When `true`, responses are held until `SimNetwork.respond(socketId)` is
   * called (used to drive multiplexed in-flight requests step by step).
   * @default {false}
   */
  readonly manualResponses?: boolean;
  /**
   * The server half-closes a socket that has been idle (nothing in flight)
   * for this long. `undefined` means the server never closes idle sockets.
   * @default {undefined}
   */
  readonly serverIdleTimeoutMs?: number;
  /** Keep-alive hint attached to every response. @default {undefined} */
  readonly keepAliveHint?: KeepAliveHint;
}

/** What a caller gets back for a request. */
export interface SimResponse {
  /** The request this answers. */
  readonly requestId: RequestId;
  /** The socket it came on. */
  readonly socketId: SocketId;
  /** Position of this response on its socket: 1 for the first, 2, … */
  readonly sequence: number;
  /** Virtual time the response arrived. */
  readonly at: number;
  /** The response's keep-alive hint, if the server sent one. */
  readonly keepAlive?: KeepAliveHint;
}

/** Fields every ledger event carries. */
export interface LedgerEventBase {
  /** Position in the ledger: 1, 2, 3, … */
  readonly seq: number;
  /** Virtual time of the event. */
  readonly t: number;
  /** Socket the event is about. */
  readonly socketId: SocketId;
  /** That socket's route. */
  readonly route: Route;
}

/**
 * One thing the network saw. Names follow MongoDB's CMAP event vocabulary
 * where one exists.
 */
export type LedgerEvent =
  | LedgerEventBase & { readonly type: "ConnectionCreated" }
  | LedgerEventBase & { readonly type: "ConnectionReady" }
  | LedgerEventBase & {
    readonly type: "ConnectionHalfClosed";
    /** `idle-timeout`: the server's idle timer; `max-requests`: keep-alive max reached; `server`: injected. */
    readonly reason: "idle-timeout" | "max-requests" | "server";
  }
  | LedgerEventBase & {
    readonly type: "ConnectionClosed";
    readonly by: ClosedBy;
    /**
     * Why. From the network: `refused`, `reset`, `aborted` (client gave up a
     * connect), `peer-closed` (client met a half-closed socket on use). From a
     * client's `close(reason)`: its free text, e.g. `stale`, `idle`, `expired`,
     * `error`, `poolClosed`.
     */
    readonly reason: string;
  }
  | LedgerEventBase & {
    /** The client probed the socket (validation before reuse). */
    readonly type: "ConnectionChecked";
    readonly stale: boolean;
  }
  | LedgerEventBase & { readonly type: "RequestSent"; readonly requestId: RequestId }
  | LedgerEventBase & {
    readonly type: "ResponseReceived";
    readonly requestId: RequestId;
    readonly sequence: number;
    readonly keepAlive?: KeepAliveHint;
  }
  | LedgerEventBase & {
    readonly type: "RequestFailed";
    readonly requestId: RequestId;
    readonly reason: "reset" | "peer-closed" | "client-closed";
  };

/** The `type` of a {@linkcode LedgerEvent}. */
export type LedgerEventType = LedgerEvent["type"];
