/** Helpers for the pool's tests: a world on virtual time and ways to drive it. */
import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork } from "../net/sim_network.ts";
import type { EndpointBehaviour } from "../net/types.ts";
import type { PoolEvent, PoolEventType } from "./events.ts";
import type { PoolBehaviourOptions } from "./options.ts";
import { ReferencePool } from "./reference_pool.ts";

const EVENT_TYPES: readonly PoolEventType[] = [
  "PoolCreated",
  "PoolReady",
  "PoolCleared",
  "PoolClosed",
  "ConnectionCreated",
  "ConnectionReady",
  "ConnectionClosed",
  "ConnectionCheckOutStarted",
  "ConnectionCheckOutFailed",
  "ConnectionCheckedOut",
  "ConnectionCheckedIn",
];

/** Let pending promise callbacks run. */
export async function flush(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A clock, a network, a pool on them, and every pool event recorded. */
export interface World {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  readonly pool: ReferencePool;
  readonly events: PoolEvent[];
  /** Run due timers and promise callbacks until nothing more happens now. */
  settle(): Promise<void>;
  /** Move time forward by `ms`, settling at every timer on the way. */
  advance(ms: number): Promise<void>;
  /** Sockets the network sees as live (connecting, open, half-closed). */
  live(route?: string): number[];
}

/** Options for {@linkcode world}. */
export interface WorldOptions extends PoolBehaviourOptions {
  /** Default endpoint behaviour of the network. */
  network?: EndpointBehaviour;
}

/** Build a world; the pool gets `options`. */
export function world(options: WorldOptions = {}): World {
  const { network: defaults = {}, ...behaviour } = options;
  const clock = new VirtualClock();
  const network = new SimNetwork({ clock, defaults });
  const pool = new ReferencePool({ ...behaviour, clock, connect: network.connect.bind(network) });
  const events: PoolEvent[] = [];
  for (const type of EVENT_TYPES) pool.on(type, (event) => events.push(event));
  async function settle(): Promise<void> {
    for (let round = 0; round < 1_000; round++) {
      await flush();
      if (clock.runDue() === 0) {
        await flush();
        if (clock.runDue() === 0) return;
      }
    }
    throw new Error("settle: the world did not come to rest");
  }
  async function advance(ms: number): Promise<void> {
    const target = clock.now() + ms;
    await settle();
    for (let next = clock.nextDeadline(); next !== undefined && next <= target;) {
      clock.advanceTo(next);
      await settle();
      next = clock.nextDeadline();
    }
    clock.advanceTo(target);
    await settle();
  }
  const live = (route?: string) => network.ledger.live(route);
  return { clock, network, pool, events, settle, advance, live };
}

/** Track a promise's outcome without awaiting it. */
export function track<T>(promise: Promise<T>): {
  readonly state: () => "pending" | "fulfilled" | "rejected";
  readonly value: () => T;
  readonly error: () => unknown;
} {
  let state: "pending" | "fulfilled" | "rejected" = "pending";
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => ((state = "fulfilled"), (value = v)),
    (e) => ((state = "rejected"), (error = e)),
  );
  return {
    state: () => state,
    value: () => {
      if (state !== "fulfilled") throw new Error(`promise is ${state}`);
      return value as T;
    },
    error: () => error,
  };
}
