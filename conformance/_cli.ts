/**
 * The conformance CLI's parts: flag parsing, adapter loading, expectations.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { type Adapter, validateAdapter } from "../src/harness/adapter.ts";
import type { Expectation, Expectations } from "../src/harness/check_pool.ts";

/** Parsed command line. */
export interface CliOptions {
  adapters: string[];
  runs?: number;
  maxCommands?: number;
  seed?: number;
  path?: string;
  rules: string[];
  quick: boolean;
  determinism: boolean;
  json?: string | true;
  junit?: string | true;
  markdown?: string | true;
  writeRules: boolean;
  help: boolean;
}

/** A usage error: exit code 2. */
export class UsageError extends Error {
  /** Always `"USAGE"`. */
  readonly code = "USAGE" as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Usage text. */
export const USAGE = `Usage: deno task conformance [flags]
  --adapter <name|module>  bundled adapter by name, or a module path (repeatable; default: every bundled adapter)
  --runs <n>               runs per property (default 300, quick 30)
  --max-commands <n>       longest command sequence (default 60, quick 30)
  --seed <n>               seed (default: random, always printed)
  --path <path>            replay a fast-check path (with --seed)
  --rule <id|prefix>       only these rules, e.g. LIM or EXP-2 (repeatable)
  --quick                  short profile for pre-commit use
  --determinism            run one case twice and compare the traces
  --json[=file]            JSON report (stdout, or a file)
  --junit[=file]           JUnit XML report
  --markdown[=file]        Markdown matrix (adapters × rules)
  --write-rules-md         regenerate RULES.md from the rules' code and exit
  --help                   this text`;

function integer(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^-?\d+$/.test(value)) {
    throw new UsageError(
      `Cannot run conformance as '${flag}' must be an integer: current value is ${value}`,
    );
  }
  const n = Number(value);
  if (n < min) {
    throw new UsageError(
      `Cannot run conformance as '${flag}' must be at least ${min}: current value is ${n}`,
    );
  }
  return n;
}

/**
 * Parse the command line.
 *
 * @param args Arguments after the script name.
 * @returns The options.
 * @throws {UsageError} For an unknown flag or a bad value.
 */
export function parseCli(args: readonly string[]): CliOptions {
  const options: CliOptions = {
    adapters: [],
    rules: [],
    quick: false,
    determinism: false,
    writeRules: false,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case "--adapter": {
        const v = value();
        if (v === undefined || v.startsWith("--")) {
          throw new UsageError("Cannot run conformance as '--adapter' needs a name or module path");
        }
        options.adapters.push(v);
        break;
      }
      case "--runs":
        options.runs = integer("--runs", value(), 1);
        break;
      case "--max-commands":
        options.maxCommands = integer("--max-commands", value(), 1);
        break;
      case "--seed":
        options.seed = integer("--seed", value(), 0);
        break;
      case "--path": {
        const v = value();
        if (v === undefined || !/^\d+(:\d+)*$/.test(v)) {
          throw new UsageError(
            `Cannot run conformance as '--path' must look like 12:3:0: current value is ${v}`,
          );
        }
        options.path = v;
        break;
      }
      case "--rule": {
        const v = value();
        if (v === undefined || !/^[A-Z]{3}(-\d+)?$/.test(v)) {
          throw new UsageError(
            `Cannot run conformance as '--rule' must be an id or group like LIM-1 or LIM: current value is ${v}`,
          );
        }
        options.rules.push(v);
        break;
      }
      case "--quick":
        options.quick = true;
        break;
      case "--determinism":
        options.determinism = true;
        break;
      case "--json":
      case "--junit":
      case "--markdown":
        options[flag.slice(2) as "json" | "junit" | "markdown"] = inline ?? true;
        break;
      case "--write-rules-md":
        options.writeRules = true;
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      default:
        throw new UsageError(`Cannot run conformance as '${arg}' is not a known flag\n${USAGE}`);
    }
  }
  return options;
}

async function bundledAdapters(): Promise<
  { all: readonly Adapter[]; defaults: readonly Adapter[] }
> {
  const module = await import("./adapters/mod.ts");
  return {
    all: module.BUNDLED_ADAPTERS as readonly Adapter[],
    defaults: module.DEFAULT_ADAPTERS as readonly Adapter[],
  };
}

function adaptersIn(module: Record<string, unknown>): Adapter[] {
  const found: Adapter[] = [];
  for (const value of Object.values(module)) {
    try {
      validateAdapter(value);
      if (!found.includes(value)) found.push(value);
    } catch {
      // not an adapter
    }
  }
  return found;
}

