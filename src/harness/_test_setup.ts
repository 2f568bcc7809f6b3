/** Helpers for the harness's tests: run setups spelled by what sets them apart. */
import type { PoolConfig } from "./adapter.ts";
import { poolConfigOf } from "./pool_config.ts";
import type { RunSetup } from "./run_view.ts";

/** Fields of a {@linkcode RunSetup} to set; `config` names only the options to change. */
export type SetupOverrides = Partial<Omit<RunSetup, "config">> & {
  readonly config?: Partial<PoolConfig>;
};

/**
 * A calm, light run setup on one route with no latency, no keep-alive hint
 * and no acquire timeout, changed by `overrides`.
 *
 * @param overrides Fields to set; `config` goes through {@linkcode poolConfigOf}.
 * @returns The setup.
 *
 * @example A setup with timed acquires on two routes
 * ```ts
 * import assert from "node:assert/strict";
 * import { setupOf } from "./_test_setup.ts";
 *
 * const setup = setupOf({ config: { routes: ["r0", "r1"] }, acquireTimeoutMs: 10 });
 * assert.deepEqual(setup.config.routes, ["r0", "r1"]);
 * assert.equal(setup.config.maxTotal, 2);
 * assert.equal(setup.acquireTimeoutMs, 10);
 * assert.equal(setup.faults, false);
 * ```
 */
export function setupOf(overrides: SetupOverrides = {}): RunSetup {
  const { config, ...fields } = overrides;
  return {
    config: poolConfigOf(config),
    acquireTimeoutMs: undefined,
    keepAliveHintMs: undefined,
    keepAliveMax: undefined,
    serverHint: undefined,
    connectLatencyMs: 0,
    responseLatencyMs: 0,
    randomSeed: 1,
    faults: false,
    heavy: false,
    ...fields,
  };
}
