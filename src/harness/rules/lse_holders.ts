import type { LedgerEvent, SocketId } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import { defineRule, type Rule } from "../rule.ts";
import { HalfCloses } from "./_live.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/**
 * The acquire that held a socket when the ledger reached `seq`: leased before
 * it and not yet released (a close made by the release itself comes after
 * the release's ledger position).
 */
function holderAt(
  leases: readonly AcquireRecord[],
  seq: number,
): AcquireRecord | undefined {
  return leases.find((a) =>
    a.settleSeq !== undefined && a.settleSeq < seq &&
    (a.releaseSeq === undefined || seq <= a.releaseSeq)
  );
}

/** LSE-6: the pool does not close a connection on loan under its holder. */
export const lse6 = defineRule({
  id: "LSE-6",
  group: "LSE",
  title:
    "A connection on loan is not closed under its holder: only the holder's release, the pool's close(), an interrupting clear() or the server may end it",
  rationale:
    "The holder of a lease is using the connection: a request may be half written or a response half read. A pool that closes it underneath, because the server half-closed it, because its TTL or keep-alive ran out, or to make room, breaks that request for a reason the caller cannot see, and hands it a socket error instead of a response the server may still be sending. A half-closed connection can still deliver what the server wrote before its FIN; the holder learns of the close by reading, and releases the connection broken. The pool may retire the connection when it is released (EXP-1, EXP-6 and ERR-2 say when it must), and it may close every connection once close() is called, or every connection from before a clear({ interruptInUseConnections: true }) (capability interruptInUse) when that call is made. Closes by the server or the network are not the pool's doing and are not judged, and neither is a socket's own answer to the server's FIN (Node sockets close their side when the server closes its own, `allowHalfOpen: false`), which adapters record with the reason `peer-closed`.",
  source:
    "Apache HttpCore 5 StrictConnPool (leased entries are closed only on release or shutdown); CMAP (a checked-out connection is closed at check-in when stale, unless the pool is cleared with interruptInUseConnections)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a leased connection the server half-closed is left to its holder",
    b: "no other leased connection is closed by the pool",
  },
  start(run) {
    // Leases per socket, in the order callers received them.
    const leases = new Map<SocketId, AcquireRecord[]>();
    const halfClosed = new HalfCloses();
    // Ledger positions of each clear({ interruptInUseConnections: true }) (capability interruptInUse).
    const interrupts: number[] = [];
    return {
      step({ ledger, callers }) {
        for (const event of callers) {
          if (event.kind === "maintenance" && event.interruptInUse === true) {
            interrupts.push(event.seq);
          }
          if (event.kind !== "acquire-resolved") continue;
          const id = event.acquire.facts!.socketId;
          const list = leases.get(id) ?? [];
          list.push(event.acquire);
          leases.set(id, list);
        }
        halfClosed.fold(ledger);
        for (const event of ledger) {
          if (event.type !== "ConnectionClosed" || event.by !== "client") continue;
          // A socket's own answer to the server's FIN (Node's allowHalfOpen: false).
          if (event.reason === "peer-closed") continue;
          if (run.closeSeq !== undefined && event.seq > run.closeSeq) continue;
          const holder = holderAt(leases.get(event.socketId) ?? [], event.seq);
          if (holder === undefined) continue;
          // An interrupting clear closes the connections on loan from before it, at once (CMAP).
          if (interrupts.some((seq) => seq >= holder.settleSeq! && seq < event.seq)) continue;
          return closedUnder(event, holder, halfClosed.before(event.socketId, event.seq));
        }
        return undefined;
      },
    };
  },
});

function closedUnder(
  closed: LedgerEvent,
  holder: AcquireRecord,
  afterHalfClose: boolean,
): { clause: "a" | "b"; detail: string } {
  const what =
    `the pool closed socket #${closed.socketId} (${closed.route}) at t=${closed.t} while acquire #${holder.id} held it`;
  if (afterHalfClose) {
    return { clause: "a", detail: `${what}, after the server half-closed it` };
  }
  return { clause: "b", detail: `${what} (reason: ${"reason" in closed ? closed.reason : "?"})` };
}

/** The LSE rules about holders. */
export const LSE_HOLDER_RULES: readonly Rule[] = [lse6];
