/**
 * A runner for scenario files in the format of MongoDB's Connection
 * Monitoring and Pooling (CMAP) tests: it reads them, maps their pool
 * options and operations onto an adapter's pool, runs them on virtual time
 * and compares the main thread's error and the pool's events with the
 * file's. `poolcheck cmap` is its command line ({@linkcode runCmapCli}).
 *
 * @example Reading and running a scenario
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceAdapter } from "../../conformance/reference/adapter.ts";
 * import { parseScenario, renderCmapText, runScenarios } from "./mod.ts";
 *
 * const scenario = parseScenario(JSON.stringify({
 *   version: 1,
 *   style: "unit",
 *   description: "check-in after check-out",
 *   operations: [{ name: "checkOut", label: "c" }, { name: "checkIn", connection: "c" }],
 *   events: [{ type: "ConnectionCheckedOut", connectionId: 1 }, { type: "ConnectionCheckedIn", connectionId: 1 }],
 *   ignore: ["ConnectionPoolCreated", "ConnectionCreated", "ConnectionReady", "ConnectionCheckOutStarted"],
 * }), "check-in.json");
 * const report = await runScenarios([scenario], referenceAdapter);
 * assert.equal(report.ok, true);
 * assert.match(renderCmapText(report), /pass {2}check-in\.json/);
 * ```
 *
 * @module
 */
export {
  CMAP_EVENT_TYPES,
  type CmapEventType,
  type CmapExpectedError,
  type CmapExpectedEvent,
  CmapFormatError,
  type CmapOperation,
  type CmapOperationName,
  type CmapScenario,
  type OperationBase,
  parseScenario,
} from "./format.ts";
export {
  compareEvents,
  type CompareOptions,
  type EventComparison,
  eventText,
  mismatch,
  type ObservedEvent,
  observedEvent,
} from "./match.ts";
export {
  CMAP_ROUTE,
  declares,
  ERROR_KINDS,
  KIT_EVENT_TYPE,
  type NotApplicable,
  type PlanOptions,
  planScenario,
  type ScenarioPlan,
  startsPaused,
} from "./plan.ts";
export {
  type CmapReport,
  type CmapRunOptions,
  OPERATION_LIMIT_MS,
  runScenario,
  runScenarios,
  type ScenarioResult,
  type ScenarioStatus,
  WAIT_FOR_EVENT_MS,
} from "./runner.ts";
export { cmapCounts, renderCmapJson, renderCmapText } from "./report.ts";
export {
  type CmapCliOptions,
  cmapUsage,
  readScenarios,
  type ReadScenariosOptions,
  runCmapCli,
  scenarioFiles,
  type UnreadableScenario,
} from "./cli.ts";
