import type { Route, SocketId } from "../../net/types.ts";
import type { AcquireRecord, CallerEvent } from "../observations.ts";
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

/**
 * The first acquire among `callers` rejected as a connection error while
 * failures of one sort (`judged`) were its route's only ones, whose error
 * trail (see `errorTrail`) does not say so (`told`): ERR-1.c and TMO-2.b.
 *
 * @param run The run.
 * @param callers The caller events of the step.
 * @param judged Whether a failure is of the sort the error must tell.
 * @param told What the trail shows when it does.
 * @returns The acquire and the socket of the first such failure, if any.
 */
export function untoldFailure(
  run: RunView,
  callers: readonly CallerEvent[],
  judged: (failure: RouteFailure) => boolean,
  told: RegExp,
): { acquire: AcquireRecord; socketId: SocketId } | undefined {
  for (const event of callers) {
    if (event.kind !== "acquire-rejected" || event.acquire.errorKind !== "connectionError") {
      continue;
    }
    const a = event.acquire;
    // Only when failures of that sort were the route's only ones while it waited: then its
    // error can be about nothing else.
    const failures = routeFailures(run, a.route, a.startSeq, a.settleSeq!);
    if (failures.length === 0 || !failures.every(judged)) continue;
    if (told.test(a.errorTrail ?? "")) continue;
    return { acquire: a, socketId: failures[0]!.socketId };
  }
  return undefined;
}
