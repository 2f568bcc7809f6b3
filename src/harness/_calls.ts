import type { PoolStats, SendRequest } from "./adapter.ts";
import { type InvalidArgument, isHeldLeaseCopy } from "./invalid_arguments.ts";
import type { AcquireRecord, BadCallRecord, SendRecord } from "./observations.ts";
import { rejectionFacts } from "./observations.ts";
import type { Run } from "./run.ts";

/**
 * Release an already released lease again, reusable or broken; the pool
 * should refuse it, and must change nothing either way.
 *
 * @param run The run.
 * @param record The acquire whose lease is released once more.
 * @param reusable What the repeated release says about the connection.
 */
export function releaseAgain(run: Run, record: AcquireRecord, reusable: boolean): void {
  const seqBefore = run.network.ledger.length;
  const socketId = record.facts?.socketId;
  const holder = socketId === undefined ? undefined : run.use(socketId)?.holder;
  const heldBy = holder === undefined || holder === record ? undefined : holder.id;
  const done = (rejected: boolean, error?: unknown) => {
    const facts = rejected ? rejectionFacts(run.pool, error, false) : undefined;
    run.record({
      kind: "bad-release",
      acquire: record,
      rejected,
      ...(facts === undefined ? {} : {
        refusal: {
          errorObject: facts.errorObject,
          errorMessage: facts.errorMessage,
          errorName: facts.errorName,
        },
      }),
      seqBefore,
      ...(reusable ? {} : { reusable }),
      ...(heldBy === undefined ? {} : { heldBy }),
    });
  };
  run.operations.called();
  try {
    const result = run.pool.release(record.lease, { reusable });
    if (result instanceof Promise) result.then(() => done(false), (error) => done(true, error));
    else done(false);
  } catch (error) {
    done(true, error);
  }
}

/**
 * Make one request on a held lease's connection.
 *
 * @param run The run.
 * @param record The acquire holding the lease.
 */
export function request(run: Run, record: AcquireRecord): void {
  if (record.status !== "leased" || record.facts === undefined) return;
  const socket = run.network.socket(record.facts.socketId);
  const pool = run.pool;
  const start = () => pool.request !== undefined ? pool.request(record.lease) : socket!.request();
  if (socket === undefined && pool.request === undefined) return;
  run.operations.track(`request on #${record.id}`, start, {});
}

/**
 * Send a multiplexed request.
 *
 * @param run The run.
 * @param route Route to send to.
 * @returns The send's record.
 */
export function send(run: Run, route: string): SendRecord {
  const record: SendRecord = {
    seq: run.sends.length + 1,
    route,
    startedAt: run.now(),
    startSeq: run.network.ledger.length,
    status: "pending",
  };
  run.sends.push(record);
  run.record({ kind: "send-started", send: record });
  const finish = (status: "resolved" | "rejected") => {
    record.status = status;
    record.settledAt = run.now();
    record.settleSeq = run.network.ledger.length;
    record.settleStep = run.step;
  };
  const request = sendRequest(run, record);
  run.operations.track(`send #${record.seq} (${route})`, () => run.pool.send!(route, request), {
    ok: (response) => {
      if (record.status !== "pending") return;
      record.socketId = response.socketId;
      record.requestId = response.requestId;
      record.sequence = response.sequence;
      finish("resolved");
      run.record({ kind: "send-resolved", send: record });
    },
    err: (error) => {
      if (record.status !== "pending") return;
      Object.assign(
        record,
        rejectionFacts(run.pool, error, run.supports.capabilities.includes("rejectionKinds")),
      );
      finish("rejected");
      run.record({ kind: "send-rejected", send: record });
    },
  });
  return record;
}

/** Retries reported in each run so far, which orders them (`SendAttempt.order`). */
const retriesOf = new WeakMap<Run, number>();

/**
 * What a send hands the pool: its number, and the callbacks through which a
 * pool that retries it reports its attempts onto its record (TMO-3). Reports
 * after the send settled change nothing.
 */
function sendRequest(run: Run, record: SendRecord): SendRequest {
  return {
    seq: record.seq,
    attemptStarted: () => {
      if (record.status !== "pending") return;
      const attempts = record.attempts ??= [];
      let order: readonly [number, number] = [record.seq, 0];
      if (attempts.length > 0) {
        const retry = (retriesOf.get(run) ?? 0) + 1;
        retriesOf.set(run, retry);
        order = [run.sends.length, retry];
      }
      attempts.push({ startedAt: run.now(), order });
    },
    attemptFailed: () => {
      const last = record.attempts?.at(-1);
      if (record.status !== "pending" || last === undefined || last.failedAt !== undefined) return;
      last.failedAt = run.now();
    },
  };
}

