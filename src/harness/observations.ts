/**
 * What callers received: the harness's own record of every operation it
 * started on the pool and how each ended. Rules read this alongside the
 * network's ledger; neither comes from the pool's own report.
 *
 * @module
 */
import type { KeepAliveHint, Route, SocketId, SocketState } from "../net/types.ts";
import type { PoolEventNotice, PoolStats, PoolUnderTest, RejectionKind } from "./adapter.ts";
import type { InvalidArgument } from "./invalid_arguments.ts";

/** State of the leased socket at the instant a lease reached its caller. */
export interface LeaseFacts {
  /** Socket the lease holds. */
  readonly socketId: SocketId;
  /** Route of that socket per the network (undefined if the id is unknown). */
  readonly socketRoute: Route | undefined;
  /** Its state then. */
  readonly state: SocketState | undefined;
  /** Responses it had served. */
  readonly served: number;
  /** Keep-alive hint of its last response. */
  readonly hint: KeepAliveHint | undefined;
  /**
   * Idle sockets of the route that were certainly usable just before this
   * lease (see `certainlyUsable`), with the time they became idle.
   */
  readonly candidates: readonly {
    readonly id: SocketId;
    readonly idleSince: number;
    readonly idleSinceSeq: number;
    readonly idleOrder: number;
  }[];
  /** When the socket had been idle in the pool before this lease (undefined: it was not). */
  readonly idleSince: number | undefined;
  /** Ledger length at that release. */
  readonly idleSinceSeq: number;
  /** Hint of its last response at that release. */
  readonly idleHint: KeepAliveHint | undefined;
}

/** Life of one acquire as its caller saw it. */
export interface AcquireRecord {
  /** 1, 2, 3, … in start order. */
  readonly id: number;
  /** Route asked for. */
  readonly route: Route;
  /** Timeout passed to the pool, if any. */
  readonly timeoutMs: number | undefined;
  /** Virtual time when it started. */
  readonly startedAt: number;
  /** Ledger length when it started. */
  readonly startSeq: number;
  /** Step number (1-based) that started it. */
  readonly startStep: number;
  /**
   * Reusable releases made before it started (a connection's `idleOrder` at
   * most this was idle when it started).
   */
  readonly startReleases: number;
  /**
   * An idle connection of its route that was certainly usable when it started,
   * with no older acquire of the route pending (recorded only for a pool that
   * declares `maxWaiters` and `rejectionKinds`, for LIM-4).
   */
  readonly idleAtStart?: SocketId;
  /** Where it stands. */
  status: "pending" | "leased" | "released" | "rejected";
  /** Virtual time when it settled. */
  settledAt?: number;
  /** Ledger length when it settled. */
  settleSeq?: number;
  /** Step in which it settled. */
  settleStep?: number;
  /** Order of settling among all acquires of the run (1, 2, …). */
  settleOrder?: number;
  /** Error code (or name) of a rejection. */
  errorCode?: string;
  /** Whether a rejection was an error object with a message (see {@linkcode isErrorObject}). */
  errorObject?: boolean;
  /** First line of a rejection's message (`""` when empty or missing). */
  errorMessage?: string;
  /** A rejection's `name` (`""` when empty, missing or not a string). */
  errorName?: string;
  /** The codes and messages of a rejection and of its causes (see {@linkcode errorTrail}). */
  errorTrail?: string;
  /**
   * The adapter's kind for a rejection (capability `rejectionKinds`): `null`
   * when it did not recognise the error, absent without the capability.
   */
  errorKind?: RejectionKind | null;
  /** The opaque lease. */
  lease?: unknown;
  /** The leased socket as it was when the lease arrived. */
  facts?: LeaseFacts;
  /** How it was released. */
  reusable?: boolean;
  /** Virtual time of the release. */
  releasedAt?: number;
  /** Ledger length at the release. */
  releaseSeq?: number;
}

