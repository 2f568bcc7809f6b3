/**
 * The CLS rules for MongoDB CMAP's pause and clear: CLS-5, a pool that
 * starts paused serves nothing and opens nothing until its first `ready()`;
 * CLS-6, `clear({ interruptInUseConnections: true })` ends what was in use.
 *
 * @module
 */
import type { SocketId } from "../../net/types.ts";
import type { Rule } from "../rule.ts";
import { defineRule } from "../rule.ts";
import { NOT_MULTIPLEXED } from "./_when.ts";
import type { AcquireRecord } from "../observations.ts";
import type { RunView } from "../run_view.ts";

/** CLS-5: a pool created paused serves no acquire and opens no connection before its first ready(). */
export const cls5 = defineRule({
  id: "CLS-5",
  group: "CLS",
  title:
    "A pool that starts paused serves no acquire and opens no connection before its first ready()",
  rationale:
    "A driver creates its pool before it knows whether the server behind it is usable; only its monitor's first successful check marks the pool ready. Until then a check-out must fail at once, as it does on a cleared pool, rather than dial a server nobody has vouched for or queue until a timeout; and the pool must not warm itself up (minPoolSize) towards that server either. A caller reads the failure as a cleared pool's, so where the kind of an error can be read it must be that one.",
  source:
    "MongoDB CMAP specification (a pool is created paused; checkOut on a paused pool fails with PoolClearedError; background population runs only while the pool is ready; ready() marks it ready)",
  needs: ["clear"],
  when: {
    text: "the pool declares the policy startsPaused",
    test: (s) => s.policies.startsPaused === true,
  },
  clauses: {
    a: "before the first ready(), every acquire is rejected at once, with a poolCleared-kind error where the kind can be read",
    b: "before the first ready(), the pool opens no connection",
  },
  start(run) {
    // Callers that pass every rule (runCase with RULES) get nothing judged on a pool declared otherwise.
    if (run.supports.policies.startsPaused !== true) return {};
    const kinds = run.supports.capabilities.includes("rejectionKinds");
    let readySeq: number | undefined;
    return {
      step({ callers, ledger }) {
        if (readySeq !== undefined) return undefined;
        for (const event of callers) {
          if (event.kind === "maintenance" && event.op === "ready") {
            readySeq = event.seq;
            break;
          }
          if (event.kind === "close-started") {
            readySeq = event.seq;
            break;
          }
          if (event.kind === "acquire-resolved") {
            const { id, facts } = event.acquire;
            return {
              clause: "a",
              detail: `acquire #${id} got socket #${facts!.socketId} before the first ready()`,
            };
          }
          if (event.kind === "acquire-rejected" && kinds) {
            const { id, errorKind } = event.acquire;
            if (errorKind !== "poolCleared") {
              return {
                clause: "a",
                detail: `acquire #${id} was rejected before the first ready() with a ${
                  errorKind ?? "unrecognised"
                } error, not a poolCleared one`,
              };
            }
          }
        }
        const waiting = readySeq === undefined ? run.pending()[0] : undefined;
        if (waiting !== undefined) {
          return {
            clause: "a",
            detail:
              `acquire #${waiting.id} (${waiting.route}) is still pending before the first ready()`,
          };
        }
        for (const event of ledger) {
          if (event.type !== "ConnectionCreated") continue;
          if (readySeq !== undefined && event.seq > readySeq) continue;
          return {
            clause: "b",
            detail:
              `socket #${event.socketId} (${event.route}) was opened at t=${event.t}, before the first ready()`,
          };
        }
        return undefined;
      },
    };
  },
});

/** Whether socket `id` had not become ready by ledger seq `seq`. */
function connectingAt(run: RunView, id: SocketId, seq: number): boolean {
  for (const event of run.network.ledger.events) {
    if (event.seq > seq) return true;
    if (event.socketId === id && event.type !== "ConnectionCreated") return false;
  }
  return true;
}

/** CLS-6: an interrupting clear() closes what was leased or connecting before it and fails the waiters. */
export const cls6 = defineRule({
  id: "CLS-6",
  group: "CLS",
  title:
    "clear({ interruptInUseConnections: true }) closes at once every connection leased or connecting before it, and fails every pending acquire as cleared",
  rationale:
    "A driver interrupts the connections in use when it learns that the server is gone for good (a network timeout during a handshake, say): an operation in progress on such a connection would otherwise wait for its own socket timeout against a dead server. The holder of a closed connection learns it from its next read and releases it; the acquires that were waiting, including one waiting on its own connect, fail at once as cleared so that callers retry on the next server rather than wait. A plain clear() leaves both to finish (CLS-3 judges it).",
  source:
    "MongoDB CMAP specification (clear with interruptInUseConnections: the pool closes the in-use connections of the old generation in the background without waiting for their check-in, and interrupts pending connections; waiters fail with PoolClearedError)",
  needs: ["interruptInUse"],
  when: NOT_MULTIPLEXED,
  clauses: {
    a: "once the pool has settled after the clear, every connection leased or connecting at it is closed",
    b: "every acquire pending at the clear is rejected, with a poolCleared-kind error where the kind can be read (of any kind when the clear ran in a timer's turn right after its callback, which may have failed the acquire first)",
  },
  start(run) {
    if (!run.supports.capabilities.includes("interruptInUse")) return {};
    const kinds = run.supports.capabilities.includes("rejectionKinds");
    // Acquires started and not settled, in the order the callers saw it.
    const pending = new Map<number, AcquireRecord>();
    let closed = false;
    return {
      step({ callers }) {
        const interrupts: {
          at: number;
          t: number;
          afterTimer: boolean;
          pending: AcquireRecord[];
        }[] = [];
        for (const event of callers) {
          if (event.kind === "acquire-started") pending.set(event.acquire.id, event.acquire);
          if (event.kind === "acquire-resolved" || event.kind === "acquire-rejected") {
            pending.delete(event.acquire.id);
          }
          if (event.kind === "close-started") closed = true;
          // After close() the pool has its own duty to every connection (CLS-2).
          if (event.kind !== "maintenance" || event.interruptInUse !== true || closed) continue;
          interrupts.push({
            at: event.seq,
            t: event.t,
            afterTimer: event.afterTimer === true,
            pending: [...pending.values()],
          });
        }
        for (const event of interrupts) {
          const at = event.at;
          for (const a of event.pending) {
            const anyKind = !kinds || event.afterTimer;
            if (a.status === "rejected" && (anyKind || a.errorKind === "poolCleared")) continue;
            return {
              clause: "b",
              detail:
                `acquire #${a.id} (${a.route}), pending at the interrupting clear() at t=${event.t}, is ${
                  a.status === "rejected"
                    ? `rejected as ${a.errorKind ?? "unrecognised"}`
                    : a.status
                }`,
            };
          }
          for (const id of run.network.ledger.live()) {
            const created = run.network.ledger.events.find((e) =>
              e.socketId === id && e.type === "ConnectionCreated"
            );
            if (created === undefined || created.seq > at) continue;
            const held = run.acquires.some((a) =>
              a.status === "leased" && a.facts?.socketId === id && a.settleSeq! <= at
            );
            if (!held && !connectingAt(run, id, at)) continue;
            return {
              clause: "a",
              detail: `socket #${id} (${created.route}), ${
                held ? "leased" : "connecting"
              } at the interrupting clear() at t=${event.t}, is still ${
                run.network.ledger.stateOf(id)
              }`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** Rules of the CLS group for CMAP's pause and clear. */
export const CLS_CMAP_RULES: readonly Rule[] = [cls5, cls6];
