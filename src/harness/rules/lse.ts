import type { LedgerEvent, SocketId } from "../../net/types.ts";
import { mayPopulate } from "./_population.ts";
import { type AcquireRecord, type CallerEvent, errorDefect } from "../observations.ts";
import { defineRule, type Rule } from "../rule.ts";
import { certainlyUsable, type RunView, type SocketUse } from "../run_view.ts";
import { closedAsExpired } from "./exp.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** LSE-1: a connection is leased to at most one holder at a time. */
export const lse1 = defineRule({
  id: "LSE-1",
  group: "LSE",
  title: "A connection is leased to at most one holder at a time",
  rationale:
    "Two callers writing to one socket interleave their requests and read each other's responses: the most damaging pool bug there is, and one that only shows under concurrency.",
  source: "Apache HttpCore 5 StrictConnPool (leased set); CMAP checkOut",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a connection is not given to a second holder while the first still holds it",
  },
  start() {
    const holder = new Map<SocketId, AcquireRecord>();
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind === "acquire-resolved") {
            const id = event.acquire.facts!.socketId;
            const other = holder.get(id);
            if (other !== undefined) {
              return {
                clause: "a",
                detail:
                  `socket #${id} given to acquire #${event.acquire.id} while acquire #${other.id} still holds it`,
              };
            }
            holder.set(id, event.acquire);
          } else if (event.kind === "released") {
            const id = event.acquire.facts!.socketId;
            if (holder.get(id) === event.acquire) holder.delete(id);
          }
        }
        return undefined;
      },
    };
  },
});

