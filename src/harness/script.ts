/**
 * A case as data: its setup and its commands in a JSON form that replays
 * without the case generator. A seed and a path replay a case only as long
 * as the generator draws the same way; a script replays the same commands
 * after the kit changed how it draws them (new command kinds, new weights),
 * so saved failures keep their meaning across kit versions.
 *
 * Values JSON cannot hold (`Infinity`, `NaN`, `-0`, `undefined`) are written
 * as `{ "$": "Infinity" }` and the like; anything else that is not plain data
 * (a function, a symbol, a bigint) makes the case unscriptable.
 *
 * @module
 */
import {
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
  type RunCommand,
  SendCommand,
  ServerCloseCommand,
} from "./commands/mod.ts";
import { BadCallCommand } from "./commands/bad_call.ts";
import type { RunCase } from "./run_case.ts";
import type { RunSetup } from "./run_view.ts";

/** A case's setup and commands in JSON form (see the module's documentation). */
export interface CaseScript {
  /** The run's parameters, encoded. */
  readonly setup: unknown;
  /** One `{ "command": kind, ...fields }` per command, in order. */
  readonly commands: readonly unknown[];
}

// deno-lint-ignore no-explicit-any
type Fields = Record<string, any>;

/** A command class, and how to build one of its commands from the fields a script gives. */
interface Maker {
  // deno-lint-ignore no-explicit-any
  readonly type: abstract new (...args: any[]) => RunCommand;
  readonly make: (f: Fields) => RunCommand;
}

/**
 * Every command class by the stable name scripts use for it. Commands are
 * built through their constructors (some have private methods), from the
 * fields the constructors set.
 */
const COMMANDS: Readonly<Record<string, Maker>> = Object.freeze({
  acquire: { type: AcquireCommand, make: (f) => new AcquireCommand(f.route, f.timed, f.at) },
  acquireWhenIdle: {
    type: AcquireWhenIdleCommand,
    make: (f) => new AcquireWhenIdleCommand(f.route, f.timed),
  },
  advance: { type: AdvanceCommand, make: (f) => new AdvanceCommand(f.ms) },
  advanceToDeadline: {
    type: AdvanceToDeadlineCommand,
    make: (f) => new AdvanceToDeadlineCommand(f.index, f.offset),
  },
  advanceUntil: { type: AdvanceUntilCommand, make: (f) => new AdvanceUntilCommand(f.t) },
  atTimer: { type: AtTimerCommand, make: (f) => new AtTimerCommand(f.side, f.index, f.action) },
  badCall: { type: BadCallCommand, make: (f) => new BadCallCommand(f.invalid, f.index) },
  clear: { type: ClearCommand, make: (f) => new ClearCommand(f.op, f.interrupt) },
  close: { type: CloseCommand, make: () => new CloseCommand() },
  closeExpired: { type: CloseExpiredCommand, make: () => new CloseExpiredCommand() },
  closeIdle: { type: CloseIdleCommand, make: (f) => new CloseIdleCommand(f.idleMs, f.at) },
  connectFault: {
    type: ConnectFaultCommand,
    make: (f) => new ConnectFaultCommand(f.route, f.mode),
  },
  keepAliveHint: {
    type: KeepAliveHintCommand,
    make: (f) => new KeepAliveHintCommand(f.route, f.hint),
  },
  landConnects: {
    type: LandConnectsCommand,
    make: (f) => new LandConnectsCommand(f.picks, f.windowMs, f.action),
  },
  release: { type: ReleaseCommand, make: (f) => new ReleaseCommand(f.index, f.reusable, f.used) },
  releaseTwice: {
    type: ReleaseTwiceCommand,
    make: (f) => new ReleaseTwiceCommand(f.index, f.reusable),
  },
  request: { type: RequestCommand, make: (f) => new RequestCommand(f.index) },
  reset: { type: ResetCommand, make: (f) => new ResetCommand(f.index) },
  respond: { type: RespondCommand, make: (f) => new RespondCommand(f.index) },
  send: { type: SendCommand, make: (f) => new SendCommand(f.route) },
  serverClose: { type: ServerCloseCommand, make: (f) => new ServerCloseCommand(f.index) },
});

const NAMES = new Map<unknown, string>(
  Object.entries(COMMANDS).map(([name, { type }]) => [type, name]),
);

/** Thrown when a case cannot be written as a script, or a script cannot be read. */
export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScriptError";
  }
}

/**
 * Encode a value as JSON-safe data: numbers JSON cannot hold and
 * `undefined` become `{ "$": … }` tags; arrays and plain objects are
 * encoded member by member (an object's own `undefined` members are kept).
 *
 * @param value Plain data.
 * @param where Where the value sits, for the error.
 * @returns The JSON-safe form.
 * @throws {ScriptError} For a function, symbol, bigint or class instance.
 */
