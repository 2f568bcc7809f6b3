/**
 * The scenario format of MongoDB's Connection Monitoring and Pooling (CMAP)
 * test files, and a strict reader for it: every field the runner uses is
 * checked, and a malformed file is refused with an error that names the
 * file, the field and the value found there.
 *
 * @module
 */

/** The event names of a CMAP scenario (CMAP's own, with the `ConnectionPool` prefix). */
export type CmapEventType =
  | "ConnectionPoolCreated"
  | "ConnectionPoolReady"
  | "ConnectionPoolCleared"
  | "ConnectionPoolClosed"
  | "ConnectionCreated"
  | "ConnectionReady"
  | "ConnectionClosed"
  | "ConnectionCheckOutStarted"
  | "ConnectionCheckOutFailed"
  | "ConnectionCheckedOut"
  | "ConnectionCheckedIn";

/** Every {@linkcode CmapEventType}. */
export const CMAP_EVENT_TYPES: readonly CmapEventType[] = Object.freeze([
  "ConnectionPoolCreated",
  "ConnectionPoolReady",
  "ConnectionPoolCleared",
  "ConnectionPoolClosed",
  "ConnectionCreated",
  "ConnectionReady",
  "ConnectionClosed",
  "ConnectionCheckOutStarted",
  "ConnectionCheckOutFailed",
  "ConnectionCheckedOut",
  "ConnectionCheckedIn",
]);

/** Fields every operation may carry. */
export interface OperationBase {
  /** The thread it runs in (the main thread when absent). */
  readonly thread?: string;
}

/** One step of a scenario. */
export type CmapOperation =
  | OperationBase & { readonly name: "start"; readonly target: string }
  | OperationBase & { readonly name: "wait"; readonly ms: number }
  | OperationBase & { readonly name: "waitForThread"; readonly target: string }
  | OperationBase & {
    readonly name: "waitForEvent";
    readonly event: CmapEventType;
    readonly count: number;
    readonly timeout?: number;
  }
  | OperationBase & { readonly name: "checkOut"; readonly label?: string }
  | OperationBase & { readonly name: "checkIn"; readonly connection: string }
  | OperationBase & { readonly name: "clear"; readonly interruptInUseConnections?: boolean }
  | OperationBase & { readonly name: "close" }
  | OperationBase & { readonly name: "ready" };

/** The names of the operations. */
export type CmapOperationName = CmapOperation["name"];

const OPERATION_NAMES: readonly CmapOperationName[] = [
  "start",
  "wait",
  "waitForThread",
  "waitForEvent",
  "checkOut",
  "checkIn",
  "clear",
  "close",
  "ready",
];

/** An expected event: its type, and the fields to compare (42 or "42": any value). */
export interface CmapExpectedEvent {
  /** The event's type. */
  readonly type: CmapEventType;
  /** A field to compare. */
  readonly [field: string]: unknown;
}

/** The error the main thread is expected to end with. */
export interface CmapExpectedError {
  /** CMAP's error name, e.g. `WaitQueueTimeoutError`. */
  readonly type: string;
  /** The driver's message; informative only (messages differ between pools). */
  readonly message?: string;
}

/** One scenario file, read and checked. */
export interface CmapScenario {
  /** The file it was read from, as given. */
  readonly file: string;
  /** The format's version (1). */
  readonly version: number;
  /** `unit`, or `integration` (written for a real server). */
  readonly style: "unit" | "integration";
  /** What the scenario checks. */
  readonly description: string;
  /** Pool options, as written (CMAP names, 0 meaning "none" for limits and times). */
  readonly poolOptions: Readonly<Record<string, unknown>>;
  /** The steps, in file order (each runs in its thread, or the main thread). */
  readonly operations: readonly CmapOperation[];
  /** The error the main thread must end with; absent: it must end without one. */
  readonly error?: CmapExpectedError;
  /** Expected events in order; absent: events are not compared. */
  readonly events?: readonly CmapExpectedEvent[];
  /** Event types left out of the comparison (still counted by `waitForEvent`). */
  readonly ignore: readonly CmapEventType[];
  /** An integration scenario's `configureFailPoint` command. */
  readonly failPoint?: Readonly<Record<string, unknown>>;
  /** An integration scenario's server requirements (not applicable to a simulated server). */
  readonly runOn?: readonly unknown[];
}

/**
 * A scenario file that does not follow the format. The message names the
 * file, the field (a path such as `operations[3].ms`) and the value found.
 */
export class CmapFormatError extends Error {
  /** Stable error code. */
  readonly code = "CMAP_FORMAT" as const;
  /** The file. */
  readonly file: string;
  /** The field, as a path from the top of the file. */
  readonly field: string;

