import type { Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import type { SocketUse } from "../run_view.ts";
import { StepCommand } from "./_command.ts";
import { startAcquire } from "./acquire.ts";

/**
 * The route's open idle connections that have a keep-alive (the hint of their
 * last response, else the default), newest release first: the one a LIFO
 * pool reuses comes first.
 */
function idleWithKeepAlive(run: Run, route: Route): { use: SocketUse; keepAliveMs: number }[] {
  const found: { use: SocketUse; keepAliveMs: number }[] = [];
  for (const use of run.liveUses()) {
    if (use.socket.route !== route || use.socket.state !== "open") continue;
    if (use.idleSince === undefined) continue;
    const keepAliveMs = use.idleHint?.timeoutMs ?? run.setup.config.defaultKeepAliveMs;
    if (keepAliveMs !== undefined && Number.isFinite(keepAliveMs)) found.push({ use, keepAliveMs });
  }
  return found.sort((a, b) => b.use.idleOrder - a.use.idleOrder);
}

/**
 * Start an acquire on a route once the idle connection of the route released
 * last has been idle for three quarters of its keep-alive (the one a LIFO
 * pool reuses): the connection is live and a lease
 * may reuse it, while a pool that counts the keep-alive short (halved as a
 * margin, or read in the wrong unit) has already dropped it. Time steps
 * rarely land there: they aim at deadlines, or are a few milliseconds. With
 * no such connection, or when that instant has passed, the acquire starts at
 * once.
 */
export class AcquireWhenIdleCommand extends StepCommand {
  readonly route: Route;
  readonly timed: boolean;

  constructor(route: Route, timed: boolean) {
    super();
    this.route = route;
    this.timed = timed;
    Object.freeze(this);
  }

  async apply(run: Run): Promise<void> {
    const chosen = idleWithKeepAlive(run, this.route)[0];
    let advanced = false;
    if (chosen !== undefined) {
      const { use, keepAliveMs } = chosen;
      const target = use.idleSince! + Math.ceil(keepAliveMs * 3 / 4);
      if (target > run.now()) {
        run.describe(() =>
          `${run.step}. t=${run.now()} advance to t=${target} (socket #${use.socket.id}, idle since t=${use.idleSince}, 3/4 of its keep-alive of ${keepAliveMs} ms)`
        );
        await run.advanceTo(target);
        advanced = true;
      }
    }
    startAcquire(run, this.route, this.timed, advanced);
  }

  override toString(): string {
    return `acquire(${JSON.stringify(this.route)}${
      this.timed ? ", timed" : ""
    }) when the last idle is 3/4 through its keep-alive`;
  }
}
