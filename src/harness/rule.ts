/**
 * What a rule is: numbered, documented code that judges one promise a pool
 * makes, from the network's ledger and from what callers received.
 *
 * @module
 */
import type { LedgerEvent } from "../net/types.ts";
import type { Capability, Supports } from "./adapter.ts";
import type { CallerEvent } from "./observations.ts";
import type { RunView } from "./run_view.ts";

/** Group of a rule: the letters before the dash of its id. */
export type RuleGroup =
  | "LIM"
  | "LSE"
  | "EXP"
  | "ORD"
  | "INF"
  | "TMO"
  | "ERR"
  | "LIV"
  | "CLS"
  | "STA";

/** What a checker is given after each step (or phase). */
export interface StepContext {
  /** The run so far. */
  readonly run: RunView;
  /** Ledger events appended since the previous check. */
  readonly ledger: readonly LedgerEvent[];
  /** Caller events since the previous check. */
  readonly callers: readonly CallerEvent[];
}

/**
 * Per-run state of one rule. Each method returns a message describing the
 * violation, or `undefined` when the rule holds.
 */
export interface RuleChecker {
  /** After every command, once the pool has settled. */
  step?(context: StepContext): string | undefined;
  /** After the heal phase (faults stopped, leases released, deadlines passed). */
  healed?(context: StepContext): string | undefined;
  /** After the pool was closed at the end of the run. */
  closed?(context: StepContext): string | undefined;
}

/** A numbered rule. */
export interface Rule {
  /** Stable id such as `"LIM-1"`. */
  readonly id: string;
  /** Group, e.g. `"LIM"`. */
  readonly group: RuleGroup;
  /** One line. */
  readonly title: string;
  /** Why a pool must keep this promise. */
  readonly rationale: string;
  /** The system or specification the rule comes from. */
  readonly source: string;
  /** Capabilities the pool must declare for the rule to apply. */
  readonly needs: readonly Capability[];
  /**
   * Further conditions on the declared policies, described in words for the
   * report; `undefined` when only `needs` matters.
   */
  readonly when?: { readonly text: string; readonly test: (supports: Supports) => boolean };
  /**
   * Whether the rule's step check asks the pool itself (its `stats()`),
   * whose answer may change as time passes with nothing new on the ledger.
   * Such a rule is judged after every step in which anything changed. A rule
   * that reads only the run is judged again after a step in which only time
   * moved only if its previous judgement read the clock
   * ({@linkcode RunView.now}): otherwise the same run gives the same verdict.
   */
  readonly asksPool?: boolean;
  /** Start checking one run. */
  start(run: RunView): RuleChecker;
}

/**
 * Whether a rule can judge a pool with this declaration.
 *
 * @param rule The rule.
 * @param supports The adapter's declaration.
 * @returns `true` when every needed capability is declared and the policy condition holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleApplies, type Rule } from "./rule.ts";
 *
 * const rule = { needs: ["stats"] } as unknown as Rule;
 * assert.equal(ruleApplies(rule, { capabilities: [] } as never), false);
 * ```
 */
export function ruleApplies(rule: Rule, supports: Supports): boolean {
  return rule.needs.every((c) => supports.capabilities.includes(c)) &&
    (rule.when === undefined || rule.when.test(supports));
}

/**
 * A rule broken during a run; thrown inside the property so fast-check
 * shrinks the command sequence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RuleViolation } from "./rule.ts";
 *
 * const violation = new RuleViolation("LIM-1", 3, "4 live connections, maxTotal 3");
 * assert.equal(violation.code, "RULE_VIOLATION");
 * assert.match(violation.message, /LIM-1/);
 * ```
 */
export class RuleViolation extends Error {
  /** Always `"RULE_VIOLATION"`. */
  readonly code = "RULE_VIOLATION" as const;
  /** Id of the broken rule. */
  readonly ruleId: string;
  /** Step (1-based; 0 = setup, steps beyond the commands = heal and close). */
  readonly step: number;
  /** What was expected and what happened. */
  readonly detail: string;

  /**
   * Describe a violation.
   *
   * @param ruleId Id of the broken rule.
   * @param step Step at which it broke.
   * @param detail What was expected and what happened.
   */
  constructor(ruleId: string, step: number, detail: string) {
    super(`${ruleId} violated at step ${step}: ${detail}`);
    this.name = "RuleViolation";
    this.ruleId = ruleId;
    this.step = step;
    this.detail = detail;
  }
}
