/**
 * The commands of a run and the arbitrary that draws sequences of them.
 *
 * @module
 */
import fc from "fast-check";
import type { Supports } from "../adapter.ts";
import type { Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import type { RunSetup } from "../run_view.ts";
import { deadlineSteps } from "../setup.ts";
import { AcquireCommand } from "./acquire.ts";
import { AdvanceCommand } from "./advance.ts";
import { AdvanceToDeadlineCommand } from "./advance_to_deadline.ts";
import { ClearCommand } from "./clear.ts";
import { CloseCommand } from "./close.ts";
import { CloseExpiredCommand } from "./close_expired.ts";
import { CloseIdleCommand } from "./close_idle.ts";
import { ConnectFaultCommand } from "./connect_fault.ts";
import { KeepAliveHintCommand } from "./keep_alive_hint.ts";
import { ReleaseCommand } from "./release.ts";
import { ReleaseTwiceCommand } from "./release_twice.ts";
import { RequestCommand } from "./request.ts";
import { ResetCommand } from "./reset.ts";
import { RespondCommand } from "./respond.ts";
import { SendCommand } from "./send.ts";
import { ServerCloseCommand } from "./server_close.ts";

export {
  AcquireCommand,
  AdvanceCommand,
  AdvanceToDeadlineCommand,
  ClearCommand,
  CloseCommand,
  CloseExpiredCommand,
  CloseIdleCommand,
  ConnectFaultCommand,
  KeepAliveHintCommand,
  ReleaseCommand,
  ReleaseTwiceCommand,
  RequestCommand,
  ResetCommand,
  RespondCommand,
  SendCommand,
  ServerCloseCommand,
};

/** A command of a run. */
export type RunCommand = fc.AsyncCommand<Run, Run>;

type Weighted = { arbitrary: fc.Arbitrary<RunCommand>; weight: number };

function timeStep(setup: RunSetup): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...deadlineSteps(setup)), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 3 },
  );
}

function leaseCommands(supports: Supports, setup: RunSetup): Weighted[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const route = routeArbitrary(setup.config.routes);
  // Light runs mostly release the newest lease, so idle sets grow on one route.
  const index = setup.heavy ? fc.nat({ max: 15 }) : fc.nat({ max: 2 });
  const reusable = setup.heavy
    ? fc.boolean()
    : fc.constantFrom(true, true, true, true, true, false);
  const timed = has("acquireTimeout") ? fc.boolean() : fc.constant(false);
  const list: Weighted[] = [
    {
      arbitrary: fc.tuple(route, timed).map(([r, t]) => new AcquireCommand(r, t)),
      weight: setup.heavy ? 12 : 10,
    },
    {
      arbitrary: fc.tuple(
        route,
        timed,
        fc.nat({ max: 5 }),
        fc.constantFrom(-1, 0, 1) as fc.Arbitrary<-1 | 0 | 1>,
      )
        .map(([r, t, index, offset]) => new AcquireCommand(r, t, { index, offset })),
      weight: setup.heavy ? 6 : 4,
    },
    {
      arbitrary: fc.tuple(index, has("releaseBroken") ? reusable : fc.constant(true), fc.boolean())
        .map(([i, reusable, used]) => new ReleaseCommand(i, reusable, used)),
      weight: setup.heavy ? 15 : 18,
    },
    { arbitrary: index.map((i) => new RequestCommand(i)), weight: 5 },
  ];
  if (has("rejectsBadRelease")) {
    list.push({ arbitrary: index.map((i) => new ReleaseTwiceCommand(i)), weight: 2 });
  }
  return list;
}

function hintCommands(setup: RunSetup): Weighted[] {
  const route = routeArbitrary(setup.config.routes);
  const hint = fc.option(
    fc.record({
      timeoutMs: setup.keepAliveHintMs === undefined ? fc.constant(undefined) : fc.constantFrom(
        setup.keepAliveHintMs,
        Math.max(1, setup.keepAliveHintMs - 1),
      ),
      max: setup.keepAliveMax === undefined ? fc.constant(undefined) : fc.constantFrom(
        setup.keepAliveMax,
        Math.max(1, setup.keepAliveMax - 1),
      ),
    }).map((h) => ({
      ...(h.timeoutMs === undefined ? {} : { timeoutMs: h.timeoutMs }),
      ...(h.max === undefined ? {} : { max: h.max }),
    })),
    { nil: undefined },
  );
  return [{
    arbitrary: fc.tuple(route, hint).map(([r, h]) => new KeepAliveHintCommand(r, h)),
    weight: 3,
  }];
}

function faultCommands(setup: RunSetup): Weighted[] {
  const route = routeArbitrary(setup.config.routes);
  const index = fc.nat({ max: 15 });
  const modes = fc.constantFrom("ok", "refuse", "refuse", "hang") as fc.Arbitrary<
    "ok" | "refuse" | "hang"
  >;
  // A hung connect without a connect timeout keeps its slot for good: that
  // asks nothing of the pool a rule could judge, only starves the run.
  const hangs = setup.config.connectTimeoutMs !== undefined;
  return [
    {
      arbitrary: fc.tuple(route, hangs ? modes : fc.constantFrom("ok", "refuse") as typeof modes)
        .map(([r, m]) => new ConnectFaultCommand(r, m)),
      weight: 3,
    },
    { arbitrary: index.map((i) => new ServerCloseCommand(i)), weight: 3 },
    { arbitrary: index.map((i) => new ResetCommand(i)), weight: 2 },
  ];
}

