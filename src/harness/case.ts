/**
 * The arbitrary of whole cases: a run's drawn setup and its commands.
 *
 * @module
 */
import type fc from "fast-check";
import type { Adapter } from "./adapter.ts";
import { commandSequence } from "./_command_sequence.ts";
import { commandArbitraries } from "./commands/mod.ts";
import type { RunCase } from "./run_case.ts";
import { setupArbitrary } from "./setup.ts";

/** `maxCommands` of the default profile (replay lines name any other). */
export const DEFAULT_MAX_COMMANDS = 60;

/**
 * The arbitrary of whole cases (parameters and commands) for an adapter.
 *
 * @param adapter The adapter (its declaration shapes the draw).
 * @param maxCommands Longest command sequence.
 * @returns An arbitrary of cases for `runCase`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import fc from "fast-check";
 * import { caseArbitrary } from "./case.ts";
 * import { referenceAdapter } from "../../conformance/reference/adapter.ts";
 *
 * const [value] = fc.sample(caseArbitrary(referenceAdapter, 10), { seed: 1, numRuns: 1 });
 * assert.ok([...value!.commands].length <= 10);
 * ```
 */
export function caseArbitrary(adapter: Adapter, maxCommands: number): fc.Arbitrary<RunCase> {
  return setupArbitrary(adapter.supports).chain((setup) =>
    commandSequence(commandArbitraries(adapter.supports, setup), maxCommands)
      .map((commands) => ({ setup, commands }))
  );
}
