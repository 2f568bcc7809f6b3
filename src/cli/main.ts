#!/usr/bin/env node
/**
 * The `poolcheck` executable: `poolcheck --adapter ./my_adapter.js [flags]`
 * (`--help` lists the flags). Runs under Node, Deno and Bun; replay lines
 * name the command that runs it again on the runtime that printed them.
 *
 * @module
 */
import process from "node:process";
import { currentRuntime, runCli } from "./mod.ts";

const PROGRAM = {
  node: "npx poolcheck",
  deno: "deno run --allow-all npm:@poolcheck/poolcheck",
  bun: "bun x --bun poolcheck",
} as const;

process.exitCode = await runCli(process.argv.slice(2), { program: PROGRAM[currentRuntime()] });
