/**
 * CFG: configuration. A pool that validates its options refuses an invalid
 * one when it is created.
 *
 * @module
 */
import type { ConfigProbe } from "../invalid_options.ts";
import { type Breach, defineRule, type Rule } from "../rule.ts";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

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
  return new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`).test(message);
}

/**
 * Whether a message shows a value as JavaScript prints it, as a token of its
 * own (`-1` is not shown by `-10`, `1.5` not by `11.5`, `NaN` not by `NaNs`).
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
 * ```
 */
export function showsValue(message: string, value: number): boolean {
  return new RegExp(`(?<![\\w.])${escape(String(value))}(?!\\w|\\.\\d)`).test(message);
}

function offered(probe: ConfigProbe): string {
  const { option, value, problem } = probe.invalid;
  const name = probe.poolName === option
    ? `'${option}'`
    : `'${option}' (the pool's '${probe.poolName}')`;
  return `${name} = ${value} (${problem})`;
}

/** Every clause the attempt broke, in clause order. */
function breachesOf(probe: ConfigProbe): Breach<"a" | "b" | "c">[] {
  const what = offered(probe);
  if (probe.outcome !== "rejected") {
    const happened = probe.outcome === "created"
      ? "create() returned a pool"
      : "create() neither returned a pool nor threw, and its promise did not settle";
    return [{ clause: "a", detail: `created with ${what}: ${happened} instead of refusing it` }];
  }
  const found: Breach<"a" | "b" | "c">[] = [];
  const message = probe.error ?? "";
  const missing = [
    namesOption(message, probe.poolName) ? undefined : `the option '${probe.poolName}'`,
    showsValue(message, probe.invalid.value) ? undefined : `the value ${probe.invalid.value}`,
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
  return found;
}

/**
 * CFG-1: an invalid option is refused when the pool is created, by an error
 * that names the option and the value, and the refusal leaves nothing behind.
 */
export const CFG_1: Rule<"a" | "b" | "c"> = defineRule({
  id: "CFG-1",
  group: "CFG",
  title: "An invalid option is refused at creation, by name and value, leaving nothing behind",
  rationale:
    "A pool that quietly clamps a limit of 0 to 1, treats a NaN timeout as no timeout or ignores a negative one runs with settings its user never chose, and the mistake surfaces later as an outage rather than at start-up. Refusing the option when the pool is created, in words that name the option and the value received, lets the user fix it at once; opening a connection or arming a timer before refusing leaks them, since the caller never gets a pool to close. The harness offers, in some runs, one option the adapter declares validated with a value outside its domain (a count of 0, -1, 1.5 or NaN; a duration of -1 or NaN; a per-route limit above the total), in a world of its own, then creates the run's pool with the valid config. The option is looked for under the pool's own name, and the value as JavaScript prints it.",
  source:
    "Node.js argument validation (ERR_OUT_OF_RANGE names the argument and the value received); the constructor checks of tarn and undici",
  needs: ["validatesOptions"],
  clauses: {
    a: "creating the pool with an invalid option throws or rejects, instead of running with the value clamped, replaced or ignored",
    b: "the error names the option, under the pool's own name, and the value offered",
    c: "the refused creation opened no connection and left no timer armed",
  },
  start(run) {
    let pending: Breach<"a" | "b" | "c">[] | undefined;
    // One breach per check, so a clause an expectation excuses does not hide the next one.
    const judge = () => {
      pending ??= run.configProbe === undefined ? [] : breachesOf(run.configProbe);
      return pending.shift();
    };
    return { step: judge, healed: judge, closed: judge };
  },
});

/** The CFG rules, in id order. */
export const CFG_RULES: readonly Rule[] = [CFG_1];