function encode(value: unknown, where: string): unknown {
  if (value === undefined) return { $: "undefined" };
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { $: "NaN" };
    if (value === Infinity) return { $: "Infinity" };
    if (value === -Infinity) return { $: "-Infinity" };
    if (Object.is(value, -0)) return { $: "-0" };
    return value;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${where}[${i}]`));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new ScriptError(`${where} is not plain data (a ${proto?.constructor?.name} object)`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "$") throw new ScriptError(`${where} has a member named "$"`);
      out[key] = encode(v, `${where}.${key}`);
    }
    return out;
  }
  throw new ScriptError(`${where} is not plain data (a ${typeof value})`);
}

const TAGS: Readonly<Record<string, unknown>> = {
  undefined: undefined,
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
  "-0": -0,
};

function decode(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map((v, i) => decode(v, `${where}[${i}]`)));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if ("$" in record) {
    const tag = record.$;
    if (typeof tag !== "string" || !(tag in TAGS) || Object.keys(record).length !== 1) {
      throw new ScriptError(`${where} has an unknown tag ${JSON.stringify(tag)}`);
    }
    return TAGS[tag];
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) out[key] = decode(v, `${where}.${key}`);
  return Object.freeze(out);
}

/**
 * Write a case as a script.
 *
 * @param value The case (its commands are iterated once).
 * @returns The script.
 * @throws {ScriptError} When a command is not one of the kit's, or a value is not plain data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AcquireCommand, AdvanceCommand } from "./commands/mod.ts";
 * import { caseFromScript, caseToScript } from "./script.ts";
 * import type { RunSetup } from "./run_view.ts";
 *
 * const setup = { config: { routes: ["r0"], maxIdleMs: Infinity } } as unknown as RunSetup;
 * const script = caseToScript({
 *   setup,
 *   commands: [new AcquireCommand("r0", false), new AdvanceCommand(5)],
 * });
 * const copy = caseFromScript(JSON.parse(JSON.stringify(script)));
 * assert.equal(copy.setup.config.maxIdleMs, Infinity);
 * assert.deepEqual([...copy.commands].map(String), ['acquire("r0")', "advance(5)"]);
 * ```
 */
export function caseToScript(value: RunCase): CaseScript {
  const commands = [...value.commands].map((command, i) => {
    const name = NAMES.get(Object.getPrototypeOf(command)?.constructor);
    if (name === undefined) {
      throw new ScriptError(`command ${i + 1} (${String(command)}) is not one of the kit's`);
    }
    return { command: name, ...(encode({ ...command }, `command ${i + 1}`) as object) };
  });
  return { setup: encode(value.setup, "setup"), commands };
}

/**
 * What is wrong with the outline of a script read from a file (an object
 * with a `setup` object and a `commands` array), or `undefined`; the
 * commands themselves are checked when the script is replayed.
 *
 * @param script The value read.
 * @returns The problem, naming the value.
 */
export function scriptShapeProblem(script: unknown): string | undefined {
  const s = script as { setup?: unknown; commands?: unknown } | null;
  if (
    s !== null && typeof s === "object" && typeof s.setup === "object" && s.setup !== null &&
    Array.isArray(s.commands)
  ) {
    return undefined;
  }
  return `'script' must be the case as data { setup, commands }: current value is ${
    JSON.stringify(script)?.slice(0, 80)
  }`;
}

/**
 * Read a case back from its script.
 *
 * @param script A script, as {@linkcode caseToScript} wrote it (parsed JSON).
 * @returns The case: the setup and the commands, frozen, ready to run.
 * @throws {ScriptError} When the script is malformed or names a command this kit does not have.
 */
export function caseFromScript(script: unknown): RunCase {
  if (script === null || typeof script !== "object") {
    throw new ScriptError(`a script must be an object: current value is ${String(script)}`);
  }
  const { setup, commands } = script as Record<string, unknown>;
  if (setup === null || typeof setup !== "object") {
    throw new ScriptError("a script's 'setup' must be an object");
  }
  if (!Array.isArray(commands)) throw new ScriptError("a script's 'commands' must be an array");
  const decoded = commands.map((data, i) => {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new ScriptError(`command ${i + 1} must be an object`);
    }
    const { command: name, ...fields } = data as Record<string, unknown>;
    const maker = typeof name === "string" && Object.hasOwn(COMMANDS, name)
      ? COMMANDS[name]
      : undefined;
    if (maker === undefined) {
      throw new ScriptError(
        `command ${i + 1} is of a kind this kit does not have: ${JSON.stringify(name)}`,
      );
    }
    return maker.make(decode(fields, `command ${i + 1}`) as Fields);
  });
  return { setup: decode(setup, "setup") as RunSetup, commands: decoded };
}
