/**
 * Running CMAP scenarios against any adapter, on virtual time: each thread of
 * a scenario is an async task, the main thread's operations are awaited
 * while the runner moves virtual time on timer by timer, and the verdict
 * compares the main thread's error and the pool's events with the file's.
 *
 * @module
 */
import { GlobalTimeDriver } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import { VirtualClock } from "../clock/virtual_clock.ts";
import type { Adapter, PoolUnderTest, World } from "../harness/adapter.ts";
import { validateAdapter, validatePoolUnderTest } from "../harness/adapter.ts";
import { SimNetwork } from "../net/mod.ts";
import { seededRandom } from "../random.ts";
import { Driver, StuckError } from "./_driver.ts";
import {
  errorText,
  Execution,
  type MainFailure,
  OPERATION_LIMIT_MS,
  operationText,
} from "./_execution.ts";
import type { CmapExpectedEvent, CmapScenario } from "./format.ts";
import { compareEvents, type ObservedEvent, observedEvent } from "./match.ts";
import { CMAP_ROUTE, ERROR_KINDS, planScenario, type ScenarioPlan, startsPaused } from "./plan.ts";

export { OPERATION_LIMIT_MS, WAIT_FOR_EVENT_MS } from "./_execution.ts";

/** The verdict on one scenario. */
export type ScenarioStatus = "pass" | "fail" | "not applicable";

/** One scenario's result. */
export interface ScenarioResult {
  /** The scenario's file. */
  readonly file: string;
  /** The scenario's description. */
  readonly description: string;
  /** The verdict. */
  readonly status: ScenarioStatus;
  /**
   * For a failure, the differences (the error first, then the first event
   * that differs); for a scenario not applicable, the reason. Else empty.
   */
  readonly reasons: readonly string[];
  /** For a failure: the events compared (ignored types left out), in order. */
  readonly observed?: readonly ObservedEvent[];
  /** What the run did differently from the file (a mapped option, a skipped step). */
  readonly notes: readonly string[];
}

/** The results of a set of scenarios against one adapter. */
export interface CmapReport {
  /** The adapter's name. */
  readonly adapter: string;
  /** One result per scenario, in order. */
  readonly results: readonly ScenarioResult[];
  /** No scenario failed. */
  readonly ok: boolean;
}

/** Options of {@linkcode runScenarios}. */
export interface CmapRunOptions {
  /** Events after the expected ones pass, as CMAP's own runners let them. @default {false} */
  readonly allowExtraEvents?: boolean;
  /** Run scenarios whose pool options lie outside the adapter's declared ranges. @default {false} */
  readonly ignoreRanges?: boolean;
}