  /**
   * Describe a malformed field.
   *
   * @param file The file.
   * @param field The field's path.
   * @param must What the field must be.
   * @param value The value found (printed as JSON).
   * @param options The cause, if any.
   */
  constructor(file: string, field: string, must: string, value: unknown, options?: ErrorOptions) {
    super(
      `Cannot read CMAP scenario ${file} as '${field}' must be ${must}: current value is ${
        show(value)
      }`,
      options,
    );
    this.name = "CmapFormatError";
    this.file = file;
    this.field = field;
  }
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Field checks for one file. */
class Reader {
  constructor(readonly file: string) {}

  fail(field: string, must: string, value: unknown): never {
    throw new CmapFormatError(this.file, field, must, value);
  }

  record(field: string, value: unknown): Record<string, unknown> {
    if (!isRecord(value)) this.fail(field, "an object", value);
    return value;
  }

  string(field: string, value: unknown): string {
    if (typeof value !== "string" || value === "") this.fail(field, "a non-empty string", value);
    return value;
  }

  count(field: string, value: unknown, min = 0): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      this.fail(field, `an integer of at least ${min}`, value);
    }
    return value;
  }

  eventType(field: string, value: unknown): CmapEventType {
    if (!CMAP_EVENT_TYPES.includes(value as CmapEventType)) {
      this.fail(field, `a CMAP event name (${CMAP_EVENT_TYPES.join(", ")})`, value);
    }
    return value as CmapEventType;
  }
}

/** Pool options whose value is a count or a duration in ms. */
const NUMERIC_OPTIONS = [
  "maxPoolSize",
  "minPoolSize",
  "maxIdleTimeMS",
  "waitQueueTimeoutMS",
  "maxConnecting",
  "connectTimeoutMS",
  "socketTimeoutMS",
];

function readPoolOptions(r: Reader, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const options = r.record("poolOptions", value);
  for (const name of NUMERIC_OPTIONS) {
    if (options[name] !== undefined) r.count(`poolOptions.${name}`, options[name]);
  }
  const interval = options.backgroundThreadIntervalMS;
  if (
    interval !== undefined &&
    (typeof interval !== "number" || !Number.isSafeInteger(interval) || interval === 0)
  ) {
    r.fail("poolOptions.backgroundThreadIntervalMS", "a non-zero integer", interval);
  }
  return options;
}

/** Threads started so far and labels set so far, to check references as the file reads. */
interface Scope {
  readonly threads: Set<string>;
  readonly labels: Set<string>;
}

function readOperation(r: Reader, at: string, value: unknown, scope: Scope): CmapOperation {
  const raw = r.record(at, value);
  const name = raw.name;
  if (!OPERATION_NAMES.includes(name as CmapOperationName)) {
    r.fail(`${at}.name`, `one of ${OPERATION_NAMES.join(", ")}`, name);
  }
  const base: { thread?: string } = {};
  if (raw.thread !== undefined) {
    const thread = r.string(`${at}.thread`, raw.thread);
    if (!scope.threads.has(thread)) {
      r.fail(`${at}.thread`, "a thread started by an earlier 'start' operation", thread);
    }
    base.thread = thread;
  }
  switch (name as CmapOperationName) {
    case "start": {
      const target = r.string(`${at}.target`, raw.target);
      if (scope.threads.has(target)) r.fail(`${at}.target`, "a thread not yet started", target);
      if (base.thread !== undefined) r.fail(`${at}.thread`, "absent for 'start'", base.thread);
      scope.threads.add(target);
      return { name: "start", target };
    }
    case "wait":
      return { ...base, name: "wait", ms: r.count(`${at}.ms`, raw.ms) };
    case "waitForThread": {
      const target = r.string(`${at}.target`, raw.target);
      if (!scope.threads.has(target)) {
        r.fail(`${at}.target`, "a thread started by an earlier 'start' operation", target);
      }
      return { ...base, name: "waitForThread", target };
    }
    case "waitForEvent":
      return {
        ...base,
        name: "waitForEvent",
        event: r.eventType(`${at}.event`, raw.event),
        count: r.count(`${at}.count`, raw.count, 1),
        ...(raw.timeout === undefined ? {} : { timeout: r.count(`${at}.timeout`, raw.timeout) }),
      };
    case "checkOut": {
      if (raw.label === undefined) return { ...base, name: "checkOut" };
      const label = r.string(`${at}.label`, raw.label);
      scope.labels.add(label);
      return { ...base, name: "checkOut", label };
    }
    case "checkIn": {
      const connection = r.string(`${at}.connection`, raw.connection);
      if (!scope.labels.has(connection)) {
        r.fail(`${at}.connection`, "a label set by an earlier 'checkOut'", connection);
      }
      return { ...base, name: "checkIn", connection };
    }
    case "clear": {
      const interrupt = raw.interruptInUseConnections;
      if (interrupt !== undefined && typeof interrupt !== "boolean") {
        r.fail(`${at}.interruptInUseConnections`, "a boolean", interrupt);
      }
      return {
        ...base,
        name: "clear",
        ...(interrupt === undefined ? {} : { interruptInUseConnections: interrupt }),
      };
    }
    case "close":
      return { ...base, name: "close" };
    case "ready":
      return { ...base, name: "ready" };
  }
}

