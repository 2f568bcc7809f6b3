/**
 * From a CMAP scenario and an adapter's declaration to what a run needs: the
 * {@linkcode PoolConfig} its pool options map onto, the acquire timeout, the
 * simulated faults its fail point maps onto, and the capabilities it uses;
 * or the reason the scenario is not applicable to that adapter.
 *
 * @module
 */
import type {
  Adapter,
  Capability,
  IntRange,
  PoolConfig,
  RangeName,
  RejectionKind,
  ReportedEventType,
} from "../harness/adapter.ts";
import { poolConfigOf } from "../harness/pool_config.ts";
import type { EndpointBehaviour } from "../net/types.ts";
import { CMAP_EVENT_TYPES, type CmapEventType, type CmapScenario } from "./format.ts";

/** The single route a scenario's pool serves (CMAP's pool has one address). */
export const CMAP_ROUTE = "r0";

/** The kit's event type for each CMAP event type (none for `ConnectionPoolCreated`). */
export const KIT_EVENT_TYPE: Readonly<Record<CmapEventType, ReportedEventType | undefined>> = {
  ConnectionPoolCreated: undefined,
  ConnectionPoolReady: "PoolReady",
  ConnectionPoolCleared: "PoolCleared",
  ConnectionPoolClosed: "PoolClosed",
  ConnectionCreated: "ConnectionCreated",
  ConnectionReady: "ConnectionReady",
  ConnectionClosed: "ConnectionClosed",
  ConnectionCheckOutStarted: "ConnectionCheckOutStarted",
  ConnectionCheckOutFailed: "ConnectionCheckOutFailed",
  ConnectionCheckedOut: "ConnectionCheckedOut",
  ConnectionCheckedIn: "ConnectionCheckedIn",
};

/** The rejection kind each CMAP error type stands for. */
export const ERROR_KINDS: Readonly<Record<string, RejectionKind>> = {
  WaitQueueTimeoutError: "timeout",
  PoolClosedError: "poolClosed",
  PoolClearedError: "poolCleared",
  WaitQueueFullError: "waitQueueFull",
  ConnectionError: "connectionError",
  NetworkError: "connectionError",
  MongoNetworkError: "connectionError",
};

/** Commands a fail point may name that run while a connection is being established. */
const HANDSHAKE_COMMANDS = ["hello", "isMaster", "ismaster", "saslStart", "saslContinue"];

/** Options of {@linkcode planScenario}. */
export interface PlanOptions {
  /** Run with pool options outside the adapter's declared ranges. @default {false} */
  readonly ignoreRanges?: boolean;
}

/** What a run of a scenario needs. */
export interface ScenarioPlan {
  /** The pool's config (one route). */
  readonly config: PoolConfig;
  /** The timeout of every check-out (`waitQueueTimeoutMS`), when set. */
  readonly acquireTimeoutMs: number | undefined;
  /**
   * How the pool must start: paused (a scenario with a `ready` operation, as
   * CMAP pools are created paused) or ready (a scenario without one).
   */
  readonly startPaused: boolean;
  /** Skip the first operation, a `ready` an always-ready pool has no use for. */
  readonly skipLeadingReady: boolean;
  /** The route's behaviour while the fail point is on. */
  readonly fault: EndpointBehaviour | undefined;
  /** How many connects the fault applies to (`undefined`: all of them). */
  readonly faultTimes: number | undefined;
  /** What the run does differently from the file, said in the report. */
  readonly notes: readonly string[];
}

/**
 * Whether the adapter declares a capability, by name: also those (such as
 * `minPoolSize` and `interruptInUse`) that a kit older or newer than this
 * runner may not list.
 *
 * @param adapter The adapter.
 * @param capability The capability's name.
 * @returns Whether `supports.capabilities` lists it.
 */
export function declares(adapter: Adapter, capability: string): boolean {
  return (adapter.supports.capabilities as readonly string[]).includes(capability);
}

/**
 * Whether the adapter's pool starts paused (policy `startsPaused`, CMAP's way).
 *
 * @param adapter The adapter.
 * @returns Whether it declares `startsPaused: true`.
 */
export function startsPaused(adapter: Adapter): boolean {
  return (adapter.supports.policies as { startsPaused?: unknown }).startsPaused === true;
}

/** A scenario that cannot run on the adapter, and why. */
export interface NotApplicable {
  /** The reason, naming the capability, option or event the scenario needs. */
  readonly notApplicable: string;
}

class Planning {
  readonly notes: string[] = [];

  constructor(readonly adapter: Adapter, readonly options: PlanOptions) {}

