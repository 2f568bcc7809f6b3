/**
 * Eager validation of adapters and of the pools they create: a malformed
 * declaration is reported with the field it concerns before any run.
 *
 * @module
 */
import type {
  Adapter,
  CloseCause,
  IntRange,
  PoolUnderTest,
  RangeName,
  ReportedEventType,
  Supports,
} from "./adapter.ts";
import { CAPABILITIES, type Capability, RANGE_CAPABILITY } from "./capabilities.ts";
import { capabilityOfOption, VALIDATED_OPTIONS } from "./invalid_options.ts";
import { capabilityOfArgument, VALIDATED_ARGUMENTS } from "./invalid_arguments.ts";

const TIME_MODES = ["virtual", "global"] as const;
const REUSE_ORDERS = ["lifo", "fifo", "any"] as const;
const WAITER_ORDERS = ["fifo", "any"] as const;
const EXPIRY_PLACES = ["lease", "release", "timer", "evictor"] as const;
const CLOSE_WAITERS = ["reject", "drain", "drop"] as const;
const CLOSE_SENDS = ["reject", "drain"] as const;
const CLOSE_DETECTIONS = ["event", "check"] as const;
const CONNECT_FAILURES = ["reject", "retry"] as const;
const RELEASES_AFTER_CLOSE = ["accept", "reject"] as const;
const IDLE_EXPIRIES = ["timer", "checkout"] as const;
const CONNECT_OWNERSHIPS = ["route", "acquire"] as const;
const ROOM_VICTIMS = ["leastRecentlyReleased", "any"] as const;

/** Capabilities that only make sense with another one. */
const CAPABILITY_NEEDS: Partial<Record<Capability, Capability>> = {
  interruptInUse: "clear",
  requestTimeout: "multiplexed",
};

/** Pool methods each capability requires. */
const CAPABILITY_METHODS: Partial<Record<Capability, readonly (keyof PoolUnderTest)[]>> = {
  stats: ["stats"],
  closeIdle: ["closeIdle"],
  closeExpired: ["closeExpired"],
  clear: ["clear", "ready"],
  multiplexed: ["send"],
  rejectionKinds: ["rejectionKind"],
  events: ["events"],
};

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

