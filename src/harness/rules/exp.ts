import type { SocketId } from "../../net/types.ts";
import type { Rule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** EXP-1: no connection is leased past its TTL. */
export const exp1: Rule = {
  id: "EXP-1",
  group: "EXP",
  title: "No connection is leased past its TTL",
  rationale:
    "A time to live bounds how long a connection may be used at all (DNS changes, server rotation); handing one out past it defeats the setting. The TTL runs from the moment the connection is established, as Apache assigns it and pg-pool arms maxLifetimeSeconds once connected; a pool that counts it from the start of the connect is stricter and passes too. Deadlines are strict, as Apache's: expired means deadline < now.",
  source:
    "Apache HttpCore 5 PoolEntry (timeToLive from assignConnection, expiry = min(keep-alive, created + TTL)); pg-pool maxLifetimeSeconds",
  needs: ["ttl"],
  when: NOT_MULTIPLEXED,
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
          if (settledAt! > deadline + tolerance) {
            return `acquire #${id} got socket #${socket.id} at t=${settledAt}; established at t=${start}, TTL ${ttl} ms, so it expired after t=${deadline}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** EXP-2: no connection is leased past its keep-alive deadline. */
export const exp2: Rule = {
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
          if (settledAt! > deadline + tolerance) {
            return `acquire #${id} got socket #${
              facts!.socketId
            } at t=${settledAt}; released at t=${
              facts!.idleSince
            } with keep-alive ${keepAlive} ms, so it expired after t=${deadline}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** EXP-3: no connection serves more requests than its keep-alive max. */
export const exp3: Rule = {
  id: "EXP-3",
  group: "EXP",
  title: "No connection serves more requests than its keep-alive `max`",
  rationale:
    "`Keep-Alive: max=M` announces that the server closes the connection after M requests; leasing it again sends a request the server will not answer.",
  source: "JDK HttpURLConnection KeepAliveCache (honours max); RFC 2068 Keep-Alive",
  needs: ["keepAliveMax"],
  when: NOT_MULTIPLEXED,
  start(run) {
    return {
      step({ callers }) {
        if (!run.setup.config.honourKeepAliveMax) return undefined;
        for (const event of callers) {
          if (event.kind !== "acquire-resolved") continue;
          const { facts, id } = event.acquire;
          const max = facts!.hint?.max;
          if (max !== undefined && facts!.served >= max) {
            return `acquire #${id} got socket #${facts!.socketId}, which had served ${
              facts!.served
            } requests with keep-alive max=${max}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** EXP-4: a connection idle past validateAfterInactivity is validated before lease. */
export const exp4: Rule = {
  id: "EXP-4",
  group: "EXP",
  title:
    "A connection idle longer than validateAfterInactivity is validated before lease; one the server closed is discarded, never handed out",
  rationale:
    "Servers close idle connections without telling the client; a cheap staleness probe after a period of inactivity keeps those half-closed sockets from reaching callers.",
  source:
    "Apache HttpClient 5 PoolingHttpClientConnectionManager (validateAfterInactivity, default 2 s)",
  needs: ["validateAfterInactivity"],
  when: NOT_MULTIPLEXED,
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
          if (settledAt! - facts!.idleSince <= threshold + tolerance) continue;
          const validated = (checks.get(facts!.socketId) ?? []).some((seq) =>
            seq > facts!.idleSinceSeq && seq <= settleSeq!
          );
          if (!validated) {
            return `acquire #${id} got socket #${facts!.socketId} idle since t=${
              facts!.idleSince
            } at t=${settledAt} (over ${threshold} ms) without validating it`;
          }
          if (facts!.state === "half-closed") {
            return `acquire #${id} got socket #${
              facts!.socketId
            }, which validation found closed by the server`;
          }
        }
        return undefined;
      },
    };
  },
};

/** EXP-5: closeIdle/closeExpired close exactly the idle connections past the threshold. */
export const exp5: Rule = {
  id: "EXP-5",
  group: "EXP",
  title:
    "closeIdle/closeExpired close the idle connections past the threshold, and never a leased one",
  rationale:
    "Eviction on demand is how applications shed connections a server will drop; closing a leased connection breaks a request in progress, and missing an idle one leaves a stale socket in the pool.",
  source: "Apache HttpCore 5 StrictConnPool.closeIdle / closeExpired",
  needs: [],
  when: {
    text: "the pool offers closeIdle or closeExpired",
    test: (s) =>
      NOT_MULTIPLEXED.test(s) &&
      (s.capabilities.includes("closeIdle") || s.capabilities.includes("closeExpired")),
  },
  start(run) {
    const tolerance = run.supports.toleranceMs;
    const { ttlMs, defaultKeepAliveMs } = run.setup.config;
    return {
      step({ callers, ledger }) {
        for (const event of callers) {
          if (event.kind !== "maintenance") continue;
          if (event.op !== "closeIdle" && event.op !== "closeExpired") continue;
          for (const closed of ledger) {
            if (closed.type !== "ConnectionClosed" || closed.by !== "client") continue;
            const holder = run.use(closed.socketId)?.holder;
            if (holder !== undefined && holder.status === "leased") {
              return `${event.op}() closed socket #${closed.socketId}, leased by acquire #${holder.id}`;
            }
          }
          for (const use of run.uses()) {
            if (use.idleSince === undefined || use.idleSinceSeq > event.seq) continue;
            if (use.socket.state !== "open" && use.socket.state !== "half-closed") continue;
            const idle = event.t - use.idleSince;
            let due: number | undefined;
            if (event.op === "closeIdle") {
              due = event.idleMs! + tolerance < idle ? event.idleMs : undefined;
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
              return `${event.op}() at t=${event.t} left socket #${use.socket.id} open (${what})`;
            }
          }
        }
        return undefined;
      },
    };
  },
};

/** The EXP group. */
export const EXP_RULES: readonly Rule[] = [exp1, exp2, exp3, exp4, exp5];