  need(capability: Capability | "minPoolSize" | "interruptInUse", why: string): void {
    if (!this.has(capability)) throw new Skip(`${why} needs capability '${capability}'`);
  }

  has(capability: Capability | "minPoolSize" | "interruptInUse"): boolean {
    return declares(this.adapter, capability);
  }

  inRange(option: string, value: number, range: RangeName | "minPoolSize"): void {
    const ranges = this.adapter.supports.ranges as unknown as Readonly<
      Record<string, IntRange | undefined>
    >;
    const bounds = ranges[range];
    if (bounds === undefined || this.options.ignoreRanges === true) return;
    const [min, max] = bounds;
    if (value < min || value > max) {
      throw new Skip(
        `poolOptions.${option} ${value} is outside the adapter's declared ${range} range [${min}, ${max}] (--ignore-ranges runs it anyway)`,
      );
    }
  }
}

class Skip extends Error {}

/** Pool options the runner maps or knowingly ignores. */
const KNOWN_OPTIONS = new Set([
  "maxPoolSize",
  "minPoolSize",
  "maxIdleTimeMS",
  "waitQueueTimeoutMS",
  "maxConnecting",
  "connectTimeoutMS",
  "socketTimeoutMS",
  "backgroundThreadIntervalMS",
  "appName",
]);

/** An option that is off at 0 (CMAP's "none"), else needs its capability and fits its range. */
function setting(
  p: Planning,
  options: Readonly<Record<string, unknown>>,
  name: string,
  capability: Capability | "minPoolSize",
  range: RangeName | "minPoolSize",
): number | undefined {
  const value = (options[name] as number | undefined) ?? 0;
  if (value === 0) return undefined;
  p.need(capability, `poolOptions.${name} ${value}`);
  p.inRange(name, value, range);
  return value;
}

/** The pool's limits: maxPoolSize (0 or absent: the adapter's largest) and maxConnecting. */
function limits(p: Planning, options: Readonly<Record<string, unknown>>) {
  const { ranges } = p.adapter.supports;
  const maxPoolSize = (options.maxPoolSize as number | undefined) ?? 0;
  let maxTotal = maxPoolSize;
  let maxPerRoute = p.has("maxPerRoute") ? maxPoolSize : undefined;
  if (maxPoolSize === 0) {
    // The pool has one route: its limit is the smaller of the largest the adapter declares.
    maxTotal = ranges.maxTotal[1];
    maxPerRoute = maxPerRoute === undefined
      ? undefined
      : Math.min(maxTotal, ranges.maxPerRoute?.[1] ?? maxTotal);
    p.notes.push(
      `no maxPoolSize: the largest limit the adapter declares, ${maxPerRoute ?? maxTotal}`,
    );
  } else {
    p.inRange("maxPoolSize", maxPoolSize, "maxTotal");
    if (maxPerRoute !== undefined) p.inRange("maxPoolSize", maxPerRoute, "maxPerRoute");
  }
  // CMAP's default maxConnecting is 2; a pool without the limit runs unlimited unless one is set.
  const maxConnecting = setting(p, options, "maxConnecting", "maxConnecting", "maxConnecting") ??
    (p.has("maxConnecting") ? 2 : undefined);
  if (maxConnecting !== undefined) p.inRange("maxConnecting", maxConnecting, "maxConnecting");
  return { maxTotal, maxPerRoute: maxPerRoute ?? maxTotal, maxConnecting };
}

function mapOptions(p: Planning, scenario: CmapScenario) {
  const options = scenario.poolOptions;
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new Skip(`poolOptions.${name} has no counterpart in the kit`);
    }
  }
  const limit = limits(p, options);
  const maxIdleMs = setting(p, options, "maxIdleTimeMS", "maxIdle", "maxIdleMs");
  const wait = setting(p, options, "waitQueueTimeoutMS", "acquireTimeout", "acquireTimeoutMs");
  const connectTimeoutMs = setting(
    p,
    options,
    "connectTimeoutMS",
    "connectTimeout",
    "connectTimeoutMs",
  );
  const minPoolSize = setting(p, options, "minPoolSize", "minPoolSize", "minPoolSize");
  if (options.socketTimeoutMS !== undefined) {
    p.notes.push("socketTimeoutMS ignored: a scenario reads nothing from its connections");
  }
  const config: PoolConfig = poolConfigOf({
    ...(minPoolSize === undefined ? {} : { minPoolSize } as Partial<PoolConfig>),
    routes: [CMAP_ROUTE],
    ...limit,
    maxIdleMs,
    connectTimeoutMs,
  });
  return { config, acquireTimeoutMs: wait };
}

