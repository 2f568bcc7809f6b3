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
import { invalidArguments, isHeldLeaseCopy } from "../invalid_arguments.ts";
import { AcquireCommand } from "./acquire.ts";
import { AcquireWhenIdleCommand } from "./acquire_when_idle.ts";
import { AdvanceCommand } from "./advance.ts";
import { AdvanceToDeadlineCommand } from "./advance_to_deadline.ts";
import { AdvanceUntilCommand } from "./advance_until.ts";
import { AtTimerCommand, type InstantAction } from "./at_timer.ts";
import { BadCallCommand } from "./bad_call.ts";
import { ClearCommand } from "./clear.ts";
import { CloseCommand } from "./close.ts";
import { CloseExpiredCommand } from "./close_expired.ts";
import { CloseIdleCommand } from "./close_idle.ts";
import { ConnectFaultCommand } from "./connect_fault.ts";
import { KeepAliveHintCommand } from "./keep_alive_hint.ts";
import { LandConnectsCommand } from "./land_connects.ts";
import { ReleaseCommand } from "./release.ts";
import { ReleaseTwiceCommand } from "./release_twice.ts";
import { RequestCommand } from "./request.ts";
import { ResetCommand } from "./reset.ts";
import { RespondCommand } from "./respond.ts";
import { SendCommand } from "./send.ts";
import { ServerCloseCommand } from "./server_close.ts";
import { type CommandKind, FAULT_KINDS } from "./kinds.ts";

export { type CommandKind, FAULT_KINDS, optionalKinds } from "./kinds.ts";
export type { InstantAction, InstantSide } from "./at_timer.ts";
export {
  AcquireCommand,
  AcquireWhenIdleCommand,
  AdvanceCommand,
  AdvanceToDeadlineCommand,
  AdvanceUntilCommand,
  AtTimerCommand,
  ClearCommand,
  CloseCommand,
  CloseExpiredCommand,
  CloseIdleCommand,
  ConnectFaultCommand,
  KeepAliveHintCommand,
  LandConnectsCommand,
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

/** Commands whose arbitrary depends on the run's deadlines, filled in per case. */
type TimedKind = "advance" | "closeIdle" | "closeIdleAt";

/**
 * One kind of command with its weight. `when` says which runs draw it, from
 * the kinds they allow (left out: every run). Templates are built once per
 * shape of setup and shared; only `when` is asked per run.
 */
type Template = {
  readonly arbitrary: fc.Arbitrary<RunCommand> | TimedKind;
  readonly weight: number;
  readonly when?: (kinds: Allowed) => boolean;
};

/** The runs that draw this optional kind. */
function drawing(kind: CommandKind): (kinds: Allowed) => boolean {
  return (kinds) => kinds.has(kind);
}

/**
 * Which optional kinds a run may draw: with swarm testing the setup lists
 * them; without, every kind is allowed and faults and maintenance are drawn
 * in the runs whose setup has `faults` (calm runs still evict, less often).
 */
interface Allowed {
  /** Whether the run draws commands of this kind. */
  has(kind: CommandKind): boolean;
}

const EVERY_KIND: Allowed = { has: () => true };

function allowed(setup: RunSetup): Allowed {
  const kinds = setup.kinds;
  return kinds === undefined ? EVERY_KIND : { has: (kind) => kinds.includes(kind) };
}

function timeStep(setup: RunSetup): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...deadlineSteps(setup)), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 3 },
  );
}

/**
 * A released lease's repeated release: reusable or broken (broken only for
 * pools that take broken releases), whatever form the first release took, so
 * that a destroy is repeated after a destroy (the "double destroy") as well
 * as after a reusable release.
 */
function repeatedReleases(index: fc.Arbitrary<number>, broken: boolean): Template {
  const reusable = broken ? fc.boolean() : fc.constant(true);
  return {
    arbitrary: fc.tuple(index, reusable).map(([i, r]) => new ReleaseTwiceCommand(i, r)),
    weight: 2,
  };
}

