/**
 * Invalid options for pools that validate their own (CFG-1): which values
 * are drawn for which option, the config that carries one, and the attempt
 * to create a pool with it.
 *
 * @module
 */
import fc from "fast-check";
import { realTimers } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/mod.ts";
import { seededRandom } from "../random.ts";
import type {
  Adapter,
  PoolConfig,
  PoolUnderTest,
  Supports,
  ValidatedOption,
  World,
} from "./adapter.ts";
import type { Capability } from "./capabilities.ts";

/** One option of a run's config replaced by a value the pool must refuse. */
export interface InvalidOption {
  /**
   * The option, by the harness's name, or by the pool's for one of its own
   * (`own`, see {@linkcode Supports.poolOptions}).
   */
  readonly option: ValidatedOption | string;
  /** Set for an option of the pool's own, offered in `config.poolOptions`. */
  readonly own?: true;
  /**
   * The value offered: a number outside the option's domain, or a value of
   * another type (a numeric string, a boolean, an object).
   */
  readonly value: unknown;
  /** Why it is invalid, in a few words (`"zero"`, `"not a number"`, `"a string"`, …). */
  readonly problem: string;
  /**
   * The value the error must show, where that is not `value` itself: the one
   * invalid entry of a record (`0` in `maxPerRouteOverrides` `{ "r0": 0 }`).
   */
  readonly shown?: unknown;
}

/** How an option is judged valid, which decides the invalid values drawn for it. */
type Domain =
  | "count"
  | "countFromZero"
  | "finiteCountFromZero"
  | "duration"
  | "finiteDuration"
  | "flag"
  | "overrides"
  | "choice";

/**
 * Every option CFG-1 can offer an invalid value, with the capability that
 * must be declared for it to be drawn and its domain: counts are positive
 * integers (`maxWaiters` and `minPoolSize` may be 0), durations are numbers of
 * ms ≥ 0, and flags are booleans. `Infinity` is a valid count or duration
 * (no limit, never) except for a backoff, where it would mean a route that
 * failed once is never dialled again (or one whose delay doubles without
 * end), and for `minPoolSize`, the connections a pool opens by itself.
 */
const OPTIONS: Readonly<
  Record<ValidatedOption, { readonly needs: Capability | undefined; readonly domain: Domain }>
> = {
  reuseOrder: { needs: undefined, domain: "choice" },
  connectFailure: { needs: undefined, domain: "choice" },
  idleExpiry: { needs: undefined, domain: "choice" },
  connectOwnership: { needs: undefined, domain: "choice" },
  maxTotal: { needs: undefined, domain: "count" },
  maxPerRoute: { needs: "maxPerRoute", domain: "count" },
  maxPerRouteOverrides: { needs: "maxPerRouteOverrides", domain: "overrides" },
  maxConnecting: { needs: "maxConnecting", domain: "count" },
  maxWaiters: { needs: "maxWaiters", domain: "countFromZero" },
  maxUses: { needs: "maxUses", domain: "count" },
  minPoolSize: { needs: "minPoolSize", domain: "finiteCountFromZero" },
  maxInFlight: { needs: "multiplexed", domain: "count" },
  ttlMs: { needs: "ttl", domain: "duration" },
  defaultKeepAliveMs: { needs: "defaultKeepAlive", domain: "duration" },
  validateAfterInactivityMs: { needs: "validateAfterInactivity", domain: "duration" },
  connectTimeoutMs: { needs: "connectTimeout", domain: "duration" },
  reconnectBackoffMs: { needs: "reconnectBackoff", domain: "finiteDuration" },
  reconnectBackoffMaxMs: { needs: "reconnectBackoff", domain: "finiteDuration" },
  maxIdleMs: { needs: "maxIdle", domain: "duration" },
  honourKeepAliveMax: { needs: "keepAliveMax", domain: "flag" },
  requestTimeoutMs: { needs: "requestTimeout", domain: "duration" },
};

/** The options CFG-1 knows, in the order they are drawn. */
export const VALIDATED_OPTIONS: readonly ValidatedOption[] = Object.freeze(
  Object.keys(OPTIONS) as ValidatedOption[],
);

