import { advanceUntil } from "../_settle.ts";
import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

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
 * The order is part of the command (`picks`, see {@linkcode reorder}), so a
 * seed and a path replay it, and shrinking moves it towards the start order
 * and the window towards 0 (only the connects due at the same instant).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LandConnectsCommand } from "./land_connects.ts";
 *
 * assert.equal(String(new LandConnectsCommand([1], 2)), "landConnects([1], within 2 ms)");
 * assert.equal(String(new LandConnectsCommand([1], 0)), "landConnects([1])");
 * ```
 */
export class LandConnectsCommand extends StepCommand {
  readonly picks: readonly number[];
  readonly windowMs: number;

  constructor(picks: readonly number[], windowMs = 0) {
    super();
    this.picks = Object.freeze([...picks]);
    this.windowMs = windowMs;
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
    // Those still in progress, in the drawn order; nothing is awaited until the step settles.
    const still = new Set(run.network.landings().map((l) => l.socketId));
    const due = reorder(together.filter((l) => still.has(l.socketId)), this.picks);
    run.describe(() =>
      `${run.step}. t=${from} to t=${at}: ${
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
    return `landConnects([${this.picks.join(", ")}]${within})`;
  }
}