/** A maintenance operation of the pool. */
export type Maintenance = "closeIdle" | "closeExpired" | "clear" | "ready";

/**
 * Call a maintenance operation.
 *
 * @param run The run.
 * @param op Which one.
 * @param idleMs The threshold of `closeIdle`.
 * @param interrupt For `clear`: pass `{ interruptInUseConnections: true }`.
 * @param afterTimer Called in the macrotask of a timer whose callback has just
 * run: what that callback started, such as failing a waiter, may settle only
 * after this call.
 */
export function maintain(
  run: Run,
  op: Maintenance,
  idleMs?: number,
  interrupt = false,
  afterTimer = false,
): void {
  const event = {
    kind: "maintenance",
    op,
    t: run.now(),
    seq: run.network.ledger.length,
    ...(interrupt ? { interruptInUse: true as const } : {}),
    ...(afterTimer ? { afterTimer: true as const } : {}),
  } as const;
  run.record(idleMs === undefined ? event : { ...event, idleMs });
  if (op === "clear") {
    run.generation++;
    run.paused = true;
  }
  if (op === "ready") run.paused = false;
  const pool = run.pool;
  const call = op === "closeIdle"
    ? () => pool.closeIdle?.(idleMs ?? 0)
    : op === "closeExpired"
    ? () => pool.closeExpired?.()
    : op === "clear"
    ? () => (interrupt ? pool.clear?.({ interruptInUseConnections: true }) : pool.clear?.())
    : () => pool.ready?.();
  run.operations.track(op, call, {});
}

/**
 * Call `close()`; a second call must be harmless.
 *
 * @param run The run.
 */
export function close(run: Run): void {
  const seq = run.network.ledger.length;
  if (run.closeSeq !== undefined) {
    run.operations.track("second close", () => run.pool.close(), {
      ok: () => (run.secondCloseResolved = true),
    }, true);
    return;
  }
  run.closeSeq = seq;
  run.closeStep = run.step;
  run.record({ kind: "close-started", t: run.now(), seq });
  run.operations.track("close", () => run.pool.close(), {
    ok: () => {
      run.closeResolved = true;
      run.record({
        kind: "close-resolved",
        t: run.now(),
        seq: run.network.ledger.length,
        live: run.network.ledger.live().length,
      });
    },
  }, true);
}

/**
 * Call the pool with one invalid argument (CFG-2) and record how it took
 * the call; the lease of a bad release stays with its holder either way.
 *
 * @param run The run.
 * @param invalid The argument and its value.
 * @param acquire The holder of the lease a bad release names.
 * @returns The call's record.
 */
export function badCall(
  run: Run,
  invalid: InvalidArgument,
  acquire?: AcquireRecord,
): BadCallRecord {
  const pool = run.pool;
  let statsBefore: PoolStats | undefined;
  if (run.supports.capabilities.includes("stats")) {
    try {
      statsBefore = pool.stats?.();
    } catch {
      // STA-1 reports a stats() that throws; CFG-2 then compares the ledger only.
    }
  }
  const record: BadCallRecord = {
    invalid,
    poolName: run.supports.validatedArguments?.[invalid.argument] ?? invalid.argument,
    ...(acquire === undefined ? {} : { acquire }),
    t: run.now(),
    seqBefore: run.network.ledger.length,
    ...(statsBefore === undefined ? {} : { statsBefore }),
    outcome: "pending",
  };
  run.record({ kind: "bad-call", call: record });
  const refused = (error: unknown) => {
    record.outcome = "refused";
    record.error = error instanceof Error ? error.message : String(error);
  };
  const value = invalid.value as never;
  const call = (): unknown => {
    switch (invalid.argument) {
      case "route":
        return pool.acquire(value, {});
      case "acquireTimeoutMs":
        return pool.acquire(run.setup.config.routes[0]!, { timeoutMs: value });
      case "closeIdleMs":
        return pool.closeIdle?.(value);
      case "reusable":
        return pool.release(acquire!.lease, { reusable: value });
      case "interruptInUse":
        return pool.clear?.({ interruptInUseConnections: value });
      case "lease":
        return pool.release(
          isHeldLeaseCopy(value) ? { ...(acquire!.lease as object) } as never : value,
          { reusable: true },
        );
    }
  };
  run.operations.called();
  try {
    const result = call();
    if (result instanceof Promise) {
      result.then(() => (record.outcome = "accepted"), refused);
    } else record.outcome = "accepted";
  } catch (error) {
    refused(error);
  }
  return record;
}
