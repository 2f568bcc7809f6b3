import type { Route, SocketId } from "../../net/types.ts";
import type { RunView } from "../run_view.ts";

/** How a connection of a route failed, as the ledger tells it. */
export interface RouteFailure {
  /** The socket. */
  readonly socketId: SocketId;
  /**
   * `refused`: the server refused the connect; `gaveUp`: the client closed a
   * socket it never established (a connect timeout, or an abort); `other`: a
   * reset, a close by the server of an established socket, a failed request.
   */
  readonly kind: "refused" | "gaveUp" | "other";
  /** Virtual time of the failure. */
  readonly t: number;
}

/**
 * The failures of `route`'s connections between two ledger lengths (a
 * caller's wait): what a connection error it was failed with can be about.
 * A client's close of an established socket is the pool's own doing and no
 * failure.
 *
 * @param run The run.
 * @param route The route.
 * @param from Ledger length when the wait began.
 * @param to Ledger length when it ended.
 * @returns The failures, in ledger order.
 */
export function routeFailures(
  run: RunView,
  route: Route,
  from: number,
  to: number,
): RouteFailure[] {
  const events = run.network.ledger.events;
  const failures: RouteFailure[] = [];
  for (let i = from; i < to && i < events.length; i++) {
    const event = events[i]!;
    if (event.route !== route) continue;
    const { socketId, t } = event;
    if (event.type === "RequestFailed") {
      failures.push({ socketId, kind: "other", t });
    } else if (event.type === "ConnectionClosed") {
      if (event.reason === "refused") {
        failures.push({ socketId, kind: "refused", t });
        continue;
      }
      // A socket is established before it closes, if ever: one never established by now was
      // a connect given up.
      const established = run.network.socket(socketId)?.readyAt !== undefined;
      if (!established) {
        failures.push({ socketId, kind: event.by === "client" ? "gaveUp" : "other", t });
      } else if (event.by !== "client") failures.push({ socketId, kind: "other", t });
    }
  }
  return failures;
}