/** Answers to the network's connects while a fail point applies to the first `times` of them. */
function limitedFault(network: SimNetwork, times: number): SimNetwork {
  let connects = 0;
  return new Proxy(network, {
    get(target, property) {
      if (property === "connect") {
        return (route: string, options?: Parameters<SimNetwork["connect"]>[1]) => {
          if (++connects === times + 1) {
            target.configure(route, { connect: "ok", connectLatencyMs: 0 });
          }
          return target.connect(route, options);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The adapter's map from its close reasons to the kit's causes, if it declares one. */
function closeReasonsOf(adapter: Adapter): Readonly<Record<string, string>> {
  return (adapter.supports as { closeReasons?: Readonly<Record<string, string>> }).closeReasons ??
    {};
}

/**
 * Connection ids the adapter's notices cannot carry, from the network's
 * record since the scenario started: a connection has no socket id until its
 * connect succeeds, so the n-th `ConnectionCreated` takes the socket of the
 * n-th connect, and the n-th `ConnectionClosed` without an id the n-th
 * connect that failed. Ids count from the scenario's start: `before` sockets
 * were opened earlier (by a pool that populates itself as it is created).
 */
function withConnectIds(
  observed: readonly ObservedEvent[],
  network: SimNetwork,
  start: number,
  before: number,
): ObservedEvent[] {
  const events = network.ledger.events.slice(start);
  const ids = (type: string) => events.filter((e) => e.type === type).map((e) => e.socketId);
  const created = ids("ConnectionCreated");
  const ready = new Set(ids("ConnectionReady"));
  const failed = ids("ConnectionClosed").filter((id) => !ready.has(id) && created.includes(id));
  let nextCreated = 0;
  let nextFailed = 0;
  return observed.map((event) => {
    let id: number | undefined;
    if (event.type === "ConnectionCreated") id = created[nextCreated++];
    else if (event.type === "ConnectionClosed" && event.fields.connectionId === undefined) {
      id = failed[nextFailed++];
    }
    if (event.fields.connectionId !== undefined || id === undefined) return event;
    return { ...event, fields: { ...event.fields, connectionId: id - before } };
  });
}

function judgeError(
  scenario: CmapScenario,
  failure: MainFailure | undefined,
  pool: PoolUnderTest,
): string | undefined {
  const expected = scenario.error;
  if (failure === undefined) {
    return expected === undefined
      ? undefined
      : `expected the main thread to fail with ${expected.type} (kind ${
        ERROR_KINDS[expected.type]
      }), but every operation completed`;
  }
  const where = operationText(failure.op, failure.index);
  if (expected === undefined) return `${where} failed: ${errorText(failure.error)}`;
  const want = ERROR_KINDS[expected.type];
  if (failure.error instanceof StuckError) {
    return `expected ${expected.type} (kind ${want}), but ${failure.error.message}`;
  }
  const kind = pool.rejectionKind?.(failure.error);
  return kind === want
    ? undefined
    : `${where} failed with ${errorText(failure.error)} (kind ${
      kind ?? "not recognised by the adapter"
    }); expected ${expected.type} (kind ${want})`;
}

/** Create the pool on the run's clock, driving time while `create()` is pending. */
async function createPool(
  adapter: Adapter,
  plan: ScenarioPlan,
  world: World,
  driver: Driver,
): Promise<PoolUnderTest> {
  let created: PoolUnderTest | undefined;
  const creating = Promise.resolve(adapter.create(plan.config, world)).then((pool) => {
    created = pool;
  });
  creating.catch(() => {});
  await driver.until(() => created !== undefined, "create()", OPERATION_LIMIT_MS);
  await creating;
  validatePoolUnderTest(adapter.name, created!, adapter.supports);
  // Before anyone listens, the pool is brought to the state the scenario starts from.
  if (plan.startPaused !== startsPaused(adapter)) {
    await (plan.startPaused ? created!.clear!() : created!.ready!());
    await driver.quiesce();
  }
  return created!;
}

/** Subscribe to the pool's events, socket ids counted from the scenario's start. */
function listen(adapter: Adapter, pool: PoolUnderTest, run: Execution, before: number): void {
  if (!adapter.supports.capabilities.includes("events")) return;
  const reasons = closeReasonsOf(adapter);
  pool.events?.((notice) => {
    const { socketId } = notice;
    const renumbered = socketId === undefined ? notice : { ...notice, socketId: socketId - before };
    run.record(observedEvent(renumbered, run.clock.now(), CMAP_ROUTE, reasons));
  });
}

/**
 * The expected events as the adapter can show them: a pool whose adapter
 * maps no close reasons (`supports.closeReasons`) cannot be held to the
 * reason of a `ConnectionClosed`, which is then left out, as a field no
 * event carries is (see `compareEvents`).
 */
function withComparableReasons(
  expected: readonly CmapExpectedEvent[],
  closeReasons: boolean,
): { events: readonly CmapExpectedEvent[]; reasonsLeftOut: boolean } {
  if (closeReasons) return { events: expected, reasonsLeftOut: false };
  let reasonsLeftOut = false;
  const events = expected.map((event) => {
    if (event.type !== "ConnectionClosed" || !("reason" in event)) return event;
    reasonsLeftOut = true;
    const { reason: _, ...rest } = event as CmapExpectedEvent & { reason?: unknown };
    return rest as CmapExpectedEvent;
  });
  return { events, reasonsLeftOut };
}

/** The verdict on a run: its error and its events against the scenario's. */
function verdict(
  scenario: CmapScenario,
  plan: ScenarioPlan,
  outcome: {
    failure: MainFailure | undefined;
    observed: ObservedEvent[];
    pool: PoolUnderTest;
    /** Whether the adapter maps the reasons of its closes (`supports.closeReasons`). */
    closeReasons: boolean;
  },
  options: CmapRunOptions,
): ScenarioResult {
  const { file, description } = scenario;
  const { notes } = plan;
  const reasons: string[] = [];
  const errorDifference = judgeError(scenario, outcome.failure, outcome.pool);
  if (errorDifference !== undefined) reasons.push(errorDifference);
  let unreported: readonly string[] = [];
  if (scenario.events !== undefined) {
    const { events, reasonsLeftOut } = withComparableReasons(
      scenario.events,
      outcome.closeReasons,
    );
    const comparison = compareEvents(events, outcome.observed, scenario.ignore, options);
    if (comparison.kind === "difference") reasons.push(comparison.text);
    if (comparison.kind === "unreported") unreported = comparison.fields;
    if (reasonsLeftOut && comparison.kind !== "difference") {
      unreported = [...new Set([...unreported, "reason"])].sort();
    }
  }
  if (reasons.length > 0) {
    const observed = outcome.observed.filter((event) => !scenario.ignore.includes(event.type));
    return { file, description, status: "fail", reasons, observed, notes };
  }
  if (unreported.length > 0) {
    const names = unreported.map((field) => `'${field}'`).join(", ");
    const reason =
      `expects event field ${names}, which no event of the adapter carries (everything else matched)`;
    return { file, description, status: "not applicable", reasons: [reason], notes };
  }
  return { file, description, status: "pass", reasons: [], notes };
}

/**
 * Run one scenario against an adapter.
 *
 * @param scenario The scenario.
 * @param adapter The adapter (validated).
 * @param options Whether extra events pass and ranges bind.
 * @returns Its result: pass, fail (with the differences) or not applicable (with the reason).
 */
export async function runScenario(
  scenario: CmapScenario,
  adapter: Adapter,
  options: CmapRunOptions = {},
): Promise<ScenarioResult> {
  const { file, description } = scenario;
  const plan = planScenario(scenario, adapter, options);
  if ("notApplicable" in plan) {
    return {
      file,
      description,
      status: "not applicable",
      reasons: [plan.notApplicable],
      notes: [],
    };
  }
  const global = adapter.supports.timeMode === "global";
  const faked = global ? GlobalTimeDriver.install() : undefined;
  const clock: DrivableClock = faked ?? new VirtualClock();
  const network = new SimNetwork({ clock });
  let execution: Execution | undefined;
  const activity = () => network.ledger.length + (execution?.activity ?? 0);
  const driver = new Driver(clock, global, activity);
  try {
    if (plan.fault !== undefined) network.configure(CMAP_ROUTE, plan.fault);
    const limited = plan.fault !== undefined && plan.faultTimes !== undefined;
    const world: World = {
      clock,
      network: limited ? limitedFault(network, plan.faultTimes!) : network,
      random: seededRandom(1),
    };
    const pool = await createPool(adapter, plan, world, driver);
    const run = new Execution(pool, plan, clock, driver);
    execution = run;
    run.record({
      type: "ConnectionPoolCreated",
      t: clock.now(),
      fields: { address: CMAP_ROUTE, options: scenario.poolOptions },
    });
    const start = network.ledger.length;
    const before = network.sockets().length;
    listen(adapter, pool, run, before);
    const failure = await run.run(scenario.operations);
    run.end();
    const observed = withConnectIds(run.observed, network, start, before);
    await closeQuietly(pool, driver);
    const closeReasons = adapter.supports.closeReasons !== undefined;
    return verdict(scenario, plan, { failure, observed, pool, closeReasons }, options);
  } catch (error) {
    const reasons = [`the run could not go on: ${errorText(error)}`];
    return { file, description, status: "fail", reasons, notes: plan.notes };
  } finally {
    faked?.uninstall();
  }
}

/** Close the pool at the end of a scenario, without waiting for leases nobody returns. */
async function closeQuietly(pool: PoolUnderTest, driver: Driver): Promise<void> {
  try {
    Promise.resolve(pool.close()).catch(() => {});
    await driver.quiesce();
  } catch {
    // The verdict is in; a pool that fails to close is not this runner's to judge.
  }
}

/**
 * Run scenarios, one after another, against an adapter.
 *
 * @param scenarios The scenarios.
 * @param adapter The adapter.
 * @param options Whether extra events pass and ranges bind.
 * @returns The report: one result per scenario, in order.
 * @throws {TypeError} If the adapter is malformed (the message names the field).
 *
 * @example A scenario on the reference pool
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceAdapter } from "../../conformance/reference/adapter.ts";
 * import { parseScenario } from "./format.ts";
 * import { runScenarios } from "./runner.ts";
 *
 * const scenario = parseScenario(JSON.stringify({
 *   version: 1,
 *   style: "unit",
 *   description: "a check-out opens a connection",
 *   operations: [{ name: "checkOut" }],
 *   events: [
 *     { type: "ConnectionCreated", connectionId: 1 },
 *     { type: "ConnectionCheckedOut", connectionId: 1, address: 42 },
 *   ],
 *   ignore: ["ConnectionPoolCreated", "ConnectionReady", "ConnectionCheckOutStarted"],
 * }), "one.json");
 * const report = await runScenarios([scenario], referenceAdapter);
 * assert.equal(report.results[0]?.status, "pass");
 * ```
 */
export async function runScenarios(
  scenarios: readonly CmapScenario[],
  adapter: Adapter,
  options: CmapRunOptions = {},
): Promise<CmapReport> {
  validateAdapter(adapter);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario, adapter, options));
  return {
    adapter: adapter.name,
    results,
    ok: results.every((result) => result.status !== "fail"),
  };
}
