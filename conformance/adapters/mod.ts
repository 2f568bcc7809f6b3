/**
 * The adapters bundled with the kit: the reference pool (leasing and
 * multiplexed) and the pools people run: generic-pool, tarn, sequelize-pool,
 * pg-pool, undici's Pool and Agent, node:http's Agent, agentkeepalive, the
 * MongoDB Node.js driver's connection pool and kafkajs's broker connections.
 *
 * @module
 */
import type { Adapter } from "../../src/harness/adapter.ts";
import { referenceAdapter, referenceMultiplexedAdapter } from "../reference/adapter.ts";
import { agentkeepaliveAdapter } from "./agentkeepalive.ts";
import { genericPoolAdapter } from "./generic_pool.ts";
import { mongodbAdapter } from "./mongodb.ts";
import { kafkajsAdapter } from "./kafkajs.ts";
import { nodeHttpAgentAdapter } from "./node_http_agent.ts";
import { pgPoolAdapter } from "./pg_pool.ts";
import { sequelizePoolAdapter } from "./sequelize_pool.ts";
import { tarnAdapter } from "./tarn.ts";
import { undiciAgentAdapter } from "./undici_agent.ts";
import { undiciPoolAdapter } from "./undici_pool.ts";

export {
  agentkeepaliveAdapter,
  genericPoolAdapter,
  kafkajsAdapter,
  mongodbAdapter,
  nodeHttpAgentAdapter,
  pgPoolAdapter,
  referenceAdapter,
  referenceMultiplexedAdapter,
  sequelizePoolAdapter,
  tarnAdapter,
  undiciAgentAdapter,
  undiciPoolAdapter,
};

/** Every bundled adapter, the reference pool first. */
export const BUNDLED_ADAPTERS: readonly Adapter<unknown>[] = Object.freeze([
  referenceAdapter,
  referenceMultiplexedAdapter,
  genericPoolAdapter,
  tarnAdapter,
  sequelizePoolAdapter,
  pgPoolAdapter,
  undiciPoolAdapter,
  undiciAgentAdapter,
  nodeHttpAgentAdapter,
  agentkeepaliveAdapter,
  mongodbAdapter,
  kafkajsAdapter,
] as Adapter<unknown>[]);

/**
 * The adapters a run without `--adapter` judges: every bundled adapter. Each
 * third-party adapter's known deviations are listed in its expectation file
 * (`conformance/expectations/<name>.json`), so a default run exits 0 exactly
 * when every pool behaves as recorded.
 */
export const DEFAULT_ADAPTERS: readonly Adapter<unknown>[] = BUNDLED_ADAPTERS;

/**
 * Look up a bundled adapter by name.
 *
 * @param name The adapter's `name`, e.g. `"tarn"`.
 * @returns The adapter, or `undefined` when none has that name.
 */
export function bundledAdapter(name: string): Adapter<unknown> | undefined {
  return BUNDLED_ADAPTERS.find((adapter) => adapter.name === name);
}
