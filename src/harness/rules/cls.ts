import type { CallerEvent } from "../observations.ts";
import type { RunView } from "../run_view.ts";
import { mayOwnConnect } from "./_population.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";

/** CLS-1: close rejects every pending acquire, and later ones. */
export const cls1 = defineRule({
  id: "CLS-1",
  group: "CLS",
  title: "Close rejects every pending acquire with a clear error, and later acquires too",
  rationale:
    'Shutdown must not strand callers: a waiter left pending by close hangs the shutdown of whatever awaits it, and an acquire after close that succeeds leaks a connection. A pool that declares it drops waiters on close is judged too and fails here, once: LIV-1 does not report those waiters again. A pool that drains waiters with released connections is not judged on its acquires. A multiplexed pool that declares what close() does to its sends (policies.closeSends) is judged on them: a send made after close() is not served (the Java producer refuses it, and one that reconnects fights the shutdown); with "reject" no send stays pending after close(); with "drain" (kafkajs: Connection.disconnect awaits its request queue) every send made before close() has settled by the time close() resolves, which is what a caller awaiting close() before exiting relies on.',
  source:
    "CMAP (close fails checkouts with PoolClosedError); tarn destroy; Kafka KafkaProducer.close (drains, then refuses sends); kafkajs Connection.disconnect",
  needs: [],
  when: {
    text:
      "closeWaiters is reject or drop (a pool that drops waiters is judged, and fails), or closeSends is declared",
    test: (s) => s.policies.closeWaiters !== "drain" || s.policies.closeSends !== undefined,
  },
  clauses: {
    a: "an acquire started after close is not served",
    b: "no acquire stays pending after close",
    c: "a send made after close is not served",
    d: 'with closeSends "reject", no send pending at close stays pending, nor one made after it once the pool is closed',
    e: 'with closeSends "drain", every send made before close settles before close() resolves',
  },
  start(run) {
    const acquires = run.supports.policies.closeWaiters !== "drain";
    const sends = run.supports.policies.closeSends === undefined
      ? undefined
      : closedSends(run, run.supports.policies.closeSends);
    let checkedUntil = 0;
    return {
      step(context) {
        const breach = sends?.step(context.callers);
        if (breach !== undefined || !acquires) return breach;
        const { callers } = context;
        if (run.closeSeq === undefined) return undefined;
        for (const event of callers) {
          if (
            event.kind === "acquire-resolved" &&
            event.acquire.startStep > (run.closeStep ?? Infinity)
          ) {
            return {
              clause: "a",
              detail: `acquire #${event.acquire.id}, started after close, got socket #${
                event.acquire.facts!.socketId
              }`,
            };
          }
        }
        for (let i = checkedUntil; i < run.acquires.length; i++) {
          const record = run.acquires[i]!;
          if (record.status === "pending") {
            return {
              clause: "b",
              detail: `acquire #${record.id} (${record.route}) still pending after close()`,
            };
          }
        }
        checkedUntil = run.acquires.length;
        return undefined;
      },
      closed() {
        const breach = sends?.closed();
        if (breach !== undefined || !acquires) return breach;
        const pending = run.acquires.find((a) => a.status === "pending");
        return pending === undefined
          ? undefined
          : { clause: "b", detail: `acquire #${pending.id} still pending after close()` };
      },
    };
  },
});

/**
 * CLS-1 over the sends of a multiplexed pool, read from the callers' events
 * in the order they happened: which sends were made before close() (those
 * started before the first close-started), which had settled when close()
 * first resolved, and which were served after close().
 */
function closedSends(run: RunView, policy: "reject" | "drain") {
  let started = 0;
  let madeBeforeClose: number | undefined;
  const settled = new Set<number>();
  let resolvedOnce = false;
  // In a step, the sends made before close(); once the pool is closed for good, every one.
  const pendingAfterClose = (made = run.sends.length): Breach<"d"> | undefined => {
    const pending = run.sends.slice(0, made).find((s) => s.status === "pending");
    return pending === undefined ? undefined : {
      clause: "d",
      detail: `send #${pending.seq} (${pending.route}) still pending after close()`,
    };
  };
  return {
    step(callers: readonly CallerEvent[]): Breach<"c" | "d" | "e"> | undefined {
      for (const event of callers) {
        switch (event.kind) {
          case "send-started":
            started++;
            break;
          case "close-started":
            madeBeforeClose ??= started;
            break;
          case "send-resolved":
          case "send-rejected": {
            const { seq, route, socketId } = event.send;
            settled.add(seq);
            if (
              event.kind === "send-resolved" && madeBeforeClose !== undefined &&
              seq > madeBeforeClose
            ) {
              return {
                clause: "c",
                detail:
                  `send #${seq} (${route}), made after close(), was answered on socket #${socketId}`,
              };
            }
            break;
          }
          case "close-resolved": {
            if (resolvedOnce || policy !== "drain" || madeBeforeClose === undefined) break;
            resolvedOnce = true;
            const unsettled = run.sends.slice(0, madeBeforeClose).find((s) => !settled.has(s.seq));
            if (unsettled !== undefined) {
              return {
                clause: "e",
                detail:
                  `close() resolved at t=${event.t} with send #${unsettled.seq} (${unsettled.route}), made before it, not settled`,
              };
            }
            break;
          }
        }
      }
      return madeBeforeClose !== undefined && policy === "reject"
        ? pendingAfterClose(madeBeforeClose)
        : undefined;
    },
    closed(): Breach<"d"> | undefined {
      return policy === "reject" ? pendingAfterClose() : undefined;
    },
  };
}

