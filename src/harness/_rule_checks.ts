import type { CallerEvent } from "./observations.ts";
import { type Rule, type RuleChecker, RuleViolation, type StepContext } from "./rule.ts";
import type { RunView } from "./run_view.ts";
import type { Ledger } from "../net/mod.ts";
import type { LedgerEvent } from "../net/types.ts";

/** An empty list of new events, shared by every check that has none. */
const NOTHING: readonly never[] = Object.freeze([]);

/**
 * The rule checkers of one run, fed the ledger events and caller events
 * that are new since the previous check.
 */
type Phase = "step" | "healed" | "closed";
type Check = (context: StepContext) => string | undefined;
/** A phase's checks, with the id of each one's rule. */
type PhaseChecks = { readonly ids: string[]; readonly checks: Check[] };

export class RuleChecks {
  #phases: Record<Phase, PhaseChecks> = {
    step: { ids: [], checks: [] },
    healed: { ids: [], checks: [] },
    closed: { ids: [], checks: [] },
  };
  #run: RunView;
  #ledger: Ledger;
  #callers: readonly CallerEvent[];
  #ledgerCursor = 0;
  #callerCursor = 0;
  #checkedStamp: unknown[] = [];

  /**
   * @param rules The rules to check.
   * @param run The run they judge.
   * @param callers The run's caller events (appended to as the run goes).
   */
  constructor(rules: readonly Rule[], run: RunView, callers: readonly CallerEvent[]) {
    this.#run = run;
    this.#ledger = run.network.ledger;
    this.#callers = callers;
    // Each phase's checks are bound once, so a check is a plain call, not a lookup per checker.
    for (const rule of rules) {
      const checker: RuleChecker = rule.start(run);
      for (const phase of ["step", "healed", "closed"] as const) {
        const check = checker[phase];
        if (check === undefined) continue;
        this.#phases[phase].ids.push(rule.id);
        this.#phases[phase].checks.push(check.bind(checker));
      }
    }
  }

  /**
   * Run every checker's check of a phase.
   *
   * @param phase Which check.
   * @param stamp Everything a step check reads that can change: a step with
   * the same stamp (element by element) as the previous check cannot change
   * a verdict, so it is not judged again. Copied; the caller may reuse it.
   * @param onLedger Called first with the new ledger events.
   * @param first Id of a rule to judge before the others (the rule the
   * step's operation is about, so its consequences are not reported first
   * under other rules).
   * @throws {RuleViolation} The first rule broken.
   */
  check(
    phase: Phase,
    stamp: readonly unknown[],
    onLedger: (events: readonly LedgerEvent[]) => void,
    first?: string,
  ): void {
    const checked = this.#checkedStamp;
    let same = checked.length === stamp.length;
    for (let i = 0; i < stamp.length; i++) {
      if (checked[i] !== stamp[i]) {
        same = false;
        checked[i] = stamp[i];
      }
    }
    if (checked.length !== stamp.length) checked.length = stamp.length;
    if (phase === "step" && same) return;
    const ledger = this.#ledger;
    const callers = this.#callers;
    const context = {
      run: this.#run,
      ledger: this.#ledgerCursor === ledger.length ? NOTHING : ledger.since(this.#ledgerCursor),
      callers: this.#callerCursor === callers.length ? NOTHING : callers.slice(this.#callerCursor),
    };
    onLedger(context.ledger);
    this.#ledgerCursor = ledger.length;
    this.#callerCursor = callers.length;
    const { ids, checks } = this.#phases[phase];
    const at = first === undefined ? -1 : ids.indexOf(first);
    if (at >= 0) this.#judge(ids[at]!, checks[at]!, context);
    for (let i = 0; i < checks.length; i++) {
      if (i !== at) this.#judge(ids[i]!, checks[i]!, context);
    }
  }

  #judge(id: string, check: Check, context: StepContext): void {
    const message = check(context);
    if (message !== undefined) throw new RuleViolation(id, this.#run.step, message);
  }
}
