import type { SocketId } from "../../net/types.ts";
import type { AcquireRecord } from "../observations.ts";
import { defineRule, type Rule } from "../rule.ts";
import { certainlyUsable } from "../run_view.ts";
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
        for (const event of ledger) {
          if (event.type !== "ConnectionCreated") continue;
          for (const use of run.uses()) {
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

/** LSE-4: releasing an already released lease is rejected and changes nothing. */
export const lse4 = defineRule({
  id: "LSE-4",
  group: "LSE",
  title: "Releasing an unknown or already released lease is rejected and changes nothing",
  rationale:
    "A double release that is silently accepted puts one socket in the idle set twice, and two callers then share it; the pool must refuse it loudly and keep its books straight.",
  source:
    "generic-pool (Resource not currently part of this pool); Apache HttpCore 5 (lease not leased)",
  needs: ["rejectsBadRelease"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a second release of a lease is rejected",
    b: "a rejected release closes nothing",
  },
  start() {
    return {
      step({ callers, ledger }) {
        for (const event of callers) {
          if (event.kind !== "bad-release") continue;
          if (!event.rejected) {
            return {
              clause: "a",
              detail: `releasing acquire #${event.acquire.id}'s lease a second time was accepted`,
            };
          }
          // The refused release must not have closed its socket (now idle, or
          // leased to another caller); closes by the network or the server,
          // and the pool's other work meanwhile, are not its doing.
          const socketId = event.acquire.facts?.socketId;
          const changed = ledger.find((e) =>
            e.seq > event.seqBefore && e.type === "ConnectionClosed" && e.by === "client" &&
            e.socketId === socketId
          );
          if (changed !== undefined) {
            return {
              clause: "b",
              detail:
                `the refused double release of acquire #${event.acquire.id} still closed socket #${changed.socketId}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** LSE-5: releasing a held lease is accepted, whatever happened to its connection. */
export const lse5 = defineRule({
  id: "LSE-5",
  group: "LSE",
  title:
    "Releasing a held lease is accepted (release neither throws nor rejects), whatever happened to its connection, until close()",
  rationale:
    "A caller that returns the connection it holds has done nothing wrong, even when the server closed it or the network reset it meanwhile, the pool was cleared, or the caller reports it broken: the pool must take it back and discard it if it is dead. Releases sit in cleanup paths that rarely expect an error, so a release that throws turns a network fault into a caller failure and can leave the caller's and the pool's books disagreeing. After close() a pool may refuse; what then happens to the connection is CLS-2's concern.",
  source:
    "Apache HttpCore 5 StrictConnPool.release (only an entry that is not leased is refused; a non-reusable one is discarded); CMAP checkIn (a stale or closed connection is closed, not refused)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "the first release of a held lease is accepted, whatever happened to its connection",
  },
  start() {
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "release-failed" || !event.beforeClose) continue;
          const { id, facts, reusable } = event.acquire;
          return {
            clause: "a",
            detail: `releasing acquire #${id}'s lease (socket #${facts?.socketId}, ${
              reusable ? "reusable" : "broken"
            }) failed: ${event.error}`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The LSE group. */
export const LSE_RULES: readonly Rule[] = [lse1, lse2, lse3, lse4, lse5];
