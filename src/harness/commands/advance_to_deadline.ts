import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/**
 * Deadlines armed in the run right now, from the caller's and the network's
 * view: TTL from creation, keep-alive, validation and max-idle from the last
 * release, connect timeouts, reconnect backoff after a failed connect,
 * acquire timeouts, request timeouts. Sorted, distinct, after now.
 */
export function upcomingDeadlines(run: Run, route?: string): number[] {
  const { config } = run.setup;
  const now = run.now();
  const found = new Set<number>();
  const add = (base: number, span: number | undefined) => {
    if (span !== undefined && Number.isFinite(span)) found.add(base + span);
  };
  const ledger = run.network.ledger;
  // A failed connect arms the route's reconnect backoff (base and cap): only sockets closed
  // within the longer of the two can still have one ahead.
  const span = Math.max(config.reconnectBackoffMs ?? 0, config.reconnectBackoffMaxMs ?? 0);
  for (const use of run.closedSince(now - span - 1)) {
    const { socket } = use;
    if (route !== undefined && socket.route !== route) continue;
    const closure = ledger.closure(socket.id);
    if (closure?.reason === "refused" || closure?.reason === "aborted") {
      add(closure.t, config.reconnectBackoffMs);
      add(closure.t, config.reconnectBackoffMaxMs);
    }
  }
  for (const use of run.liveUses()) {
    const { socket } = use;
    if (route !== undefined && socket.route !== route) continue;
    if (socket.state === "connecting") add(socket.createdAt, config.connectTimeoutMs);
    if (config.requestTimeoutMs !== undefined && socket.inFlight > 0) {
      for (const sentAt of ledger.inFlightSince(socket.id)) add(sentAt, config.requestTimeoutMs);
    }
    add(socket.createdAt, config.ttlMs);
    if (use.idleSince !== undefined) {
      add(use.idleSince, use.idleHint?.timeoutMs ?? config.defaultKeepAliveMs);
      add(use.idleSince, config.validateAfterInactivityMs);
      add(use.idleSince, config.maxIdleMs);
    } else if (socket.inFlight === 0) add(socket.lastActiveAt, config.maxIdleMs);
  }
  for (const record of run.pending()) {
    if (route !== undefined && record.route !== route) continue;
    add(record.startedAt, record.timeoutMs);
  }
  return [...found].filter((t) => t + 1 > now).sort((a, b) => a - b);
}

/** Jump to just before, on, or just after one of the deadlines armed now. */
export class AdvanceToDeadlineCommand extends StepCommand {
  readonly index: number;
  readonly offset: -1 | 0 | 1;

  constructor(index: number, offset: -1 | 0 | 1) {
    super();
    this.index = index;
    this.offset = offset;
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const from = run.now();
    const deadline = pick(upcomingDeadlines(run), this.index);
    const target = deadline === undefined ? from + 1 : Math.max(from, deadline + this.offset);
    const what = deadline === undefined
      ? "no deadline armed"
      : `deadline t=${deadline}${this.offset === 0 ? "" : this.offset > 0 ? " + 1" : " - 1"}`;
    run.describe(() => `${run.step}. t=${from} advance to ${what} → t=${target}`);
    await run.advanceTo(target);
  }

  override toString(): string {
    const offset = this.offset === 0 ? "" : this.offset > 0 ? " + 1" : " - 1";
    return `advanceTo(deadline[${this.index}]${offset})`;
  }
}