/** CLS-2: after close nothing new opens, idle ones close, and close completes with no socket open. */
export const cls2 = defineRule({
  id: "CLS-2",
  group: "CLS",
  title:
    "After close, idle connections are closed, leased ones on release, and no new connection is opened; close is idempotent; when it completes, no socket is open",
  rationale:
    "A closed pool that keeps sockets open leaks file descriptors and server connections; one that opens new ones after close fights the shutdown. A pool that declares it drains its waiters on close (closeWaiters: drain) may go on serving the acquires made before close(): a connection released after close may go to one of them instead of being closed, and a connection may be opened for one of them while it is still pending; once none is left, the clauses apply in full.",
  source: "CMAP (close); Apache HttpCore 5 StrictConnPool.close",
  needs: [],
  clauses: {
    a: "no connection is opened after close",
    b: "close() resolves only once every socket is closed",
    c: "a connection released after close is closed",
    d: "idle connections of the closed pool are closed",
    e: "close() resolves",
    f: "a second close() resolves too",
    g: "no socket stays open after close",
  },
  start(run) {
    const drains = run.supports.policies.closeWaiters === "drain";
    // An acquire made before close() and pending at ledger position `seq`.
    const draining = (seq: number) =>
      drains &&
      run.acquires.some((a) =>
        a.startSeq <= run.closeSeq! && a.startStep <= (run.closeStep ?? Infinity) &&
        (a.settleSeq === undefined || a.settleSeq >= seq)
      );
    return {
      step({ ledger, callers }) {
        if (run.closeSeq === undefined) return undefined;
        const created = ledger.find((e) =>
          e.type === "ConnectionCreated" && e.seq > run.closeSeq! && !draining(e.seq)
        );
        if (created !== undefined) {
          return {
            clause: "a",
            detail:
              `socket #${created.socketId} (${created.route}) opened at t=${created.t}, after close()`,
          };
        }
        for (const event of callers) {
          if (event.kind === "close-resolved" && event.live > 0) {
            return {
              clause: "b",
              detail: `close() resolved at t=${event.t} with ${event.live} sockets not closed`,
            };
          }
          if (event.kind === "released") {
            const socket = run.network.socket(event.acquire.facts!.socketId);
            // Drained: handed to an acquire made before close().
            const holder = socket === undefined ? undefined : run.use(socket.id)?.holder;
            const handedOn = drains && holder !== undefined && holder !== event.acquire &&
              holder.status === "leased" && holder.startStep <= (run.closeStep ?? Infinity);
            if (socket !== undefined && socket.state !== "closed" && !handedOn) {
              return {
                clause: "c",
                detail: `socket #${socket.id} released after close() is still ${socket.state}`,
              };
            }
          }
        }
        for (const use of run.liveUses()) {
          if (use.idleSince === undefined || use.socket.state === "closed") continue;
          if (use.socket.state === "connecting") continue;
          return {
            clause: "d",
            detail: `socket #${use.socket.id} idle in the closed pool is still ${use.socket.state}`,
          };
        }
        return undefined;
      },
      closed() {
        if (!run.closeResolved) {
          return {
            clause: "e",
            // The kit waits a bounded time: say how long, so a pool that polls (a drain loop on a
            // timer of its own) can be told apart from one that never resolves.
            detail:
              `close() had not resolved at t=${run.now()}, after every declared deadline and ${run.supports.toleranceMs} ms of tolerance had passed (pending: ${
                run.pendingOperations().join(", ") || "none"
              }); a pool that polls needs its period within toleranceMs`,
          };
        }
        if (!run.secondCloseResolved) {
          return {
            clause: "f",
            detail: "a second close() did not resolve: close is not idempotent",
          };
        }
        const live = run.network.ledger.live();
        if (live.length > 0) {
          return {
            clause: "g",
            detail: `sockets ${live.map((id) => `#${id}`).join(", ")} still open after close()`,
          };
        }
        return undefined;
      },
    };
  },
});

