import { describeValue } from "./_validate.ts";
import type { PoolEvent, PoolEventType } from "./events.ts";

/** Listeners per event type. */
export class EventHub {
  readonly #listeners = new Map<PoolEventType, Set<(event: PoolEvent) => void>>();
  readonly #any: ((event: PoolEvent) => void)[] = [];

  /** Add a listener for every event type (the pool's `onEvent` option). */
  onAny(listener: (event: PoolEvent) => void): void {
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot create pool as 'onEvent' must be a function: current value is ${
          describeValue(listener)
        }`,
      );
    }
    this.#any.push(listener);
  }

  /** Add a listener; returns the function that removes it. */
  on(type: PoolEventType, listener: (event: PoolEvent) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot listen as 'listener' must be a function: current value is ${
          describeValue(listener)
        }`,
      );
    }
    let listeners = this.#listeners.get(type);
    if (listeners === undefined) this.#listeners.set(type, listeners = new Set());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }

  /** Call the `onEvent` listener, then the event's listeners in the order they were added. */
  emit(event: PoolEvent): void {
    for (const listener of [...this.#any, ...this.#listeners.get(event.type) ?? []]) {
      try {
        listener(event);
      } catch (error) {
        // A faulty listener must not leave the pool half-way through a step.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