function leaseCommands(supports: Supports, setup: RunSetup): Template[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const route = routeArbitrary(setup.config.routes);
  // Light runs mostly release the newest lease, so idle sets grow on one route.
  const index = setup.heavy ? fc.nat({ max: 15 }) : fc.nat({ max: 2 });
  const broken = has("releaseBroken");
  const reusable = !broken
    ? fc.constant(true)
    : setup.heavy
    ? fc.boolean()
    : fc.constantFrom(true, true, true, true, true, false);
  // Acquires are timed in about half the runs' acquires, when the run draws timed ones.
  const acquires = (timed: fc.Arbitrary<boolean>, when: (kinds: Allowed) => boolean) => [
    {
      arbitrary: fc.tuple(route, timed).map(([r, t]) => new AcquireCommand(r, t)),
      weight: (setup.heavy ? 12 : 10) - (keepAlive(setup) ? WHEN_IDLE_WEIGHT : 0),
      when,
    },
    // Where connections have a keep-alive, a few of those acquires first wait for an idle
    // connection's: drawn as they are and in their place, so every other command a seed and path
    // draw is the same whether a run's acquires may wait or not.
    ...(keepAlive(setup)
      ? [{
        arbitrary: fc.tuple(route, timed).map(([r, t]) => new AcquireWhenIdleCommand(r, t)),
        weight: WHEN_IDLE_WEIGHT,
        when,
      }]
      : []),
    {
      arbitrary: fc.tuple(
        route,
        timed,
        fc.nat({ max: 5 }),
        fc.constantFrom(-1, 0, 1) as fc.Arbitrary<-1 | 0 | 1>,
      )
        .map(([r, t, index, offset]) => new AcquireCommand(r, t, { index, offset })),
      weight: setup.heavy ? 6 : 4,
      when,
    },
  ];
  const timed = drawing("timed");
  return [
    ...(has("acquireTimeout")
      ? [
        ...acquires(fc.boolean(), timed),
        ...acquires(fc.constant(false), (kinds) => !timed(kinds)),
      ]
      : acquires(fc.constant(false), () => true)),
    {
      arbitrary: fc.tuple(index, reusable, fc.boolean())
        .map(([i, reusable, used]) => new ReleaseCommand(i, reusable, used)),
      weight: setup.heavy ? 15 : 18,
    },
    { arbitrary: index.map((i) => new RequestCommand(i)), weight: 5, when: drawing("request") },
    repeatedReleases(index, broken),
  ];
}

/** Weight of the acquires that wait for an idle connection's keep-alive, taken from plain acquires. */
const WHEN_IDLE_WEIGHT = 3;

/**
 * Whether connections of the run may have a keep-alive: a default one, or a
 * hint the server may send.
 */
function keepAlive(setup: RunSetup): boolean {
  return setup.config.defaultKeepAliveMs !== undefined || setup.keepAliveHintMs !== undefined;
}

function hintCommands(setup: RunSetup): Template[] {
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
    when: drawing("hint"),
  }];
}

function faultCommands(setup: RunSetup): Template[] {
  const route = routeArbitrary(setup.config.routes);
  const index = fc.nat({ max: 15 });
  // A hung connect without a connect timeout keeps its slot for good: that
  // asks nothing of the pool a rule could judge, only starves the run.
  const canHang = setup.config.connectTimeoutMs !== undefined;
  const hangs = (kinds: Allowed) => canHang && kinds.has("hang");
  const refuses = drawing("refuse");
  const connects = (
    modes: ("ok" | "refuse" | "hang")[],
    when: (kinds: Allowed) => boolean,
  ): Template => ({
    arbitrary: fc.tuple(route, fc.constantFrom(...modes))
      .map(([r, m]) => new ConnectFaultCommand(r, m)),
    weight: 3,
    when,
  });
  return [
    connects(["ok", "refuse", "refuse", "hang"], (k) => refuses(k) && hangs(k)),
    connects(["ok", "refuse"], (k) => refuses(k) && !hangs(k)),
    connects(["ok", "hang"], (k) => !refuses(k) && hangs(k)),
    {
      arbitrary: index.map((i) => new ServerCloseCommand(i)),
      weight: 3,
      when: drawing("serverClose"),
    },
    { arbitrary: index.map((i) => new ResetCommand(i)), weight: 2, when: drawing("reset") },
  ];
}

