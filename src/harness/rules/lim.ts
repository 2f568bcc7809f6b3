import type { Rule, StepContext } from "../rule.ts";
import { LiveCount } from "./_live.ts";

/** LIM-1: live connections never exceed maxTotal. */
export const lim1: Rule = {
  id: "LIM-1",
  group: "LIM",
  title: "Live connections (connecting + open) never exceed maxTotal",
  rationale:
    "The total limit is what protects the servers and the process from an unbounded number of sockets; a pool that opens one more than allowed under load fails exactly when the limit matters. Connections being established count, since each already holds a socket.",
  source: "Apache HttpCore 5 StrictConnPool (maxTotal); CMAP maxPoolSize",
  needs: [],
  start(run) {
    const live = new LiveCount();
    const max = run.setup.config.maxTotal;
    return {
      step({ ledger }: StepContext) {
        for (const event of ledger) {
          live.apply(event);
          if (live.total > max) {
            return `${live.total} live connections after socket #${event.socketId} (${event.type}) at t=${event.t}; maxTotal is ${max}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** LIM-2: live connections per route never exceed the route's limit. */
export const lim2: Rule = {
  id: "LIM-2",
  group: "LIM",
  title: "Live connections per route never exceed that route's limit (overrides included)",
  rationale:
    "Per-route limits keep one busy destination from taking every connection and protect each server; an off-by-one here is invisible in light tests and surfaces as overload in production.",
  source: "Apache HttpCore 5 StrictConnPool (defaultMaxPerRoute, setMaxPerRoute)",
  needs: ["maxPerRoute"],
  start(run) {
    const live = new LiveCount();
    return {
      step({ ledger }) {
        for (const event of ledger) {
          live.apply(event);
          const limit = run.limitOf(event.route);
          if (live.of(event.route) > limit) {
            return `${
              live.of(event.route)
            } live connections to ${event.route} after socket #${event.socketId} (${event.type}) at t=${event.t}; its limit is ${limit}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** LIM-3: connects in progress never exceed maxConnecting. */
export const lim3: Rule = {
  id: "LIM-3",
  group: "LIM",
  title: "Connections being established never exceed maxConnecting",
  rationale:
    "Bounding concurrent connects avoids connection storms against a recovering server (CMAP's maxConnecting defaults to 2).",
  source: "MongoDB CMAP specification (maxConnecting)",
  needs: ["maxConnecting"],
  start(run) {
    const live = new LiveCount();
    const max = run.setup.config.maxConnecting ?? Infinity;
    return {
      step({ ledger }) {
        for (const event of ledger) {
          live.apply(event);
          if (live.connecting > max) {
            return `${live.connecting} connects in progress after socket #${event.socketId} was created at t=${event.t}; maxConnecting is ${max}`;
          }
        }
        return undefined;
      },
    };
  },
};

/** LIM-4: waiters never exceed maxWaiters; an acquire beyond fails at once. */
export const lim4: Rule = {
  id: "LIM-4",
  group: "LIM",
  title: "Waiters never exceed maxWaiters; an acquire beyond it fails at once",
  rationale:
    "A bounded wait queue turns overload into fast, explicit failures instead of unbounded memory and latency; the acquire that finds the queue full must fail immediately, not after its timeout.",
  source: "generic-pool maxWaitingClients; CMAP waitQueue",
  needs: ["maxWaiters"],
  start(run) {
    const max = run.setup.config.maxWaiters ?? Infinity;
    let pending = 0;
    const overflow: number[] = [];
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind === "acquire-started") {
            if (pending >= max) overflow.push(event.acquire.id);
            pending++;
          } else if (event.kind === "acquire-resolved" || event.kind === "acquire-rejected") {
            pending--;
          }
        }
        for (const id of overflow.splice(0)) {
          const record = run.acquires[id - 1]!;
          if (record.status === "pending") {
            return `acquire #${id} started with ${max} acquires already waiting (maxWaiters ${max}) and is still pending`;
          }
        }
        if (pending > max) return `${pending} acquires waiting; maxWaiters is ${max}`;
        return undefined;
      },
    };
  },
};

/** The LIM group. */
export const LIM_RULES: readonly Rule[] = [lim1, lim2, lim3, lim4];
