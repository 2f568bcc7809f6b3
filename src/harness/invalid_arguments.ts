/**
 * Invalid call arguments for pools that validate theirs (CFG-2): which
 * values are drawn for which argument, and how a message shows them.
 *
 * @module
 */
import type { Supports, ValidatedArgument } from "./adapter.ts";
import type { Capability } from "./capabilities.ts";
import { literal, pattern } from "./_patterns.ts";

/** One argument of one call given a value the pool must refuse. */
export interface InvalidArgument {
  /** The argument, by the harness's name. */
  readonly argument: ValidatedArgument;
  /** The value passed. */
  readonly value: unknown;
  /** Why it is invalid, in a few words (`"negative"`, `"a string"`, …). */
  readonly problem: string;
}

/** What kind of value an argument takes, which decides the invalid values drawn for it. */
type Domain = "duration" | "route" | "boolean" | "lease";

/**
 * Every argument CFG-2 can pass an invalid value, with the capability that
 * must be declared for it to be drawn and its domain.
 */
const ARGUMENTS: Readonly<
  Record<ValidatedArgument, { readonly needs: Capability | undefined; readonly domain: Domain }>
> = {
  route: { needs: undefined, domain: "route" },
  acquireTimeoutMs: { needs: "acquireTimeout", domain: "duration" },
  closeIdleMs: { needs: "closeIdle", domain: "duration" },
  reusable: { needs: "releaseBroken", domain: "boolean" },
  interruptInUse: { needs: "interruptInUse", domain: "boolean" },
  lease: { needs: undefined, domain: "lease" },
};

/** The arguments CFG-2 knows, in the order they are drawn. */
export const VALIDATED_ARGUMENTS: readonly ValidatedArgument[] = Object.freeze(
  Object.keys(ARGUMENTS) as ValidatedArgument[],
);

/**
 * The capability an argument needs to be drawn (`undefined` for `route`).
 *
 * @param argument The argument.
 * @returns The capability, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capabilityOfArgument } from "./invalid_arguments.ts";
 *
 * assert.equal(capabilityOfArgument("closeIdleMs"), "closeIdle");
 * assert.equal(capabilityOfArgument("route"), undefined);
 * ```
 */
export function capabilityOfArgument(argument: ValidatedArgument): Capability | undefined {
  return ARGUMENTS[argument].needs;
}

/**
 * The value standing for "a copy of a held lease" among the invalid leases:
 * data, so that it survives a script and a worker; the call passes a shallow
 * copy of the held lease it names in its place.
 */
export const HELD_LEASE_COPY: Readonly<{ copyOfHeldLease: true }> = Object.freeze({
  copyOfHeldLease: true,
});

/**
 * Whether an invalid argument's value stands for a copy of a held lease.
 *
 * @param value The value drawn.
 * @returns `true` for {@linkcode HELD_LEASE_COPY} or a clone of it.
 */
export function isHeldLeaseCopy(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    (value as { copyOfHeldLease?: unknown }).copyOfHeldLease === true;
}

/**
 * The invalid values of each domain, with their problem: the mistakes
 * callers make (a negative or NaN timeout, a number read from the
 * environment as a string, a flag where a timeout belongs, a truthy value
 * where a boolean belongs, a release of what the pool never handed out,
 * among them a lease rebuilt from another's fields, which a pool that
 * finds leases by id or by content takes for the real one).
 */
const FLAWS: Readonly<Record<Domain, readonly (readonly [unknown, string])[]>> = {
  duration: [[-1, "negative"], [NaN, "not a number"], ["10", "a string"], [true, "a boolean"]],
  route: [[42, "a number"], [null, "null"]],
  boolean: [["yes", "a string"], [1, "a number"]],
  lease: [
    [null, "null"],
    [42, "a number"],
    [{}, "an empty object"],
    [HELD_LEASE_COPY, "a copy of a held lease"],
  ],
};