/** Calls with an invalid argument (CFG-2), for pools that declare the arguments they check. */
function badCallCommands(supports: Supports): Template[] {
  const all = invalidArguments(supports);
  if (all.length === 0) return [];
  const templates: Template[] = [{
    arbitrary: fc.tuple(fc.constantFrom(...all), fc.nat({ max: 3 })).map(([i, index]) =>
      new BadCallCommand(i, index)
    ),
    weight: 1,
    when: drawing("badCall"),
  }];
  // A copy of a held lease, the one flaw a pool can take for the real thing, is drawn as often
  // as all the others together: it does something only while a lease is held.
  const copy = all.find((a) => isHeldLeaseCopy(a.value));
  if (copy !== undefined) {
    templates.push({
      arbitrary: fc.nat({ max: 3 }).map((index) => new BadCallCommand(copy, index)),
      weight: 1,
      when: drawing("badCall"),
    });
  }
  return templates;
}

/** Calm runs evict too (eviction is a reuse path, not a fault), less often. */
function evictionCommands(supports: Supports): Template[] {
  const list: Template[] = [];
  if (supports.capabilities.includes("closeIdle")) {
    list.push({ arbitrary: "closeIdle", weight: 1, when: drawing("closeIdle") });
  }
  if (supports.capabilities.includes("closeExpired")) {
    list.push({
      arbitrary: fc.constant(new CloseExpiredCommand()),
      weight: 1,
      when: drawing("closeExpired"),
    });
  }
  return list;
}

/**
 * A route, the first one as often as all the others together: idle sets,
 * queues and failure streaks build up on one route, while the others still
 * compete with it. A route shrinks towards the first, so a counterexample
 * that needs one route ends with one.
 */
function routeArbitrary(routes: readonly Route[]): fc.Arbitrary<Route> {
  if (routes.length === 1) return fc.constant(routes[0]!);
  return fc.oneof(
    { withCrossShrink: true },
    fc.constant(routes[0]!),
    fc.constantFrom(...routes.slice(1)),
  );
}

/**
 * Same-instant interleavings, in every run (each is a time step with a
 * caller's action, like the time steps and releases): a caller's action in
 * the same macrotask as a timer's callback, before or after it, and connects
 * due at one instant completing in a drawn order, some right after a
 * caller's action at that instant. The actions are those a caller of this
 * pool makes: releases, mostly reusable, and acquires (sends when
 * multiplexed); timed acquires, `clear()` (just before connects land) and
 * `close()` in runs that draw them.
 */
function raceCommands(supports: Supports, setup: RunSetup): Template[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const route = routeArbitrary(setup.config.routes);
  const side = fc.constantFrom("after", "before") as fc.Arbitrary<"after" | "before">;
  const at = (
    action: fc.Arbitrary<InstantAction>,
    weight: number,
    when?: (kinds: Allowed) => boolean,
  ): Template => ({
    // Mostly the next timer: passing instants first may pass the only one armed.
    arbitrary: fc.tuple(side, fc.constantFrom(0, 0, 0, 1), action)
      .map(([s, i, a]) => new AtTimerCommand(s, i, a)),
    weight,
    ...(when === undefined ? {} : { when }),
  });
  const list: Template[] = [];
  // A caller's own actions: a send when multiplexed; else a release, mostly reusable, or an acquire.
  let own: fc.Arbitrary<InstantAction>;
  if (has("multiplexed")) {
    own = route.map((r) => ({ kind: "send", route: r }));
    list.push(at(own, 6));
  } else {
    const reusable = has("releaseBroken")
      ? fc.constantFrom(true, true, true, false)
      : fc.constant(true);
    const release = fc.tuple(fc.nat({ max: 3 }), reusable)
      .map(([index, r]): InstantAction => ({ kind: "release", index, reusable: r }));
    const acquire = (timed: fc.Arbitrary<boolean>) =>
      fc.tuple(route, timed).map(([r, t]): InstantAction => ({
        kind: "acquire",
        route: r,
        timed: t,
      }));
    own = fc.oneof(release, acquire(fc.constant(false)));
    const timed = drawing("timed");
    list.push(at(release, RACE_WEIGHT.release));
    if (has("acquireTimeout")) {
      list.push(at(acquire(fc.boolean()), RACE_WEIGHT.acquire, timed));
      list.push(at(acquire(fc.constant(false)), RACE_WEIGHT.acquire, (k) => !timed(k)));
    } else list.push(at(acquire(fc.constant(false)), RACE_WEIGHT.acquire));
  }
  const close = fc.constant<InstantAction>({ kind: "close" });
  // Without swarm testing, close() is drawn only in runs with faults, as elsewhere.
  const closes = setup.kinds !== undefined || setup.faults;
  if (closes) list.push(at(close, 1, drawing("close")));
  // Connects landing together in a drawn order, alone or right after a caller's action.
  const land = (
    action: fc.Arbitrary<InstantAction | undefined>,
    weight: number,
    when?: (kinds: Allowed) => boolean,
  ): Template => ({
    arbitrary: fc.tuple(
      fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.nat({ max: 3 }),
      action,
    ).map(([picks, windowMs, a]) => new LandConnectsCommand(picks, windowMs, a)),
    weight,
    ...(when === undefined ? {} : { when }),
  });
  list.push(land(fc.constant(undefined), RACE_WEIGHT.land));
  list.push(land(fc.option(own, { nil: undefined }), RACE_WEIGHT.landAfter));
  if (has("clear")) {
    const interrupt = has("interruptInUse") ? fc.boolean() : fc.constant(false);
    const clear = interrupt.map((i): InstantAction => ({ kind: "clear", interrupt: i }));
    list.push(at(clear, 1, drawing("clear")));
    list.push(land(fc.option(clear, { nil: undefined }), RACE_WEIGHT.landAfter, drawing("clear")));
  }
  if (closes) list.push(land(fc.option(close, { nil: undefined }), 1, drawing("close")));
  return list;
}