/** Life of one multiplexed send. */
export interface SendRecord {
  /** 1, 2, 3, … in send order. */
  readonly seq: number;
  /** Route sent to. */
  readonly route: Route;
  /** Virtual time it was sent. */
  readonly startedAt: number;
  /** Ledger length when it was sent. */
  readonly startSeq: number;
  /** Where it stands. */
  status: "pending" | "resolved" | "rejected";
  /** Virtual time it settled. */
  settledAt?: number;
  /** Ledger length when it settled. */
  settleSeq?: number;
  /** Step in which it settled. */
  settleStep?: number;
  /** Socket that answered. */
  socketId?: SocketId;
  /** Request id of the answer. */
  requestId?: number;
  /** Position of the answer on its socket. */
  sequence?: number;
  /** Error code (or name) of a rejection. */
  errorCode?: string;
  /** Whether a rejection was an error object with a message (see {@linkcode isErrorObject}). */
  errorObject?: boolean;
  /** First line of a rejection's message (`""` when empty or missing). */
  errorMessage?: string;
  /** A rejection's `name` (`""` when empty, missing or not a string). */
  errorName?: string;
  /** The codes and messages of a rejection and of its causes (see {@linkcode errorTrail}). */
  errorTrail?: string;
  /**
   * The adapter's kind for a rejection (capability `rejectionKinds`): `null`
   * when it did not recognise the error, absent without the capability.
   */
  errorKind?: RejectionKind | null;
  /**
   * The attempts of a send the pool retries, as its adapter reported them
   * (`SendRequest.attemptStarted`); absent until it reports one.
   */
  attempts?: SendAttempt[];
}

/** One attempt of a retried send, in virtual time. */
export interface SendAttempt {
  /** When it started. */
  readonly startedAt: number;
  /** When it failed, once it has. */
  failedAt?: number;
  /**
   * Where it stands among the run's sends and retries (see
   * {@linkcode sendOrder}): the first attempt of send `n` is `[n, 0]`; a
   * retry is `[sends made before it, k]`, its `k` counting the run's
   * retries, so it follows every send made before it and precedes every
   * later one.
   */
  readonly order: readonly [sends: number, retry: number];
}

/**
 * Where a send's request stands in send order: that of its last attempt, a
 * retry being a new request; a send with no attempts reported is `[seq, 0]`.
 *
 * @param send The send.
 * @returns Its place, compared with {@linkcode sentBefore}.
 */
export function sendOrder(send: SendRecord): readonly [number, number] {
  return send.attempts?.at(-1)?.order ?? [send.seq, 0];
}

/**
 * Whether place `a` comes before place `b` in send order.
 *
 * @param a A place from {@linkcode sendOrder}.
 * @param b Another.
 * @returns `true` when `a` precedes `b`.
 */
