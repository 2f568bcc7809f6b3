/**
 * Errors made during a run on global time carry no stack frames.
 *
 * A third-party pool on global time makes errors of its own as it runs
 * (undici's `InformationalError` at each keep-alive timeout, node:stream's
 * `ERR_STREAM_ALREADY_FINISHED` at each `end()` of a finished socket), and
 * an HTTP client destroys its sockets with them: node:stream's `destroy`
 * reads `error.stack`, and formatting a stack under Deno (source-mapped
 * frames) costs about ten times building the error. Nothing in a run reads
 * those frames (verdicts, traces and reports name an error by its name, code
 * and message), and they would mostly name fake-timers and the settle loop.
 * So while a run on global time lasts, `Error.stackTraceLimit` is 0; it is
 * put back when the run ends, failure or not, as the real timers are.
 *
 * An engine that leaves `stack` undefined for an error built without frames
 * (JavaScriptCore, under Bun), or that does not let `Error.stackTraceLimit`
 * be set, keeps its frames: code that reads `stack` always gets a string.
 *
 * @module
 */
import { SUSPENDABLE } from "../net/_frameless.ts";

/** Runs holding the limit at 0 (an abandoned check's run may still be going), and the limit before the first. */
let holders = 0;
let before: number | undefined;

/**
 * Stop capturing stack frames until the returned function is called. Nested
 * or overlapping holds put the limit back only when the last one ends.
 *
 * @returns Ends this hold; calling it again does nothing.
 */
export function holdFramesOff(): () => void {
  if (!SUSPENDABLE) return () => {};
  if (holders === 0) {
    before = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  }
  holders++;
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    holders--;
    if (holders === 0 && before !== undefined) {
      Error.stackTraceLimit = before;
      before = undefined;
    }
  };
}
