/**
 * The arbitrary of whole cases: a run's drawn setup and its commands.
 *
 * @module
 */
import fc from "fast-check";
import type { Adapter, Supports } from "./adapter.ts";
import { commandSequence } from "./_command_sequence.ts";
import { commandArbitraries, fitsSetup, type RunCommand } from "./commands/mod.ts";
import type { RunCase } from "./run_case.ts";
import type { RunSetup } from "./run_view.ts";
import { setupArbitrary } from "./setup.ts";

/** `maxCommands` of the default profile (replay lines name any other). */
export const DEFAULT_MAX_COMMANDS = 60;

/** Options of {@linkcode caseArbitrary}. */
export interface CaseOptions {
  /**
   * Swarm testing: each case draws which optional kinds of command it uses
   * (timed acquires, requests, hints, maintenance, close, faults). Off, every
   * case may draw every kind the declaration allows, as before swarm testing;
   * kept for comparison (the benchmark measures both). @default {true}
   */
  readonly swarm?: boolean;
  /**
   * With swarm testing, the probability that a case draws each optional kind
   * (for measuring others; the kit uses the default). @default {0.5}
   */
  readonly kindProbability?: number;
}

/**
 * The arbitrary of whole cases (parameters and commands) for an adapter.
 *
 * @param adapter The adapter (its declaration shapes the draw).
 * @param maxCommands Longest command sequence.
 * @param options Whether to use swarm testing.
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
 * assert.ok(value!.setup.kinds !== undefined);
 * ```
 */
export function caseArbitrary(
  adapter: Adapter,
  maxCommands: number,
  options: CaseOptions = {},
): fc.Arbitrary<RunCase> {
  return new CaseArbitrary(
    adapter.supports,
    maxCommands,
    setupArbitrary(adapter.supports, options),
  );
}

/** What a case's value remembers for shrinking. */
interface CaseContext {
  readonly bias: number | undefined;
  /** The setup, as its arbitrary drew it. */
  readonly setup: fc.Value<RunSetup>;
  /** The arbitrary the commands were drawn from (that of the setup they were drawn for). */
  readonly sequence: fc.Arbitrary<RunCommand[]>;
  /** The commands, as that arbitrary drew them. */
  readonly commands: fc.Value<RunCommand[]>;
  /** The random state before the setup was drawn: a simpler setup draws its commands from it. */
  readonly random: fc.Random;
  /** Whether the commands have been shrunk: a simpler setup then keeps them. */
  readonly kept: boolean;
}

/**
 * Cases: a setup, then commands drawn for it. It shrinks as `setup.chain(…)`
 * does (first simpler setups, each with commands drawn afresh from the
 * same random state, then the commands with the setup fixed), and once the
 * commands have been shrunk, simpler setups again, keeping the commands when
 * the setup fits them ({@linkcode fitsSetup}). A failure found on a large
 * pool with a long sequence therefore ends on a small pool too: a limit of 5
 * needs more commands to exceed than a limit of 1, and the commands that
 * exceed 5 often exceed 1 as well. Every shrink depends only on the values
 * and their contexts, so a fast-check path replays it exactly.
 */
class CaseArbitrary extends fc.Arbitrary<RunCase> {
  readonly #supports: Supports;
  readonly #maxCommands: number;
  readonly #setup: fc.Arbitrary<RunSetup>;

  constructor(supports: Supports, maxCommands: number, setup: fc.Arbitrary<RunSetup>) {
    super();
    this.#supports = supports;
    this.#maxCommands = maxCommands;
    this.#setup = setup;
  }

  generate(mrng: fc.Random, bias: number | undefined): fc.Value<RunCase> {
    const random = mrng.clone();
    const setup = this.#setup.generate(mrng, bias);
    return this.#drawCommands(setup, mrng, random, bias);
  }

  canShrinkWithoutContext(_value: unknown): _value is RunCase {
    return false;
  }

  shrink(_value: RunCase, context: unknown): fc.Stream<fc.Value<RunCase>> {
    if (context === undefined) return fc.Stream.nil();
    const c = context as CaseContext;
    const simpler = () => this.#setup.shrink(c.setup.value_, c.setup.context);
    const redrawn = c.kept
      ? fc.Stream.nil<fc.Value<RunCase>>()
      : simpler().map((setup) => this.#drawCommands(setup, c.random.clone(), c.random, c.bias));
    const shorter = c.sequence.shrink(c.commands.value_, c.commands.context)
      .map((commands) => valueOf({ ...c, commands, kept: true }));
    const keeping = c.kept
      ? simpler().filter((setup) => fitsSetup(c.commands.value_, setup.value_))
        .map((setup) => valueOf({ ...c, setup }))
      : fc.Stream.nil<fc.Value<RunCase>>();
    return redrawn.join(shorter, keeping);
  }

  #drawCommands(
    setup: fc.Value<RunSetup>,
    mrng: fc.Random,
    random: fc.Random,
    bias: number | undefined,
  ): fc.Value<RunCase> {
    const sequence = commandSequence(
      commandArbitraries(this.#supports, setup.value_),
      this.#maxCommands,
    );
    const commands = sequence.generate(mrng, bias);
    return valueOf({ bias, setup, sequence, commands, random, kept: false });
  }
}

function valueOf(context: CaseContext): fc.Value<RunCase> {
  return new fc.Value({ setup: context.setup.value_, commands: context.commands.value_ }, context);
}
