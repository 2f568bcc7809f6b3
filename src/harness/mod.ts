/**
 * The model-based conformance harness: the adapter contract, the rules, and
 * `checkPool` / `poolConformance`.
 *
 * @module
 */
export * from "./adapter.ts";
export { poolConfigOf } from "./pool_config.ts";
export {
  checkPool,
  type CheckPoolOptions,
  type CheckProgress,
  checkTimeoutMs,
  type Expectation,
  type Expectations,
  type RunSlice,
} from "./check_pool.ts";
export { assertConformant, poolConformance, type PoolConformanceOptions } from "./conformance.ts";
export {
  AdapterModuleError,
  checkPoolIsolated,
  type CheckPoolIsolatedOptions,
  HANG_MARGIN_MS,
  isolationLimitMs,
} from "./isolated.ts";
export {
  type ProgressReporter,
  progressReporter,
  type ProgressReporterOptions,
  progressText,
} from "./progress.ts";
export { count, counterexampleLines } from "./counterexample_text.ts";
export { CORPUS_FORMAT, type CorpusCase, type SavedCase } from "./corpus.ts";
export type { CaseScript } from "./script.ts";
export type {
  CorpusNote,
  CorpusReplays,
  Counterexample,
  InconclusiveRuns,
  KnownDeviation,
  PoolReport,
  RuleResult,
  RuleStatus,
} from "./result.ts";
export {
  type Breach,
  clauseId,
  defineRule,
  type Rule,
  ruleApplies,
  type RuleChecker,
  type RuleGroup,
  RuleViolation,
  type StepContext,
} from "./rule.ts";
export { RULES } from "./rules/mod.ts";
export {
  type AcquireRecord,
  type BadCallRecord,
  type CallerEvent,
  errorCode,
  type LeaseFacts,
  type SendAttempt,
  type SendRecord,
} from "./observations.ts";
export type { CapacityProbe, RunSetup, RunView, SocketUse } from "./run_view.ts";
export {
  capabilityOfOption,
  type ConfigProbe,
  type InvalidOption,
  VALIDATED_OPTIONS,
} from "./invalid_options.ts";
export {
  type InvalidArgument,
  invalidArguments,
  printValue,
  showsArgument,
  VALIDATED_ARGUMENTS,
} from "./invalid_arguments.ts";
export type { CommandKind } from "./commands/kinds.ts";
