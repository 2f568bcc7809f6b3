/**
 * The errors the simulated network and its sockets make are built without
 * stack frames. Their frames would only name the kit's own timers and settle
 * loop, and they are costly: an HTTP client destroys its streams with them,
 * node:stream's `destroy` reads `error.stack`, and formatting a stack under
 * Deno (source-mapped frames) costs more than the rest of a command. Name,
 * message, code, cause and the other fields stay as they are; `stack` is the
 * header line alone (`ConnectRefusedError: Connect to 'db' refused (socket 3)`).
 *
 * An engine that leaves `stack` undefined for an error built without frames
 * (JavaScriptCore, under Bun), or that does not let `Error.stackTraceLimit`
 * be set, keeps the frames, so `stack` stays a string everywhere.
 *
 * @module
 */

/**
 * Whether a frameless error still has a string `stack` here, checked once
 * (the harness's runs on global time read it too).
 */
export const SUSPENDABLE: boolean = probe();

function probe(): boolean {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
    return typeof new Error("probe").stack === "string";
  } catch {
    return false;
  } finally {
    try {
      Error.stackTraceLimit = limit;
    } catch {
      // Not writable: it was never changed.
    }
  }
}

/**
 * Stop capturing stack frames for the error about to be built. Call
 * {@linkcode resumeFrames} with the result right after its `super(…)`; build
 * the message before, so nothing between the two can throw.
 *
 * @returns The limit to put back, or `undefined` when frames are kept.
 */
export function suspendFrames(): number | undefined {
  if (!SUSPENDABLE) return undefined;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return limit;
}

/**
 * Put back the limit {@linkcode suspendFrames} replaced.
 *
 * @param limit What `suspendFrames` returned.
 */
export function resumeFrames(limit: number | undefined): void {
  if (limit !== undefined) Error.stackTraceLimit = limit;
}