/**
 * The invalid arguments a declaration allows: each declared argument whose
 * capability is declared, with every invalid value of its domain.
 *
 * @param supports The adapter's declaration.
 * @returns The invalid arguments, empty without capability `validatesArguments`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invalidArguments } from "./invalid_arguments.ts";
 * import type { Supports } from "./adapter.ts";
 *
 * const supports = {
 *   capabilities: ["validatesArguments"],
 *   validatedArguments: { route: "target" },
 * } as unknown as Supports;
 * assert.deepEqual(invalidArguments(supports).map((a) => a.value), [42, null]);
 * ```
 */
export function invalidArguments(supports: Supports): InvalidArgument[] {
  if (!supports.capabilities.includes("validatesArguments")) return [];
  const declared = supports.validatedArguments ?? {};
  const found: InvalidArgument[] = [];
  for (const argument of VALIDATED_ARGUMENTS) {
    if (declared[argument] === undefined) continue;
    const { needs, domain } = ARGUMENTS[argument];
    if (needs !== undefined && !supports.capabilities.includes(needs)) continue;
    for (const [value, problem] of FLAWS[domain]) found.push({ argument, value, problem });
  }
  return found;
}

/** An object's JSON form, or `undefined` when it has none (a cycle, a BigInt). */
function jsonOf(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * A value as the harness prints it: strings quoted, objects in JSON,
 * everything else as JavaScript prints it.
 *
 * @param value The value.
 * @returns Its printed form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printValue } from "./invalid_arguments.ts";
 *
 * assert.equal(printValue("10"), '"10"');
 * assert.equal(printValue(NaN), "NaN");
 * assert.equal(printValue({ value: 5 }), '{"value":5}');
 * ```
 */
export function printValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return jsonOf(value) ?? String(value);
  return String(value);
}

/** Text without white space and quote marks: `{ value: 5 }` and `{"value":5}` alike. */
function compact(text: string): string {
  return text.replace(/[\s"'`]/g, "");
}

/**
 * A value as a token of its own in a message: `-1` not inside `-10`, `1.5`
 * not inside `11.5`, `NaN` not inside `NaNs`.
 *
 * @param text The value as printed.
 * @param flags Flags of the expression (`"g"` to replace every one).
 * @returns The expression, shared with every caller that asks for the same
 * (see `pattern`): a global one is for `replace` only.
 */
export function valueToken(text: string, flags = ""): RegExp {
  return pattern(`(?<![\\w.])${literal(text)}(?!\\w|\\.\\d)`, flags);
}

/**
 * Whether a message shows a value so that its type can be told: a string in
 * quotes (`"10"`, `'10'` or `` `10` ``), since `10` alone reads as the
 * number; an object by its content, in JSON or as `util.inspect` prints it
 * (`{"value":5}`, `{ value: 5 }`), since `[object Object]` shows no value;
 * anything else as JavaScript prints it, as a token of its own.
 *
 * @param message The error's message.
 * @param value The value passed.
 * @returns `true` when shown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showsArgument } from "./invalid_arguments.ts";
 *
 * assert.equal(showsArgument(`'timeoutMs' must be a number: current value is "10"`, "10"), true);
 * assert.equal(showsArgument("'timeoutMs' must be a number: current value is 10", "10"), false);
 * assert.equal(showsArgument("'target' must be a string: got null", null), true);
 * assert.equal(showsArgument("'max' must be a number: got { value: 5 }", { value: 5 }), true);
 * assert.equal(showsArgument("'max' must be a number: got [object Object]", { value: 5 }), false);
 * ```
 */
export function showsArgument(message: string, value: unknown): boolean {
  if (typeof value === "string") {
    return [`"${value}"`, `'${value}'`, `\`${value}\``].some((form) => message.includes(form));
  }
  if (typeof value === "object" && value !== null) {
    const json = jsonOf(value);
    return json !== undefined && compact(message).includes(compact(json));
  }
  return valueToken(String(value)).test(message);
}