function readEvents(r: Reader, value: unknown): CmapExpectedEvent[] {
  if (!Array.isArray(value)) r.fail("events", "an array", value);
  return (value as unknown[]).map((event, i) => {
    const raw = r.record(`events[${i}]`, event);
    r.eventType(`events[${i}].type`, raw.type);
    return raw as CmapExpectedEvent;
  });
}

function readError(r: Reader, value: unknown): CmapExpectedError {
  const raw = r.record("error", value);
  const type = r.string("error.type", raw.type);
  if (raw.message !== undefined && typeof raw.message !== "string") {
    r.fail("error.message", "a string", raw.message);
  }
  return { type, ...(typeof raw.message === "string" ? { message: raw.message } : {}) };
}

/**
 * Read a CMAP scenario from the text of its JSON file.
 *
 * @param text The file's text.
 * @param file The file's name, for messages.
 * @returns The checked scenario.
 * @throws {CmapFormatError} If the text is not JSON, or a field does not
 * follow the format (the message names the file, the field and its value).
 *
 * @example A scenario and a malformed one
 * ```ts
 * import assert from "node:assert/strict";
 * import { CmapFormatError, parseScenario } from "./format.ts";
 *
 * const scenario = parseScenario(
 *   JSON.stringify({
 *     version: 1,
 *     style: "unit",
 *     description: "one check-out",
 *     operations: [{ name: "checkOut" }],
 *     events: [{ type: "ConnectionCheckedOut", connectionId: 1 }],
 *     ignore: [],
 *   }),
 *   "one.json",
 * );
 * assert.equal(scenario.operations[0]?.name, "checkOut");
 * assert.throws(
 *   () => parseScenario('{"version":1,"style":"unit","description":"x","operations":[{"name":"wait","ms":-1}]}', "bad.json"),
 *   (error: unknown) =>
 *     error instanceof CmapFormatError &&
 *     error.message === "Cannot read CMAP scenario bad.json as 'operations[0].ms' must be an integer of at least 0: current value is -1",
 * );
 * ```
 */
export function parseScenario(text: string, file: string): CmapScenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CmapFormatError(file, "(file)", "JSON", (error as Error).message, { cause: error });
  }
  const r = new Reader(file);
  const raw = r.record("(top level)", json);
  const version = r.count("version", raw.version, 1);
  const style = raw.style;
  if (style !== "unit" && style !== "integration") {
    r.fail("style", '"unit" or "integration"', style);
  }
  const description = r.string("description", raw.description);
  const poolOptions = readPoolOptions(r, raw.poolOptions);
  const rawOperations: unknown = raw.operations;
  if (!Array.isArray(rawOperations)) r.fail("operations", "an array", rawOperations);
  const scope: Scope = { threads: new Set(), labels: new Set() };
  const operations = (rawOperations as unknown[]).map((op, i) =>
    readOperation(r, `operations[${i}]`, op, scope)
  );
  const ignore: unknown = raw.ignore === undefined ? [] : raw.ignore;
  if (!Array.isArray(ignore)) r.fail("ignore", "an array", ignore);
  const scenario: CmapScenario = {
    file,
    version,
    style: style as CmapScenario["style"],
    description,
    poolOptions,
    operations,
    ignore: (ignore as unknown[]).map((type, i) => r.eventType(`ignore[${i}]`, type)),
    ...(raw.error === undefined ? {} : { error: readError(r, raw.error) }),
    ...(raw.events === undefined ? {} : { events: readEvents(r, raw.events) }),
    ...(raw.failPoint === undefined ? {} : { failPoint: r.record("failPoint", raw.failPoint) }),
  };
  const runOn: unknown = raw.runOn;
  if (runOn !== undefined) {
    if (!Array.isArray(runOn)) r.fail("runOn", "an array", runOn);
    return { ...scenario, runOn: runOn as unknown[] };
  }
  return scenario;
}
