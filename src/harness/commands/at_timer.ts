import type { Route } from "../../net/types.ts";
import { advanceUntil, drainPromises } from "../_settle.ts";
import { deadlineSteps } from "../setup.ts";
import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** Instants a command lets pass before it gives up finding one without a connect completing. */
const MAX_PASSED = 64;

/** What a caller does at a timer's instant, just before or just after the timer's callback. */
export type InstantAction =
  | { readonly kind: "release"; readonly index: number; readonly reusable: boolean }
  | { readonly kind: "acquire"; readonly route: Route; readonly timed: boolean }
  | { readonly kind: "send"; readonly route: Route }
  | { readonly kind: "clear"; readonly interrupt: boolean }
  | { readonly kind: "close" };

/** Whether the caller acts before the timer's callback or after it. */
export type InstantSide = "before" | "after";

/**
 * Move time to the instant the next timer is due (`timer[0]`), or the one
 * after `index` such instants have passed, and act there as a caller, next
 * to the first timer due then. After it: in the same macrotask as the
 * timer's callback, before any promise callback that callback queued, as a
 * caller whose own promise callback was queued first (a rejection handler,
 * say). Before it: the action comes first, its promise callbacks (and
 * Node's `nextTick` queue) run, and only then the timer fires, as when an
 * I/O callback at that instant runs before the event loop reaches its
 * timers. This is where a release meets an acquire timeout firing in the
 * same turn, an acquire meets an expiry, or `close()` meets a backoff. Only
 * timers armed on the run's clock count, whoever armed them (the pool, or
 * the network for a response), except at instants at which a connect
 * completes: those pass as in a time step. A timer further off than the
 * run's longest time step is out of reach.
 *
 * Every timer due before that instant fires first, each followed by a
 * settle, as in any time step. The step is deterministic on virtual time and
 * on faked global time alike: the clock stops at the instant without running
 * what is due there, and the harness then runs that one timer itself.
 *
 * @example An acquire timeout firing in the same turn as a release
 * ```ts
 * import assert from "node:assert/strict";
 * import { AtTimerCommand } from "./at_timer.ts";
 *
 * const command = new AtTimerCommand("after", 0, { kind: "release", index: 0, reusable: true });
 * assert.equal(String(command), "release(held[0]) after timer[0]");
 * ```
 */
export class AtTimerCommand extends StepCommand {
  readonly side: InstantSide;
  /** How many instants with a timer due pass first. */
  readonly index: number;
  readonly action: InstantAction;

  constructor(side: InstantSide, index: number, action: InstantAction) {
    super();
    this.side = side;
    this.index = index;
    this.action = Object.freeze({ ...action });
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const from = run.now();
    // Let `index` instants with a timer due pass, as a time step would, and
    // every instant at which a connect completes: the pool hears of a connect
    // only in a promise callback, so a caller acting in that same turn would
    // meet a pool that cannot know yet (landConnects covers those instants).
    const lands = (t: number) => run.network.landings().some((l) => l.at === t);
    // A timer further off than the longest time step is outside the run's
    // time scale (a pool's own far default, e.g. an idle timeout the setup
    // does not know of): the step does not jump to it, as no time step could.
    const { setup } = run;
    const reach = from +
      Math.max(...deadlineSteps(setup), setup.connectLatencyMs + 1, setup.responseLatencyMs + 1);
    let target = run.clock.nextDeadline();
    for (let passed = 0, crossed = 0; target !== undefined; crossed++) {
      const landing = lands(Math.max(target, run.now()));
      if (target > reach) {
        target = undefined;
        break;
      }
      if (!landing && passed === this.index) break;
      if (crossed >= MAX_PASSED) {
        target = undefined;
        break;
      }
      if (!landing) passed++;
      await run.advanceTo(Math.max(target, run.now()));
      target = run.clock.nextDeadline();
    }
    if (target === undefined) {
      // No timer to meet: the caller acts all the same, so the step is not lost to the run.
      const head = `${run.step}. t=${run.now()} no timer armed within ${reach - from} ms:`;
      const did = actAsCaller(run, this.action);
      return run.describe(() => `${head} ${did()}`);
    }
    target = Math.max(target, run.now());
    await advanceUntil(run, target);
    // After: the timer's callback and the caller's action run in one
    // macrotask, with nothing awaited in between.
    const due = run.clock.nextDeadline() === target;
    const note = !due
      ? "no timer due then"
      : this.side === "before"
      ? "before the timer due then"
      : "after the timer due then";
    const head = `${run.step}. t=${from} to t=${target}, ${note}:`;
    const ran = due && this.side === "after" && run.clock.runNext(target);
    if (ran) run.timersRun++;
    const did = actAsCaller(run, this.action, ran);
    run.describe(() => `${head} ${did()}`);
    if (due && this.side === "before") {
      // As an event loop runs the callbacks an I/O event queued before it
      // runs the timers due at that instant.
      await drainPromises(run);
      if (run.clock.nextDeadline() === target && run.clock.runNext(target)) run.timersRun++;
    }
  }

  override toString(): string {
    return `${actionText(this.action)} ${this.side} timer[${this.index}]`;
  }
}

/**
 * Start a caller's action, with nothing awaited.
 *
 * @param run The run.
 * @param action What the caller does.
 * @param afterTimer Whether a timer's callback has just run in this macrotask.
 * @returns What it did, for the step's description (read only when tracing).
 */
export function actAsCaller(run: Run, action: InstantAction, afterTimer = false): () => string {
  switch (action.kind) {
    case "release": {
      const record = pick(run.held(), action.index);
      if (record === undefined) return () => "release: nothing held";
      run.release(record, action.reusable);
      return () =>
        `release #${record.id} (socket #${record.facts?.socketId})${
          action.reusable ? "" : " as broken"
        }`;
    }
    case "acquire": {
      const timeoutMs = action.timed ? run.setup.acquireTimeoutMs : undefined;
      const record = run.acquire(action.route, timeoutMs);
      return () =>
        `acquire #${record.id} ${action.route}${
          timeoutMs === undefined ? "" : ` (timeout ${timeoutMs} ms)`
        }`;
    }
    case "send": {
      const record = run.send(action.route);
      return () => `send #${record.seq} ${action.route}`;
    }
    case "clear":
      run.maintain("clear", undefined, action.interrupt, afterTimer);
      return () => actionText(action);
    case "close":
      run.close();
      return () => "close()";
  }
}

/**
 * A caller's action as a command's text shows it.
 *
 * @param action The action.
 * @returns Its text, e.g. `release(held[0], broken)`.
 */
export function actionText(action: InstantAction): string {
  switch (action.kind) {
    case "release":
      return `release(held[${action.index}]${action.reusable ? "" : ", broken"})`;
    case "acquire":
      return `acquire(${JSON.stringify(action.route)}${action.timed ? ", timed" : ""})`;
    case "send":
      return `send(${JSON.stringify(action.route)})`;
    case "clear":
      return action.interrupt ? "clear({ interruptInUseConnections: true })" : "clear()";
    case "close":
      return "close()";
  }
}