function fail(
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  field: string,
  must: string,
  value: unknown,
): never {
  throw new Kind(
    `Cannot use adapter ${name} as '${field}' must be ${must}: current value is ${show(value)}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object";
}

function oneOf<T extends string>(
  name: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
): void {
  if (typeof value !== "string") fail(TypeError, name, field, `a string`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    fail(RangeError, name, field, `one of ${allowed.map(show).join(", ")}`, value);
  }
}

function validateRange(name: string, field: string, value: unknown, floor: number): void {
  if (!Array.isArray(value) || value.length !== 2) {
    fail(TypeError, name, field, "a [min, max] pair of integers", value);
  }
  const [min, max] = value as unknown[];
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) {
    fail(TypeError, name, field, "a [min, max] pair of integers", value);
  }
  if ((min as number) < floor || (min as number) > (max as number)) {
    fail(RangeError, name, field, `a range with ${floor} ≤ min ≤ max`, value);
  }
}

function validateRanges(name: string, ranges: unknown, capabilities: readonly Capability[]): void {
  if (!isRecord(ranges)) fail(TypeError, name, "supports.ranges", "an object", ranges);
  for (const key of ["routes", "maxTotal"] as const) {
    validateRange(name, `supports.ranges.${key}`, ranges[key], 1);
  }
  const routes = ranges.routes as IntRange;
  if (routes[1] > 8) fail(RangeError, name, "supports.ranges.routes", "within [1, 8]", routes);
  for (const key of Object.keys(ranges)) {
    if (!(key in RANGE_CAPABILITY)) {
      fail(RangeError, name, `supports.ranges.${key}`, "a known range (no such range)", key);
    }
    const needs = RANGE_CAPABILITY[key as RangeName];
    if (needs === undefined || ranges[key] === undefined) continue;
    const floor = key === "maxInFlight" || key === "keepAliveMax" || key === "maxConnecting" ||
        key === "maxUses" || key === "maxPerRoute"
      ? 1
      : 0;
    validateRange(name, `supports.ranges.${key}`, ranges[key], floor);
  }
  const minPoolSize = ranges.minPoolSize as IntRange | undefined;
  const maxTotal = ranges.maxTotal as IntRange;
  if (minPoolSize !== undefined && minPoolSize[1] > maxTotal[1]) {
    fail(
      RangeError,
      name,
      "supports.ranges.minPoolSize",
      `a range whose max is at most that of 'supports.ranges.maxTotal' (${maxTotal[1]})`,
      minPoolSize,
    );
  }
  for (const capability of capabilities) {
    for (const [range, needs] of Object.entries(RANGE_CAPABILITY)) {
      if (needs === capability && ranges[range] === undefined) {
        fail(
          TypeError,
          name,
          `supports.ranges.${range}`,
          `a [min, max] pair as capability '${capability}' is declared`,
          undefined,
        );
      }
    }
  }
}

function validatePolicies(
  name: string,
  policies: unknown,
  capabilities: readonly Capability[],
): void {
  const at = (key: string) => `supports.policies.${key}`;
  if (!isRecord(policies)) fail(TypeError, name, "supports.policies", "an object", policies);
  oneOf(name, at("reuseOrder"), policies.reuseOrder, REUSE_ORDERS);
  oneOf(name, at("waiterOrder"), policies.waiterOrder, WAITER_ORDERS);
  oneOf(name, at("closeWaiters"), policies.closeWaiters, CLOSE_WAITERS);
  oneOf(name, at("connectFailure"), policies.connectFailure, CONNECT_FAILURES);
  oneOf(name, at("closeDetection"), policies.closeDetection, CLOSE_DETECTIONS);
  if (policies.releaseAfterClose !== undefined) {
    oneOf(name, at("releaseAfterClose"), policies.releaseAfterClose, RELEASES_AFTER_CLOSE);
  }
  if (policies.idleExpiry !== undefined) {
    oneOf(name, at("idleExpiry"), policies.idleExpiry, IDLE_EXPIRIES);
  }
  if (policies.roomVictim !== undefined) {
    oneOf(name, at("roomVictim"), policies.roomVictim, ROOM_VICTIMS);
  }
  if (policies.closeSends !== undefined) {
    oneOf(name, at("closeSends"), policies.closeSends, CLOSE_SENDS);
    if (!capabilities.includes("multiplexed")) {
      fail(
        RangeError,
        name,
        at("closeSends"),
        "left out unless capability 'multiplexed' is declared",
        policies.closeSends,
      );
    }
  }
  if (policies.connectOwnership !== undefined) {
    oneOf(name, at("connectOwnership"), policies.connectOwnership, CONNECT_OWNERSHIPS);
  }
  const startsPaused = policies.startsPaused;
  if (startsPaused !== undefined && typeof startsPaused !== "boolean") {
    fail(TypeError, name, at("startsPaused"), "a boolean", startsPaused);
  }
  if (startsPaused === true && !capabilities.includes("clear")) {
    fail(
      RangeError,
      name,
      at("startsPaused"),
      "false or left out unless capability 'clear' (its ready()) is declared",
      startsPaused,
    );
  }
  for (const key of ["overtaking", "limitsCountIdle", "closeIdleOfOtherRoutes"]) {
    if (typeof policies[key] !== "boolean") {
      fail(TypeError, name, at(key), "a boolean", policies[key]);
    }
  }
  const expiry = policies.expiry;
  if (!Array.isArray(expiry)) fail(TypeError, name, at("expiry"), "an array", expiry);
  expiry.forEach((place, i) => oneOf(name, `${at("expiry")}[${i}]`, place, EXPIRY_PLACES));
  validateBackoff(name, policies.backoff, capabilities);
  validateRequestTimeout(name, policies.requestTimeout, capabilities);
}

/**
 * `policies.requestTimeout`: required with capability `requestTimeout`, left
 * out without it; `onTimeout` one of `disconnect` and `abandon`, and
 * `checkPeriodMs`, if given, a finite duration.
 */
function validateRequestTimeout(
  name: string,
  policy: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.policies.requestTimeout";
  const declared = capabilities.includes("requestTimeout");
  if (policy === undefined) {
    if (!declared) return;
    fail(
      TypeError,
      name,
      field,
      "an object { onTimeout } with capability 'requestTimeout'",
      policy,
    );
  }
  if (!isRecord(policy) || Array.isArray(policy)) {
    fail(TypeError, name, field, "an object { onTimeout, checkPeriodMs? }", policy);
  }
  if (!declared) {
    fail(
      RangeError,
      name,
      field,
      "left out unless capability 'requestTimeout' is declared",
      policy,
    );
  }
  oneOf(name, `${field}.onTimeout`, policy.onTimeout, ["disconnect", "abandon"]);
  const { checkPeriodMs } = policy;
  if (
    checkPeriodMs !== undefined &&
    !(typeof checkPeriodMs === "number" && Number.isFinite(checkPeriodMs) && checkPeriodMs >= 0)
  ) {
    fail(
      RangeError,
      name,
      `${field}.checkPeriodMs`,
      "a finite number ≥ 0 or left out",
      checkPeriodMs,
    );
  }
}

/**
 * `policies.backoff`: optional; with it, capability `reconnectBackoff`, a
 * finite multiplier ≥ 1, a jitter in [0, 1) and, if given, booleans
 * `afterDisconnect` and `compounding`, and a `scope` of `route` or
 * `operation` (the latter for a multiplexed pool only).
 */
function validateBackoff(
  name: string,
  backoff: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.policies.backoff";
  if (backoff === undefined) return;
  if (!isRecord(backoff) || Array.isArray(backoff)) {
    fail(TypeError, name, field, "an object { multiplier, jitter }", backoff);
  }
  if (!capabilities.includes("reconnectBackoff")) {
    fail(
      RangeError,
      name,
      field,
      "left out unless capability 'reconnectBackoff' is declared",
      backoff,
    );
  }
  const { multiplier, jitter } = backoff;
  if (typeof multiplier !== "number") {
    fail(TypeError, name, `${field}.multiplier`, "a number", multiplier);
  }
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    fail(RangeError, name, `${field}.multiplier`, "a finite number ≥ 1", multiplier);
  }
  if (typeof jitter !== "number") fail(TypeError, name, `${field}.jitter`, "a number", jitter);
  if (!(jitter >= 0 && jitter < 1)) {
    fail(RangeError, name, `${field}.jitter`, "a number in [0, 1)", jitter);
  }
  const { afterDisconnect } = backoff;
  if (afterDisconnect !== undefined && typeof afterDisconnect !== "boolean") {
    fail(TypeError, name, `${field}.afterDisconnect`, "a boolean or left out", afterDisconnect);
  }
  const { compounding, scope } = backoff;
  if (compounding !== undefined && typeof compounding !== "boolean") {
    fail(TypeError, name, `${field}.compounding`, "a boolean or left out", compounding);
  }
  if (scope !== undefined && scope !== "route" && scope !== "operation") {
    fail(RangeError, name, `${field}.scope`, '"route", "operation" or left out', scope);
  }
  if (scope === "operation" && !capabilities.includes("multiplexed")) {
    fail(
      RangeError,
      name,
      `${field}.scope`,
      "\"route\" or left out unless capability 'multiplexed' is declared",
      scope,
    );
  }
}

/**
 * `connectionsPerRoute`: optional; with it, capability `multiplexed` and not
 * `maxPerRoute` (whose drawn limit INF-1.b reads instead), a positive integer.
 */
function validateConnectionsPerRoute(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.connectionsPerRoute";
  if (declared === undefined) return;
  if (!Number.isSafeInteger(declared)) fail(TypeError, name, field, "an integer", declared);
  if ((declared as number) < 1) fail(RangeError, name, field, "at least 1", declared);
  if (!capabilities.includes("multiplexed") || capabilities.includes("maxPerRoute")) {
    fail(
      RangeError,
      name,
      field,
      "left out unless capability 'multiplexed' is declared without 'maxPerRoute'",
      declared,
    );
  }
}

/**
 * `populationIntervalMs`: optional; with it, capability `minPoolSize`, a
 * finite number ≥ 0.
 */
function validatePopulationInterval(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.populationIntervalMs";
  if (declared === undefined) return;
  if (typeof declared !== "number") fail(TypeError, name, field, "a number", declared);
  if (!Number.isFinite(declared) || declared < 0) {
    fail(RangeError, name, field, "a finite number ≥ 0", declared);
  }
  if (!capabilities.includes("minPoolSize")) {
    fail(RangeError, name, field, "left out unless capability 'minPoolSize' is declared", declared);
  }
}

/**
 * `validatedOptions`: required with capability `validatesOptions`, a pool's
 * own name for each option, and only options whose capability is declared.
 */
function validateValidatedOptions(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  validateNamed(name, declared, capabilities, {
    field: "supports.validatedOptions",
    capability: "validatesOptions",
    what: "option",
    known: VALIDATED_OPTIONS,
    needs: (key) => capabilityOfOption(key as (typeof VALIDATED_OPTIONS)[number]),
  });
}

/**
 * `poolOptions`: optional; with it, capability `validatesOptions`, a record of
 * the pool's option names to a non-empty array of invalid values each.
 */
function validatePoolOptions(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.poolOptions";
  if (declared === undefined) return;
  if (typeof declared !== "object" || declared === null || Array.isArray(declared)) {
    fail(TypeError, name, field, "an object of option names to arrays of values", declared);
  }
  if (!capabilities.includes("validatesOptions")) {
    fail(
      RangeError,
      name,
      field,
      "left out unless capability 'validatesOptions' is declared",
      declared,
    );
  }
  for (const [option, values] of Object.entries(declared as Record<string, unknown>)) {
    if (!Array.isArray(values) || values.length === 0) {
      fail(TypeError, name, `${field}.${option}`, "a non-empty array of invalid values", values);
    }
    // A check may run in a worker, which gets the declaration as a structured clone.
    try {
      structuredClone(values);
    } catch {
      fail(TypeError, name, `${field}.${option}`, "data (no functions or symbols)", values);
    }
  }
}

/** `validatedArguments`: with capability `validatesArguments`, as `validatedOptions`. */
function validateValidatedArguments(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  validateNamed(name, declared, capabilities, {
    field: "supports.validatedArguments",
    capability: "validatesArguments",
    what: "argument",
    known: VALIDATED_ARGUMENTS,
    needs: (key) => capabilityOfArgument(key as (typeof VALIDATED_ARGUMENTS)[number]),
  });
}

/**
 * A record of the harness's names to the pool's own, required with its
 * capability: known keys, non-empty names, each key's capability declared.
 */
function validateNamed(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
  spec: {
    field: string;
    capability: Capability;
    what: string;
    known: readonly string[];
    needs: (key: string) => Capability | undefined;
  },
): void {
  const { field, capability, what, known } = spec;
  if (!capabilities.includes(capability)) return;
  if (!isRecord(declared) || Array.isArray(declared)) {
    fail(
      TypeError,
      name,
      field,
      `an object as capability '${capability}' is declared`,
      declared,
    );
  }
  const keys = Object.keys(declared);
  if (keys.length === 0) fail(RangeError, name, field, `an object naming at least one ${what}`, {});
  for (const key of keys) {
    const at = `${field}.${key}`;
    if (!known.includes(key)) {
      fail(RangeError, name, at, `one of ${known.map(show).join(", ")}`, key);
    }
    const poolName = declared[key];
    if (typeof poolName !== "string" || poolName.length === 0) {
      fail(
        TypeError,
        name,
        at,
        `the pool's own name for the ${what}, a non-empty string`,
        poolName,
      );
    }
    const needs = spec.needs(key);
    if (needs !== undefined && !capabilities.includes(needs)) {
      fail(RangeError, name, at, `left out, or capability '${needs}' declared`, poolName);
    }
  }
}

