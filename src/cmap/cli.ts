/**
 * `poolcheck cmap <file|dir>… --adapter <module|name>…`: runs CMAP scenario
 * files against adapters and prints a verdict per scenario.
 *
 * @module
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import process from "node:process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Adapter } from "../harness/adapter.ts";
import { loadAdapters, UsageError } from "../cli/mod.ts";
import { type CmapScenario, parseScenario } from "./format.ts";
import { renderCmapJson, renderCmapText } from "./report.ts";
import { type CmapReport, runScenarios } from "./runner.ts";

/**
 * The usage text of `cmap`.
 *
 * @param program How the command is invoked. @default {"poolcheck"}
 * @returns The text.
 */
export function cmapUsage(program = "poolcheck"): string {
  return `Usage: ${program} cmap <file|dir>... --adapter <module|name> [flags]
Runs scenario files in the JSON format of MongoDB's CMAP (Connection Monitoring and
Pooling) tests against each adapter, on virtual time; a folder means every .json in it.
  --adapter <module|name>  a module exporting adapters, optionally <module>#<adapter name>
                           to pick one of them (repeatable); in a checkout of the kit also
                           a bundled adapter's name
  --allow-extra-events     events after the expected ones pass (CMAP's own runners let
                           them); by default an extra event fails the scenario
  --ignore-ranges          run scenarios whose pool options lie outside the ranges the
                           adapter declares (by default: not applicable)
  --json <file|->          JSON report (- for standard output instead of the text)
  --help, -h               this text
A scenario passes, fails (the report shows the first event that differs and the events
compared) or is not applicable (the adapter lacks a capability or option it needs).
Exit code: 0 when no scenario fails, 1 when one does, 2 for bad usage or a malformed file.`;
}

/** Where `cmap` finds bundled adapters and writes. */
export interface CmapCliOptions {
  /** How the command is invoked. @default {"poolcheck"} */
  readonly program?: string;
  /** Adapters known by name (a checkout of the kit). @default {[]} */
  readonly bundled?: readonly Adapter<unknown>[];
  /** Standard output. @default {process.stdout} */
  readonly stdout?: { write(text: string): unknown };
  /** Standard error. @default {process.stderr} */
  readonly stderr?: { write(text: string): unknown };
}

interface CmapArguments {
  readonly paths: string[];
  readonly adapters: string[];
  readonly allowExtraEvents: boolean;
  readonly ignoreRanges: boolean;
  readonly json: string | undefined;
  readonly help: boolean;
}

