import type { Route } from "../net/types.ts";
import type { Failure } from "./core_state.ts";
import {
  AcquireTimeoutError,
  ConnectError,
  PoolClearedError,
  PoolClosedError,
  RequestTimeoutError,
  WaitQueueFullError,
} from "./errors.ts";

/** A caller whose acquire or send has not settled yet. */
export interface Caller<T> {
  readonly route: Route;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/** Callers by id: registered when they call, taken out when they settle. */
export class CallerTable<T> {
  readonly #callers = new Map<number, Caller<T>>();

  /** Register a caller and return its promise. */
  add(id: number, route: Route): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#callers.set(id, { route, resolve, reject });
    });
  }

  /** Register a caller taken out of another table. */
  put(id: number, caller: Caller<T>): void {
    this.#callers.set(id, caller);
  }

  /** Take a caller out (it is about to settle). */
  take(id: number): Caller<T> | undefined {
    const caller = this.#callers.get(id);
    this.#callers.delete(id);
    return caller;
  }
}

/**
 * The error a caller sees for a failure the core decided on.
 *
 * @param route The caller's route.
 * @param failure What the core decided.
 * @returns The domain error.
 */
export function failureError(route: Route, failure: Failure): Error {
  switch (failure.kind) {
    case "poolClosed":
      return new PoolClosedError(route);
    case "poolCleared":
      return new PoolClearedError(route, failure.generation);
    case "timeout":
      return new AcquireTimeoutError(route, failure.timeoutMs);
    case "requestTimeout":
      return new RequestTimeoutError(route, failure.timeoutMs);
    case "waitQueueFull":
      return new WaitQueueFullError(route, failure.maxWaiters);
    case "connect":
      return new ConnectError(route, {
        ...("cause" in failure ? { cause: failure.cause } : {}),
        ...(failure.timeoutMs === undefined ? {} : { timeoutMs: failure.timeoutMs }),
      });
  }
}
