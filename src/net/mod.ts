/**
 * The simulated network the kit runs pools against: endpoints per route,
 * sockets with faults, all on a virtual clock, and the {@linkcode Ledger}
 * that records what happened on the wire for the rules to judge.
 *
 * @example A server that closes idle sockets after its keep-alive
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "../clock/mod.ts";
 * import { SimNetwork } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * const network = new SimNetwork({ clock, defaults: { serverIdleTimeoutMs: 5_000 } });
 * const connecting = network.connect("api");
 * clock.runDue();
 * const socket = await connecting;
 * clock.advance(5_000);
 * assert.equal(socket.state, "half-closed");
 * assert.equal(socket.isStale(), true);
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export { type Closure, Ledger, type SocketFilter, type UnnumberedEvent } from "./ledger.ts";
export { type ConnectOptions, SimNetwork, type SimNetworkOptions } from "./sim_network.ts";
export type { SimSocket } from "./sim_socket.ts";
export type * from "./types.ts";
