/**
 * Drawing a run's parameters within the adapter's declared ranges.
 *
 * @module
 */
import fc from "fast-check";
import type { IntRange, PoolConfig, Ranges, Supports } from "./adapter.ts";
import type { RunSetup } from "./run_view.ts";
import { type CommandKind, FAULT_KINDS, optionalKinds } from "./commands/kinds.ts";
import { type InvalidOption, invalidOptionArbitrary } from "./invalid_options.ts";

function int([min, max]: IntRange): fc.Arbitrary<number> {
  return fc.integer({ min, max });
}

function optional(
  supports: Supports,
  range: IntRange | undefined,
  capability: Supports["capabilities"][number],
): fc.Arbitrary<number | undefined> {
  if (range === undefined || !supports.capabilities.includes(capability)) {
    return fc.constant(undefined);
  }
  return fc.option(int(range), { nil: undefined, freq: 2 });
}

function required(
  supports: Supports,
  range: IntRange | undefined,
  capability: Supports["capabilities"][number],
): fc.Arbitrary<number | undefined> {
  if (range === undefined || !supports.capabilities.includes(capability)) {
    return fc.constant(undefined);
  }
  return int(range);
}

/** Route names used by runs: `r0`, `r1`, … */
export const ROUTE_NAMES: readonly string[] = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];

function configArbitrary(supports: Supports): fc.Arbitrary<PoolConfig> {
  const r: Ranges = supports.ranges;
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  // Drawn even without capability maxPerRoute (then from maxTotal's range, and unused), so the
  // draws after it do not depend on whether the range is declared.
  const perRoute = r.maxPerRoute ?? r.maxTotal;
  return fc.record({
    routeCount: int(r.routes),
    maxTotal: int(r.maxTotal),
    maxPerRoute: int(perRoute),
    override: has("maxPerRouteOverrides")
      ? fc.option(int(perRoute), { nil: undefined })
      : fc.constant(undefined),
    maxConnecting: required(supports, r.maxConnecting, "maxConnecting"),
    maxWaiters: required(supports, r.maxWaiters, "maxWaiters"),
    ttlMs: optional(supports, r.ttlMs, "ttl"),
    defaultKeepAliveMs: optional(supports, r.defaultKeepAliveMs, "defaultKeepAlive"),
    honourKeepAliveMax: has("keepAliveMax") ? fc.boolean() : fc.constant(false),
    validateAfterInactivityMs: optional(
      supports,
      r.validateAfterInactivityMs,
      "validateAfterInactivity",
    ),
    connectTimeoutMs: required(supports, r.connectTimeoutMs, "connectTimeout"),
    reconnectBackoffMs: required(supports, r.reconnectBackoffMs, "reconnectBackoff"),
    reconnectBackoffMaxMs: required(supports, r.reconnectBackoffMaxMs, "reconnectBackoff"),
    maxIdleMs: optional(supports, r.maxIdleMs, "maxIdle"),
    maxInFlight: required(supports, r.maxInFlight, "multiplexed"),
    maxUses: optional(supports, r.maxUses, "maxUses"),
    // Drawn only for a pool that keeps a minimum, so others draw the configs they always did.
    ...(has("minPoolSize") && r.minPoolSize !== undefined
      ? { minPoolSize: int(r.minPoolSize) }
      : {}),
    ...(has("requestTimeout") && r.requestTimeoutMs !== undefined
      ? { requestTimeoutMs: int(r.requestTimeoutMs) }
      : {}),
  }).map((d) => {
    const routes = ROUTE_NAMES.slice(0, d.routeCount);
    const perRoute = has("maxPerRoute") ? Math.min(d.maxPerRoute, d.maxTotal) : d.maxTotal;
    const overrides: Record<string, number> = {};
    if (d.override !== undefined && routes.length > 1) {
      overrides[routes[1]!] = Math.min(d.override, d.maxTotal);
    }
    const backoffMax = d.reconnectBackoffMs === undefined || d.reconnectBackoffMaxMs === undefined
      ? d.reconnectBackoffMaxMs
      : Math.max(d.reconnectBackoffMs, d.reconnectBackoffMaxMs);
    return {
      routes,
      maxTotal: d.maxTotal,
      maxPerRoute: perRoute,
      maxPerRouteOverrides: overrides,
      maxConnecting: d.maxConnecting,
      maxWaiters: d.maxWaiters,
      ttlMs: d.ttlMs,
      defaultKeepAliveMs: d.defaultKeepAliveMs,
      honourKeepAliveMax: d.honourKeepAliveMax,
      maxUses: d.maxUses,
      validateAfterInactivityMs: d.validateAfterInactivityMs,
      connectTimeoutMs: d.connectTimeoutMs,
      reconnectBackoffMs: d.reconnectBackoffMs,
      reconnectBackoffMaxMs: backoffMax,
      maxIdleMs: d.maxIdleMs,
      maxInFlight: d.maxInFlight,
      ...drawnMinimum(d, d.maxTotal),
      ...("requestTimeoutMs" in d ? { requestTimeoutMs: d.requestTimeoutMs as number } : {}),
    };
  });
}

