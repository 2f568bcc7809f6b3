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
  | "STA"
  | "EVT"
  | "CFG";

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
 * A clause of a rule found broken: which clause, and what was expected and
 * what happened.
 */
export interface Breach<C extends string = string> {
  /** Key of the broken clause in its rule's {@linkcode Rule.clauses}, e.g. `"a"`. */
  readonly clause: C;
  /** What was expected and what happened. */
  readonly detail: string;
  /**
   * The pool broke it when it was created, before the first step (CFG-1):
   * the violation is reported at step 0, whatever step judged it.
   */
  readonly atCreation?: boolean;
}

/**
 * Per-run state of one rule. Each method returns the clause found broken,
 * or `undefined` when the rule holds.
 */
export interface RuleChecker<C extends string = string> {
  /** After every command, once the pool has settled. */
  step?(context: StepContext): Breach<C> | undefined;
  /** After the heal phase (faults stopped, leases released, deadlines passed). */
  healed?(context: StepContext): Breach<C> | undefined;
  /** After the pool was closed at the end of the run. */
  closed?(context: StepContext): Breach<C> | undefined;
  /**
   * The first instant, later than the run's time, at which the `step` check
   * would find a clause broken if nothing happened meanwhile (a deadline the
   * pool owes something by, plus the declared tolerance, plus one), or
   * `undefined` when nothing is owed. When time passes that instant the
   * harness stops there and judges, so a pool that is late by more than the
   * tolerance is caught even where no step ends before it catches up. Must
   * agree with `step`: once judged at that instant and found holding, the
   * same instant is not due again.
   */
  due?(run: RunView): number | undefined;
}

/** A numbered rule. */
export interface Rule<C extends string = string> {
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
  /**
   * The separate promises the rule checks, each under a stable key: a
   * failure names the clause it broke (`"CLS-2.b"`), and an expectation can
   * list one clause without excusing the others.
   */
  readonly clauses: Readonly<Record<C, string>>;
  /**
   * Keys of clauses no longer judged (a known deviation of theirs was found);
   * set by the check, never by a rule's definition.
   */
  readonly ignoredClauses?: ReadonlySet<string>;
  /** Start checking one run. */
  start(run: RunView): RuleChecker<C>;
}

/**
 * The id of a rule's clause, as reports and expectation files write it.
 *
 * @param ruleId The rule's id.
 * @param clause The clause's key.
 * @returns E.g. `"CLS-2.b"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clauseId } from "./rule.ts";
 *
 * assert.equal(clauseId("CLS-2", "b"), "CLS-2.b");
 * ```
 */
export function clauseId(ruleId: string, clause: string): string {
  return `${ruleId}.${clause}`;
}

/**
 * The key of a clause within its rule: the part of its id after the dot.
 *
 * @param id A clause id.
 * @returns E.g. `"b"` for `"CLS-2.b"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clauseKey } from "./rule.ts";
 *
 * assert.equal(clauseKey("CLS-2.b"), "b");
 * ```
 */
export function clauseKey(id: string): string {
  return id.slice(id.indexOf(".") + 1);
}

/**
 * Define a rule, checking at compile time that every clause its checkers
 * report is one it lists.
 *
 * @param rule The rule.
 * @returns The same rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineRule } from "./rule.ts";
 *
 * const rule = defineRule({
 *   id: "LIM-9",
 *   group: "LIM",
 *   title: "Example",
 *   rationale: "Example",
 *   source: "Example",
 *   needs: [],
 *   clauses: { a: "never more than one" },
 *   start: () => ({ step: () => ({ clause: "a", detail: "two" }) }),
 * });
 * assert.deepEqual(Object.keys(rule.clauses), ["a"]);
 * ```
 */
export function defineRule<const C extends string>(
  rule: Omit<Rule<C>, "start"> & { start(run: RunView): RuleChecker<NoInfer<C>> },
): Rule<C> {
  return rule;
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
  /** Id of the broken clause, e.g. `"LIM-1.a"`. */
  readonly clause: string;

  /**
   * Describe a violation.
   *
   * @param ruleId Id of the broken rule.
   * @param step Step at which it broke.
   * @param detail What was expected and what happened.
   * @param clause Key of the broken clause. @default {"a"}
   */
  constructor(ruleId: string, step: number, detail: string, clause = "a") {
    super(`${clauseId(ruleId, clause)} violated at step ${step}: ${detail}`);
    this.name = "RuleViolation";
    this.ruleId = ruleId;
    this.step = step;
    this.detail = detail;
    this.clause = clauseId(ruleId, clause);
  }
}
