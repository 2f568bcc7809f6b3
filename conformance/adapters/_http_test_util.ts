/**
 * Test helpers for the HTTP adapters: a world on faked global time, and a
 * settle loop that lets streams, microtasks and due timers run.
 *
 * @module
 */
import { GlobalTimeDriver, realTimers } from "../../src/clock/mod.ts";
import { SimNetwork } from "../../src/net/mod.ts";
import type { World } from "../../src/harness/adapter.ts";
import type { LedgerEvent } from "../../src/net/types.ts";

/**
 * Epoch the faked `Date.now()` starts at. Not 0: undici's `clientTtl` stamps a
 * client with `Date.now()` at connect and skips a falsy stamp, so a connect at
 * epoch 0 would never expire.
 */
export const FAKE_EPOCH = 1_700_000_000_000;

/** A world on faked global time, uninstalled whatever `body` does. */
export async function withWorld(
  body: (world: World, driver: GlobalTimeDriver) => Promise<void>,
  before: () => void = () => {},
): Promise<void> {
  before();
  const driver = GlobalTimeDriver.install({ start: FAKE_EPOCH });
  try {
    const network = new SimNetwork({ clock: driver });
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    await body({ clock: driver, network, random }, driver);
  } finally {
    driver.uninstall();
  }
}

/** One real turn of the event loop (not a sleep: no real time is waited for). */
export function turn(): Promise<void> {
  return new Promise((resolve) => realTimers.setImmediate(resolve));
}

/**
 * Let streams and promises run, and run timers due now, until quiet. A 0 ms
 * timer armed while a fake timer runs is due 1 ms later (fake-timers adds a
 * millisecond during a tick), so a timer due in 1 ms is run too.
 */
export async function settle(driver: GlobalTimeDriver, rounds = 200): Promise<void> {
  for (let quiet = 0, i = 0; quiet < 3 && i < rounds; i++) {
    await turn();
    let ran = driver.runDue();
    if (ran === 0 && driver.nextDeadline() === driver.now() + 1) {
      driver.advance(1);
      ran = 1;
    }
    quiet = ran === 0 ? quiet + 1 : 0;
  }
}

/** Advance virtual time in steps, settling after each. */
export async function advance(driver: GlobalTimeDriver, ms: number, step = 100): Promise<void> {
  for (let left = ms; left > 0; left -= step) {
    driver.advance(Math.min(step, left));
    await settle(driver);
  }
}

/** Ledger as compact lines: `t type #socket extra`. */
export function trace(events: readonly LedgerEvent[]): string[] {
  return events.map((event) => {
    const { seq: _seq, t, type, socketId, route: _route, ...rest } = event;
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
    return `${t} ${type} #${socketId}${extra ? " " + extra : ""}`;
  });
}

/** Settle a promise's state without awaiting it forever. */
export function track<T>(
  promise: Promise<T>,
): { state: "pending" | "resolved" | "rejected"; value?: T; error?: unknown } {
  const box: { state: "pending" | "resolved" | "rejected"; value?: T; error?: unknown } = {
    state: "pending",
  };
  promise.then((value) => {
    box.state = "resolved";
    box.value = value;
  }, (error) => {
    box.state = "rejected";
    box.error = error;
  });
  return box;
}
