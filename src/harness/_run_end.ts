/**
 * A run that ended without a verdict: the harness could not drive the pool
 * to a point where the active rules can judge it (it never settled, stormed
 * timers or connects, or overran its real-time budget while LIV-1, the rule
 * that judges hangs, is not among the active rules). It is counted and
 * reported, never failed and never passed.
 */
export class InconclusiveRun extends Error {
  /** Always `"INCONCLUSIVE_RUN"`. */
  readonly code = "INCONCLUSIVE_RUN" as const;
  /** Step at which the run stopped. */
  readonly step: number;
  /** Why it stopped. */
  readonly detail: string;

  /**
   * @param step Step at which the run stopped.
   * @param detail Why it stopped.
   */
  constructor(step: number, detail: string) {
    super(`run stopped without a verdict at step ${step}: ${detail}`);
    this.name = "InconclusiveRun";
    this.step = step;
    this.detail = detail;
  }
}

/**
 * A run that ended early on purpose and passes as far as it went: the pool
 * accepted a second release of a lease while LSE-4, the rule that judges
 * it, is not active, so what follows would only report that one deviation
 * again under other rules.
 */
export class RunEndedEarly extends Error {
  /** Step at which the run ended. */
  readonly step: number;

  /**
   * @param step Step at which the run ended.
   * @param reason Why.
   */
  constructor(step: number, reason: string) {
    super(`run ended at step ${step}: ${reason}`);
    this.name = "RunEndedEarly";
    this.step = step;
  }
}
