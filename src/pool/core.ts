import type { ClosedBy, Route, SocketId } from "../net/types.ts";
import {
  connectFailed,
  connectionHalfClosed,
  connectionLost,
  connectionReady,
  leaseReturned,
  type ReleaseFacts,
} from "./connections.ts";
import {
  type Command,
  createState,
  discard,
  emit,
  type Failure,
  type PoolState,
  type PoolTimer,
  type Step,
  type Waiter,
} from "./core_state.ts";
import { clearPool } from "./clearing.ts";
import { armEvictor, closeExpired, closeIdle, runEvictor, sweepIdle } from "./expiry.ts";
import { closeDrainedStale, pumpSends, requestTimedOut, settleRequest } from "./multiplex.ts";
import type { PoolConfig } from "./options.ts";
import { populate, schedulePopulation } from "./population.ts";
import { type PoolStats, poolStats } from "./stats.ts";
import { grant, reject, rejectAll, serveWaiters, takeIdle } from "./waiters.ts";

export type { ReleaseFacts } from "./connections.ts";

/**
 * The reference pool's state machine. It never reads a clock, touches a
 * socket or arms a timer: each method is given `now` and one event, updates
 * the state, and returns the commands the facade must carry out in order.
 * `probe` is the one window onto sockets: the validation check.
 */
export class PoolCore {
  readonly #config: PoolConfig;
  readonly #probe: (connectionId: number) => boolean;
  readonly #state: PoolState;

  /**
   * @param config The resolved configuration.
   * @param probe Validation probe: `true` when the connection's socket is stale.
   */
  constructor(config: PoolConfig, probe: (connectionId: number) => boolean) {
    this.#config = config;
    this.#probe = probe;
    this.#state = createState(config.startPaused ? "paused" : "ready", config.minPoolRoutes);
  }

