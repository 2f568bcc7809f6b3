import type { Run } from "../run.ts";
import { pick, StepCommand } from "./_command.ts";

/** The server answers the oldest held request on the `index`-th socket with requests in flight. */
export class RespondCommand extends StepCommand {
  readonly index: number;

  constructor(index: number) {
    super();
    this.index = index;
    Object.freeze(this);
  }

  apply(run: Run): void {
    const busy = run.network.sockets().filter((s) => s.inFlight > 0 && s.state !== "closed");
    const socket = pick(busy, this.index);
    if (socket === undefined) {
      return run.describeNothing(() => `${run.step}. respond: nothing in flight`);
    }
    run.network.respond(socket.id);
    run.describe(() => `${run.step}. t=${run.now()} server answers on socket #${socket.id}`);
  }

  override toString(): string {
    return `respond(busy[${this.index}])`;
  }
}