/** LSE-2: a leased connection is established and of the requested route. */
export const lse2 = defineRule({
  id: "LSE-2",
  group: "LSE",
  title: "A leased connection is open and established, and belongs to the requested route",
  rationale:
    "A caller must get a socket it can use at once, to the server it asked for; a connection still connecting, or one for another route, sends the request to the wrong place or nowhere.",
  source: "Apache HttpCore 5 (route-keyed pools); CMAP (ConnectionReady before checkout)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a lease is a socket the network opened",
    b: "a lease is not still connecting",
    c: "a lease belongs to the requested route",
    d: "connectionOf() answers for a lease the pool gave",
  },
  start() {
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, id, route } = event.acquire;
          if (facts!.state === undefined) {
            return { clause: "a", detail: `acquire #${id} got unknown socket #${facts!.socketId}` };
          }
          if (facts!.state === "connecting") {
            return {
              clause: "b",
              detail: `acquire #${id} got socket #${facts!.socketId} while it was still connecting`,
            };
          }
          if (facts!.socketRoute !== route) {
            return {
              clause: "c",
              detail: `acquire #${id} for ${route} got socket #${facts!.socketId} of ${
                facts!.socketRoute
              }`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** LSE-3: an idle usable connection of the route is reused before a new one is opened. */
export const lse3 = defineRule({
  id: "LSE-3",
  group: "LSE",
  title: "An idle usable connection of the route is reused before a new one is opened",
  rationale:
    "Reuse is the reason a pool exists: opening a new connection while a usable one idles wastes a handshake and, under load, exhausts the limits and the server. A connection with a request in flight is in use, not idle, even before a caller holds it: an HTTP agent hands a free socket to a request at once, but its lease resolves only with the response head.",
  source: "Apache HttpCore 5 StrictConnPool.lease; CMAP checkOut (available connections first)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no connection is opened while an idle usable one of the route waits",
  },
  start(run) {
    return {
      step({ ledger }) {
        if (run.closeSeq !== undefined || run.paused) return undefined;
        let idle: SocketUse[] | undefined;
        for (const event of ledger) {
          if (event.type !== "ConnectionCreated") continue;
          // A pool that keeps a minimum tops a route up while idle connections wait.
          if (mayPopulate(run, event)) continue;
          // certainlyUsable holds only for an open socket.
          idle ??= run.liveUses().filter((use) => use.idleSince !== undefined);
          for (const use of idle) {
            if (use.socket.route !== event.route || use.idleSince === undefined) continue;
            if (use.idleSinceSeq < event.seq && certainlyUsable(run, use)) {
              return {
                clause: "a",
                detail:
                  `socket #${event.socketId} to ${event.route} opened at t=${event.t} while socket #${use.socket.id} of that route idled usable (idle since t=${use.idleSince}) and still does`,
              };
            }
          }
        }
        return undefined;
      },
    };
  },
});

/** LSE-4: a repeated release, reusable or broken, is rejected and changes nothing. */
export const lse4 = defineRule({
  id: "LSE-4",
  group: "LSE",
  title:
    "Releasing an unknown or already released lease, reusable or broken, is rejected and changes nothing",
  rationale:
    "A repeated release that is silently accepted puts one socket in the idle set twice, and two callers then share it; a repeated destroy counts one closed connection twice, and the pool then opens one more than its limits allow. The pool must refuse it loudly and keep its books straight, whichever form either release took; a refused release must not close the connection, which may already serve another caller or wait idle for the next. A slot freed twice shows in the limits (LIM-1, LIM-2) and the capacity probe (LIV-2). Loudly means with an error a caller's handler can log and branch on, as ERR-4 asks of a failed acquire: an object with a message and a name, not a bare string thrown. Pools that make no promise to refuse are held to changing nothing by LSE-7.",
  source:
    "generic-pool release and destroy (the loan is looked up first: Resource not currently part of this pool); pg-pool (a client's second release throws before anything else); Apache HttpCore 5 StrictConnPool.release (an entry not leased is refused, though a non-reusable one has its connection discarded before that check, which breaks b)",
  needs: ["rejectsBadRelease"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a repeated release of a lease, reusable or broken, is rejected",
    b: "a rejected release closes nothing",
    c: "a release is rejected with an error object that has a message and a name",
  },
  start(run) {
    return {
      step({ callers, ledger }) {
        for (const event of callers) {
          if (event.kind !== "bad-release") continue;
          if (!event.rejected) {
            return {
              clause: "a",
              detail: `releasing acquire #${event.acquire.id}'s lease a second time${
                asBroken(event)
              } was accepted`,
            };
          }
          const defect = event.refusal === undefined ? undefined : errorDefect(event.refusal);
          if (defect !== undefined) {
            return {
              clause: "c",
              detail: `the double release of acquire #${event.acquire.id}${
                asBroken(event)
              } was refused with ${REFUSED_WITH[defect]}`,
            };
          }
          const closed = closedBy(run, event, ledger);
          if (closed !== undefined) {
            return {
              clause: "b",
              detail: `the refused double release of acquire #${event.acquire.id}${
                asBroken(event)
              } still closed socket #${closed}${heldBy(event)}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** What a refusal's error was, for LSE-4.c's messages. */
const REFUSED_WITH = {
  notObject: "a value that is not an error object",
  emptyMessage: "an error with an empty message",
  emptyName: "an error with an empty name",
} as const;

/** A repeated release's form, for messages. */
function asBroken(event: RepeatedRelease): string {
  return event.reusable === false ? " (as broken)" : "";
}

/** Who held the socket when a repeated release was made, for messages. */
function heldBy(event: RepeatedRelease): string {
  return event.heldBy === undefined
    ? ", which no caller held"
    : `, which acquire #${event.heldBy} held`;
}

type RepeatedRelease = Extract<CallerEvent, { kind: "bad-release" }>;

/**
 * The socket of a repeated release's lease, if the pool closed it since
 * that release was made: closes by the network or the server, and of other
 * sockets, are not its doing.
 */
function closedBy(
  run: RunView,
  event: RepeatedRelease,
  ledger: readonly LedgerEvent[],
): SocketId | undefined {
  const socketId = event.acquire.facts?.socketId;
  const closed = ledger.find((e) =>
    e.seq > event.seqBefore && e.type === "ConnectionClosed" && e.by === "client" &&
    e.socketId === socketId
  );
  // An idle connection may close as expired while the step's timers run.
  if (closed === undefined || closedAsExpired(run, closed.socketId, closed.t)) return undefined;
  return closed.socketId;
}

/** LSE-5: releasing a held lease is accepted, whatever happened to its connection; after close() as declared. */
export const lse5 = defineRule({
  id: "LSE-5",
  group: "LSE",
  title:
    "Releasing a held lease is accepted (release neither throws nor rejects), whatever happened to its connection; after close() it is accepted or refused as the pool declares",
  rationale:
    "A caller that returns the connection it holds has done nothing wrong, even when the server closed it or the network reset it meanwhile, the pool was cleared, or the caller reports it broken: the pool must take it back and discard it if it is dead. Releases sit in cleanup paths that rarely expect an error, so a release that throws turns a network fault into a caller failure and can leave the caller's and the pool's books disagreeing. After close() pools differ: some take the connection back and close it, others refuse the call; a pool that declares which (policy releaseAfterClose) is held to it, and either way the connection must end closed (CLS-2).",
  source:
    "Apache HttpCore 5 StrictConnPool.release (only an entry that is not leased is refused; a non-reusable one is discarded; once the pool is shut down, a release returns quietly, close having closed the leased connections); CMAP checkIn (a stale or closed connection is closed, not refused; so is one checked in to a closed pool)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "the first release of a held lease is accepted, whatever happened to its connection",
    b: "a release after close() is accepted when the pool declares releaseAfterClose 'accept'",
    c: "a release after close() is refused when the pool declares releaseAfterClose 'reject'",
  },
  start(run) {
    const policy = run.supports.policies.releaseAfterClose;
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind === "release-accepted") {
            if (policy !== "reject") continue;
            return {
              clause: "c",
              detail: `releasing acquire #${event.acquire.id}'s lease after close() was accepted${
                released(event.acquire)
              }, though the pool declares it refuses such releases`,
            };
          }
          if (event.kind !== "release-failed") continue;
          if (!event.beforeClose && policy !== "accept") continue;
          return {
            clause: event.beforeClose ? "a" : "b",
            detail: `releasing acquire #${event.acquire.id}'s lease${
              event.beforeClose ? "" : " after close()"
            }${released(event.acquire)} failed: ${event.error}`,
          };
        }
        return undefined;
      },
    };
  },
});

/** A released lease's socket and form, for messages. */
function released({ facts, reusable }: AcquireRecord): string {
  return ` (socket #${facts?.socketId}, ${reusable ? "reusable" : "broken"})`;
}

/** LSE-7: a repeated release changes nothing, in a pool that does not promise to refuse it. */
export const lse7 = defineRule({
  id: "LSE-7",
  group: "LSE",
  title: "A repeated release of a lease, reusable or broken, changes nothing",
  rationale:
    "A caller that releases a lease twice (a cleanup path that runs twice, a destroy after a release) holds nothing any more: its connection may be idle in the pool or serve another caller. Whether or not the pool refuses the call, it must not act on it. Closing the connection breaks the caller that now holds it, or throws away one the pool still counts as idle; this rule judges that (a close under another holder is LSE-6's finding as well). Counting the release again corrupts the pool's books, and other rules see the result: a slot freed twice lets the pool grow beyond its limits (LIM-1, LIM-2), a connection put back twice goes to two callers (LSE-1), and a count pushed the other way loses a slot for good (the capacity probe after the heal, LIV-2). Pools that declare they refuse repeated releases are judged by LSE-4 instead.",
  source:
    "generic-pool release and destroy (a resource not on loan is rejected before anything changes); tarn release (a resource not in use is ignored, release returns false); pg-pool (a client's second release throws before anything else); Apache HttpCore 5 StrictConnPool.release (refuses an entry not leased, but discards a non-reusable one's connection first)",
  needs: [],
  when: {
    text:
      "the pool leases whole connections and does not declare rejectsBadRelease (LSE-4 judges those)",
    test: (s) => NOT_MULTIPLEXED.test(s) && !s.capabilities.includes("rejectsBadRelease"),
  },
  clauses: {
    a: "a repeated release closes no connection: neither one another caller holds nor one idle in the pool",
  },
  start(run) {
    return {
      step({ callers, ledger }) {
        for (const event of callers) {
          if (event.kind !== "bad-release") continue;
          const closed = closedBy(run, event, ledger);
          if (closed === undefined) continue;
          return {
            clause: "a",
            detail: `releasing acquire #${event.acquire.id}'s lease a second time${
              asBroken(event)
            } (${event.rejected ? "refused" : "accepted"}) closed socket #${closed}${
              heldBy(event)
            }`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The LSE group's first rules (LSE-6 is in `lse_holders.ts`). */
export const LSE_RULES: readonly Rule[] = [lse1, lse2, lse3, lse4, lse5];

/** The LSE rule after LSE-6: repeated releases. */
export const LSE_REPEAT_RULES: readonly Rule[] = [lse7];