/** The event types a pool can report, in declaration order. */
export const POOL_EVENT_TYPES: readonly ReportedEventType[] = Object.freeze([
  "ConnectionCreated",
  "ConnectionReady",
  "ConnectionClosed",
  "ConnectionCheckOutStarted",
  "ConnectionCheckedOut",
  "ConnectionCheckOutFailed",
  "ConnectionCheckedIn",
  "PoolCleared",
  "PoolReady",
  "PoolClosed",
]);

/**
 * `eventTypes`: required with capability `events`, a non-empty list of
 * distinct known event types.
 */
function validateEventTypes(
  name: string,
  declared: unknown,
  capabilities: readonly Capability[],
): void {
  const field = "supports.eventTypes";
  if (!capabilities.includes("events")) return;
  if (!Array.isArray(declared) || declared.length === 0) {
    fail(
      TypeError,
      name,
      field,
      "a non-empty array of event types as capability 'events' is declared",
      declared,
    );
  }
  declared.forEach((type, i) => {
    oneOf(name, `${field}[${i}]`, type, POOL_EVENT_TYPES);
    if (declared.indexOf(type) !== i) {
      fail(RangeError, name, `${field}[${i}]`, "listed once", type);
    }
  });
}

/** Every {@linkcode CloseCause}, in declaration order. */
export const CLOSE_CAUSES: readonly CloseCause[] = Object.freeze([
  "poolClosed",
  "stale",
  "error",
  "peerClosed",
  "idle",
  "expired",
  "maxUses",
  "maxRequests",
  "evicted",
  "aborted",
]);

