/**
 * Observed events in CMAP's vocabulary, CMAP's MATCH rule (expected is a
 * subset of actual, 42 and "42" standing for any value), and the comparison
 * of a scenario's expected events with the observed ones: in order, the
 * missing ones and the extra ones alike.
 *
 * @module
 */
import type { PoolEventNotice } from "../harness/adapter.ts";
import type { CmapEventType, CmapExpectedEvent } from "./format.ts";

/** One event as the runner saw it, in CMAP's vocabulary. */
export interface ObservedEvent {
  /** Its type. */
  readonly type: CmapEventType;
  /** Virtual time it arrived at, ms. */
  readonly t: number;
  /** Its fields: `address`, `connectionId`, `reason`, and any the adapter added. */
  readonly fields: Readonly<Record<string, unknown>>;
}

const CMAP_NAME: Readonly<Record<PoolEventNotice["type"], CmapEventType>> = {
  PoolReady: "ConnectionPoolReady",
  PoolCleared: "ConnectionPoolCleared",
  PoolClosed: "ConnectionPoolClosed",
  ConnectionCreated: "ConnectionCreated",
  ConnectionReady: "ConnectionReady",
  ConnectionClosed: "ConnectionClosed",
  ConnectionCheckOutStarted: "ConnectionCheckOutStarted",
  ConnectionCheckOutFailed: "ConnectionCheckOutFailed",
  ConnectionCheckedOut: "ConnectionCheckedOut",
  ConnectionCheckedIn: "ConnectionCheckedIn",
};

/** The kit's event types whose CMAP counterpart carries `duration`. */
const DURATION_EVENTS: ReadonlySet<PoolEventNotice["type"]> = new Set([
  "ConnectionReady",
  "ConnectionCheckedOut",
  "ConnectionCheckOutFailed",
]);

/**
 * An adapter's event notice in CMAP's vocabulary. The connection id is the
 * simulated socket's id (1, 2, … in connect order, as CMAP numbers its
 * connections), not the pool's own `connectionId`; the address is the route;
 * the kit's `checkOutId` is left out and its `durationMs` is CMAP's `duration`
 * (on `ConnectionReady`, `ConnectionCheckedOut` and `ConnectionCheckOutFailed`);
 * a `PoolCleared` keeps its `interruptInUseConnections`. A check-out failed because the
 * pool is paused or was cleared has the kit's reason `poolCleared` and
 * CMAP's `connectionError`. A connection's close reason is the kit's cause
 * the adapter maps it onto (`supports.closeReasons`), which for CMAP's
 * reasons (`stale`, `idle`, `error`, `poolClosed`) bears the same name.
 *
 * @param notice The adapter's notice.
 * @param t Virtual time, ms.
 * @param route The pool's route, for events that name none.
 * @param closeReasons The adapter's close reasons and their causes. @default {{}}
 * @returns The observed event.
 */