/** Calm runs evict too (eviction is a reuse path, not a fault), less often. */
function evictionCommands(supports: Supports): Template[] {
  const list: Template[] = [];
  if (supports.capabilities.includes("closeIdle")) list.push({ arbitrary: "closeIdle", weight: 1 });
  if (supports.capabilities.includes("closeExpired")) {
    list.push({ arbitrary: fc.constant(new CloseExpiredCommand()), weight: 1 });
  }
  return list;
}

/**
 * A route, the first one as often as all the others together: idle sets,
 * queues and failure streaks build up on one route, while the others still
 * compete with it.
 */
function routeArbitrary(routes: readonly Route[]): fc.Arbitrary<Route> {
  if (routes.length === 1) return fc.constant(routes[0]!);
  return fc.oneof(fc.constant(routes[0]!), fc.constantFrom(...routes.slice(1)));
}

function maintenanceCommands(supports: Supports): Template[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const list: Template[] = [{ arbitrary: fc.constant(new CloseCommand()), weight: 1 }];
  if (has("closeIdle")) list.push({ arbitrary: "closeIdle", weight: 2 });
  if (has("closeExpired")) {
    list.push({ arbitrary: fc.constant(new CloseExpiredCommand()), weight: 2 });
  }
  if (has("clear")) {
    list.push({
      arbitrary: fc.constantFrom("clear", "ready", "ready").map((op) =>
        new ClearCommand(op as "clear" | "ready")
      ),
      weight: 2,
    });
  }
  return list;
}

/**
 * The arbitraries of every command that applies to a pool with this
 * declaration, weighted so that sequences fill pools and queues: acquires
 * and releases dominate, time steps land around every deadline, faults and
 * maintenance are rarer, and `close()` is rare.
 *
 * @param supports The adapter's declaration.
 * @param setup The run's parameters (routes and deadlines).
 * @returns One arbitrary per kind of command, for `fc.commands`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandArbitraries } from "./mod.ts";
 * import type { Supports } from "../adapter.ts";
 * import type { RunSetup } from "../run_view.ts";
 *
 * const supports = { capabilities: [] } as unknown as Supports;
 * const setup = { config: { routes: ["r0"] }, faults: true } as unknown as RunSetup;
 * assert.ok(commandArbitraries(supports, setup).length > 5);
 * ```
 */
export function commandArbitraries(
  supports: Supports,
  setup: RunSetup,
): fc.Arbitrary<RunCommand>[] {
  const time = timeStep(setup);
  const timed: Record<TimedKind, fc.Arbitrary<RunCommand>> = {
    advance: time.map((ms) => new AdvanceCommand(ms)),
    closeIdle: time.map((ms) => new CloseIdleCommand(ms)),
  };
  const list: fc.Arbitrary<RunCommand>[] = [];
  for (const { arbitrary, weight } of untimedCommands(supports, setup)) {
    const resolved = typeof arbitrary === "string" ? timed[arbitrary] : arbitrary;
    for (let i = 0; i < weight; i++) list.push(resolved);
  }
  return list;
}

/** Commands whose arbitrary depends on the run's deadlines, filled in per case. */
type TimedKind = "advance" | "closeIdle";
type Template = { arbitrary: fc.Arbitrary<RunCommand> | TimedKind; weight: number };

/** Shapes kept per declaration and part before that part's cache starts over. */
const CACHE_LIMIT = 256;
const CACHE = new WeakMap<Supports, Map<string, readonly Template[]>>();

/**
 * Arbitraries are stateless, so every case whose part of the setup is the
 * same shares that part's arbitraries instead of building its own. Each part
 * is keyed by only what it depends on, so most cases find every part built.
 */
function cached(
  supports: Supports,
  key: string,
  build: () => readonly Template[],
): readonly Template[] {
  let byShape = CACHE.get(supports);
  if (byShape === undefined) CACHE.set(supports, byShape = new Map());
  let templates = byShape.get(key);
  if (templates === undefined) {
    if (byShape.size >= CACHE_LIMIT) byShape.clear();
    byShape.set(key, templates = build());
  }
  return templates;
}

const CLOCK_COMMANDS: readonly Template[] = [
  { arbitrary: "advance", weight: 8 },
  {
    arbitrary: fc.tuple(fc.nat({ max: 7 }), fc.constantFrom(-1, 0, 1) as fc.Arbitrary<-1 | 0 | 1>)
      .map(([i, offset]) => new AdvanceToDeadlineCommand(i, offset)),
    weight: 10,
  },
];

/** The weighted commands apart from those drawing a time step, in a fixed order. */
function untimedCommands(supports: Supports, setup: RunSetup): readonly Template[] {
  const routes = setup.config.routes.join(",");
  const hints = cached(
    supports,
    `hint|${routes}|${setup.keepAliveHintMs}|${setup.keepAliveMax}`,
    () => hintCommands(setup),
  );
  const faults = setup.faults
    ? cached(
      supports,
      `faults|${routes}|${setup.config.connectTimeoutMs === undefined}`,
      () => [...faultCommands(setup), ...maintenanceCommands(supports)],
    )
    : cached(supports, "calm", () => evictionCommands(supports));
  const load = cached(
    supports,
    `load|${routes}|${setup.heavy}`,
    () => loadCommands(supports, setup),
  );
  return [...CLOCK_COMMANDS, ...hints, ...faults, ...load];
}

function loadCommands(supports: Supports, setup: RunSetup): Template[] {
  if (!supports.capabilities.includes("multiplexed")) return leaseCommands(supports, setup);
  const route = routeArbitrary(setup.config.routes);
  return [
    { arbitrary: route.map((r) => new SendCommand(r)), weight: 18 },
    { arbitrary: fc.nat({ max: 15 }).map((i) => new RespondCommand(i)), weight: 15 },
  ];
}
