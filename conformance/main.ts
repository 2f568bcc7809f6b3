/**
 * The conformance CLI in a checkout of the kit: `deno task conformance
 * [flags]` (also `bun conformance/main.ts`, and `npm run conformance:node`
 * under Node). Without `--adapter` it checks every bundled adapter against
 * its expectation file and prints the matrix.
 *
 * @module
 */
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { runCli } from "../src/cli/mod.ts";
import { CHECKOUT_CLI } from "./_cli.ts";

// Under Node this module is bundled into one file, which an isolated check's
// worker also loads: only the main thread runs the command.
if (isMainThread) process.exitCode = await runCli(process.argv.slice(2), CHECKOUT_CLI);
