import type { Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** Make new connects to a route succeed, be refused, or hang. */
export class ConnectFaultCommand extends StepCommand {
  readonly route: Route;
  readonly mode: "ok" | "refuse" | "hang";

  constructor(route: Route, mode: "ok" | "refuse" | "hang") {
    super();
    this.route = route;
    this.mode = mode;
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.network.configure(this.route, { connect: this.mode });
    run.describe(() => `${run.step}. t=${run.now()} connects to ${this.route}: ${this.mode}`);
  }

  override toString(): string {
    return `connects(${JSON.stringify(this.route)}, ${JSON.stringify(this.mode)})`;
  }
}