/** The drawn minPoolSize, if any, clamped to the total limit. */
function drawnMinimum(drawn: object, maxTotal: number): { minPoolSize?: number } {
  if (!("minPoolSize" in drawn) || typeof drawn.minPoolSize !== "number") return {};
  return { minPoolSize: Math.min(drawn.minPoolSize, maxTotal) };
}

/** Options of {@linkcode setupArbitrary}. */
export interface SetupOptions {
  /**
   * Swarm testing: draw, per run, which optional kinds of command it uses
   * (each on with probability one half). Off: every kind the declaration
   * allows, faults and maintenance in half of the runs. @default {true}
   */
  readonly swarm?: boolean;
  /**
   * With swarm testing, the probability that a run draws each optional kind
   * (for measuring others; the kit uses the default). @default {0.5}
   */
  readonly kindProbability?: number;
}

/**
 * The arbitrary of the kinds a run uses (swarm testing): each kind the
 * declaration allows is on with the given probability, independently of
 * the others, and shrinks to off.
 *
 * @param supports The adapter's declaration.
 * @param probability Chance that each kind is on (one half by default).
 * @returns The enabled kinds, in {@linkcode optionalKinds} order.
 */
function kindsArbitrary(
  supports: Supports,
  probability: number,
): fc.Arbitrary<readonly CommandKind[]> {
  const kinds = optionalKinds(supports);
  // Both shrink to off: a counterexample keeps only the kinds it needs.
  const on = probability === 0.5
    ? fc.boolean()
    : fc.integer({ min: 0, max: 999 }).map((n) => n >= 1000 - Math.round(probability * 1000));
  return fc.tuple(...kinds.map(() => on)).map((drawn) => kinds.filter((_, i) => drawn[i]));
}

/**
 * The arbitrary of a run's parameters: a config within the declared ranges,
 * the environment the harness plays (small latencies, hints, timeouts) and,
 * with swarm testing, the kinds of command the run uses.
 *
 * @param supports The adapter's declaration.
 * @param options Whether to draw the kinds of command (swarm testing).
 * @returns An arbitrary of {@linkcode RunSetup}.
 *
 * @example Drawn configs respect the ranges
 * ```ts
 * import assert from "node:assert/strict";
 * import fc from "fast-check";
 * import { setupArbitrary } from "./setup.ts";
 * import type { Supports } from "./adapter.ts";
 *
 * const supports = {
 *   timeMode: "virtual", capabilities: [], toleranceMs: 0,
 *   ranges: { routes: [1, 2], maxTotal: [1, 4], maxPerRoute: [1, 2] },
 *   policies: {} as Supports["policies"],
 * } as Supports;
 * fc.assert(fc.property(setupArbitrary(supports), (s) => s.config.maxTotal <= 4));
 * fc.assert(fc.property(setupArbitrary(supports, { swarm: false }), (s) => s.kinds === undefined));
 * ```
 */
