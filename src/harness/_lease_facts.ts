import type { SocketId } from "../net/types.ts";
import type { LeaseFacts } from "./observations.ts";
import { certainlyUsable, type RunView, type SocketUse } from "./run_view.ts";

/**
 * What the leased socket looked like at the instant a lease reached its
 * caller, and which idle sockets of the route were certainly usable then.
 *
 * @param run The run.
 * @param idle The uses released reusable and not leased since whose socket
 * is not closed, in id order (no other socket is certainly usable).
 * @param use The leased socket's use.
 * @param route Route the acquire asked for.
 * @param socketId Socket the lease holds.
 * @returns The facts rules judge the lease by.
 */
export function leaseFacts(
  run: RunView,
  idle: readonly SocketUse[],
  use: SocketUse | undefined,
  route: string,
  socketId: SocketId,
): LeaseFacts {
  const socket = run.network.socket(socketId);
  const candidates = [];
  for (const u of idle) {
    if (u.socket.route !== route || u.idleSince === undefined || !certainlyUsable(run, u)) continue;
    candidates.push({
      id: u.socket.id,
      idleSince: u.idleSince,
      idleSinceSeq: u.idleSinceSeq,
      idleOrder: u.idleOrder,
    });
  }
  return {
    socketId,
    socketRoute: socket?.route,
    state: socket?.state,
    served: socket?.requestsServed ?? 0,
    hint: socket?.lastKeepAlive,
    candidates,
    idleSince: use?.idleSince,
    idleSinceSeq: use?.idleSinceSeq ?? 0,
    idleHint: use?.idleHint,
  };
}