  /**
   * The pool starts: announce it (with the options it was given) and arm the
   * evictor; a pool that starts paused (CMAP) announces PoolReady on `ready()`.
   */
  start(now: number, options: Readonly<Record<string, unknown>> = {}): Command[] {
    return this.#run(now, (step) => {
      emit(step, { type: "PoolCreated", options });
      if (step.state.status === "ready") emit(step, { type: "PoolReady" });
      armEvictor(step);
    });
  }

  /** A caller asks for a connection to `route`. */
  acquire(now: number, waiterId: number, route: Route, timeoutMs?: number): Command[] {
    return this.#run(now, (step) => {
      emit(step, { type: "ConnectionCheckOutStarted", route, checkOutId: waiterId });
      const waiter: Waiter = {
        id: waiterId,
        route,
        timeoutMs,
        startedAt: now,
        establishing: undefined,
      };
      step.state.populatedRoutes.add(route);
      const refusal = this.#refusal();
      if (refusal !== undefined) return reject(step, waiter, refusal);
      // A newcomer never overtakes an older waiter of its route (ORD-2); an
      // acquire that must wait beyond maxWaiters fails at once (LIM-4). A
      // caller establishing its own connection no longer waits for one.
      if (
        !step.state.waiters.some((queued) =>
          queued.route === route && queued.establishing === undefined
        )
      ) {
        const idle = takeIdle(step, route);
        if (idle !== undefined) return grant(step, waiter, idle);
      }
      if (step.state.waiters.length >= this.#config.maxWaiters) {
        return reject(step, waiter, { kind: "waitQueueFull", maxWaiters: this.#config.maxWaiters });
      }
      step.state.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        step.out.push({
          type: "armTimer",
          timer: { kind: "acquire", waiterId, timeoutMs },
          delayMs: timeoutMs,
        });
      }
    });
  }

  /** A caller sends a request on `route` (multiplexed mode). */
  send(now: number, waiterId: number, route: Route): Command[] {
    return this.#run(now, (step) => {
      const waiter: Waiter = {
        id: waiterId,
        route,
        timeoutMs: undefined,
        startedAt: now,
        establishing: undefined,
      };
      step.state.populatedRoutes.add(route);
      const refusal = this.#refusal();
      if (refusal !== undefined) return reject(step, waiter, refusal);
      step.state.sends.push(waiter);
    });
  }

  /** The request `waiterId` wrote to `connectionId` settled. */
  requestSettled(now: number, connectionId: number, waiterId: number): Command[] {
    return this.#run(now, (step) => settleRequest(step, connectionId, waiterId));
  }

  /** The holder of `leaseId` gives its connection back. */
  release(now: number, leaseId: number, facts: ReleaseFacts): Command[] {
    return this.#run(now, (step) => leaseReturned(step, leaseId, facts));
  }

  /** The connect of `connectionId` produced socket `socketId`. */
  connected(now: number, connectionId: number, socketId: SocketId): Command[] {
    return this.#run(now, (step) => connectionReady(step, connectionId, socketId));
  }

  /** The connect of `connectionId` failed with the network's `cause`. */
  connectFailed(now: number, connectionId: number, cause: unknown): Command[] {
    return this.#run(now, (step) => connectFailed(step, connectionId, { kind: "connect", cause }));
  }

  /** The server half-closed the socket of `connectionId`. */
  halfClosed(now: number, connectionId: number): Command[] {
    return this.#run(now, (step) => connectionHalfClosed(step, connectionId));
  }

  /** The socket of `connectionId` closed and the pool did not close it. */
  socketClosed(now: number, connectionId: number, by: ClosedBy): Command[] {
    return this.#run(now, (step) => connectionLost(step, connectionId, by));
  }

  /** A timer the core armed fired. */
  timerFired(now: number, timer: PoolTimer): Command[] {
    return this.#run(now, (step) => {
      switch (timer.kind) {
        case "acquire": {
          const waiter = step.state.waiters.find((queued) => queued.id === timer.waiterId);
          if (waiter) reject(step, waiter, { kind: "timeout", timeoutMs: timer.timeoutMs });
          return;
        }
        case "connect":
          return connectFailed(step, timer.connectionId, {
            kind: "connect",
            timeoutMs: this.#config.connectTimeoutMs,
          });
        case "request":
          return requestTimedOut(step, timer.connectionId, timer.waiterId);
        case "evictor":
          return runEvictor(step);
        case "idleSweep":
          step.state.sweepAt = undefined;
          return;
        case "backoff":
          return; // serving at the end of the step retries the route
        case "populate":
          return populate(step);
      }
    });
  }

  /** Close idle connections idle for at least `idleMs`. */
  closeIdle(now: number, idleMs: number): Command[] {
    return this.#run(now, (step) => closeIdle(step, idleMs, false));
  }

  /** Close idle connections past their deadline. */
  closeExpired(now: number): Command[] {
    return this.#run(now, (step) => closeExpired(step));
  }

  /**
   * CMAP clear: new generation, fail every waiter, pause; with
   * `interruptInUse`, close in-use and connecting connections at once.
   */
  clear(now: number, interruptInUse = false): Command[] {
    return this.#run(now, (step) => clearPool(step, interruptInUse));
  }

  /** CMAP ready: a paused pool serves (and populates) again. */
  ready(now: number): Command[] {
    return this.#run(now, (step) => {
      if (step.state.status !== "paused") return;
      step.state.status = "ready";
      emit(step, { type: "PoolReady" });
    });
  }

  /**
   * Close the pool (CLS-1, CLS-2): fail every caller, close idle connections
   * and abort connects now, leased ones on release; the facade's close
   * resolves on the `drained` command.
   */
  close(now: number): Command[] {
    return this.#run(now, (step) => {
      const { state } = step;
      if (state.status === "closed") return;
      state.status = "closed";
      rejectAll(step, { kind: "poolClosed" });
      for (const entry of [...state.entries.values()]) {
        if (entry.state !== "leased") discard(step, entry, "poolClosed");
      }
      for (const route of state.backoff.keys()) {
        step.out.push({ type: "cancelTimer", timer: { kind: "backoff", route } });
      }
      step.out.push({ type: "cancelTimer", timer: { kind: "evictor" } });
      step.out.push({ type: "cancelTimer", timer: { kind: "idleSweep" } });
      state.sweepAt = undefined;
      if (state.populateArmed) {
        state.populateArmed = false;
        step.out.push({ type: "cancelTimer", timer: { kind: "populate" } });
      }
      emit(step, { type: "PoolClosed" });
      if (state.entries.size === 0) step.out.push({ type: "drained" });
    });
  }

  /** Leased, available, pending, connecting and max, per route and in total. */
  stats(): PoolStats {
    return poolStats(this.#state, this.#config);
  }

  #refusal(): Failure | undefined {
    const { status, generation } = this.#state;
    if (status === "closed") return { kind: "poolClosed" };
    if (status === "paused") return { kind: "poolCleared", generation };
    return undefined;
  }

  /**
   * One step: apply the event, then serve whoever can be served, then re-arm
   * the idle sweep and the background population.
   */
  #run(now: number, event: (step: Step) => void): Command[] {
    const step: Step = {
      state: this.#state,
      config: this.#config,
      now,
      out: [],
      probe: this.#probe,
    };
    event(step);
    if (this.#config.multiplexed) {
      closeDrainedStale(step);
      pumpSends(step);
    } else {
      serveWaiters(step);
    }
    sweepIdle(step);
    schedulePopulation(step);
    return step.out;
  }
}