/**
 * The capability an option needs to be drawn (`undefined` for `maxTotal`).
 *
 * @param option The option.
 * @returns The capability, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capabilityOfOption } from "./invalid_options.ts";
 *
 * assert.equal(capabilityOfOption("ttlMs"), "ttl");
 * assert.equal(capabilityOfOption("maxTotal"), undefined);
 * ```
 */
export function capabilityOfOption(option: ValidatedOption): Capability | undefined {
  return OPTIONS[option].needs;
}

/** An invalid value for an option, before the config it goes into is known. */
type Flaw =
  | "zero"
  | "negative"
  | "fraction"
  | "nan"
  | "infinite"
  | "aboveMaxTotal"
  | "belowBackoff"
  | "numericString"
  | "boolean"
  | "object"
  | "flagString"
  | "flagNumber"
  | "notRecord"
  | "unknownChoice";

/** A choice no pool offers, for each option that is a choice among strings. */
const UNKNOWN_CHOICES: Readonly<Partial<Record<ValidatedOption, string>>> = {
  reuseOrder: "random",
  connectFailure: "sometimes",
  idleExpiry: "never",
  connectOwnership: "nobody",
};

/**
 * The values of the wrong type every numeric option is offered: the mistakes
 * of configuration read from the environment or a file (`"5"` where 5
 * belongs), of a flag or a settings object passed where one of its numbers
 * belongs. A pool that converts them with `Number()` or compares them with
 * `<` runs with a value its user never wrote as a number, or with `NaN`.
 */
const WRONG_TYPES: readonly Flaw[] = ["numericString", "boolean", "object"];

const FLAWS: Readonly<Record<Domain, readonly Flaw[]>> = {
  count: ["zero", "negative", "fraction", "nan", ...WRONG_TYPES],
  countFromZero: ["negative", "fraction", "nan", ...WRONG_TYPES],
  finiteCountFromZero: ["negative", "fraction", "nan", "infinite", ...WRONG_TYPES],
  duration: ["negative", "nan", ...WRONG_TYPES],
  finiteDuration: ["negative", "nan", "infinite", ...WRONG_TYPES],
  // A flag read from the environment or a query string comes as "true"; from a form or an
  // older API as 1. A pool that tests it for truth runs with a setting nobody wrote.
  flag: ["flagString", "flagNumber"],
  // One route's limit given each invalid count, or the whole map given as an array.
  overrides: ["zero", "negative", "fraction", "nan", ...WRONG_TYPES, "aboveMaxTotal", "notRecord"],
  choice: ["unknownChoice"],
};

const PROBLEMS: Readonly<Record<Flaw, string>> = {
  zero: "zero",
  negative: "negative",
  fraction: "not an integer",
  nan: "not a number",
  infinite: "infinite",
  aboveMaxTotal: "above maxTotal",
  belowBackoff: "below reconnectBackoffMs",
  numericString: "a string",
  boolean: "a boolean",
  object: "an object",
  flagString: "a string",
  flagNumber: "a number",
  notRecord: "an array",
  unknownChoice: "not one of the choices",
};

/**
 * A valid number for the option in this config: its own value when the run
 * sets one, else the smallest of its domain (a backoff cap: the base), so
 * that a pool which converts a value of the wrong type gets a valid number
 * and accepts it.
 */
function validNumber(option: ValidatedOption, config: PoolConfig): number {
  if (option === "maxPerRouteOverrides") {
    return config.maxPerRouteOverrides[config.routes[0]!] ?? config.maxPerRoute;
  }
  const own = config[option];
  if (typeof own === "number" && Number.isFinite(own)) return own;
  if (option === "reconnectBackoffMaxMs") return config.reconnectBackoffMs ?? 0;
  const { domain } = OPTIONS[option];
  return domain === "duration" || domain === "finiteDuration" || domain === "finiteCountFromZero"
    ? 0
    : 1;
}

/**
 * The invalid option of one flaw in this config. An override map's flaws
 * other than `notRecord` go into the entry of the run's first route, which
 * is then the value the error must show.
 */
function invalidOf(flaw: Flaw, option: ValidatedOption, config: PoolConfig): InvalidOption {
  const problem = PROBLEMS[flaw];
  if (option !== "maxPerRouteOverrides" || flaw === "notRecord") {
    return { option, value: valueOf(flaw, option, config), problem };
  }
  const shown = valueOf(flaw, "maxPerRoute", config);
  const value = { ...config.maxPerRouteOverrides, [config.routes[0]!]: shown };
  return { option, value, problem: `${problem} for ${config.routes[0]}`, shown };
}