/** Weights of the same-instant commands: a release meeting a timer and connects landing together weigh most. */
const RACE_WEIGHT = { release: 12, acquire: 3, land: 12, landAfter: 2 };

function maintenanceCommands(supports: Supports): Template[] {
  const has = (c: Supports["capabilities"][number]) => supports.capabilities.includes(c);
  const list: Template[] = [
    { arbitrary: fc.constant(new CloseCommand()), weight: 1, when: drawing("close") },
  ];
  if (has("closeIdle")) {
    list.push({ arbitrary: "closeIdleAt", weight: 2, when: drawing("closeIdle") });
  }
  if (has("closeExpired")) {
    list.push({
      arbitrary: fc.constant(new CloseExpiredCommand()),
      weight: 2,
      when: drawing("closeExpired"),
    });
  }
  if (has("clear")) {
    // Interrupting clears only for a pool that declares them, so others draw what they always did.
    const ops = has("interruptInUse")
      ? fc.constantFrom("clear", "interrupt", "interrupt", "ready", "ready", "ready")
      : fc.constantFrom("clear", "ready", "ready");
    list.push({
      arbitrary: ops.map((op) =>
        op === "interrupt"
          ? new ClearCommand("clear", true)
          : new ClearCommand(op as "clear" | "ready")
      ),
      weight: 2,
      when: drawing("clear"),
    });
  }
  return list;
}

/**
 * The arbitraries of every command that applies to a pool with this
 * declaration and that the run draws, weighted so that sequences fill pools
 * and queues: acquires and releases dominate, time steps land around every
 * deadline, faults and maintenance are rarer, and `close()` is rare. With
 * swarm testing (the setup lists its `kinds`), the optional kinds the run
 * did not draw are left out and the others share their weight.
 *
 * @param supports The adapter's declaration.
 * @param setup The run's parameters (routes, deadlines, kinds of command).
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
    // In runs with faults, a third of the thresholds are an idle connection's own idle time.
    closeIdleAt: fc.oneof(
      { arbitrary: time.map((ms) => new CloseIdleCommand(ms)), weight: 2 },
      {
        arbitrary: fc.tuple(
          time,
          fc.nat({ max: 3 }),
          fc.constant(0) as fc.Arbitrary<0>,
        ).map(([ms, index, offset]) => new CloseIdleCommand(ms, { index, offset })),
        weight: 1,
      },
    ),
  };
  const list: fc.Arbitrary<RunCommand>[] = [];
  for (const { arbitrary, weight } of untimedCommands(supports, setup)) {
    const resolved = typeof arbitrary === "string" ? timed[arbitrary] : arbitrary;
    for (let i = 0; i < weight; i++) list.push(resolved);
  }
  return list;
}

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

/**
 * The weighted commands apart from those drawing a time step, in a fixed
 * order: the templates of the setup's shape (built once and cached), less
 * those of the optional kinds the run does not draw.
 */
