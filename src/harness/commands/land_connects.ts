import { advanceUntil } from "../_settle.ts";
import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";
import { actAsCaller, actionText, type InstantAction } from "./at_timer.ts";

/**
 * Put `items` in the order `picks` gives: each pick takes the
 * `pick mod remaining`-th of the items not taken yet; those left follow in
 * their order. No picks (or all zero) keep the order, so the picks shrink
 * towards it.
 *
 * @param items Items in their own order.
 * @param picks The drawn picks.
 * @returns The items, reordered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reorder } from "./land_connects.ts";
 *
 * assert.deepEqual(reorder([1, 2, 3], []), [1, 2, 3]);
 * assert.deepEqual(reorder([1, 2, 3], [1]), [2, 1, 3]);
 * assert.deepEqual(reorder([1, 2, 3], [2, 1]), [3, 2, 1]);
 * ```
 */
export function reorder<T>(items: readonly T[], picks: readonly number[]): T[] {
  const left = [...items];
  const out: T[] = [];
  for (const pick of picks) {
    if (left.length === 0) break;
    out.push(left.splice(pick % left.length, 1)[0]!);
  }
  return [...out, ...left];
}

/**
 * Complete connects in progress together, in a drawn order, one after the
 * other in a single macrotask: each connect's promise settles before the
 * pool has run any callback of the others. The connects are those due
 * within `windowMs` of the next one due; the earlier ones are held until the
 * last of them is due (a connect that takes a little longer than usual), and
 * time moves to that instant as in any time step. Without this command
 * connects complete in the order they began, each followed by a settle; a
 * real network gives no such promise, and a pool that pairs completed
 * connects with the connects it started by their order hands out the wrong
 * socket once they cross.
 *
 * With an `action`, a caller acts at that instant just before the connects
 * land, in the same macrotask: a `clear()` meets check-outs whose
 * connections are still being established, a `close()` meets connects about
 * to complete, a release meets a connect completing for the same waiter.
 * Between steps such states last only as long as a connect takes, so time
 * steps and maintenance calls rarely fall into them.
 *
 * The order is part of the command (`picks`, see {@linkcode reorder}), so a
 * seed and a path replay it, and shrinking moves it towards the start order,
 * the window towards 0 (only the connects due at the same instant) and
 * drops the action.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LandConnectsCommand } from "./land_connects.ts";
 *
 * assert.equal(String(new LandConnectsCommand([1], 2)), "landConnects([1], within 2 ms)");
 * assert.equal(String(new LandConnectsCommand([1], 0)), "landConnects([1])");
 * assert.equal(
 *   String(new LandConnectsCommand([], 0, { kind: "clear", interrupt: false })),
 *   "clear() then landConnects([])",
 * );
 * ```
 */
export class LandConnectsCommand extends StepCommand {
  readonly picks: readonly number[];
  readonly windowMs: number;
  /** What a caller does at the landing instant, before the connects land. */
  readonly action: InstantAction | undefined;

  constructor(picks: readonly number[], windowMs = 0, action?: InstantAction) {
    super();
    this.picks = Object.freeze([...picks]);
    this.windowMs = windowMs;
    this.action = action === undefined ? undefined : Object.freeze({ ...action });
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const from = run.now();
    const pending = run.network.landings();
    if (pending.length === 0) {
      return run.describeNothing(() => `${run.step}. t=${from} landConnects: no connect due`);
    }
    const first = Math.min(...pending.map((l) => l.at));
    const together = pending.filter((l) => l.at <= first + this.windowMs);
    const at = Math.max(from, ...together.map((l) => l.at));
    for (const landing of together) run.network.hold(landing.socketId);
    await advanceUntil(run, at);
    const did = this.action === undefined ? undefined : actAsCaller(run, this.action);
    // Those still in progress, in the drawn order; nothing is awaited until the step settles.
    const still = new Set(run.network.landings().map((l) => l.socketId));
    const due = reorder(together.filter((l) => still.has(l.socketId)), this.picks);
    run.describe(() =>
      `${run.step}. t=${from} to t=${at}: ${did === undefined ? "" : `${did()}, then `}${
        due.length === 0
          ? "no connect due any more"
          : `connects land in one turn in the order ${
            due.map((l) => `#${l.socketId} (${l.route})`).join(", ")
          }`
      }`
    );
    for (const landing of due) run.network.land(landing.socketId);
  }

  override toString(): string {
    const within = this.windowMs === 0 ? "" : `, within ${this.windowMs} ms`;
    const first = this.action === undefined ? "" : `${actionText(this.action)} then `;
    return `${first}landConnects([${this.picks.join(", ")}]${within})`;
  }
}
