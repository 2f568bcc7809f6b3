/**
 * A small deterministic pseudo-random source (mulberry32): the same seed gives
 * the same sequence, so backoff jitter and the harness's draws are
 * reproducible run after run. It lives below both the pool and the harness,
 * so neither imports the other for it.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning numbers in [0, 1).
 * @throws {TypeError} If `seed` is not an integer.
 *
 * @example Two sources with one seed agree
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 *
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * const first = a();
 * assert.equal(first, b());
 * assert.ok(first >= 0 && first < 1);
 * ```
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create random source as 'seed' must be an integer: current value is ${String(seed)}`,
    );
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
