#!/usr/bin/env node
/**
 * The `poolcheck` executable: `poolcheck --adapter ./my_adapter.js [flags]`
 * (`--help` lists the flags). Runs under Node, Deno and Bun; replay lines
 * name the command that runs it again on the runtime that printed them.
 *
 * @module
 */
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { currentRuntime, runCli } from "./mod.ts";

const PROGRAM = {
  node: "npx poolcheck",
  deno: "deno run --allow-all npm:@poolcheck/poolcheck",
  bun: "bun x --bun poolcheck",
} as const;

// Bundled into one file, this module is also what an isolated check's worker
// loads (it starts from the file holding the kit's code): only the main
// thread runs the command.
if (isMainThread) {
  process.exitCode = await runCli(process.argv.slice(2), { program: PROGRAM[currentRuntime()] });
}
