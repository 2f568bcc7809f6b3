import { RuleViolation } from "./rule.ts";

/** What to do when a tracked operation settles. */
export interface OperationHandlers<T> {
  /** Called with the value it fulfilled with (or returned). */
  readonly ok?: (value: T) => void;
  /** Called with the reason it rejected with (or threw). */
  readonly err?: (error: unknown) => void;
}

/**
 * The operations a run started on the pool and that have not settled yet.
 * A call that returns a promise is tracked until it settles; every
 * settlement counts as activity, which is what the settle loop watches.
 * Once the run has ended, late settlements are ignored.
 */
export class Operations {
  #pending = new Map<number, string>();
  #next = 1;
  #closing = 0;
  #activity = 0;
  #calls = 0;
  #ended = false;

  /** Settlements and recorded events so far; grows whenever something happens. */
  get activity(): number {
    return this.#activity;
  }

  /** Calls into the pool so far (tracked or not); grows whenever pool code may have run. */
  get calls(): number {
    return this.#calls;
  }

  /** Count a call into the pool made without {@linkcode Operations.track}. */
  called(): void {
    this.#calls++;
  }

  /** `close()` calls not yet settled. */
  get closing(): number {
    return this.#closing;
  }

  /** Number of operations not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Count one event the run recorded. */
  touch(): void {
    this.#activity++;
  }

  /** Ignore every settlement from now on. */
  end(): void {
    this.#ended = true;
  }

  /** Labels of the operations not yet settled. */
  labels(): string[] {
    return [...this.#pending.values()];
  }

  /**
   * Call the pool and route its outcome to the handlers, synchronously for a
   * plain value or a throw, on settlement for a promise.
   *
   * @throws {RuleViolation} Rethrown when the call itself throws one.
   */
  track<T>(
    label: string,
    call: () => T | Promise<T>,
    handlers: OperationHandlers<T>,
    closing = false,
  ): void {
    let result: T | Promise<T>;
    this.#calls++;
    try {
      result = call();
    } catch (error) {
      if (error instanceof RuleViolation) throw error;
      handlers.err?.(error);
      return;
    }
    if (!(result instanceof Promise)) {
      handlers.ok?.(result);
      return;
    }
    const id = this.#next++;
    this.#pending.set(id, label);
    if (closing) this.#closing++;
    const done = () => {
      this.#pending.delete(id);
      if (closing) this.#closing--;
      this.#activity++;
    };
    result.then(
      (value) => {
        if (this.#ended) return;
        done();
        handlers.ok?.(value);
      },
      (error) => {
        if (this.#ended) return;
        done();
        handlers.err?.(error);
      },
    );
  }
}
