import type { Supports } from "../adapter.ts";

/** Rules about exclusive leases apply to pools that lease whole connections. */
export const NOT_MULTIPLEXED = {
  text: "the pool leases whole connections (not multiplexed)",
  test: (supports: Supports): boolean => !supports.capabilities.includes("multiplexed"),
};
