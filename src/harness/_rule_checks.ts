import type { CallerEvent } from "./observations.ts";
import {
  type Breach,
  type Rule,
  type RuleChecker,
  RuleViolation,
  type StepContext,
} from "./rule.ts";
import type { RunView } from "./run_view.ts";
import type { Ledger } from "../net/mod.ts";
import type { LedgerEvent } from "../net/types.ts";

/**
 * An empty list of new events, shared by every check that has none. Of the
 * same elements kind as the lists of events (not frozen, not a list of small
 * integers), so a rule's loop over its events sees one kind of array and V8
 * compiles it to plain indexing rather than calls to the array iterator.
 */
const NOTHING: readonly never[] = emptyObjectList();

function emptyObjectList(): never[] {
  const list: unknown[] = [{}];
  list.pop();
  return list as never[];
}

/**
 * The rule checkers of one run, fed the ledger events and caller events
 * that are new since the previous check.
 */
type Phase = "step" | "healed" | "closed";
type Check = (context: StepContext) => Breach | undefined;
/**
 * A phase's checks, with the id of each one's rule, whether it asks the pool
 * (see {@linkcode Rule.asksPool}) and whether its latest judgement read the clock.
 */
type PhaseChecks = {
  readonly ids: string[];
  readonly checks: Check[];
  readonly asksPool: boolean[];
  readonly readClock: boolean[];
};

function phaseChecks(): PhaseChecks {
  return { ids: [], checks: [], asksPool: [], readClock: [] };
}

export class RuleChecks {
  #phases: Record<Phase, PhaseChecks> = {
    step: phaseChecks(),
    healed: phaseChecks(),
    closed: phaseChecks(),
  };
  #run: RunView;
  #ledger: Ledger;
  #callers: readonly CallerEvent[];
  #ledgerCursor = 0;
  #callerCursor = 0;
  #checkedStamp: unknown[] = [];
  #checkedNow = NaN;
  #everyStep: boolean;
  #dues: ((run: RunView) => number | undefined)[] = [];

  /**
   * @param rules The rules to check.
   * @param run The run they judge.
   * @param callers The run's caller events (appended to as the run goes).
   * @param everyStep Judge every rule again after a step in which only time
   * moved (the skip's reference, for tests).
   */
  constructor(
    rules: readonly Rule[],
    run: RunView,
    callers: readonly CallerEvent[],
    everyStep = false,
  ) {
    this.#everyStep = everyStep;
    this.#run = run;
    this.#ledger = run.network.ledger;
    this.#callers = callers;
    // Each phase's checks are bound once, so a check is a plain call, not a lookup per checker.
    for (const rule of rules) {
      const checker: RuleChecker = rule.start(run);
      for (const phase of ["step", "healed", "closed"] as const) {
        const check = checker[phase];
        if (check === undefined) continue;
        const checks = this.#phases[phase];
        checks.ids.push(rule.id);
        checks.checks.push(check.bind(checker));
        checks.asksPool.push(rule.asksPool === true);
        // Not known yet: judged at the first check whatever changed.
        checks.readClock.push(true);
      }
      if (checker.due !== undefined) this.#dues.push(checker.due.bind(checker));
    }
  }

  /**
   * The earliest instant, later than the run's time, at which a rule would
   * find a clause broken if nothing happened meanwhile (see
   * {@linkcode RuleChecker.due}).
   *
   * @returns The instant, or `undefined` when no rule owes a check.
   */
  nextDue(): number | undefined {
    const run = this.#run;
    const now = run.now();
    let first: number | undefined;
    for (const due of this.#dues) {
      const at = due(run);
      if (at !== undefined && at > now && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  /**
   * Run every checker's check of a phase.
   *
   * @param phase Which check.
   * @param stamp Everything a step check reads that can change, apart from
   * time: a step with the same stamp (element by element) and time as the
   * previous check cannot change a verdict, so it is not judged again; with
   * the same stamp and a later time, only the rules that read the clock last
   * time or ask the pool are. Copied; the caller may reuse it.
   * @param now The run's time.
   * @param onLedger Called first with the new ledger events.
   * @param first Id of a rule to judge before the others (the rule the
   * step's operation is about, so its consequences are not reported first
   * under other rules).
   * @throws {RuleViolation} The first rule broken.
   */
  check(
    phase: Phase,
    stamp: readonly unknown[],
    now: number,
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
    if (phase === "step" && same && now === this.#checkedNow) return;
    this.#checkedNow = now;
    const timeOnly = phase === "step" && same && !this.#everyStep;
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
    const checks = this.#phases[phase];
    const at = first === undefined ? -1 : checks.ids.indexOf(first);
    if (at >= 0) this.#judge(checks, at, context, timeOnly);
    for (let i = 0; i < checks.checks.length; i++) {
      if (i !== at) this.#judge(checks, i, context, timeOnly);
    }
  }

  #judge(checks: PhaseChecks, i: number, context: StepContext, timeOnly: boolean): void {
    // Only time moved: a rule whose last judgement read neither the clock nor the pool stands.
    if (timeOnly && !checks.readClock[i] && !checks.asksPool[i]) return;
    const run = this.#run;
    const reads = run.clockReads;
    const breach = checks.checks[i]!(context);
    checks.readClock[i] = run.clockReads !== reads;
    if (breach !== undefined) {
      const step = breach.atCreation === true ? 0 : run.step;
      throw new RuleViolation(checks.ids[i]!, step, breach.detail, breach.clause);
    }
  }
}