function valueOf(flaw: Flaw, option: ValidatedOption, config: PoolConfig): unknown {
  switch (flaw) {
    case "notRecord":
      return [validNumber(option, config)];
    case "numericString":
      return String(validNumber(option, config));
    case "boolean":
      return true;
    case "object":
      return { value: validNumber(option, config) };
    case "flagString":
      return "true";
    case "flagNumber":
      return 1;
    case "unknownChoice":
      return UNKNOWN_CHOICES[option];
    case "zero":
      return 0;
    case "negative":
      return -1;
    case "fraction":
      return 1.5;
    case "nan":
      return NaN;
    case "infinite":
      return Infinity;
    case "aboveMaxTotal":
      return config.maxTotal + 1;
    case "belowBackoff": {
      // A cap below the base; below a base of 0 (no backoff) only a negative one is.
      const base = config.reconnectBackoffMs ?? 0;
      return base > 0 ? base - 1 : -1;
    }
  }
}

/** The most invalid options a run offers, each in a creation of its own. */
const MAX_PROBES = 6;

/**
 * The option and flaw pairs a declaration allows: each declared option whose
 * capability is declared, with every invalid value of its domain, and a
 * per-route limit or a minimum above the total limit for a pool that declares
 * `maxPerRoute` or `minPoolSize`, and a backoff cap below its base.
 */
function flawsOf(supports: Supports): [ValidatedOption, Flaw][] {
  if (!supports.capabilities.includes("validatesOptions")) return [];
  const declared = supports.validatedOptions ?? {};
  const pairs: [ValidatedOption, Flaw][] = [];
  for (const option of VALIDATED_OPTIONS) {
    if (declared[option] === undefined) continue;
    const { needs, domain } = OPTIONS[option];
    if (needs !== undefined && !supports.capabilities.includes(needs)) continue;
    for (const flaw of FLAWS[domain]) pairs.push([option, flaw]);
    if (option === "maxPerRoute" || option === "minPoolSize") pairs.push([option, "aboveMaxTotal"]);
    if (option === "reconnectBackoffMaxMs") pairs.push([option, "belowBackoff"]);
  }
  return pairs;
}

/**
 * The arbitrary of a run's invalid options, for an adapter that declares
 * `validatesOptions`: none in half the runs, else one to six, each a declared
 * option with one invalid value (a creation is cheap beside a run, and a pool
 * declares some hundred such pairs, which one per run would leave mostly
 * untried). `undefined` when the declaration allows none (the setup then
 * draws nothing for it, so adapters without the capability draw exactly the
 * cases they drew before it existed).
 *
 * @param supports The adapter's declaration.
 * @returns The arbitrary, given the run's config, or `undefined`.
 */
export function invalidOptionArbitrary(
  supports: Supports,
): fc.Arbitrary<((config: PoolConfig) => InvalidOption)[]> | undefined {
  const makers: [string, (config: PoolConfig) => InvalidOption][] = flawsOf(supports).map((
    [option, flaw],
  ) => [option, (config: PoolConfig) => invalidOf(flaw, option, config)]);
  // The pool's own options after the kit's, so that a declaration without them draws as before.
  if (supports.capabilities.includes("validatesOptions")) {
    for (const [option, values] of Object.entries(supports.poolOptions ?? {})) {
      for (const value of values) {
        makers.push([option, () => ({ option, value, problem: "declared invalid", own: true })]);
      }
    }
  }
  if (makers.length === 0) return undefined;
  // The option first, then one of its flaws: every declared option is offered as often, the
  // choices among strings (one flaw each) as often as the counts (seven).
  const options = [...new Set(makers.map(([option]) => option))];
  const drawn = fc.constantFrom(...options).chain((option) =>
    fc.constantFrom(...makers.filter(([o]) => o === option))
  ).map(([, make]) => make);
  return fc.oneof(
    fc.constant<((config: PoolConfig) => InvalidOption)[]>([]),
    fc.array(drawn, { minLength: 1, maxLength: MAX_PROBES }),
  );
}

