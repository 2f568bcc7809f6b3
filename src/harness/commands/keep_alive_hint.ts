import type { KeepAliveHint, Route } from "../../net/types.ts";
import type { Run } from "../run.ts";
import { StepCommand } from "./_command.ts";

/** The server of a route starts sending a keep-alive hint (or none) with its responses. */
export class KeepAliveHintCommand extends StepCommand {
  readonly route: Route;
  readonly hint: KeepAliveHint | undefined;

  constructor(route: Route, hint: KeepAliveHint | undefined) {
    super();
    this.route = route;
    this.hint = hint === undefined ? undefined : Object.freeze({ ...hint });
    Object.freeze(this);
  }

  apply(run: Run): void {
    run.network.configure(this.route, { keepAliveHint: this.hint ?? {} });
    run.describe(() => `${run.step}. t=${run.now()} ${this.route} answers with ${this.#text()}`);
  }

  #text(): string {
    if (this.hint === undefined) return "no Keep-Alive";
    const parts = [];
    if (this.hint.timeoutMs !== undefined) parts.push(`timeout=${this.hint.timeoutMs}ms`);
    if (this.hint.max !== undefined) parts.push(`max=${this.hint.max}`);
    return `Keep-Alive: ${parts.join(", ")}`;
  }

  override toString(): string {
    return `keepAlive(${JSON.stringify(this.route)}, ${this.#text()})`;
  }
}