/** The fault a `failCommand` fail point maps onto, or a Skip. */
function mapFailPoint(
  p: Planning,
  scenario: CmapScenario,
): { fault: EndpointBehaviour | undefined; times: number | undefined } {
  const failPoint = scenario.failPoint;
  if (failPoint === undefined) return { fault: undefined, times: undefined };
  if (failPoint.configureFailPoint !== "failCommand") {
    throw new Skip(
      `fail point ${JSON.stringify(failPoint.configureFailPoint)} has no simulated counterpart`,
    );
  }
  const mode = failPoint.mode;
  if (mode === "off") return { fault: undefined, times: undefined };
  const times = typeof mode === "object" && mode !== null &&
      typeof (mode as { times?: unknown }).times === "number"
    ? (mode as { times: number }).times
    : mode === "alwaysOn"
    ? undefined
    : NaN;
  if (Number.isNaN(times)) {
    throw new Skip(`fail point mode ${JSON.stringify(mode)} has no simulated counterpart`);
  }
  const data = (failPoint.data ?? {}) as Record<string, unknown>;
  if (data.appName !== undefined && data.appName !== scenario.poolOptions.appName) {
    p.notes.push(`fail point for appName ${JSON.stringify(data.appName)} does not reach this pool`);
    return { fault: undefined, times: undefined };
  }
  const commands = Array.isArray(data.failCommands) ? data.failCommands : [];
  const other = commands.find((c) => !HANDSHAKE_COMMANDS.includes(c as string));
  if (other !== undefined || commands.length === 0) {
    throw new Skip(
      `fail point on command ${
        JSON.stringify(other ?? null)
      }: the simulated connections run no commands but the handshake`,
    );
  }
  const blocks = data.blockConnection === true;
  const blockMs = typeof data.blockTimeMS === "number" ? data.blockTimeMS : 0;
  const fails = data.closeConnection === true || data.errorCode !== undefined;
  if (!blocks && !fails) {
    throw new Skip("fail point neither blocks nor fails the handshake");
  }
  if (fails && p.adapter.supports.policies.connectFailure === "retry") {
    // As ERR-1 follows the declaration: CMAP fails the check-out whose connect failed.
    throw new Skip(
      'fail point refuses connects: CMAP fails the check-out whose connect failed, and the adapter declares connectFailure "retry" (its pool keeps the check-out waiting and connects again)',
    );
  }
  p.notes.push(
    `fail point: ${blocks ? `connects take ${blockMs} ms` : ""}${blocks && fails ? " and " : ""}${
      fails ? "connects are refused" : ""
    }${times === undefined ? "" : ` (first ${times} connects)`}`,
  );
  return {
    fault: {
      ...(blocks ? { connectLatencyMs: blockMs } : {}),
      ...(fails ? { connect: "refuse" as const } : {}),
    },
    times,
  };
}

/**
 * CMAP's default maxConnecting (2) binds a pool whose file sets none: where a
 * fail point holds connects open and more than two may overlap, a pool
 * without the limit would be judged on a behaviour it never declared, as a
 * file that sets `maxConnecting` is not applicable to it.
 */
function checkDefaultMaxConnecting(
  p: Planning,
  scenario: CmapScenario,
  fault: EndpointBehaviour | undefined,
): void {
  if (p.has("maxConnecting") || (fault?.connectLatencyMs ?? 0) === 0) return;
  const checkOuts = scenario.operations.filter((op) => op.name === "checkOut").length;
  const minPoolSize = (scenario.poolOptions.minPoolSize as number | undefined) ?? 0;
  if (checkOuts + minPoolSize > 2) {
    throw new Skip(
      "connects held open by the fail point may overlap beyond CMAP's default maxConnecting 2, which needs capability 'maxConnecting'",
    );
  }
}

function checkEvents(p: Planning, scenario: CmapScenario): void {
  const { supports } = p.adapter;
  const waits = scenario.operations.flatMap((op) => op.name === "waitForEvent" ? [op.event] : []);
  const expected = (scenario.events ?? []).map((event) => event.type);
  if (scenario.events === undefined && waits.length === 0) return;
  p.need("events", scenario.events === undefined ? "waitForEvent" : "comparing events");
  const reported = supports.eventTypes ?? [];
  for (const type of [...waits, ...expected]) {
    const kit = KIT_EVENT_TYPE[type];
    if (kit !== undefined && !reported.includes(kit)) {
      throw new Skip(`event ${type} is not among the adapter's eventTypes`);
    }
  }
  if (scenario.events !== undefined) {
    // A type compared but never reported: that none occurs goes unchecked, and the report says so.
    const unseen = CMAP_EVENT_TYPES.filter((type) => {
      const kit = KIT_EVENT_TYPE[type];
      return kit !== undefined && !reported.includes(kit) && !scenario.ignore.includes(type);
    });
    if (unseen.length > 0) {
      p.notes.push(`not checked (the adapter does not report them): ${unseen.join(", ")}`);
    }
  }
  // A PoolCleared no clear() causes is SDAM's reaction to a failed connect, outside the pool.
  const clears = scenario.operations.filter((op) => op.name === "clear").length;
  const cleared = expected.filter((type) => type === "ConnectionPoolCleared").length;
  if (cleared > clears) {
    throw new Skip(
      `expects ${cleared} ConnectionPoolCleared for ${clears} clear operations: the others are the driver's topology monitoring reacting to an error, not the pool`,
    );
  }
}