export function sentBefore(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** A call the harness made with one invalid argument (CFG-2). */
export interface BadCallRecord {
  /** The argument and its value. */
  readonly invalid: InvalidArgument;
  /** The pool's own name for the argument. */
  readonly poolName: string;
  /** The acquire whose lease a bad release named. */
  readonly acquire?: AcquireRecord;
  /** Virtual time of the call. */
  readonly t: number;
  /** Ledger length when it was made. */
  readonly seqBefore: number;
  /** What `stats()` said just before, for a pool with capability `stats`. */
  readonly statsBefore?: PoolStats;
  /**
   * `refused`: the call threw or its promise rejected; `accepted`: it
   * returned, or its promise resolved; `pending`: its promise has not settled.
   */
  outcome: "refused" | "accepted" | "pending";
  /** The message of what it threw or rejected with (its string form when not an `Error`). */
  error?: string;
}

/**
 * One thing a caller saw, in the order it happened. A run records each with
 * the fields of every kind present, those its kind does not have set to
 * `undefined` (and each acquire record, and each pool event it carries,
 * likewise), so that the rules' reads of them see one object shape: read a
 * field by its value, not by `in` or `Object.keys`.
 */
export type CallerEvent =
  | { readonly kind: "acquire-started"; readonly acquire: AcquireRecord }
  | { readonly kind: "acquire-resolved"; readonly acquire: AcquireRecord }
  | { readonly kind: "acquire-rejected"; readonly acquire: AcquireRecord }
  | { readonly kind: "released"; readonly acquire: AcquireRecord; readonly reusable: boolean }
  | {
    /** The pool threw or rejected on the release of a lease the caller held. */
    readonly kind: "release-failed";
    readonly acquire: AcquireRecord;
    /** The error, as one line. */
    readonly error: string;
    /** Whether the release was made before `close()` was called. */
    readonly beforeClose: boolean;
  }
  | {
    /** The pool accepted the release of a lease the caller held, made after `close()`. */
    readonly kind: "release-accepted";
    readonly acquire: AcquireRecord;
  }
  | {
    /** A repeated release of a lease already released, and how the pool took it. */
    readonly kind: "bad-release";
    readonly acquire: AcquireRecord;
    /** Whether the pool refused it (threw or rejected). */
    readonly rejected: boolean;
    /**
     * What a refusal threw or rejected with: whether it is an error object,
     * and its message's first line and its name (empty when it has none).
     */
    readonly refusal?: {
      readonly errorObject: boolean;
      readonly errorMessage: string;
      readonly errorName: string;
    };
    /** Ledger length when it was made. */
    readonly seqBefore: number;
    /** Whether it said the connection was reusable (absent: it did). */
    readonly reusable?: boolean;
    /** The acquire holding the lease's socket when it was made, if another caller did. */
    readonly heldBy?: number;
  }
  | {
    /** A call with an invalid argument (CFG-2), and how the pool took it. */
    readonly kind: "bad-call";
    readonly call: BadCallRecord;
  }
  | { readonly kind: "send-started"; readonly send: SendRecord }
  | { readonly kind: "send-resolved"; readonly send: SendRecord }
  | { readonly kind: "send-rejected"; readonly send: SendRecord }
  | {
    readonly kind: "maintenance";
    readonly op: "closeIdle" | "closeExpired" | "clear" | "ready";
    readonly idleMs?: number;
    /** A `clear({ interruptInUseConnections: true })` (capability `interruptInUse`). */
    readonly interruptInUse?: true;
    /**
     * Called in a timer's macrotask right after its callback, which may have
     * decided an acquire's fate before the call although it settles after it.
     */
    readonly afterTimer?: true;
    readonly t: number;
    readonly seq: number;
  }
  | { readonly kind: "close-started"; readonly t: number; readonly seq: number }
  | {
    /** An event the pool reported (capability `events`). */
    readonly kind: "pool-event";
    readonly event: PoolEventNotice;
    readonly t: number;
    /** Ledger length when it arrived. */
    readonly seq: number;
  }
  | {
    readonly kind: "close-resolved";
    readonly t: number;
    readonly seq: number;
    /** Sockets not yet closed at that moment. */
    readonly live: number;
  };

/**
 * Whether a pool rejected with an error object: an object with a string
 * `message`, as every `Error` has (checked by shape, so an error from another
 * realm counts too).
 *
 * @param error What the pool rejected with.
 * @returns `false` for `undefined`, a string, a number, or an object without a message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isErrorObject } from "./observations.ts";
 *
 * assert.equal(isErrorObject(new RangeError("x")), true);
 * assert.equal(isErrorObject("ACQUIRE_TIMEOUT"), false);
 * assert.equal(isErrorObject(undefined), false);
 * ```
 */
export function isErrorObject(error: unknown): boolean {
  return error !== null && typeof error === "object" &&
    typeof (error as { message?: unknown }).message === "string";
}

/**
 * The codes and messages of an error and of the errors it carries, one per
 * line: its `cause`, the cause's cause, and the `errors` of an
 * `AggregateError`, five levels deep at most. ERR-1.c reads in it whether a
 * rejection carries the network's refusal.
 *
 * @param error What a pool rejected with.
 * @returns One line per error, `code message` (the code or name, then the message).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorTrail } from "./observations.ts";
 *
 * const refused = Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" });
 * const error = new Error("cannot connect", { cause: refused });
 * assert.equal(errorTrail(error), "Error cannot connect\nECONNREFUSED connect refused");
 * assert.equal(errorTrail("oops"), "oops");
 * ```
 */
export function errorTrail(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (depth > 5 || seen.has(value) || lines.length >= 20) return;
    seen.add(value);
    if (value === null || typeof value !== "object") {
      lines.push(String(value));
      return;
    }
    const message = (value as { message?: unknown }).message;
    lines.push(`${errorCode(value)} ${typeof message === "string" ? message : ""}`.trim());
    const cause = (value as { cause?: unknown }).cause;
    if (cause !== undefined) visit(cause, depth + 1);
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors)) { for (const inner of errors) visit(inner, depth + 1); }
  };
  try {
    visit(error, 0);
  } catch {
    // A getter that throws ends the trail where it stands.
  }
  return lines.join("\n");
}