function parseCmapCli(args: readonly string[]): CmapArguments {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        adapter: { type: "string", multiple: true },
        "allow-extra-events": { type: "boolean" },
        "ignore-ranges": { type: "boolean" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    return {
      paths: positionals,
      adapters: values.adapter ?? [],
      allowExtraEvents: values["allow-extra-events"] === true,
      ignoreRanges: values["ignore-ranges"] === true,
      json: values.json,
      help: values.help === true,
    };
  } catch (error) {
    throw new UsageError(`Cannot run poolcheck cmap: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The scenario files a path names: the file itself, or every `.json` file of
 * a folder, sorted by name.
 *
 * @param path A file or a folder.
 * @returns File paths.
 * @throws {UsageError} If the path does not exist or a folder holds no `.json` file.
 */
export async function scenarioFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`Cannot run poolcheck cmap as ${path} does not exist`, { cause: error });
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith(".json")).sort();
  if (names.length === 0) {
    throw new UsageError(`Cannot run poolcheck cmap as folder ${path} holds no .json file`);
  }
  return names.map((name) => join(path, name));
}

/** A file found in a folder that does not follow the format, and why. */
export interface UnreadableScenario {
  /** The file's path. */
  readonly file: string;
  /** The reason, naming the field and the value found there. */
  readonly message: string;
}

/** Options of {@linkcode readScenarios}. */
export interface ReadScenariosOptions {
  /**
   * Called for each file found in a folder that does not follow the format;
   * the file is then left out and reading goes on. Without it, such a file
   * throws like a file named directly.
   */
  readonly onUnreadable?: (unreadable: UnreadableScenario) => void;
}

/**
 * Read the scenarios of files and folders.
 *
 * @param paths Files and folders.
 * @param options What to do with a malformed file found in a folder.
 * @returns The scenarios, in order.
 * @throws {UsageError} For a missing path, a malformed file named directly,
 * or a malformed file in a folder when `onUnreadable` is not given (the
 * message names the file, the field and its value).
 */
export async function readScenarios(
  paths: readonly string[],
  options: ReadScenariosOptions = {},
): Promise<CmapScenario[]> {
  const { onUnreadable } = options;
  const scenarios: CmapScenario[] = [];
  for (const path of paths) {
    const files = await scenarioFiles(path);
    const inFolder = files.length !== 1 || files[0] !== path;
    for (const file of files) {
      try {
        scenarios.push(parseScenario(await readFile(file, "utf8"), file));
      } catch (error) {
        const message = (error as Error).message;
        if (inFolder && onUnreadable !== undefined) {
          onUnreadable({ file, message });
          continue;
        }
        throw new UsageError(message, { cause: error });
      }
    }
  }
  return scenarios;
}

async function adaptersOf(
  specs: readonly string[],
  bundled: readonly Adapter<unknown>[],
): Promise<Adapter<unknown>[]> {
  const adapters: Adapter<unknown>[] = [];
  for (const spec of specs) {
    const hash = spec.lastIndexOf("#");
    const [module, name] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, ""];
    const loaded = (await loadAdapters([module], { bundled })).map((entry) => entry.adapter);
    const picked = name === "" ? loaded : loaded.filter((adapter) => adapter.name === name);
    if (picked.length === 0) {
      throw new UsageError(
        `Cannot run poolcheck cmap as module ${module} exports no adapter named '${name}' (it exports: ${
          loaded.map((adapter) => adapter.name).join(", ")
        })`,
      );
    }
    for (const adapter of picked) if (!adapters.includes(adapter)) adapters.push(adapter);
  }
  return adapters;
}

/**
 * Run the `cmap` subcommand.
 *
 * @param args Arguments after `cmap`.
 * @param options Program name, bundled adapters, output streams.
 * @returns The exit code: 0 when no scenario fails, 1 when one does, 2 for
 * bad usage or a malformed scenario file (the reason goes to standard error).
 */
export async function runCmapCli(
  args: readonly string[],
  options: CmapCliOptions = {},
): Promise<number> {
  const {
    program = "poolcheck",
    bundled = [],
    stdout = process.stdout,
    stderr = process.stderr,
  } = options;
  try {
    const cli = parseCmapCli(args);
    if (cli.help) {
      stdout.write(`${cmapUsage(program)}\n`);
      return 0;
    }
    if (cli.paths.length === 0) {
      throw new UsageError("Cannot run poolcheck cmap as it needs scenario files or folders");
    }
    if (cli.adapters.length === 0) {
      throw new UsageError("Cannot run poolcheck cmap as '--adapter' is required");
    }
    if (cli.json === "") throw new UsageError("Cannot run poolcheck cmap as '--json' needs a path");
    // A file of another format in a folder (the specification keeps some beside the CMAP ones)
    // is named on standard error and left out; a file named on the command line stops the run.
    const skipped: UnreadableScenario[] = [];
    const scenarios = await readScenarios(cli.paths, {
      onUnreadable: (unreadable) => skipped.push(unreadable),
    });
    for (const { file, message } of skipped) {
      stderr.write(`skipped ${file}, which does not follow the format: ${message}\n`);
    }
    if (scenarios.length === 0) {
      throw new UsageError(
        `Cannot run poolcheck cmap as no file under ${
          cli.paths.join(", ")
        } follows the format (${skipped.length} skipped)`,
      );
    }
    const adapters = await adaptersOf(cli.adapters, bundled);
    const reports: CmapReport[] = [];
    for (const adapter of adapters) {
      reports.push(
        await runScenarios(scenarios, adapter, {
          allowExtraEvents: cli.allowExtraEvents,
          ignoreRanges: cli.ignoreRanges,
        }),
      );
    }
    if (cli.json === "-") {
      stdout.write(renderCmapJson(reports));
    } else {
      for (const report of reports) stdout.write(renderCmapText(report));
      if (cli.json !== undefined) await writeFile(cli.json, renderCmapJson(reports));
    }
    return reports.every((report) => report.ok) ? 0 : 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`${error.message}\nRun '${program} cmap --help' for the flags.\n`);
    return 2;
  }
}
