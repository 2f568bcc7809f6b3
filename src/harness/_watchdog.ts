import { realTimers } from "../clock/global_time.ts";
import type { SimNetwork } from "../net/mod.ts";
import { InconclusiveRun } from "./_run_end.ts";
import type { RuleViolation } from "./rule.ts";

/**
 * Connections opened in one step, within {@linkcode STORM_WINDOW_MS} of
 * virtual time, beyond which the run stops as inconclusive.
 */
export const CONNECT_STORM = 100;

/**
 * The virtual time in which {@linkcode CONNECT_STORM} connects make a storm:
 * a pool that reconnects with a backoff (Kafka's client retries a broker
 * every second at most, for as long as it is down) opens many connections in
 * a long time step, but not a hundred in one second.
 */
export const STORM_WINDOW_MS = 1_000;

/** Connections opened in one step beyond which the run stops as inconclusive, however slowly. */
export const CONNECT_FLOOD = 1_000;

/** What the watchdog asks of its run. */
export interface Watched {
  readonly network: SimNetwork;
  readonly step: number;
  /** Operations started and not yet settled, for the message. */
  pendingOperations(): string[];
  /** The error for a pool the harness cannot drive to rest. */
  stuck(detail: string): RuleViolation | InconclusiveRun;
  /** Whether the run's faked global time was taken over by another check. */
  lostGlobalTime(): boolean;
}

/**
 * Bounds a run in real time, and stops a run whose pool opens connections
 * without end in one step.
 */
export class Watchdog {
  readonly #run: Watched;
  readonly #deadline: number;
  #stormStep = -1;
  #stormBase = 0;

  /**
   * @param run The run watched.
   * @param budgetMs Its real-time budget, ms.
   */
  constructor(run: Watched, budgetMs: number) {
    this.#run = run;
    this.#deadline = realTimers.now() + budgetMs;
  }

  /**
   * @throws {RuleViolation} LIV-1 once the run's real-time budget is spent
   * (an {@linkcode InconclusiveRun} when LIV-1 is not active), and an
   * inconclusive end when the pool opens more than {@linkcode CONNECT_STORM}
   * connections in one step, or once a newer check took its global time over.
   */
  check(): void {
    if (this.#run.lostGlobalTime()) {
      throw new InconclusiveRun(this.#run.step, "global time was taken over by another check");
    }
    if (realTimers.now() > this.#deadline) {
      const pending = this.#run.pendingOperations().slice(0, 8).join(", ") || "none";
      throw this.#run.stuck(`watchdog: run exceeded its real-time budget (pending: ${pending})`);
    }
    this.#stormGuard();
  }

  /**
   * A pool that retries failed connects at once (generic-pool's create loop)
   * opens connections without end while a connect fault lasts; no rule is
   * judged by such a step, and it would only run into the watchdog. A pool
   * that backs off between its connects is no storm, unless a long step
   * gives it over {@linkcode CONNECT_FLOOD} of them.
   */
  #stormGuard(): void {
    const { network, step } = this.#run;
    const sockets = network.sockets();
    const opened = sockets.length;
    if (this.#stormStep !== step) {
      this.#stormStep = step;
      this.#stormBase = opened;
      return;
    }
    if (opened - this.#stormBase <= CONNECT_STORM) return;
    const span = sockets[opened - 1]!.createdAt - sockets[opened - 1 - CONNECT_STORM]!.createdAt;
    if (span < STORM_WINDOW_MS) {
      throw new InconclusiveRun(
        step,
        `connect storm: over ${CONNECT_STORM} connections opened in one step, within ${STORM_WINDOW_MS} ms`,
      );
    }
    // A backoff of a few ms through a step of minutes: each connect is judged like the last.
    if (opened - this.#stormBase > CONNECT_FLOOD) {
      throw new InconclusiveRun(
        step,
        `connect storm: over ${CONNECT_FLOOD} connections opened in one step`,
      );
    }
  }
}
