/**
 * The kinds of command a run may leave out, for swarm testing (Groce et
 * al., "Swarm testing", ISSTA 2012): each run draws which of them it uses,
 * so that some runs never inject a fault and fill their queues, some only
 * time acquires out, some only close connections under the pool, and so on.
 *
 * @module
 */
import type { Supports } from "../adapter.ts";
import { invalidArguments } from "../invalid_arguments.ts";

/**
 * A kind of command a run may leave out. Acquires, releases in every form
 * (reusable or broken, first or repeated) and the passing of time are in
 * every run, same-instant interleavings included (an action at a timer's
 * instant, connects landing in a drawn order); these are the rest:
 *
 * - `timed`: acquires with the run's acquire timeout (untimed ones are always drawn);
 * - `request`: a request on a held lease's connection;
 * - `hint`: a server starts sending another keep-alive hint;
 * - `closeIdle`, `closeExpired`, `clear`, `close`: the pool's maintenance calls and `close()`;
 * - `refuse`, `hang`: connects to a route are refused, or hang;
 * - `serverClose`, `reset`: the server closes a socket, or the network resets one;
 * - `badCall`: a call with an invalid argument, for a pool that declares the
 *   arguments it checks (CFG-2).
 */
export type CommandKind =
  | "timed"
  | "request"
  | "hint"
  | "closeIdle"
  | "closeExpired"
  | "clear"
  | "close"
  | "refuse"
  | "hang"
  | "serverClose"
  | "reset"
  | "badCall";

/** Kinds that inject faults or disturb the pool from outside (the setup's `faults`). */
export const FAULT_KINDS: readonly CommandKind[] = Object.freeze([
  "clear",
  "close",
  "refuse",
  "hang",
  "serverClose",
  "reset",
]);

/**
 * The kinds a pool with this declaration can be given, in a fixed order (the
 * order in which a run draws them, and in which its setup line lists them).
 *
 * @param supports The adapter's declaration.
 * @returns The applicable kinds.
 *
 * @example A pool without optional capabilities
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionalKinds } from "./kinds.ts";
 * import type { Supports } from "../adapter.ts";
 *
 * const supports = { capabilities: [] } as unknown as Supports;
 * assert.deepEqual(optionalKinds(supports), [
 *   "request", "hint", "close", "refuse", "serverClose", "reset",
 * ]);
 * ```
 */
export function optionalKinds(supports: Supports): CommandKind[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const leasing = !has("multiplexed");
  const kinds: [CommandKind, boolean][] = [
    ["timed", leasing && has("acquireTimeout")],
    ["request", leasing],
    ["hint", true],
    ["closeIdle", has("closeIdle")],
    ["closeExpired", has("closeExpired")],
    ["clear", has("clear")],
    ["close", true],
    ["refuse", true],
    ["hang", has("connectTimeout")],
    ["serverClose", true],
    ["reset", true],
    ["badCall", invalidArguments(supports).length > 0],
  ];
  return kinds.filter(([, applies]) => applies).map(([kind]) => kind);
}
