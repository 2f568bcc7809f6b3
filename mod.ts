/**
 * poolcheck: a property-based conformance kit for connection pools.
 *
 * @example A virtual clock drives every run
 * ```ts
 * import assert from "node:assert/strict";
 * import { VirtualClock } from "./mod.ts";
 *
 * const clock = new VirtualClock();
 * clock.advance(250);
 * assert.equal(clock.now(), 250);
 * ```
 *
 * @module
 */
export * from "./src/clock/mod.ts";
