import type { DrivableClock } from "../clock/types.ts";
import type { PoolUnderTest } from "../harness/adapter.ts";
import { type Driver, StuckError } from "./_driver.ts";
import type { CmapOperation } from "./format.ts";
import type { ObservedEvent } from "./match.ts";
import { CMAP_ROUTE, type ScenarioPlan } from "./plan.ts";

/** Virtual time a `waitForEvent` without a timeout of its own waits, ms. */
export const WAIT_FOR_EVENT_MS = 10_000;
/** Virtual time the main thread waits for any other operation, ms. */
export const OPERATION_LIMIT_MS = 60_000;

interface Thread {
  tail: Promise<void>;
  failure: { readonly error: unknown } | undefined;
}

/** The error that ended the main thread, and the operation that raised it. */
export interface MainFailure {
  readonly error: unknown;
  readonly index: number;
  readonly op: CmapOperation;
}

/** An operation, readable in a report line. */
export function operationText(op: CmapOperation, index: number): string {
  const { name, thread, ...rest } = op;
  const args = Object.keys(rest).length === 0 ? "" : ` ${JSON.stringify(rest)}`;
  return `operation ${index + 1} (${name}${args}${thread === undefined ? "" : ` in ${thread}`})`;
}

/** An error, readable in a report line: its name, code and message. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === "string" ? ` [${code}]` : ""}: ${error.message}`;
}

/** Virtual time the main thread gives an operation: its own wait, and the general limit. */
function limitOf(op: CmapOperation): number {
  const own = op.name === "wait"
    ? op.ms
    : op.name === "waitForEvent"
    ? op.timeout ?? WAIT_FOR_EVENT_MS
    : 0;
  return own + OPERATION_LIMIT_MS;
}

/**
 * One scenario in progress on one pool: the threads, the labelled leases,
 * the events observed, and each operation carried out on the pool.
 */
export class Execution {
  readonly observed: ObservedEvent[] = [];
  readonly #threads = new Map<string, Thread>();
  readonly #labels = new Map<string, unknown>();
  readonly #watchers = new Set<() => void>();
  #settled = 0;
  #ended = false;

  constructor(
    readonly pool: PoolUnderTest,
    readonly plan: ScenarioPlan,
    readonly clock: DrivableClock,
    readonly driver: Driver,
  ) {}

  get activity(): number {
    return this.observed.length + this.#settled;
  }

  record(event: ObservedEvent): void {
    if (this.#ended) return;
    this.observed.push(event);
    for (const watcher of [...this.#watchers]) watcher();
  }

  end(): void {
    this.#ended = true;
  }

  count(type: string): number {
    return this.observed.filter((event) => event.type === type).length;
  }

  /** Run the operations; the main thread's failure, if any, ends them. */
  async run(operations: readonly CmapOperation[]): Promise<MainFailure | undefined> {
    for (const [index, op] of operations.entries()) {
      if (index === 0 && this.plan.skipLeadingReady) continue;
      if (op.thread !== undefined) {
        this.#enqueue(op.thread, op);
        await this.driver.quiesce();
        continue;
      }
      let done = false;
      const running = this.#exec(op).finally(() => {
        done = true;
      });
      running.catch(() => {});
      try {
        await this.driver.until(() => done, operationText(op, index), limitOf(op));
        await running;
      } catch (error) {
        return { error, index, op };
      }
    }
    await this.driver.quiesce();
    return undefined;
  }

  #enqueue(name: string, op: CmapOperation): void {
    const thread = this.#threads.get(name)!;
    thread.tail = thread.tail.then(async () => {
      if (thread.failure !== undefined) return;
      try {
        await this.#exec(op);
      } catch (error) {
        thread.failure = { error };
      }
    });
  }

  async #exec(op: CmapOperation): Promise<void> {
    try {
      await this.#perform(op);
    } finally {
      this.#settled++;
    }
  }

  async #perform(op: CmapOperation): Promise<void> {
    const { pool, clock } = this;
    switch (op.name) {
      case "start":
        this.#threads.set(op.target, { tail: Promise.resolve(), failure: undefined });
        return;
      case "wait":
        return await new Promise<void>((resolve) => clock.setTimer(op.ms, resolve));
      case "waitForThread": {
        const thread = this.#threads.get(op.target)!;
        await thread.tail;
        if (thread.failure !== undefined) throw thread.failure.error;
        return;
      }
      case "waitForEvent":
        return await this.#waitForEvent(op.event, op.count, op.timeout ?? WAIT_FOR_EVENT_MS);
      case "checkOut": {
        const { acquireTimeoutMs } = this.plan;
        const lease = await pool.acquire(
          CMAP_ROUTE,
          acquireTimeoutMs === undefined ? {} : { timeoutMs: acquireTimeoutMs },
        );
        if (op.label !== undefined) this.#labels.set(op.label, lease);
        return;
      }
      case "checkIn": {
        if (!this.#labels.has(op.connection)) {
          throw new Error(
            `no connection is labelled '${op.connection}': its checkOut has not completed`,
          );
        }
        return await pool.release(this.#labels.get(op.connection), { reusable: true });
      }
      case "clear": {
        const clear = pool.clear as (options?: { interruptInUseConnections: boolean }) => unknown;
        await (op.interruptInUseConnections === true
          ? clear.call(pool, { interruptInUseConnections: true })
          : clear.call(pool));
        return;
      }
      case "close": {
        // CMAP's close marks the pool closed; the kit's may resolve only once every lease is back.
        const closing = Promise.resolve().then(() => pool.close());
        closing.catch(() => {});
        return;
      }
      case "ready":
        await pool.ready!();
        return;
    }
  }

  #waitForEvent(type: string, count: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.count(type) >= count) return resolve();
      const watcher = () => {
        if (this.count(type) < count) return;
        this.#watchers.delete(watcher);
        this.clock.clearTimer(timer);
        resolve();
      };
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.#watchers.delete(watcher);
        reject(
          new StuckError(
            `waitForEvent ${type} x${count} timed out after ${timeoutMs} ms (saw ${
              this.count(type)
            })`,
          ),
        );
      });
      this.#watchers.add(watcher);
    });
  }
}
