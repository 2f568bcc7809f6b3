import { discard, emit, type Step } from "./core_state.ts";
import { closeDrainedStale } from "./multiplex.ts";
import { rejectAll } from "./waiters.ts";

/*
 * MongoDB CMAP's clear: every connection that exists becomes stale (a new
 * generation), the pool pauses (no check-out, no background connect) until
 * `ready()`, and the callers waiting fail at once with PoolClearedError.
 * The order follows CMAP: PoolCleared is emitted first, then the waiters
 * fail and the stale idle connections close. Clearing a pool that is already
 * paused still moves the generation on (CMAP's rationale: the error that
 * caused the duplicate clear must not clear again), but emits nothing.
 * Rules CLS (clear), EVT (PoolCleared once per clear of a ready pool).
 */

/**
 * Clear the pool.
 *
 * @param step The current step.
 * @param interruptInUse Also close, at once, the connections of older
 * generations that are leased, busy or still connecting (CMAP's
 * `interruptInUseConnections`); without it they close when they come back
 * (leased) or when their connect completes.
 */
export function clearPool(step: Step, interruptInUse: boolean): void {
  const { state } = step;
  if (state.status === "closed") return;
  const wasPaused = state.status === "paused";
  state.generation++;
  state.status = "paused";
  if (state.populateArmed) {
    state.populateArmed = false;
    step.out.push({ type: "cancelTimer", timer: { kind: "populate" } });
  }
  if (!wasPaused) {
    emit(step, {
      type: "PoolCleared",
      generation: state.generation,
      interruptInUseConnections: interruptInUse,
    });
  }
  // A caller establishing its own connection (connectOwnership "acquire") has left CMAP's wait
  // queue: a plain clear leaves it to end with that connection, an interrupting one fails it,
  // after that connection closed (CMAP: ConnectionClosed, then ConnectionCheckOutFailed).
  const failure = { kind: "poolCleared", generation: state.generation } as const;
  rejectAll(step, failure, true);
  closeDrainedStale(step);
  if (!interruptInUse) return;
  for (const entry of [...state.entries.values()]) {
    if (entry.generation < state.generation) discard(step, entry, "stale");
  }
  rejectAll(step, failure);
}
