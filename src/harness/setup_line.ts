import { printValue } from "./invalid_arguments.ts";
import type { RunSetup } from "./run_view.ts";

function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${value} ms`;
}

/**
 * The drawn parameters of a counterexample on one line: the pool config
 * (routes, limits, timeouts), the environment the harness played
 * (latencies, hints, acquire timeout) and the kind of run (faults, load,
 * and the optional kinds of command it drew, with swarm testing).
 * Unset values are left out.
 *
 * @param setup The run's parameters.
 * @returns One line, e.g. `routes r0,r1; maxTotal 2; maxPerRoute 1; …`.
 *
 * @example A counterexample's setup for a reproduction's heading
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolConfigOf } from "./pool_config.ts";
 * import type { RunSetup } from "./run_view.ts";
 * import { setupLine } from "./setup_line.ts";
 *
 * const setup = { config: poolConfigOf({ maxTotal: 3 }) } as unknown as RunSetup;
 * assert.match(setupLine(setup), /maxTotal 3/);
 * ```
 */
export function setupLine(setup: RunSetup): string {
  const { config } = setup;
  const overrides = Object.entries(config.maxPerRouteOverrides ?? {})
    .map(([route, n]) => `${route}=${n}`).join(",");
  const hint = setup.serverHint === undefined ? undefined : [
    setup.serverHint.timeoutMs === undefined ? "" : `timeout=${setup.serverHint.timeoutMs}`,
    setup.serverHint.max === undefined ? "" : `max=${setup.serverHint.max}`,
  ].filter(Boolean).join(", ");
  const fields: [string, string | number | undefined][] = [
    ["routes", config.routes?.join(",")],
    ["maxTotal", config.maxTotal],
    ["maxPerRoute", config.maxPerRoute],
    ["overrides", overrides || undefined],
    ["maxConnecting", config.maxConnecting],
    ["maxWaiters", config.maxWaiters],
    ["maxInFlight", config.maxInFlight],
    ["ttl", ms(config.ttlMs)],
    ["defaultKeepAlive", ms(config.defaultKeepAliveMs)],
    ["honourKeepAliveMax", config.honourKeepAliveMax ? "yes" : undefined],
    ["maxUses", config.maxUses],
    ["validateAfterInactivity", ms(config.validateAfterInactivityMs)],
    ["connectTimeout", ms(config.connectTimeoutMs)],
    ["requestTimeout", ms(config.requestTimeoutMs)],
    ["reconnectBackoff", ms(config.reconnectBackoffMs)],
    ["reconnectBackoffMax", ms(config.reconnectBackoffMaxMs)],
    ["maxIdle", ms(config.maxIdleMs)],
    ["acquireTimeout", ms(setup.acquireTimeoutMs)],
    ["keepAliveHint", ms(setup.keepAliveHintMs)],
    ["keepAliveMax", setup.keepAliveMax],
    ["serverHint", hint],
    [
      setup.invalidOptions?.length === 1 ? "invalidOption" : "invalidOptions",
      setup.invalidOptions === undefined || setup.invalidOptions.length === 0
        ? undefined
        : setup.invalidOptions.map((i) => `${i.option}=${printValue(i.value)}`).join(", "),
    ],
    ["minPoolSize", config.minPoolSize],
    [
      "readyAtStart",
      setup.readyAtStart === undefined ? undefined : setup.readyAtStart ? "yes" : "no",
    ],
    ["connectLatency", ms(setup.connectLatencyMs)],
    ["responseLatency", ms(setup.responseLatencyMs)],
    ["faults", setup.faults === undefined ? undefined : setup.faults ? "yes" : "no"],
    ["load", setup.heavy === undefined ? undefined : setup.heavy ? "heavy" : "light"],
    ["kinds", setup.kinds === undefined ? undefined : setup.kinds.join(", ") || "none"],
  ];
  return fields.filter(([, value]) => value !== undefined).map(([name, value]) =>
    `${name} ${value}`
  )
    .join("; ");
}