/** CLS-3: clear() retires the connections of the old generation and pauses the pool until ready(). */
export const cls3 = defineRule({
  id: "CLS-3",
  group: "CLS",
  title:
    "clear() retires every connection opened before it and fails the waiters; the pool serves no acquire until ready()",
  rationale:
    "A driver clears its pool when it learns that the server behind it failed or stepped down: every connection opened before that moment may lead to the wrong server or to a dead one. Handing one out after the clear sends the caller's operation there; keeping one that comes back from its holder keeps a socket to a server the pool has given up on. A cleared pool is paused until the application (a driver's monitor) says the server is usable again with ready(): waiters that were queued for the old server fail at once rather than wait for a timeout, and acquires made meanwhile fail too instead of dialling a server known to be down. A connection whose connect was in progress at the clear is from before it as well. Idle connections of the old generation may be closed at once or when the pool next meets them; only handing them out is judged. A pool whose connects belong to the acquire that started them (policy connectOwnership \"acquire\", CMAP) has taken such an acquire out of its wait queue: a plain clear() leaves it pending until its own connect ends, with a stale connection it must not hand out; once that connect is established (and the pool's own request on it, a handshake, answered), the acquire waits on nothing and must fail.",
  source:
    "MongoDB CMAP specification (clear() increments the generation and pauses the pool; a perished connection, one of an older generation, is never checked out and is closed when checked in; checkOut on a paused pool and the waiters queued at the clear fail with PoolClearedError; ready() resumes)",
  needs: ["clear"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "no connection opened before a clear() is handed out after it",
    b: "a connection opened before a clear() and released after it is closed",
    c: "while the pool is paused, no acquire is served and none stays pending",
  },
  start(run) {
    let generation = 0;
    // A pool that starts paused (CMAP) is paused as if cleared until its first ready().
    let paused = run.supports.policies.startsPaused === true;
    return {
      step({ callers }) {
        if (run.closeSeq !== undefined) return undefined;
        for (const event of callers) {
          if (event.kind === "maintenance") {
            if (event.op === "clear") [generation, paused] = [generation + 1, true];
            if (event.op === "ready") paused = false;
            continue;
          }
          if (event.kind === "acquire-resolved") {
            const { id, facts } = event.acquire;
            const use = run.use(facts!.socketId);
            if (paused) {
              return {
                clause: "c",
                detail: `acquire #${id} got socket #${facts!.socketId} while the pool was paused${
                  generation === 0 ? "" : " by clear()"
                }`,
              };
            }
            if (use !== undefined && use.generation < generation) {
              return {
                clause: "a",
                detail: `acquire #${id} got socket #${
                  facts!.socketId
                }, opened before clear() number ${generation}`,
              };
            }
          }
          if (event.kind === "released" && event.reusable) {
            const socket = run.network.socket(event.acquire.facts!.socketId);
            const use = socket === undefined ? undefined : run.use(socket.id);
            if (use !== undefined && use.generation < generation && socket!.state !== "closed") {
              return {
                clause: "b",
                detail: `socket #${
                  socket!.id
                }, opened before clear() number ${generation} and released by acquire #${event.acquire.id} after it, is still ${
                  socket!.state
                }`,
              };
            }
          }
        }
        // A plain clear leaves an acquire on a connect of its own to end with it (connectOwnership
        // "acquire"): it fails as cleared when the now stale connection lands.
        const now = run.network.ledger.length;
        const waiting = paused
          ? run.pending().find((a) => !mayOwnConnect(run, a, now, true))
          : undefined;
        if (waiting !== undefined) {
          return {
            clause: "c",
            detail:
              `acquire #${waiting.id} (${waiting.route}) is still pending while the pool is paused${
                generation === 0 ? "" : " by clear()"
              }`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The CLS group. */
/** CLS-4: a pool that has closed leaves no timer armed. */
export const cls4 = defineRule({
  id: "CLS-4",
  group: "CLS",
  title: "A pool that has closed leaves no timer armed",
  rationale:
    "A timer a closed pool forgot (an evictor, an idle sweep, a backoff, a connect deadline) keeps a Node.js process alive after the application closed everything, runs pool code against a pool that no longer exists, and in tests shows up as a leak that hangs the test runner. Once close() has resolved and every connection is closed, nothing is left to time. Judged for pools on the injected virtual clock, where every timer is the pool's or the simulated network's, and the network's are gone with its sockets; a pool on global time shares the faked timers with its runtime's own.",
  source:
    "Node.js timers (an active timer keeps the event loop alive: unref or clear it); generic-pool and tarn clear their evictor and reaper on drain/destroy; CMAP (close() stops background population and the pool's tasks)",
  needs: [],
  when: { text: "the pool takes the virtual clock", test: (s) => s.timeMode === "virtual" },
  clauses: {
    a: "once close() has resolved and every socket is closed, no timer is armed",
  },
  start(run) {
    let resolved = false;
    const judge = (callers: readonly CallerEvent[]): Breach<"a"> | undefined => {
      if (callers.some((e) => e.kind === "close-resolved")) resolved = true;
      if (!resolved || run.pendingTimers === 0) return undefined;
      if (run.network.ledger.live().length > 0) return undefined;
      return {
        clause: "a",
        detail: `close() resolved and every socket is closed, yet ${run.pendingTimers} timer${
          run.pendingTimers === 1 ? " is" : "s are"
        } still armed`,
      };
    };
    return {
      step: ({ callers }) => judge(callers),
      closed: ({ callers }) => judge(callers),
    };
  },
});

export const CLS_RULES: readonly Rule[] = [cls1, cls2, cls3, cls4];
