import type { Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Send a request through a multiplexed pool (not awaited). */
export class SendCommand extends StepCommand {
  readonly route: Route;

  constructor(route: Route) {
    super();
    this.route = route;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const record = run.send(this.route);
    run.describe(() => `${run.step}. t=${record.startedAt} send #${record.seq} ${this.route}`);
  }

  override toString(): string {
    return `send(${JSON.stringify(this.route)})`;
  }
}