export function setupArbitrary(
  supports: Supports,
  options: SetupOptions = {},
): fc.Arbitrary<RunSetup> {
  const r = supports.ranges;
  const common = {
    config: configArbitrary(supports),
    acquireTimeoutMs: required(supports, r.acquireTimeoutMs, "acquireTimeout"),
    keepAliveHintMs: required(supports, r.keepAliveHintMs, "keepAliveHint"),
    keepAliveMax: required(supports, r.keepAliveMax, "keepAliveMax"),
    connectLatencyMs: fc.constantFrom(0, 0, 1, 3),
    responseLatencyMs: fc.constantFrom(0, 1, 2),
    randomSeed: fc.integer({ min: 0, max: 0x7fffffff }),
    // Drawn only for a pool that validates its options, so others draw the cases they always did.
    ...invalidDraw(supports),
    // Drawn only for a pool that starts paused: most runs call ready() first, some stay paused.
    ...(supports.policies.startsPaused === true
      ? { readyAtStart: fc.integer({ min: 0, max: 3 }).map((n) => n > 0) }
      : {}),
  };
  const drawn: fc.Arbitrary<Drawn> = options.swarm === false
    ? fc.record({ ...common, faults: fc.boolean(), heavy: fc.boolean(), hinted: fc.boolean() })
    : fc.record({
      ...common,
      kinds: kindsArbitrary(supports, options.kindProbability ?? 0.5),
      heavy: fc.boolean(),
      // The server sends a Keep-Alive hint in two runs out of three (Node's http server sends one
      // by default); shrinking drops it.
      hinted: fc.constantFrom(false, true, true),
    }).map(({ kinds, ...rest }) => ({
      ...rest,
      kinds,
      faults: kinds.some((kind) => FAULT_KINDS.includes(kind)),
    }));
  return drawn.map(({ hinted, invalid, ...setup }) => {
    const { keepAliveHintMs: timeoutMs, keepAliveMax: max } = setup;
    const hint = {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(max === undefined ? {} : { max }),
    };
    const serverHint = hinted && (timeoutMs !== undefined || max !== undefined) ? hint : undefined;
    return {
      ...setup,
      serverHint,
      ...(invalid === undefined || invalid.length === 0
        ? {}
        : { invalidOptions: invalid.map((draw) => draw(setup.config)) }),
    };
  });
}

/** The draw of a run's invalid options, for a declaration that allows them. */
function invalidDraw(
  supports: Supports,
): { invalid?: fc.Arbitrary<((config: PoolConfig) => InvalidOption)[]> } {
  const arbitrary = invalidOptionArbitrary(supports);
  return arbitrary === undefined ? {} : { invalid: arbitrary };
}

/** A setup as drawn, before the server's hint and the invalid options are derived. */
type Drawn = Omit<RunSetup, "serverHint" | "invalidOptions"> & {
  readonly hinted: boolean;
  readonly invalid?: ((config: PoolConfig) => InvalidOption)[] | undefined;
};

/**
 * Every duration a run's setup configures that arms a deadline (undefined
 * where not set): what time steps aim at and what the heal phase passes.
 *
 * @param setup The run's parameters.
 * @returns The durations in ms, unset ones included.
 */
export function configuredDeadlines(setup: RunSetup): (number | undefined)[] {
  const { config } = setup;
  return [
    config.ttlMs,
    config.defaultKeepAliveMs,
    config.validateAfterInactivityMs,
    config.connectTimeoutMs,
    config.maxIdleMs,
    config.reconnectBackoffMs,
    config.reconnectBackoffMaxMs,
    setup.acquireTimeoutMs,
    setup.keepAliveHintMs,
    config.requestTimeoutMs,
  ];
}

/** Each setup's deadline steps, drawn from at every time step and read by every timed command. */
const DEADLINE_STEPS = new WeakMap<RunSetup, readonly number[]>();

/**
 * Durations a time step is biased towards: every configured deadline, one
 * before and one after.
 *
 * @param setup The run's parameters.
 * @returns Sorted distinct positive millisecond values (frozen, and the same
 * array for the same setup).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadlineSteps } from "./setup.ts";
 * import type { RunSetup } from "./run_view.ts";
 *
 * const setup = { config: { ttlMs: 100 } } as unknown as RunSetup;
 * assert.deepEqual(deadlineSteps(setup), [1, 99, 100, 101]);
 * ```
 */
export function deadlineSteps(setup: RunSetup): readonly number[] {
  let found = DEADLINE_STEPS.get(setup);
  if (found !== undefined) return found;
  const steps = new Set<number>([1]);
  for (const span of configuredDeadlines(setup)) {
    if (span === undefined) continue;
    for (const d of [span - 1, span, span + 1]) if (d > 0) steps.add(d);
  }
  found = Object.freeze([...steps].sort((a, b) => a - b));
  DEADLINE_STEPS.set(setup, found);
  return found;
}