function untimedCommands(supports: Supports, setup: RunSetup): Template[] {
  const routes = setup.config.routes.join(",");
  const hints = cached(
    supports,
    `hint|${routes}|${setup.keepAliveHintMs}|${setup.keepAliveMax}`,
    () => hintCommands(setup),
  );
  const faults = setup.kinds !== undefined || setup.faults
    ? cached(
      supports,
      `faults|${routes}|${setup.config.connectTimeoutMs === undefined}`,
      () => [...faultCommands(setup), ...maintenanceCommands(supports)],
    )
    : cached(supports, "calm", () => evictionCommands(supports));
  const load = cached(
    supports,
    `load|${routes}|${setup.heavy}|${keepAlive(setup)}`,
    () => loadCommands(supports, setup),
  );
  const races = cached(
    supports,
    `races|${routes}|${setup.kinds !== undefined || setup.faults}`,
    () => raceCommands(supports, setup),
  );
  const badCalls = cached(supports, "badCalls", () => badCallCommands(supports));
  const kinds = allowed(setup);
  const list: Template[] = [...CLOCK_COMMANDS];
  for (const part of [hints, faults, load, races, badCalls]) {
    for (const template of part) {
      if (template.when === undefined || template.when(kinds)) list.push(template);
    }
  }
  return list;
}

function loadCommands(supports: Supports, setup: RunSetup): Template[] {
  if (!supports.capabilities.includes("multiplexed")) return leaseCommands(supports, setup);
  const route = routeArbitrary(setup.config.routes);
  return [
    { arbitrary: route.map((r) => new SendCommand(r)), weight: 18 },
    { arbitrary: fc.nat({ max: 15 }).map((i) => new RespondCommand(i)), weight: 15 },
  ];
}

/**
 * Whether every command of a sequence could have been drawn for this setup:
 * its routes are the setup's, and its optional kind is one the setup draws
 * (with swarm testing, one of its `kinds`; without, faults and maintenance
 * only in a run with `faults`). Shrinking uses it to simplify a failing
 * case's setup while keeping its commands.
 *
 * @param commands The commands.
 * @param setup A setup.
 * @returns `true` when the setup fits them all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AcquireCommand, fitsSetup, ServerCloseCommand } from "./mod.ts";
 * import type { RunSetup } from "../run_view.ts";
 *
 * const setup = { config: { routes: ["r0"] }, kinds: ["serverClose"] } as unknown as RunSetup;
 * assert.equal(fitsSetup([new AcquireCommand("r0", false), new ServerCloseCommand(0)], setup), true);
 * assert.equal(fitsSetup([new AcquireCommand("r1", false)], setup), false);
 * assert.equal(fitsSetup([new AcquireCommand("r0", true)], setup), false);
 * ```
 */
export function fitsSetup(commands: readonly RunCommand[], setup: RunSetup): boolean {
  const routes = setup.config.routes;
  const may = (kind: CommandKind) =>
    setup.kinds !== undefined
      ? setup.kinds.includes(kind)
      : setup.faults || !FAULT_KINDS.includes(kind);
  return commands.every((command) => {
    if (command instanceof AtTimerCommand) {
      const { action } = command;
      return (action.kind === "acquire"
        ? routes.includes(action.route) && (!action.timed || may("timed"))
        : action.kind === "send"
        ? routes.includes(action.route)
        : action.kind === "close"
        ? may("close")
        : true);
    }
    if (command instanceof AcquireCommand) {
      return routes.includes(command.route) && (!command.timed || may("timed"));
    }
    if (command instanceof AcquireWhenIdleCommand) {
      return routes.includes(command.route) && (!command.timed || may("timed")) &&
        keepAlive(setup);
    }
    if (command instanceof SendCommand) return routes.includes(command.route);
    if (command instanceof KeepAliveHintCommand) {
      return routes.includes(command.route) && may("hint");
    }
    if (command instanceof ConnectFaultCommand) {
      const hangs = may("hang") && setup.config.connectTimeoutMs !== undefined;
      return routes.includes(command.route) &&
        (command.mode === "refuse"
          ? may("refuse")
          : command.mode === "hang"
          ? hangs
          : may("refuse") || hangs);
    }
    const kind = command instanceof RequestCommand
      ? "request"
      : command instanceof ServerCloseCommand
      ? "serverClose"
      : command instanceof ResetCommand
      ? "reset"
      : command instanceof CloseCommand
      ? "close"
      : command instanceof ClearCommand
      ? "clear"
      : command instanceof CloseIdleCommand
      ? "closeIdle"
      : command instanceof CloseExpiredCommand
      ? "closeExpired"
      : undefined;
    return kind === undefined || may(kind);
  });
}