/**
 * `closeReasons`: optional; with it, capability `events` and
 * `ConnectionClosed` among the event types, and each reason mapped onto a
 * known cause.
 */
function validateCloseReasons(name: string, supports: Record<string, unknown>): void {
  const declared = supports.closeReasons;
  const field = "supports.closeReasons";
  if (declared === undefined) return;
  if (!isRecord(declared)) fail(TypeError, name, field, "an object", declared);
  const types = supports.eventTypes;
  if (!Array.isArray(types) || !types.includes("ConnectionClosed")) {
    fail(
      RangeError,
      name,
      field,
      "left out, or 'ConnectionClosed' listed in supports.eventTypes",
      declared,
    );
  }
  for (const [reason, cause] of Object.entries(declared)) {
    oneOf(name, `${field}[${JSON.stringify(reason)}]`, cause, CLOSE_CAUSES);
  }
}

function validateSupports(name: string, supports: unknown): void {
  if (!isRecord(supports)) fail(TypeError, name, "supports", "an object", supports);
  oneOf(name, "supports.timeMode", supports.timeMode, TIME_MODES);
  const capabilities = supports.capabilities;
  if (!Array.isArray(capabilities)) {
    fail(TypeError, name, "supports.capabilities", "an array", capabilities);
  }
  capabilities.forEach((c, i) => {
    oneOf(name, `supports.capabilities[${i}]`, c, CAPABILITIES);
    const needs = CAPABILITY_NEEDS[c as Capability];
    if (needs !== undefined && !capabilities.includes(needs)) {
      fail(
        RangeError,
        name,
        `supports.capabilities[${i}]`,
        `declared with capability '${needs}'`,
        c,
      );
    }
  });
  validateRanges(name, supports.ranges, capabilities as Capability[]);
  validatePolicies(name, supports.policies, capabilities as Capability[]);
  validateValidatedOptions(name, supports.validatedOptions, capabilities as Capability[]);
  validatePoolOptions(name, supports.poolOptions, capabilities as Capability[]);
  validateEventTypes(name, supports.eventTypes, capabilities as Capability[]);
  validateValidatedArguments(name, supports.validatedArguments, capabilities as Capability[]);
  validateCloseReasons(name, supports);
  validateConnectionsPerRoute(name, supports.connectionsPerRoute, capabilities as Capability[]);
  validatePopulationInterval(name, supports.populationIntervalMs, capabilities as Capability[]);
  const tolerance = supports.toleranceMs;
  if (typeof tolerance !== "number") {
    fail(TypeError, name, "supports.toleranceMs", "a number", tolerance);
  }
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    fail(RangeError, name, "supports.toleranceMs", "a finite number ≥ 0", tolerance);
  }
  const lead = supports.keepAliveLeadMs;
  if (lead !== undefined && typeof lead !== "number") {
    fail(TypeError, name, "supports.keepAliveLeadMs", "a number", lead);
  }
  if (lead !== undefined && (!Number.isFinite(lead) || lead < 0)) {
    fail(RangeError, name, "supports.keepAliveLeadMs", "a finite number ≥ 0", lead);
  }
}