export function observedEvent(
  notice: PoolEventNotice,
  t: number,
  route: string,
  closeReasons: Readonly<Record<string, string>> = {},
): ObservedEvent {
  // The runner numbers connections by their sockets (see above), whatever the pool's own ids are,
  // and the kit's pairing of a check-out is not compared: CMAP's files do not expect it.
  const {
    type,
    route: eventRoute,
    socketId,
    reason,
    connectionId: _id,
    checkOutId: _checkOut,
    durationMs,
    ...extra
  } = notice as PoolEventNotice & Record<string, unknown>;
  const cmapReason = type === "ConnectionCheckOutFailed" && reason === "poolCleared"
    ? "connectionError"
    : type === "ConnectionClosed" && reason !== undefined && Object.hasOwn(closeReasons, reason)
    ? closeReasons[reason]
    : reason;
  // CMAP's test files name the elapsed time `duration` (ConnectionReady, ConnectionCheckedOut,
  // ConnectionCheckOutFailed) and expect it only as the placeholder 42 ("any value"): the kit's
  // `durationMs` is shown under that name so that `"duration": 42` is judged, not left out.
  return {
    type: CMAP_NAME[type],
    t,
    fields: {
      address: eventRoute ?? route,
      ...(socketId === undefined ? {} : { connectionId: socketId }),
      ...(cmapReason === undefined ? {} : { reason: cmapReason }),
      ...(typeof durationMs === "number" && DURATION_EVENTS.has(type)
        ? { duration: durationMs }
        : {}),
      ...extra,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/**
 * CMAP's MATCH: whether `actual` matches `expected`, and if not, where.
 *
 * @param expected The expected value (42 or "42": any value that exists).
 * @param actual The observed value.
 * @param path Where the values sit, for the message.
 * @returns `undefined` on a match, else the first difference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mismatch } from "./match.ts";
 *
 * assert.equal(mismatch({ connectionId: 42, reason: "idle" }, { connectionId: 3, reason: "idle", t: 1 }), undefined);
 * assert.equal(
 *   mismatch({ reason: "idle" }, { reason: "stale" }),
 *   `'reason': expected "idle", observed "stale"`,
 * );
 * ```
 */
export function mismatch(expected: unknown, actual: unknown, path = ""): string | undefined {
  const at = path === "" ? "value" : `'${path}'`;
  if (expected === 42 || expected === "42") {
    return actual === undefined || actual === null
      ? `${at}: expected any value, observed ${show(actual)}`
      : undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, observed ${show(actual)}`;
    for (const [i, value] of expected.entries()) {
      const found = mismatch(value, actual[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return `${at}: expected an object, observed ${show(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const found = mismatch(value, actual[key], path === "" ? key : `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return Object.is(expected, actual)
    ? undefined
    : `${at}: expected ${show(expected)}, observed ${show(actual)}`;
}

/** One event, readable in a log line. */
export function eventText(event: ObservedEvent): string {
  return `${event.type} ${JSON.stringify(event.fields)} at t=${event.t} ms`;
}

function expectedText(event: CmapExpectedEvent): string {
  const { type, ...fields } = event;
  return Object.keys(fields).length === 0 ? type : `${type} ${JSON.stringify(fields)}`;
}

/** The outcome of comparing events. */
export type EventComparison =
  | { readonly kind: "match" }
  /** The events match once fields no observed event carries are left out. */
  | { readonly kind: "unreported"; readonly fields: readonly string[] }
  | { readonly kind: "difference"; readonly index: number; readonly text: string };

/** Options of {@linkcode compareEvents}. */
export interface CompareOptions {
  /** Events after the expected ones pass, as in CMAP's own runners. @default {false} */
  readonly allowExtraEvents?: boolean;
}

/**
 * Compare expected events, in order, with the observed ones of the types
 * not ignored. A missing event and an extra one are both differences (unless
 * extra events are allowed). A field that no observed event carries at all
 * (a `duration` the adapter does not report) is left out of the comparison
 * and named in the outcome.
 *
 * @param expected The scenario's events.
 * @param observed Every event observed, in order.
 * @param ignore Types left out of the comparison.
 * @param options Whether trailing extra events pass.
 * @returns The outcome; a difference names the 0-based index and reads as one line.
 */
export function compareEvents(
  expected: readonly CmapExpectedEvent[],
  observed: readonly ObservedEvent[],
  ignore: readonly CmapEventType[],
  options: CompareOptions = {},
): EventComparison {
  const compared = observed.filter((event) => !ignore.includes(event.type));
  const carried = new Set(observed.flatMap((event) => Object.keys(event.fields)));
  const unreported = [
    ...new Set(expected.flatMap((event) => Object.keys(event).filter((key) => key !== "type"))),
  ].filter((key) => !carried.has(key)).sort();
  const of = `of ${expected.length} expected`;
  for (const [index, want] of expected.entries()) {
    const got = compared[index];
    const label = `event ${index + 1} ${of}`;
    if (got === undefined) {
      return {
        kind: "difference",
        index,
        text: `${label} missing: expected ${
          expectedText(want)
        }, observed nothing (${compared.length} events compared)`,
      };
    }
    const fields = Object.fromEntries(
      Object.entries(want).filter(([key]) => key !== "type" && !unreported.includes(key)),
    );
    const why = got.type !== want.type
      ? `type: expected ${want.type}, observed ${got.type}`
      : mismatch(fields, got.fields);
    if (why !== undefined) {
      return {
        kind: "difference",
        index,
        text: `${label}: expected ${expectedText(want)}, observed ${eventText(got)} (${why})`,
      };
    }
  }
  const extra = compared[expected.length];
  if (extra !== undefined && options.allowExtraEvents !== true) {
    return {
      kind: "difference",
      index: expected.length,
      text: `extra event ${expected.length + 1} (${expected.length} expected): observed ${
        eventText(extra)
      }`,
    };
  }
  return unreported.length === 0 ? { kind: "match" } : { kind: "unreported", fields: unreported };
}