function checkOperations(p: Planning, scenario: CmapScenario) {
  const ops = scenario.operations;
  const readies = ops.filter((op) => op.name === "ready").length;
  const clears = ops.filter((op) => op.name === "clear");
  const leading = ops[0]?.name === "ready" && ops[0].thread === undefined;
  const readyEventUsed = !scenario.ignore.includes("ConnectionPoolReady") &&
    (scenario.events?.some((e) => e.type === "ConnectionPoolReady") === true ||
      ops.some((op) => op.name === "waitForEvent" && op.event === "ConnectionPoolReady"));
  // A pool without clear()/ready() is always ready: a scenario's opening ready() is then moot.
  const skipLeadingReady = !p.has("clear") && leading && readies === 1 && clears.length === 0 &&
    !readyEventUsed;
  if (skipLeadingReady) {
    p.notes.push("the opening ready is skipped: the pool has no pause, it is always ready");
  } else if (readies > 0 || clears.length > 0) {
    p.need("clear", readies > 0 ? "ready" : "clear");
  }
  if (clears.some((op) => op.name === "clear" && op.interruptInUseConnections === true)) {
    p.need("interruptInUse", "clear with interruptInUseConnections");
  }
  const pausedAtStart = startsPaused(p.adapter);
  const startPaused = readies > 0 && !skipLeadingReady;
  if (startPaused && !pausedAtStart) {
    p.need("clear", "a pool created paused (the scenario readies it)");
    if (((scenario.poolOptions.minPoolSize as number | undefined) ?? 0) > 0) {
      throw new Skip(
        "a pool created paused with minPoolSize: the adapter's pool starts ready and opens its minimum at once (policy startsPaused not declared)",
      );
    }
    p.notes.push("the pool, created ready, is paused with clear() before the scenario starts");
  }
  if (!startPaused && pausedAtStart) {
    p.need("clear", "a pool created ready (the scenario never readies it)");
    p.notes.push("the pool, created paused, is made ready before the scenario starts");
  }
  if (scenario.error !== undefined) {
    const kind = ERROR_KINDS[scenario.error.type];
    if (kind === undefined) {
      throw new Skip(`error type ${scenario.error.type} has no rejection kind in the kit`);
    }
    p.need("rejectionKinds", `error ${scenario.error.type}`);
  }
  return { startPaused, skipLeadingReady };
}

/**
 * Plan a scenario's run on an adapter, or say why it cannot run there.
 *
 * @param scenario The scenario.
 * @param adapter The adapter (validated).
 * @param options Whether declared ranges bind.
 * @returns The plan, or the reason the scenario is not applicable.
 */
export function planScenario(
  scenario: CmapScenario,
  adapter: Adapter,
  options: PlanOptions = {},
): ScenarioPlan | NotApplicable {
  const p = new Planning(adapter, options);
  try {
    if (adapter.supports.capabilities.includes("multiplexed")) {
      throw new Skip("a multiplexed pool hands out no connections to check out");
    }
    if (adapter.supports.ranges.routes[0] > 1) {
      throw new Skip("the adapter needs more than one route; a CMAP pool has one address");
    }
    if (scenario.style === "integration" && scenario.runOn !== undefined) {
      p.notes.push("runOn ignored: the server is simulated");
    }
    const { config, acquireTimeoutMs } = mapOptions(p, scenario);
    const { fault, times } = mapFailPoint(p, scenario);
    checkDefaultMaxConnecting(p, scenario, fault);
    checkEvents(p, scenario);
    const { startPaused, skipLeadingReady } = checkOperations(p, scenario);
    return {
      config,
      acquireTimeoutMs,
      startPaused,
      skipLeadingReady,
      fault,
      faultTimes: times,
      notes: p.notes,
    };
  } catch (error) {
    if (error instanceof Skip) return { notApplicable: error.message };
    throw error;
  }
}
