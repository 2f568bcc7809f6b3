#!/usr/bin/env node
/**
 * The `poolcheck` executable: `poolcheck --adapter ./my_adapter.js [flags]`
 * (`--help` lists the flags). Runs under Node, Deno and Bun.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./mod.ts";

process.exitCode = await runCli(process.argv.slice(2));
