import type { Route } from "../net/types.ts";
import { mayConnect } from "./backoff.ts";
import { countOf, type Step } from "./core_state.ts";
import { connectingCount, openConnection } from "./limits.ts";
import { routeLimit } from "./options.ts";

/*
 * CMAP's minPoolSize, kept by a background task on the pool's clock: while
 * the pool is ready, every route of `minPoolRoutes` and every route a caller
 * has asked for is topped up to
 * `minPoolSize` connections (counting connecting, idle and leased ones),
 * within the route's limit, `maxTotal` and `maxConnecting`, never by closing
 * another route's idle connection. A run opens what it may at once and ends
 * (CMAP: a run does the work at hand, it never waits for more); the next run
 * is armed, with no delay, at the end of any step that leaves work to do, so
 * a connect that completes, a release or a backoff that ends starts one.
 * Callers are served first: a step serves its waiters before it arms a run.
 * A paused or closed pool arms none; clear() and close() cancel the armed one.
 */

/** Whether a background connect to `route` may start now. */
function mayPopulate(step: Step, route: Route): boolean {
  const { state, config } = step;
  const target = Math.min(config.minPoolSize, routeLimit(config, route));
  return state.status === "ready" && mayConnect(step, route) &&
    countOf(state, route) < target &&
    connectingCount(step) < config.maxConnecting &&
    state.entries.size < config.maxTotal;
}

/**
 * One background run: open connections towards `minPoolSize` on every used
 * route, as far as the limits allow now.
 *
 * @param step The current step.
 */
export function populate(step: Step): void {
  step.state.populateArmed = false;
  for (const route of step.state.populatedRoutes) {
    while (mayPopulate(step, route)) openConnection(step, route, { populating: true });
  }
}

/**
 * Arm the next background run if some used route is below `minPoolSize` and
 * a connect to it may start now.
 *
 * @param step The current step.
 */
export function schedulePopulation(step: Step): void {
  const { state, config } = step;
  if (config.minPoolSize === 0 || state.populateArmed || state.status !== "ready") return;
  for (const route of state.populatedRoutes) {
    if (!mayPopulate(step, route)) continue;
    state.populateArmed = true;
    step.out.push({ type: "armTimer", timer: { kind: "populate" }, delayMs: 0 });
    return;
  }
}
