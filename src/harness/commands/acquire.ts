import type { Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";
import { upcomingDeadlines } from "./advance_to_deadline.ts";

/** Where an acquire waits first: one of its route's armed deadlines, with an offset. */
export interface DeadlinePick {
  readonly index: number;
  readonly offset: -1 | 0 | 1;
}

/**
 * Start an acquire on a route (not awaited), with or without the run's
 * acquire timeout, and describe it: after an advance in the same step, the
 * acquire continues the step's line.
 *
 * @param run The run.
 * @param route The route.
 * @param timed Whether the acquire has the run's acquire timeout.
 * @param advanced Whether the step has already advanced the clock.
 */
export function startAcquire(run: Run, route: Route, timed: boolean, advanced: boolean): void {
  const timeoutMs = timed ? run.setup.acquireTimeoutMs : undefined;
  const record = run.acquire(route, timeoutMs);
  run.describe(() =>
    `${
      advanced ? "   then " : `${run.step}. `
    }t=${record.startedAt} acquire #${record.id} ${route}${
      timeoutMs === undefined ? "" : ` (timeout ${timeoutMs} ms)`
    }`
  );
}

/**
 * Start an acquire on a route (not awaited), with or without the run's
 * acquire timeout; optionally first let time run to just before, on or just
 * after one of the route's armed deadlines (so leases land on boundaries).
 */
export class AcquireCommand extends StepCommand {
  readonly route: Route;
  readonly timed: boolean;
  readonly at: DeadlinePick | undefined;

  constructor(route: Route, timed: boolean, at?: DeadlinePick) {
    super();
    this.route = route;
    this.timed = timed;
    this.at = at === undefined ? undefined : Object.freeze({ ...at });
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    let advanced = false;
    if (this.at !== undefined) {
      const deadline = pick(upcomingDeadlines(run, this.route), this.at.index);
      if (deadline !== undefined) {
        const target = Math.max(run.now(), deadline + this.at.offset);
        run.describe(() =>
          `${run.step}. t=${run.now()} advance to t=${target} (a deadline of ${this.route}${this.#offset()})`
        );
        await run.advanceTo(target);
        advanced = true;
      }
    }
    startAcquire(run, this.route, this.timed, advanced);
  }

  #offset(): string {
    return this.at === undefined || this.at.offset === 0
      ? ""
      : this.at.offset > 0
      ? " + 1"
      : " - 1";
  }

  override toString(): string {
    const at = this.at === undefined ? "" : ` at deadline[${this.at.index}]${this.#offset()}`;
    return `acquire(${JSON.stringify(this.route)}${this.timed ? ", timed" : ""})${at}`;
  }
}
