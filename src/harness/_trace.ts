import type { CallerEvent } from "./observations.ts";

/**
 * The trace line of what a caller received, or `undefined` for events the
 * step's own line already tells (starts, releases, maintenance).
 *
 * @param event The caller event.
 * @param now Virtual time it happened.
 * @returns A line such as `   ↳ t=5 acquire #2 got socket #1`.
 */
export function outcomeLine(event: CallerEvent, now: number): string | undefined {
  const at = `   ↳ t=${now}`;
  switch (event.kind) {
    case "acquire-resolved":
      return `${at} acquire #${event.acquire.id} got socket #${event.acquire.facts?.socketId}`;
    case "acquire-rejected":
      return `${at} acquire #${event.acquire.id} rejected (${event.acquire.errorCode})`;
    case "send-resolved": {
      const { seq, socketId, sequence } = event.send;
      return `${at} send #${seq} answered on socket #${socketId} (response ${sequence})`;
    }
    case "send-rejected":
      return `${at} send #${event.send.seq} failed (${event.send.errorCode})`;
    case "release-failed":
      return `${at} release of acquire #${event.acquire.id}'s lease failed (${event.error})`;
    case "release-accepted":
      return `${at} release of acquire #${event.acquire.id}'s lease accepted`;
    case "bad-release":
      return `${at} second release ${event.rejected ? "refused" : "accepted"}`;
    case "close-resolved":
      return `${at} close() resolved`;
    default:
      return undefined;
  }
}
