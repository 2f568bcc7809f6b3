/**
 * Objects the rules read by the thousand (caller events, acquire records, the
 * pool events callers heard of), each built with every field its type can
 * have, in one order. V8 then gives all of them one hidden class per type, and
 * a rule's `event.kind` or `record.status` is a load at a fixed offset; built
 * with only the fields of their kind, they came in a dozen shapes and every
 * such read went through the megamorphic lookup.
 *
 * @module
 */
import type { PoolEventNotice } from "./adapter.ts";
import type { AcquireRecord, CallerEvent } from "./observations.ts";

/** Every key of every member of a union. */
type KeysOf<T> = T extends unknown ? keyof T : never;

/** Every field of every kind of caller event, `undefined`: checked complete by the compiler. */
const CALLER_EVENT: Record<KeysOf<CallerEvent>, undefined> = {
  kind: undefined,
  t: undefined,
  seq: undefined,
  acquire: undefined,
  send: undefined,
  event: undefined,
  call: undefined,
  op: undefined,
  idleMs: undefined,
  interruptInUse: undefined,
  afterTimer: undefined,
  reusable: undefined,
  error: undefined,
  beforeClose: undefined,
  rejected: undefined,
  refusal: undefined,
  seqBefore: undefined,
  heldBy: undefined,
  live: undefined,
};

/** Every field an acquire record can come to have. */
const ACQUIRE_RECORD: Record<keyof AcquireRecord, undefined> = {
  id: undefined,
  route: undefined,
  timeoutMs: undefined,
  startedAt: undefined,
  startSeq: undefined,
  startStep: undefined,
  startReleases: undefined,
  idleAtStart: undefined,
  status: undefined,
  settledAt: undefined,
  settleSeq: undefined,
  settleStep: undefined,
  settleOrder: undefined,
  errorCode: undefined,
  errorObject: undefined,
  errorMessage: undefined,
  errorName: undefined,
  errorTrail: undefined,
  errorKind: undefined,
  lease: undefined,
  facts: undefined,
  reusable: undefined,
  releasedAt: undefined,
  releaseSeq: undefined,
};

/** Every field of a pool's event notice. */
const POOL_EVENT: Record<keyof PoolEventNotice, undefined> = {
  type: undefined,
  route: undefined,
  socketId: undefined,
  reason: undefined,
  connectionId: undefined,
  checkOutId: undefined,
  durationMs: undefined,
  interruptInUseConnections: undefined,
};

/** A copy of `value` on a copy of `template`: the template's fields first, in its order. */
function shaped<T>(template: Readonly<Record<string, undefined>>, value: T): T {
  return Object.assign({ ...template }, value);
}

/**
 * A caller event with every field of every kind (`undefined` where its kind
 * has none). A copy: what the caller built is left alone.
 *
 * @param event The event.
 * @returns The copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shapedCallerEvent } from "./_shapes.ts";
 *
 * const event = shapedCallerEvent({ kind: "close-started", t: 5, seq: 2 });
 * assert.deepEqual(JSON.parse(JSON.stringify(event)), { kind: "close-started", t: 5, seq: 2 });
 * assert.ok("acquire" in event);
 * ```
 */
export function shapedCallerEvent(event: CallerEvent): CallerEvent {
  return shaped(CALLER_EVENT, event);
}

/**
 * An acquire record with every field it can come to have already there, so
 * the fields set as it settles and is released change no record's shape.
 *
 * @param record The record as it starts.
 * @returns A copy.
 */
export function shapedAcquireRecord(record: AcquireRecord): AcquireRecord {
  return shaped(ACQUIRE_RECORD, record);
}

/**
 * A pool's event notice with every field of every type of event; a copy
 * (the pool's object is left alone).
 *
 * @param event The notice.
 * @returns The copy.
 */
export function shapedPoolEvent(event: PoolEventNotice): PoolEventNotice {
  return shaped(POOL_EVENT, event);
}
