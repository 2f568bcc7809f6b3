import type { LedgerEvent, SocketId } from "../../net/types.ts";
import { mayHaveClearedSince } from "./_population.ts";
import { defineRule, type Rule } from "../rule.ts";
import type { RunView, SocketUse } from "../run_view.ts";
import { HalfCloses } from "./_live.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/**
 * When a lease's connection was handed over: the first request sent on it
 * after its release into the pool, when there is one before the acquire
 * settled (an HTTP agent's lease settles with the response, after the agent
 * chose the socket), else the settling itself.
 */
function handedAt(
  run: RunView,
  facts: { socketId: SocketId; idleSinceSeq: number },
  settledAt: number,
): number {
  // The ledger is in time order: the first request on the socket since then, if it came by then.
  const sent = run.network.ledger.firstSentAfter(facts.socketId, facts.idleSinceSeq);
  return sent !== undefined && sent.t <= settledAt ? sent.t : settledAt;
}

/** EXP-1: no connection is leased past its TTL. */
export const exp1 = defineRule({
  id: "EXP-1",
  group: "EXP",
  title: "No connection is leased past its TTL",
  rationale:
    "A time to live bounds how long a connection may be used at all (DNS changes, server rotation); handing one out past it defeats the setting. The TTL runs from the moment the connection is established, as Apache assigns it and pg-pool arms maxLifetimeSeconds once connected; a pool that counts it from the start of the connect is stricter and passes too. Deadlines are strict, as Apache's: expired means deadline < now.",
  source:
    "Apache HttpCore 5 PoolEntry (timeToLive from assignConnection, expiry = min(keep-alive, created + TTL)); pg-pool maxLifetimeSeconds",
  needs: ["ttl"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no lease is handed out past its TTL",
  },
  start(run) {
    const ttl = run.setup.config.ttlMs;
    const tolerance = run.supports.toleranceMs;
    return {
      step({ callers }) {
        if (ttl === undefined) return undefined;
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, settledAt, id } = event.acquire;
          const socket = run.network.socket(facts!.socketId);
          if (socket === undefined) continue;
          const start = socket.readyAt ?? socket.createdAt;
          const deadline = start + ttl;
          const at = handedAt(run, facts!, settledAt!);
          if (at > deadline + tolerance) {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${socket.id} at t=${at}${
                at === settledAt ? "" : ` (its request sent; settled at t=${settledAt})`
              }; established at t=${start}, TTL ${ttl} ms, so it expired after t=${deadline}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** EXP-2: no connection is leased past its keep-alive deadline. */
export const exp2 = defineRule({
  id: "EXP-2",
  group: "EXP",
  title: "No connection is leased past its keep-alive deadline (hint or default)",
  rationale:
    "Past the keep-alive the server may close the connection at any moment; a request sent on it races the close and fails. The deadline is set at release from the last response's `Keep-Alive: timeout=N` or the default.",
  source: "Apache HttpClient 5 DefaultConnectionKeepAliveStrategy; RFC 9112 keep-alive",
  needs: [],
  when: {
    text:
      "keep-alive is honoured (capability keepAliveHint or defaultKeepAlive) and not multiplexed",
    test: (s) =>
      NOT_MULTIPLEXED.test(s) &&
      (s.capabilities.includes("keepAliveHint") || s.capabilities.includes("defaultKeepAlive")),
  },
  clauses: {
    a: "no lease is handed out past its keep-alive deadline",
  },
  start(run) {
    const tolerance = run.supports.toleranceMs;
    const hinted = run.supports.capabilities.includes("keepAliveHint");
    const fallback = run.setup.config.defaultKeepAliveMs;
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, settledAt, id } = event.acquire;
          if (facts!.idleSince === undefined) continue;
          const keepAlive = (hinted ? facts!.idleHint?.timeoutMs : undefined) ?? fallback;
          if (keepAlive === undefined) continue;
          const deadline = facts!.idleSince + keepAlive;
          const at = handedAt(run, facts!, settledAt!);
          if (at > deadline + tolerance) {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId} at t=${at}${
                at === settledAt ? "" : ` (its request sent; settled at t=${settledAt})`
              }; released at t=${
                facts!.idleSince
              } with keep-alive ${keepAlive} ms, so it expired after t=${deadline}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** EXP-3: no connection serves more requests than its keep-alive max. */
export const exp3 = defineRule({
  id: "EXP-3",
  group: "EXP",
  title: "No connection serves more requests than its keep-alive `max`",
  rationale:
    "`Keep-Alive: max=M` announces that the server closes the connection after M requests; leasing it again sends a request the server will not answer.",
  source: "JDK HttpURLConnection KeepAliveCache (honours max); RFC 2068 Keep-Alive",
  needs: ["keepAliveMax"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no lease is handed out once the connection served its keep-alive max",
  },
  start(run) {
    return {
      step({ callers }) {
        if (!run.setup.config.honourKeepAliveMax) return undefined;
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, id } = event.acquire;
          const max = facts!.hint?.max;
          if (max !== undefined && facts!.served >= max) {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId}, which had served ${
                facts!.served
              } requests with keep-alive max=${max}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** EXP-4: a connection idle past validateAfterInactivity is validated before lease. */
export const exp4 = defineRule({
  id: "EXP-4",
  group: "EXP",
  title:
    "A connection idle longer than validateAfterInactivity is validated before lease, and only then; one the server closed is discarded, never handed out",
  rationale:
    "Servers close idle connections without telling the client; a cheap staleness probe after a period of inactivity keeps those half-closed sockets from reaching callers. The threshold is also a promise the other way: a connection reused within it goes out without the probe's round trip, which is the point of setting it above 0.",
  source:
    "Apache HttpClient 5 PoolingHttpClientConnectionManager (validateAfterInactivity, default 2 s)",
  needs: ["validateAfterInactivity"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "a connection idle past validateAfterInactivity is validated before lease",
    b: "a connection validation found closed is not handed out",
    c: "a connection idle for no longer than validateAfterInactivity (less the tolerance, and above 0) is handed out without a probe",
  },
  start(run) {
    const threshold = run.setup.config.validateAfterInactivityMs;
    const tolerance = run.supports.toleranceMs;
    const checks = new Map<SocketId, number[]>();
    return {
      step({ ledger, callers }) {
        for (const event of ledger) {
          if (event.type !== "ConnectionChecked") continue;
          const list = checks.get(event.socketId) ?? [];
          list.push(event.seq);
          checks.set(event.socketId, list);
        }
        if (threshold === undefined) return undefined;
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, settledAt, settleSeq, id } = event.acquire;
          if (facts!.idleSince === undefined) continue;
          const idleFor = settledAt! - facts!.idleSince;
          const validated = (checks.get(facts!.socketId) ?? []).some((seq) =>
            seq > facts!.idleSinceSeq && seq <= settleSeq!
          );
          // Idle exactly the threshold is not past it (Apache validates once now > last use +
          // threshold); a threshold of 0 means every lease is validated.
          if (threshold > 0 && idleFor <= threshold - tolerance && validated) {
            return {
              clause: "c",
              detail: `acquire #${id} got socket #${facts!.socketId} idle since t=${
                facts!.idleSince
              } at t=${settledAt} (${idleFor} ms, not over ${threshold} ms), and the pool probed it first`,
            };
          }
          if (idleFor <= threshold + tolerance) continue;
          if (!validated) {
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId} idle since t=${
                facts!.idleSince
              } at t=${settledAt} (over ${threshold} ms) without validating it`,
            };
          }
          if (facts!.state === "half-closed") {
            return {
              clause: "b",
              detail: `acquire #${id} got socket #${
                facts!.socketId
              }, which validation found closed by the server`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/**
 * Why a client close of a socket is outside what the early-close checks
 * judge: `retired` when the socket was not idle in the pool (never released,
 * or leased), or was retired for a reason other than its deadlines (the
 * server closed it, it was released broken or is known dead, it is from
 * before a `clear()`, the pool is closing, it served its keep-alive `max=M`
 * or its maxUses leases); `room` when only closeIdleOfOtherRoutes explains
 * it (another route has a pending acquire it may make room for); `undefined`
 * when nothing does.
 */
function closeExcuse(
  run: RunView,
  use: SocketUse,
  closed: LedgerEvent,
  halfClosed: HalfCloses,
): "retired" | "room" | undefined {
  if (use.idleSince === undefined || use.idleSinceSeq >= closed.seq) return "retired";
  if (use.holder !== undefined && use.holder.status === "leased") return "retired";
  if (use.generation !== run.generation || use.brokenSeq !== undefined) return "retired";
  // A pool that keeps a minimum clears itself when a background connect fails (CMAP).
  if (mayHaveClearedSince(run, use.socket.id, closed.seq)) return "retired";
  if (use.observedDeadSeq !== undefined && use.observedDeadSeq < closed.seq) return "retired";
  if (halfClosed.before(use.socket.id, closed.seq)) return "retired";
  if (run.closeSeq !== undefined && closed.seq > run.closeSeq) return "retired";
  const { config } = run.setup;
  const max = use.idleHint?.max;
  if (config.honourKeepAliveMax && max !== undefined && use.socket.requestsServed >= max) {
    return "retired";
  }
  if (config.maxUses !== undefined) {
    // The socket's own count of leases (kept for leasing pools), not a walk over every acquire.
    const leases = run.supports.capabilities.includes("multiplexed")
      ? run.acquires.filter((a) => a.facts?.socketId === use.socket.id).length
      : use.leases;
    if (leases >= config.maxUses) return "retired";
  }
  if (
    run.supports.policies.closeIdleOfOtherRoutes &&
    waitedFor(run, use.socket.route, closed.seq, false)
  ) {
    return "room";
  }
  return undefined;
}

/** Whether an acquire of `route` (`same`) or of another route (not `same`) is pending at ledger `seq`. */
function waitedFor(run: RunView, route: string, seq: number, same: boolean): boolean {
  return run.acquires.some((a) =>
    (a.route === route) === same && a.startSeq < seq &&
    (a.settleSeq === undefined || a.settleSeq >= seq)
  );
}

/**
 * EXP-7.b: an idle connection closed to make room when one released earlier,
 * usable and of a route nobody waits for, stayed open: what was found, or
 * `undefined`.
 */
function olderVictim(
  run: RunView,
  use: SocketUse,
  closed: LedgerEvent,
  unclosed: ReadonlyMap<string, ReadonlySet<SocketId>>,
  halfClosed: HalfCloses,
): string | undefined {
  // Closed because it expired, not (only) to make room.
  if (closed.t >= earliestClose(run, use).at) return undefined;
  for (const [route, ids] of unclosed) {
    if (waitedFor(run, route, closed.seq, true)) continue;
    for (const id of ids) {
      const other = run.use(id);
      if (other === undefined || other === use || other.idleOrder >= use.idleOrder) continue;
      if (closeExcuse(run, other, closed, halfClosed) !== "room") continue;
      if (closed.t >= earliestClose(run, other).at) continue;
      return `to make room the pool closed socket #${use.socket.id} (${use.socket.route}, released at t=${use.idleSince}) while socket #${id} (${route}, idle and usable since t=${other.idleSince}, released before it) stayed open; it declares it closes the least recently released`;
    }
  }
  return undefined;
}

/**
 * The latest instant at which an idle socket is certainly not yet expired:
 * the earliest of its TTL deadline counted from the start of the connect (a
 * pool may count it from there, see EXP-1), its keep-alive deadline from the
 * last release (the hint when `exactHint` and the socket's last response
 * carried one, else the default), and the instant before its max-idle time
 * is reached (a pool may close at `idle >= maxIdle`, as tarn's reaper does).
 * A pool may close the socket once this is before the current time.
 */
function earliestExpiry(run: RunView, use: SocketUse, exactHint: boolean): number {
  const { ttlMs, defaultKeepAliveMs, maxIdleMs } = run.setup.config;
  const idleSince = use.idleSince!;
  const hinted = use.idleHint?.timeoutMs;
  const keepAlive = exactHint ? hinted ?? defaultKeepAliveMs : defaultKeepAliveMs;
  return Math.min(
    ttlMs === undefined ? Infinity : use.socket.createdAt + ttlMs,
    keepAlive === undefined ? Infinity : idleSince + keepAlive,
    maxIdleMs === undefined ? Infinity : idleSince + maxIdleMs - 1,
  );
}

/** EXP-5: closeIdle/closeExpired close exactly the idle connections past the threshold. */
export const exp5 = defineRule({
  id: "EXP-5",
  group: "EXP",
  title:
    "closeIdle/closeExpired close exactly the idle connections past the threshold: every one of them, no other idle one, and never a leased one",
  rationale:
    "Eviction on demand is how applications shed connections a server will drop; closing a leased connection breaks a request in progress, missing an idle one leaves a stale socket in the pool, and closing one short of the threshold throws away a connection the next caller would have reused. `closeIdle(d)` may close a connection idle for at least d (Apache's closeIdle), and `closeExpired()` one whose deadline has passed (TTL counted from the start of the connect, the earliest a pool may count it; keep-alive from the last release, hint or default; the max-idle time, reached or passed); within the declared tolerance either way. A connection that is otherwise retired in the same step is not held against the call: one the server closed, released broken, from before a `clear()`, that served its keep-alive `max=M` or its maxUses leases, or (for a pool that declares closeIdleOfOtherRoutes) an idle one closed while another route has a pending acquire.",
  source: "Apache HttpCore 5 StrictConnPool.closeIdle / closeExpired",
  needs: [],
  when: {
    text: "the pool offers closeIdle or closeExpired",
    test: (s) =>
      NOT_MULTIPLEXED.test(s) &&
      (s.capabilities.includes("closeIdle") || s.capabilities.includes("closeExpired")),
  },
  clauses: {
    a: "closeIdle/closeExpired never close a leased connection",
    b: "closeIdle(d) closes no connection idle less than d and not expired",
    c: "closeExpired() closes no connection before its deadline",
    d: "every idle connection past the threshold is closed",
  },
  start(run) {
    const tolerance = run.supports.toleranceMs;
    const { ttlMs, defaultKeepAliveMs } = run.setup.config;
    const halfClosed = new HalfCloses();
    return {
      step({ callers, ledger }) {
        halfClosed.fold(ledger);
        for (const event of callers) {
          if (event.kind !== "maintenance") continue;
          if (event.op !== "closeIdle" && event.op !== "closeExpired") continue;
          for (const closed of ledger) {
            if (closed.type !== "ConnectionClosed" || closed.by !== "client") continue;
            const use = run.use(closed.socketId);
            const holder = use?.holder;
            if (holder !== undefined && holder.status === "leased") {
              return {
                clause: "a",
                detail:
                  `${event.op}() closed socket #${closed.socketId}, leased by acquire #${holder.id}`,
              };
            }
            // The other side: nothing short of the threshold, unless retired for another reason.
            if (closed.seq <= event.seq || use === undefined) continue;
            if (closeExcuse(run, use, closed, halfClosed) !== undefined) continue;
            const expiry = earliestExpiry(run, use, true);
            if (expiry < closed.t + tolerance) continue;
            const idle = closed.t - use.idleSince!;
            if (event.op === "closeIdle" && idle + tolerance < event.idleMs!) {
              return {
                clause: "b",
                detail:
                  `closeIdle(${event.idleMs}) at t=${closed.t} closed socket #${closed.socketId}, idle only ${idle} ms and not expired`,
              };
            }
            if (event.op === "closeExpired") {
              return {
                clause: "c",
                detail:
                  `closeExpired() at t=${closed.t} closed socket #${closed.socketId}, which expires only after t=${expiry}`,
              };
            }
          }
          for (const use of run.liveUses()) {
            if (use.idleSince === undefined || use.idleSinceSeq > event.seq) continue;
            if (use.socket.state !== "open" && use.socket.state !== "half-closed") continue;
            const idle = event.t - use.idleSince;
            let due: number | undefined;
            if (event.op === "closeIdle") {
              // "Idle for at least d" (the capability's promise): idle exactly d is due.
              due = event.idleMs! + tolerance <= idle ? event.idleMs : undefined;
            } else {
              const keepAlive = use.idleHint?.timeoutMs ?? defaultKeepAliveMs;
              const deadlines = [
                // The latest TTL deadline a pool may keep (see EXP-1).
                ttlMs === undefined
                  ? Infinity
                  : (use.socket.readyAt ?? use.socket.createdAt) + ttlMs,
                keepAlive === undefined ? Infinity : use.idleSince + keepAlive,
              ];
              const deadline = Math.min(...deadlines);
              due = deadline + tolerance < event.t ? deadline : undefined;
            }
            if (due !== undefined) {
              const what = event.op === "closeIdle"
                ? `idle ${idle} ms ≥ ${due} ms`
                : `expired at t=${due}`;
              return {
                clause: "d",
                detail:
                  `${event.op}() at t=${event.t} left socket #${use.socket.id} open (${what})`,
              };
            }
          }
        }
        return undefined;
      },
    };
  },
});

/** EXP-6: no connection is leased more than maxUses times. */
export const exp6 = defineRule({
  id: "EXP-6",
  group: "EXP",
  title: "No connection is leased more than maxUses times",
  rationale:
    "`maxUses` recycles connections after a number of checkouts, so that load spreads again over servers behind a balancer and state a server keeps per session cannot grow without bound; a pool that hands a connection out once more than allowed defeats the setting exactly where it is relied on. Leases are counted per socket from what callers received. Retiring early is not judged: a pool may count uses no caller saw (pg-pool counts the release of a checkout whose caller had already timed out, index.js `_acquireClient`), and may close a released connection for reasons its declaration does not name, so a close before the maxUses-th lease cannot be told from a legitimate one. A connection with leases left that stays open and idle is still one LSE-3 and ORD-4 expect to be reused; one that used them all is not.",
  source:
    "pg-pool maxUses (index.js `_release`: `client._poolUseCount >= this.options.maxUses` removes the client); sequelize-pool maxUses (Pool.js `release`: `useCount >= maxUsesPerResource` destroys the resource)",
  needs: ["maxUses"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no connection is leased more than maxUses times",
  },
  start(run) {
    const max = run.setup.config.maxUses;
    const leases = new Map<SocketId, number[]>();
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, id } = event.acquire;
          const earlier = leases.get(facts!.socketId) ?? [];
          leases.set(facts!.socketId, [...earlier, id]);
          if (max !== undefined && earlier.length >= max) {
            const list = earlier.map((n) => `#${n}`).join(", ");
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${
                facts!.socketId
              }, already leased ${earlier.length} times (acquires ${list}) with maxUses ${max}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/**
 * The earliest instant a pool may close an idle socket as expired, and which
 * deadline that is: its TTL counted from the start of the connect, its
 * keep-alive from the last release (the shorter of the hint, less the
 * declared lead, and the default: a pool may apply either), or its max-idle
 * time. `Infinity` when it has no deadline at all.
 */
/**
 * Whether an idle socket's close at `t` is explained by one of its deadlines
 * (TTL, keep-alive, max idle) having been reached, within the tolerance.
 *
 * @param run The run.
 * @param socketId The socket.
 * @param t When it closed.
 * @returns False for a socket on loan or never released.
 */
export function closedAsExpired(run: RunView, socketId: SocketId, t: number): boolean {
  const use = run.uses()[socketId - 1];
  if (use === undefined || use.idleSince === undefined) return false;
  return t + run.supports.toleranceMs >= earliestClose(run, use).at;
}

function earliestClose(run: RunView, use: SocketUse): { at: number; which: string } {
  const { ttlMs, defaultKeepAliveMs, maxIdleMs } = run.setup.config;
  const idleSince = use.idleSince!;
  const hinted = run.supports.capabilities.includes("keepAliveHint")
    ? use.idleHint?.timeoutMs
    : undefined;
  const lead = run.supports.keepAliveLeadMs ?? 0;
  const candidates: [number, string][] = [
    [ttlMs === undefined ? Infinity : use.socket.createdAt + ttlMs, `TTL ${ttlMs} ms`],
    [
      hinted === undefined ? Infinity : idleSince + hinted - lead,
      `keep-alive hint ${hinted} ms${lead === 0 ? "" : ` less the ${lead} ms lead`}`,
    ],
    [
      defaultKeepAliveMs === undefined ? Infinity : idleSince + defaultKeepAliveMs,
      `keep-alive ${defaultKeepAliveMs} ms`,
    ],
    [maxIdleMs === undefined ? Infinity : idleSince + maxIdleMs, `max idle ${maxIdleMs} ms`],
  ];
  let earliest: [number, string] = [Infinity, "no deadline"];
  for (const c of candidates) if (c[0] < earliest[0]) earliest = c;
  return { at: earliest[0], which: earliest[1] };
}

/** EXP-7: no idle connection is closed before its deadline, unless retired for another reason. */
export const exp7 = defineRule({
  id: "EXP-7",
  group: "EXP",
  title:
    "No idle connection is closed before its earliest deadline (TTL, keep-alive, max idle) unless it is retired for another reason",
  rationale:
    "Expiring a connection early is the quiet twin of leasing one too late: nothing fails, but every early close costs the next caller a new connection (a TCP and often a TLS handshake) and the server a new session, and a unit mistake (seconds for milliseconds, a deadline counted from the wrong instant) shows up only as load. The pool may close an idle connection at its earliest deadline or after: its TTL counted from the start of the connect (the earliest a pool may count it, see EXP-1), its keep-alive from its last release (the server's `timeout=N` hint, less the lead the adapter declares, or the default keep-alive, whichever is shorter), or its maximum idle time, reached. It may also close it for a reason the run shows: the server or the network ended it, it was released broken or found dead, it is from before a `clear()`, the pool is closing, it served its keep-alive `max=M` or its maxUses leases, or (a pool that declares closeIdleOfOtherRoutes) another route has a pending acquire; and a pool that is above its limits (LIM-1 and LIM-2 judge that) may shed any connection, in the step it was above them too (its own count may lag the closes it started). Closes in a step that called closeIdle or closeExpired are EXP-5's to judge. No tolerance applies: a late pool is declared, an early one is wrong. Which connection a pool closes to make room is its choice, unless it declares it: Apache's pool keeps one list of available connections, puts a released one at its head and closes the one at its tail, the one released longest ago (policy roomVictim \"leastRecentlyReleased\"); a pool that declares so must not close another while an idle usable connection released before it, of a route nobody waits for and short of its deadlines, stays open. Closing the newest instead throws away the connection most likely to be reused soon and keeps the one most likely to have been dropped by the server.",
  source:
    "Apache HttpCore 5 PoolEntry (expired only once its deadline has passed); JDK KeepAliveCache (a connection is kept for the server's timeout); node:http Agent keepSocketAlive (`agentKeepAliveTimeoutBuffer`, one second before the hint); Apache HttpCore 4 AbstractConnPool and HttpCore 5 StrictConnPool (release: `available.addFirst`; making room: `available.removeLast()` closed)",
  needs: [],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "an idle connection the pool closes has reached one of its deadlines, or was retired for a reason the run shows",
    b: 'a pool that declares roomVictim "leastRecentlyReleased" makes room by closing, of the idle usable connections of routes nobody waits for, the one released longest ago',
  },
  start(run) {
    const halfClosed = new HalfCloses();
    const lru = run.supports.policies.closeIdleOfOtherRoutes &&
      run.supports.policies.roomVictim === "leastRecentlyReleased";
    // Sockets not yet closed (half-closed ones included: the pool may not know yet), per route.
    const unclosed = new Map<string, Set<SocketId>>();
    const overLimit = (route: string) => {
      let total = 0;
      for (const set of unclosed.values()) total += set.size;
      return total > run.setup.config.maxTotal ||
        (unclosed.get(route)?.size ?? 0) > run.limitOf(route);
    };
    return {
      step({ ledger, callers }) {
        halfClosed.fold(ledger);
        const evicting = callers.some((event) =>
          event.kind === "maintenance" && (event.op === "closeIdle" || event.op === "closeExpired")
        );
        // Above the limits at some point of this step: the pool's own count may lag
        // the closes it started, so it may still shed another connection.
        let wasOver = false;
        for (const closed of ledger) {
          if (closed.type === "ConnectionCreated") {
            const set = unclosed.get(closed.route) ?? new Set<SocketId>();
            unclosed.set(closed.route, set.add(closed.socketId));
          }
          if (closed.type !== "ConnectionClosed") continue;
          // A pool above its limits (LIM-1 and LIM-2 judge that) may shed any connection.
          wasOver ||= overLimit(closed.route);
          unclosed.get(closed.route)?.delete(closed.socketId);
          if (closed.by !== "client" || evicting || wasOver) continue;
          const use = run.use(closed.socketId);
          if (use === undefined) continue;
          const excuse = closeExcuse(run, use, closed, halfClosed);
          if (excuse === "room" && lru) {
            const older = olderVictim(run, use, closed, unclosed, halfClosed);
            if (older !== undefined) return { clause: "b", detail: older };
          }
          if (excuse !== undefined) continue;
          const { at, which } = earliestClose(run, use);
          if (closed.t >= at) continue;
          return {
            clause: "a",
            detail:
              `socket #${closed.socketId} (${use.socket.route}), idle since t=${use.idleSince}, was closed at t=${closed.t}; ${
                at === Infinity
                  ? "it has no deadline"
                  : `its earliest deadline is t=${at} (${which})`
              }`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The EXP group. */
export const EXP_RULES: readonly Rule[] = [exp1, exp2, exp3, exp4, exp5, exp6, exp7];
