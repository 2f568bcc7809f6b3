/**
 * CFG: configuration. A pool that validates its options refuses an invalid
 * one when it is created.
 *
 * @module
 */
import type { PoolStats } from "../adapter.ts";
import type { ConfigProbe } from "../invalid_options.ts";
import { isHeldLeaseCopy, printValue, showsArgument, valueToken } from "../invalid_arguments.ts";
import type { BadCallRecord, CallerEvent } from "../observations.ts";
import { literal, pattern } from "../_patterns.ts";
import type { RunView } from "../run_view.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";

/**
 * Whether a message names an option: its name as a word of its own (`opt.max`
 * names `max`; `maxTotal` does not).
 *
 * @param message The error's message.
 * @param name The option's name.
 * @returns `true` when named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namesOption } from "./cfg.ts";
 *
 * assert.equal(namesOption("Tarn: opt.max must be an integer > 0", "max"), true);
 * assert.equal(namesOption("'maxTotal' must be positive", "max"), false);
 * ```
 */
export function namesOption(message: string, name: string): boolean {
  return nameWord(name).test(message);
}

/**
 * A name as a word of its own in a message (`flags` `"g"` to replace every
 * one), shared (see `pattern`): a global one is for `replace` only.
 */
function nameWord(name: string, flags = ""): RegExp {
  return pattern(`(?<![\\w$])${literal(name)}(?![\\w$])`, flags);
}

/**
 * Whether a message shows a value so that its type can be told: a number or
 * a boolean as JavaScript prints it, as a token of its own (`-1` is not shown
 * by `-10`, `1.5` not by `11.5`, `NaN` not by `NaNs`); a string in quotes,
 * since `5` alone reads as the number; an object by its content, in JSON or
 * as `util.inspect` prints it, not as `[object Object]`.
 *
 * @param message The error's message.
 * @param value The value offered.
 * @returns `true` when shown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showsValue } from "./cfg.ts";
 *
 * assert.equal(showsValue("current value is NaN", NaN), true);
 * assert.equal(showsValue("invalid opt.idleTimeoutMillis null", NaN), false);
 * assert.equal(showsValue("got -10", -1), false);
 * assert.equal(showsValue('current value is "5"', "5"), true);
 * assert.equal(showsValue("current value is 5", "5"), false);
 * ```
 */
export function showsValue(message: string, value: unknown): boolean {
  return showsArgument(message, value);
}

/**
 * Words and signs that state what a value must be: a type (`integer`,
 * `boolean`, `an object`), a bound or comparison (`positive`, `at least`,
 * `>= 0`), or a list (`one of`). The option's name and the value offered are
 * taken out of the message first, so `true` offered to a flag does not count
 * as the requirement `true or false`.
 */
const REQUIREMENT =
  /(?<![\w$])(?:numbers?|numeric|integers?|int|float|decimal|whole|booleans?|bool|strings?|functions?|callable|objects?|arrays?|lists?|maps?|records?|finite|infinity|positive|negative|non-negative|nonnegative|zero|greater|less|larger|smaller|more|fewer|least|most|between|range|above|below|exceeds?|minimum|maximum|min|max|true|false|one of|either|duration|milliseconds|seconds|ms)(?![\w$])|[<>≤≥]/i;