/**
 * What the harness records about a rejection: its code, whether it is an
 * error object, the first line of its message, its name and, when the
 * adapter declares `rejectionKinds`, the trail of it and its causes and the
 * kind the adapter reads from it (`null` when the adapter does not
 * recognise the error or throws while reading it).
 *
 * @param pool The pool under test.
 * @param error What the pool rejected with.
 * @param classify Whether the adapter declares `rejectionKinds`.
 * @returns The fields to copy onto the acquire's or send's record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rejectionFacts } from "./observations.ts";
 *
 * const pool = { rejectionKind: () => "timeout" as const } as never;
 * const facts = rejectionFacts(pool, new Error("waited 5 ms\nmore"), true);
 * assert.deepEqual(facts, {
 *   errorCode: "Error",
 *   errorObject: true,
 *   errorMessage: "waited 5 ms",
 *   errorName: "Error",
 *   errorTrail: "Error waited 5 ms\nmore",
 *   errorKind: "timeout",
 * });
 * ```
 */
export function rejectionFacts(
  pool: Pick<PoolUnderTest, "rejectionKind">,
  error: unknown,
  classify: boolean,
): {
  errorCode: string;
  errorObject: boolean;
  errorMessage: string;
  errorName: string;
  errorTrail?: string;
  errorKind?: RejectionKind | null;
} {
  const errorObject = isErrorObject(error);
  const message = errorObject ? (error as { message: string }).message : "";
  const name = errorObject ? (error as { name?: unknown }).name : undefined;
  const facts = {
    errorCode: errorCode(error),
    errorObject,
    errorMessage: message.split("\n", 1)[0]!.trim(),
    errorName: typeof name === "string" ? name : "",
  };
  if (!classify) return facts;
  let kind: RejectionKind | null = null;
  try {
    kind = pool.rejectionKind?.(error) ?? null;
  } catch {
    // An adapter that cannot read the error has not classified it; ERR-5 reports that.
  }
  // The trail is read only with the kind (ERR-1.c, TMO-2.b), so only then is it built.
  return { ...facts, errorTrail: errorTrail(error), errorKind: kind };
}

/**
 * What is wrong with the shape of an error a pool rejected or threw with, if
 * anything: not an error object, or one with an empty message or name
 * (ERR-4, LSE-4.c). An unknown shape (`errorObject` undefined) passes.
 *
 * @param shape Whether it is an error object, its message's first line and its name.
 * @returns The defect, or `undefined`.
 */
export function errorDefect(shape: {
  readonly errorObject?: boolean | undefined;
  readonly errorMessage?: string | undefined;
  readonly errorName?: string | undefined;
}): "notObject" | "emptyMessage" | "emptyName" | undefined {
  if (shape.errorObject === false) return "notObject";
  if (shape.errorObject !== true) return undefined;
  if (shape.errorMessage === "") return "emptyMessage";
  if (shape.errorName === "") return "emptyName";
  return undefined;
}

/**
 * The code of an error a pool rejected with: its `code`, else its `name`.
 *
 * @param error What the pool rejected with.
 * @returns A short string such as `"ACQUIRE_TIMEOUT"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorCode } from "./observations.ts";
 *
 * assert.equal(errorCode(Object.assign(new Error("x"), { code: "POOL_CLOSED" })), "POOL_CLOSED");
 * assert.equal(errorCode(new TypeError("x")), "TypeError");
 * ```
 */
export function errorCode(error: unknown): string {
  if (error !== null && typeof error === "object") {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === "string") return name;
  }
  return String(error);
}

/**
 * An error as one line for a violation's message: its code (or name) and
 * the first line of its message.
 *
 * @param error What the pool threw.
 * @returns For example `"Error: stats boom"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./observations.ts";
 *
 * assert.equal(errorText(new RangeError("bad\nmore")), "RangeError: bad");
 * assert.equal(errorText("oops"), "oops");
 * ```
 */
export function errorText(error: unknown): string {
  return error instanceof Error && error.message !== ""
    ? `${errorCode(error)}: ${firstLine(error)}`
    : errorCode(error);
}

/**
 * The first line of an error's message (of anything else, its string form).
 *
 * @param error What was thrown.
 * @returns One line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstLine } from "./observations.ts";
 *
 * assert.equal(firstLine(new Error("a\nb")), "a");
 * assert.equal(firstLine(42), "42");
 * ```
 */
export function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
