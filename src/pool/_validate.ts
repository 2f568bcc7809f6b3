/** Eager option checks with the house message shape. */

const ACTION = "create pool";

/** Render a value for an error message: strings quoted, functions named. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "[function]";
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/*
 * A pool is created far more often than it is refused (the harness creates
 * one per run), so a check builds its requirement's wording only once the
 * value fails it: `requirement` is a string or a function that makes one.
 */
function fail(
  ErrorClass: typeof TypeError | typeof RangeError,
  name: string,
  requirement: string | (() => string),
  value: unknown,
  action: string,
): never {
  const wording = typeof requirement === "string" ? requirement : requirement();
  throw new ErrorClass(
    `Cannot ${action} as '${name}' must be ${wording}: current value is ${describeValue(value)}`,
  );
}

/** A count that is at least `min` (an integer, or `Infinity` when allowed). */
export function checkCount(
  name: string,
  value: unknown,
  options: { min: 0 | 1; infinite: boolean; action?: string },
): number {
  const { min, infinite, action = ACTION } = options;
  const requirement = () =>
    `${min === 1 ? "a positive" : "a non-negative"} integer${infinite ? " or Infinity" : ""}`;
  if (typeof value !== "number") fail(TypeError, name, requirement, value, action);
  const whole = Number.isInteger(value) || (infinite && value === Infinity);
  if (!whole || value < min) fail(RangeError, name, requirement, value, action);
  return value;
}

/** A duration in milliseconds: finite and >= 0, or `Infinity` when allowed. */
export function checkDuration(
  name: string,
  value: unknown,
  options: { infinite: boolean; action?: string },
): number {
  const { infinite, action = ACTION } = options;
  const requirement = () => `a number of milliseconds >= 0${infinite ? " or Infinity" : ""}`;
  if (typeof value !== "number") fail(TypeError, name, requirement, value, action);
  const finiteOk = Number.isFinite(value) || (infinite && value === Infinity);
  if (!finiteOk || value < 0) fail(RangeError, name, requirement, value, action);
  return value;
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(TypeError, name, "a boolean", value, ACTION);
  return value;
}

/** A function. */
export function checkFunction<T>(name: string, value: T): T {
  if (typeof value !== "function") fail(TypeError, name, "a function", value, ACTION);
  return value;
}

/** One of a fixed set of strings. */
export function checkChoice<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  const requirement = () => `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
  if (typeof value !== "string") fail(TypeError, name, requirement, value, ACTION);
  if (!(choices as readonly string[]).includes(value)) {
    fail(RangeError, name, requirement, value, ACTION);
  }
  return value as T;
}

/** An invalid combination of two options. */
export function checkRelation(ok: boolean, name: string, requirement: string, value: unknown) {
  if (!ok) fail(RangeError, name, requirement, value, ACTION);
}

/** A plain object (record). */
export function checkRecord(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(TypeError, name, "an object", value, ACTION);
  }
  return value as Record<string, unknown>;
}

/** An array of strings. */
export function checkStringList(name: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    fail(TypeError, name, "an array of strings", value, ACTION);
  }
  return Object.freeze([...value]);
}