/** A requirement in words: `must be a Clock`, `expected a Logger`, `requires a host`. */
const REQUIREMENT_PHRASE =
  /(?<![\w$])(?:(?:must|should|has to|have to|needs? to)(?: not)? be|cannot be|can't be|expect(?:ed|s)?|requires?)\s+[a-z]/i;

/**
 * Whether a message says what the option or argument must be, beyond its
 * name and the value offered: a type, a bound, or the list of values allowed
 * (`must be a positive integer`, `expected a boolean`, `must be >= 0`,
 * `must be at most 'maxTotal'`, `one of "lifo", "fifo"`, `must be a Clock`). A message that only
 * calls the value invalid leaves its reader to guess what to write instead.
 *
 * @param message The error's message.
 * @param name The option's or argument's name, as the pool calls it.
 * @param value The value offered.
 * @returns `true` when a requirement is stated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statesRequirement } from "./cfg.ts";
 *
 * assert.equal(statesRequirement("Tarn: opt.max must be an integer > 0", "max", 0), true);
 * assert.equal(statesRequirement("Tarn: invalid opt.createTimeoutMillis null", "createTimeoutMillis", NaN), false);
 * assert.equal(statesRequirement("'flag' must be : current value is true", "flag", true), false);
 * ```
 */
export function statesRequirement(message: string, name: string, value: unknown): boolean {
  const unnamed = message.replace(nameWord(name, "g"), " ");
  // A phrase may end with the value itself: "must not be NaN" says what the option must be.
  if (REQUIREMENT_PHRASE.test(unnamed)) return true;
  let rest = unnamed;
  const forms = typeof value === "string"
    ? [`"${value}"`, `'${value}'`, `\`${value}\``]
    : typeof value === "object" && value !== null
    ? []
    : [String(value)];
  for (const form of forms) {
    rest = rest.replace(valueToken(form, "g"), " ");
  }
  return REQUIREMENT.test(rest);
}

function offered(probe: ConfigProbe): string {
  const { option, value, problem } = probe.invalid;
  const name = probe.poolName === option
    ? `'${option}'`
    : `'${option}' (the pool's '${probe.poolName}')`;
  return `${name} = ${printValue(value)} (${problem})`;
}

/** Every clause the attempt broke, in clause order. */
function breachesOf(probe: ConfigProbe): Breach<"a" | "b" | "c" | "d">[] {
  const what = offered(probe);
  if (probe.outcome !== "rejected") {
    const happened = probe.outcome === "created"
      ? "create() returned a pool"
      : "create() neither returned a pool nor threw, and its promise did not settle";
    return [{ clause: "a", detail: `created with ${what}: ${happened} instead of refusing it` }];
  }
  const found: Breach<"a" | "b" | "c" | "d">[] = [];
  const message = probe.error ?? "";
  const shown = "shown" in probe.invalid ? probe.invalid.shown : probe.invalid.value;
  const missing = [
    namesOption(message, probe.poolName) ? undefined : `the option '${probe.poolName}'`,
    showsValue(message, shown) ? undefined : `the value ${printValue(shown)}`,
  ].filter((part) => part !== undefined);
  if (missing.length > 0) {
    found.push({
      clause: "b",
      detail: `created with ${what}: the error does not name ${missing.join(" or ")}: ${
        JSON.stringify(message)
      }`,
    });
  }
  if (probe.connections > 0 || probe.timers > 0) {
    const left = [
      probe.connections > 0 ? `${probe.connections} connection(s) opened` : undefined,
      probe.timers > 0 ? `${probe.timers} timer(s) left armed` : undefined,
    ].filter((part) => part !== undefined);
    found.push({
      clause: "c",
      detail: `created with ${what}: refused, but with ${left.join(" and ")}`,
    });
  }
  if (!statesRequirement(message, probe.poolName, shown)) {
    found.push({
      clause: "d",
      detail: `created with ${what}: the error does not say what '${probe.poolName}' must be: ${
        JSON.stringify(message)
      }`,
    });
  }
  return found;
}

/**
 * CFG-1: an invalid option is refused when the pool is created, by an error
 * that names the option and the value, and the refusal leaves nothing behind.
 */
export const CFG_1: Rule<"a" | "b" | "c" | "d"> = defineRule({
  id: "CFG-1",
  group: "CFG",
  title:
    "An invalid option is refused at creation, by name, value and requirement, leaving nothing behind",
  rationale:
    'A pool that quietly clamps a limit of 0 to 1, treats a NaN timeout as no timeout or ignores a negative one runs with settings its user never chose, and the mistake surfaces later as an outage rather than at start-up. Refusing the option when the pool is created, in words that name the option, the value received and what the option must be, lets the user fix it at once; opening a connection or arming a timer before refusing leaks them, since the caller never gets a pool to close. The harness offers, in half the runs, one to six options the adapter declares validated, each with a value outside its domain (a count of 0, -1, 1.5 or NaN; a duration of -1 or NaN; Infinity for a backoff or a minimum pool size; a per-route limit or a minimum above the total, a backoff cap below its base; a flag given "true" or 1; the entry of one route in the per-route overrides given any of these, the error then showing that entry, or the overrides given as an array), or a value of the wrong type (a numeric string such as "5", as configuration read from the environment has it, `true`, or an object `{ value: 5 }`), or one of the pool\'s own options (`poolOptions`) with a value the adapter declares invalid, each in a creation and a world of its own, then creates the run\'s pool with the valid config. A pool that converts "5" or `true` with Number() runs with a number its user never wrote. The option is looked for under the pool\'s own name, the value as JavaScript prints it, a string in quotes, an object by its content (in JSON or as util.inspect prints it); the requirement as a type, a bound or a list of the values allowed (`a positive integer`, `>= 0`, `at most \'maxTotal\'`, `one of "lifo", "fifo"`), in the words of the message besides the name and the value.',
  source:
    "Node.js argument validation (ERR_OUT_OF_RANGE names the argument, says the range it must be in and the value received); the constructor checks of tarn and undici",
  needs: ["validatesOptions"],
  clauses: {
    a: "creating the pool with an invalid option throws or rejects, instead of running with the value clamped, replaced or ignored",
    b: "the error names the option, under the pool's own name, and the value offered",
    c: "the refused creation opened no connection and left no timer armed",
    d: "the error says what the option must be: a type, a bound or the values allowed",
  },
  start(run) {
    let pending: Breach<"a" | "b" | "c" | "d">[] | undefined;
    // One breach per check, so a clause an expectation excuses does not hide the next one.
    const judge = () => {
      pending ??= (run.configProbes ?? []).flatMap(breachesOf);
      const breach = pending.shift();
      return breach === undefined ? undefined : { ...breach, atCreation: true };
    };
    return { step: judge, healed: judge, closed: judge };
  },
});

/** The counts of two `stats()` answers that differ, as `leased 1 → 2`, or `undefined`. */
function statsChange(before: PoolStats, after: PoolStats): string | undefined {
  const changes: string[] = [];
  for (const key of ["leased", "available", "pending", "connecting"] as const) {
    if (before.total[key] !== after.total[key]) {
      changes.push(`${key} ${before.total[key]} → ${after.total[key]}`);
    }
  }
  return changes.length === 0 ? undefined : changes.join(", ");
}

function called(call: BadCallRecord): string {
  const { argument, value, problem } = call.invalid;
  const name = call.poolName === argument
    ? `'${argument}'`
    : `'${argument}' (the pool's '${call.poolName}')`;
  const shown = isHeldLeaseCopy(value)
    ? `a copy of lease #${call.acquire?.id ?? "?"}`
    : `${printValue(value)} (${problem})`;
  return `a call with ${name} = ${shown} at t=${call.t}`;
}

/** The first clause a call with an invalid argument broke, if any. */
function breachOf(call: BadCallRecord, run: RunView): Breach<"a" | "b" | "c" | "d"> | undefined {
  const what = called(call);
  if (call.outcome !== "refused") {
    return {
      clause: "a",
      detail: `${what} was ${
        call.outcome === "accepted"
          ? "accepted"
          : "neither accepted nor refused: its promise did not settle"
      } instead of refused`,
    };
  }
  const message = call.error ?? "";
  const missing = [
    namesOption(message, call.poolName) ? undefined : `the argument '${call.poolName}'`,
    // A copy of a lease is the pool's own object: its name is enough.
    isHeldLeaseCopy(call.invalid.value) || showsArgument(message, call.invalid.value)
      ? undefined
      : `the value ${printValue(call.invalid.value)}`,
  ].filter((part) => part !== undefined);
  if (missing.length > 0) {
    return {
      clause: "b",
      detail: `${what}: the error does not name ${missing.join(" or ")}: ${
        JSON.stringify(message)
      }`,
    };
  }
  const ledger = run.network.ledger.length - call.seqBefore;
  if (ledger > 0) {
    return {
      clause: "c",
      detail: `${what} was refused, but the network saw ${ledger} event${
        ledger === 1 ? "" : "s"
      } after it`,
    };
  }
  if (call.statsBefore !== undefined) {
    let after: PoolStats | undefined;
    try {
      after = run.pool.stats?.();
    } catch {
      return undefined; // STA-1 reports a stats() that throws.
    }
    const change = after === undefined ? undefined : statsChange(call.statsBefore, after);
    if (change !== undefined) {
      return { clause: "c", detail: `${what} was refused, but stats() changed: ${change}` };
    }
  }
  // What a lease must be is "one this pool handed out and its caller still holds": naming it is enough.
  if (
    call.invalid.argument !== "lease" &&
    !statesRequirement(message, call.poolName, call.invalid.value)
  ) {
    return {
      clause: "d",
      detail: `${what}: the error does not say what '${call.poolName}' must be: ${
        JSON.stringify(message)
      }`,
    };
  }
  return undefined;
}

/**
 * CFG-2: a call with an invalid argument is refused, by an error that names
 * the argument and the value, and the refusal changes nothing.
 */
export const CFG_2: Rule<"a" | "b" | "c" | "d"> = defineRule({
  id: "CFG-2",
  group: "CFG",
  title:
    "A call with an invalid argument is refused, by name, value and requirement, and changes nothing",
  rationale:
    "A negative acquire timeout taken as no timeout, or a timeout read from the environment as the string \"10\" and ignored, leaves a caller waiting forever where it asked to wait ten milliseconds; a release whose `reusable` is a truthy non-boolean puts a broken connection back in the pool; a pool that finds the lease to release by its id or its fields takes a stale copy for the lease a caller still uses, and hands that caller's connection to the next. Refusing the call, in words that name the argument, the value and what the argument must be, shows the mistake where it is made; a refusal that still queues a waiter, opens a connection or takes the lease back leaks what the caller believes it never got. The harness makes, in some steps, one call with an argument the adapter declares validated given a value outside its domain (a duration of -1, NaN, a string or a boolean; a route that is not a string; a `reusable` that is not a boolean; a lease that is `null`, a number, an empty object or a copy of a held lease, whose error need only name the argument), then compares the network and `stats()` with what they were before the call. The argument is looked for under the pool's own name, a string value in quotes, the requirement as for CFG-1 (a type, a bound or a list of the values allowed).",
  source:
    "Node.js argument validation (ERR_INVALID_ARG_TYPE and ERR_OUT_OF_RANGE name the argument, the type or range it must have and the value received); undici's InvalidArgumentError; generic-pool's release() and destroy() look the loan up by the resource object itself and reject what is not on loan",
  needs: ["validatesArguments"],
  clauses: {
    a: "a call with an invalid argument throws or rejects, instead of running with the value clamped, replaced or ignored",
    b: "the error names the argument, under the pool's own name, and the value passed (a string in quotes)",
    c: "the refused call changed nothing: no event on the network, the counts of stats() as before, a refused release's lease still held",
    d: "the error says what the argument must be: a type, a bound or the values allowed (a lease excepted)",
  },
  start(run) {
    const judge = ({ callers }: { callers: readonly CallerEvent[] }) => {
      for (const caller of callers) {
        if (caller.kind !== "bad-call") continue;
        const breach = breachOf(caller.call, run);
        if (breach !== undefined) return breach;
      }
      return undefined;
    };
    return { step: judge, healed: judge, closed: judge };
  },
});

/** The CFG rules, in id order. */
export const CFG_RULES: readonly Rule[] = [CFG_1, CFG_2];
