/**
 * The reference pool built from the CMAP preset as CMAP creates pools:
 * paused until `ready()`. For CMAP's scenario files (`poolcheck cmap`),
 * which mark the pool ready themselves; the property-based harness runs
 * the same preset as `cmapPresetAdapter`.
 *
 * @module
 */
import type { Adapter } from "../../src/harness/adapter.ts";
import { cmapPreset, type Lease, ReferencePool } from "../../src/pool/mod.ts";
import { wrapReferencePool } from "./adapter.ts";
import { CMAP_SUPPORTS } from "./presets.ts";

/**
 * The CMAP preset pool, paused until `ready()`, with connects owned by their
 * check-out; it also takes CMAP's `waitQueueTimeoutMS` (the acquire timeout)
 * and `maxIdleTimeMS` (enforced at check-out), which scenario files set.
 */
export const cmapPausedAdapter: Adapter<Lease> = {
  name: "reference-cmap-paused",
  supports: {
    ...CMAP_SUPPORTS,
    capabilities: [...CMAP_SUPPORTS.capabilities, "acquireTimeout", "maxIdle"],
    // Scenario files set their own sizes and timeouts; these bound what the adapter takes.
    ranges: {
      ...CMAP_SUPPORTS.ranges,
      maxTotal: [1, 100],
      maxPerRoute: [1, 100],
      maxConnecting: [1, 10],
      minPoolSize: [0, 10],
      acquireTimeoutMs: [1, 1_000],
      maxIdleMs: [1, 1_000],
    },
    policies: { ...CMAP_SUPPORTS.policies, startsPaused: true, connectOwnership: "acquire" },
  },
  create: (config, world) =>
    wrapReferencePool(
      new ReferencePool({
        ...cmapPreset,
        clock: world.clock,
        connect: world.network.connect.bind(world.network),
        random: world.random,
        maxTotal: config.maxTotal,
        maxPerRoute: config.maxPerRoute,
        maxConnecting: config.maxConnecting ?? cmapPreset.maxConnecting!,
        minPoolSize: config.minPoolSize ?? 0,
        minPoolRoutes: config.routes,
        connectionsMaxIdleMs: config.maxIdleMs ?? Infinity,
      }),
    ),
};