/**
 * Load adapters by bundled name or module path.
 *
 * @param specs Names or paths; empty means the default adapters (`DEFAULT_ADAPTERS`).
 * @returns The adapters, in order.
 * @throws {UsageError} For an unknown name, a module that does not load, or one without an adapter.
 */
export async function loadAdapters(specs: readonly string[]): Promise<Adapter[]> {
  const { all: bundled, defaults } = await bundledAdapters();
  if (specs.length === 0) return [...defaults];
  const adapters: Adapter[] = [];
  for (const spec of specs) {
    const named = bundled.find((a) => a.name === spec);
    if (named !== undefined) {
      adapters.push(named);
      continue;
    }
    if (!/[./]/.test(spec)) {
      throw new UsageError(
        `Cannot run conformance as '--adapter' names no bundled adapter: current value is ${spec} (bundled: ${
          bundled.map((a) => a.name).join(", ")
        })`,
      );
    }
    let module: Record<string, unknown>;
    try {
      module = await import(new URL(spec, `file://${process.cwd()}/`).href);
    } catch (error) {
      throw new UsageError(
        `Cannot load adapter module ${spec}: ${error instanceof Error ? error.message : error}`,
        {
          cause: error,
        },
      );
    }
    const found = adaptersIn(module);
    if (found.length === 0) {
      throw new UsageError(`Cannot run conformance as module ${spec} exports no valid adapter`);
    }
    for (const adapter of found) if (!adapters.includes(adapter)) adapters.push(adapter);
  }
  return adapters;
}

/** Runtimes an expectation can be limited to. */
const RUNTIMES = ["deno", "bun", "node"] as const;

/** The runtime this process runs on. */
export function currentRuntime(): (typeof RUNTIMES)[number] {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

/**
 * Whether an entry is a reason, or a reason with the seed and path of a
 * reproduction, optionally limited to some runtimes (`node:http` differs
 * between Deno, Bun and Node).
 */
interface RuntimeExpectation extends Expectation {
  readonly runtimes?: readonly string[];
}

function isExpectation(entry: unknown): entry is string | Expectation {
  if (typeof entry === "string") return true;
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return false;
  const { reason, seed, path, maxCommands, runtimes, ...rest } = entry as Record<string, unknown>;
  const count = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);
  const knownRuntimes = runtimes === undefined ||
    (Array.isArray(runtimes) &&
      runtimes.every((r) => (RUNTIMES as readonly unknown[]).includes(r)));
  return typeof reason === "string" && Object.keys(rest).length === 0 && knownRuntimes &&
    count(seed) && count(maxCommands) && maxCommands !== 0 &&
    (path === undefined || (typeof path === "string" && /^\d+(:\d+)*$/.test(path))) &&
    (seed === undefined) === (path === undefined);
}

/**
 * Read an adapter's expectation file (`expectations/<name>.json`), if there
 * is one. Each rule maps to a reason, or to a reason with the reproduction
 * a failure printed, replayed when a check does not find the failure itself:
 * `{ "rules": { "ORD-4": "reason", "ORD-1": { "reason": "…", "seed": 3, "path": "1:0:2" } } }`.
 * An entry with `runtimes` (e.g. `["deno"]`) applies only on those runtimes.
 *
 * @param name Adapter name.
 * @param directory Folder of the expectation files. @default {this folder's `expectations/`}
 * @returns Rule id → reason or expectation.
 * @throws {UsageError} If the file exists but is malformed.
 */
export async function loadExpectations(
  name: string,
  directory: URL = new URL("./expectations/", import.meta.url),
): Promise<Expectations> {
  const url = new URL(`${name}.json`, directory);
  let text: string;
  try {
    text = await readFile(url, "utf8");
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Cannot read expectations of ${name}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const rules = (parsed as { rules?: unknown }).rules;
  if (
    rules === null || typeof rules !== "object" ||
    Object.values(rules).some((v) => !isExpectation(v))
  ) {
    throw new UsageError(
      `Cannot read expectations of ${name} as 'rules' must map rule ids to reasons or to { reason, seed, path, runtimes }`,
    );
  }
  const runtime = currentRuntime();
  const applying: Record<string, Expectations[string]> = {};
  for (const [id, entry] of Object.entries(rules as Record<string, string | RuntimeExpectation>)) {
    if (typeof entry === "string") applying[id] = entry;
    else if (entry.runtimes === undefined || entry.runtimes.includes(runtime)) {
      const { runtimes: _runtimes, ...expectation } = entry;
      applying[id] = expectation;
    }
  }
  return applying;
}