/**
 * A run's config with one option replaced by its invalid value.
 *
 * @param config The valid config.
 * @param invalid The invalid option.
 * @returns The config the pool must refuse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invalidConfig } from "./invalid_options.ts";
 * import { poolConfigOf } from "./pool_config.ts";
 *
 * const config = invalidConfig(poolConfigOf(), { option: "maxTotal", value: 0, problem: "zero" });
 * assert.equal(config.maxTotal, 0);
 * ```
 */
export function invalidConfig(config: PoolConfig, invalid: InvalidOption): PoolConfig {
  if (invalid.own === true) return { ...config, poolOptions: { [invalid.option]: invalid.value } };
  // Typed as a config on purpose: the adapter passes the value on as it would a valid one.
  return { ...config, [invalid.option]: invalid.value } as PoolConfig;
}

/**
 * What happened when the harness asked the adapter to create a pool with an
 * invalid option, in a world of its own, before the run's pool was created.
 */
export interface ConfigProbe {
  /** The invalid option offered. */
  readonly invalid: InvalidOption;
  /** The pool's own name for the option, as the adapter declares it. */
  readonly poolName: string;
  /**
   * `rejected`: `create` threw or its promise rejected; `created`: it
   * returned a pool; `pending`: its promise had not settled once the pool's
   * queued work had run.
   */
  readonly outcome: "rejected" | "created" | "pending";
  /** The message of what was thrown (its string form when it is not an `Error`). */
  readonly error: string | undefined;
  /** Connections the attempt opened on its network. */
  readonly connections: number;
  /** Timers the attempt left armed once its queued work had run. */
  readonly timers: number;
}

/**
 * Let a pool's queued promise callbacks and real macrotasks run, without
 * moving time. A pool on virtual time gets the promise callbacks only, as in
 * the run's settle loop: its world has no real macrotask to wait for.
 */
async function flush(global: boolean): Promise<void> {
  for (let round = 0; round < 3; round++) {
    for (let hop = 0; hop < 12; hop++) await Promise.resolve();
    if (global) await new Promise<void>((resolve) => realTimers.setImmediate(resolve));
  }
}

/**
 * Ask the adapter to create a pool with the run's invalid option, in a world
 * of its own (its own network, and its own virtual clock unless the pool
 * reads global time, whose driver is shared), and record what happened. A
 * pool created despite the invalid option is closed again, without waiting.
 *
 * @param adapter The adapter.
 * @param config The run's valid config.
 * @param invalid The invalid option.
 * @param options The run's global-time driver (for a pool on global time)
 * and the seed of `world.random`.
 * @returns What the attempt did.
 */
export async function probeInvalidConfig(
  adapter: Adapter,
  config: PoolConfig,
  invalid: InvalidOption,
  options: { readonly globalClock: DrivableClock | undefined; readonly randomSeed: number },
): Promise<ConfigProbe> {
  const clock = options.globalClock ?? new VirtualClock();
  const network = new SimNetwork({ clock });
  const world: World = { clock, network, random: seededRandom(options.randomSeed) };
  const timersBefore = clock.pendingTimers;
  let outcome: ConfigProbe["outcome"] = "pending";
  let error: string | undefined;
  let pool: PoolUnderTest | undefined;
  const rejected = (thrown: unknown) => {
    outcome = "rejected";
    error = thrown instanceof Error ? thrown.message : String(thrown);
  };
  const created = (value: PoolUnderTest) => {
    outcome = "created";
    pool = value;
  };
  try {
    const result = adapter.create(invalidConfig(config, invalid), world);
    if (result instanceof Promise) result.then(created, rejected);
    else created(result);
  } catch (thrown) {
    rejected(thrown);
  }
  await flush(options.globalClock !== undefined);
  const connections = network.ledger.events.filter((e) => e.type === "ConnectionCreated").length;
  const timers = Math.max(0, clock.pendingTimers - timersBefore);
  if (pool !== undefined) {
    try {
      (pool as PoolUnderTest).close().catch(() => undefined);
    } catch {
      // A pool that should never have been created may fail to close: nothing more to do.
    }
  }
  return {
    invalid,
    poolName: invalid.own === true
      ? invalid.option
      : adapter.supports.validatedOptions?.[invalid.option as ValidatedOption] ?? invalid.option,
    outcome,
    error,
    connections,
    timers,
  };
}