/**
 * Check that a value is a well-formed {@linkcode Adapter}: a non-empty name, a
 * complete and consistent `supports` declaration, and a `create` function.
 * The harness calls this before any run starts.
 *
 * @param adapter The value to check.
 * @throws {TypeError} If a field is missing or of the wrong type; the message names the field.
 * @throws {RangeError} If a value is out of range or not one of the allowed words.
 *
 * @example A missing factory is named
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateAdapter } from "./adapter.ts";
 *
 * assert.throws(() => validateAdapter({ name: "x", supports: {} }), TypeError);
 * ```
 */
export function validateAdapter(adapter: unknown): asserts adapter is Adapter {
  if (!isRecord(adapter)) fail(TypeError, "(unnamed)", "adapter", "an object", adapter);
  const rawName = adapter.name;
  if (typeof rawName !== "string" || rawName.length === 0) {
    fail(TypeError, "(unnamed)", "name", "a non-empty string", rawName);
  }
  const name = JSON.stringify(rawName);
  if (typeof adapter.create !== "function") {
    fail(TypeError, name, "create", "a function", adapter.create);
  }
  validateSupports(name, adapter.supports);
}

/**
 * Check that a created pool offers the methods the contract requires and
 * those its declared capabilities need.
 *
 * @param adapterName Name of the adapter, for the message.
 * @param pool The value the adapter's `create` returned.
 * @param supports The adapter's declaration.
 * @throws {TypeError} If a required method is missing; the message names it.
 *
 * @example A pool without `connectionOf` is rejected
 * ```ts
 * import assert from "node:assert/strict";
 * import { validatePoolUnderTest } from "./adapter.ts";
 *
 * const pool = { acquire: () => Promise.resolve(1), release() {}, close: () => Promise.resolve() };
 * const supports = { capabilities: [] } as never;
 * assert.throws(() => validatePoolUnderTest("x", pool, supports), /'create\(\)\.connectionOf'/);
 * ```
 */
export function validatePoolUnderTest(
  adapterName: string,
  pool: unknown,
  supports: Supports,
): asserts pool is PoolUnderTest {
  const name = JSON.stringify(adapterName);
  if (!isRecord(pool)) fail(TypeError, name, "create()", "return a pool object", pool);
  const required: string[] = ["acquire", "release", "connectionOf", "close"];
  for (const capability of supports.capabilities) {
    required.push(...CAPABILITY_METHODS[capability] ?? []);
  }
  for (const method of required) {
    if (typeof pool[method] !== "function") {
      fail(TypeError, name, `create().${method}`, "a function", pool[method]);
    }
  }
  for (
    const method of [
      "stats",
      "closeIdle",
      "closeExpired",
      "clear",
      "ready",
      "send",
      "request",
      "rejectionKind",
      "events",
    ]
  ) {
    if (pool[method] !== undefined && typeof pool[method] !== "function") {
      fail(TypeError, name, `create().${method}`, "a function when present", pool[method]);
    }
  }
}
