import { VirtualClock } from "../clock/virtual_clock.ts";
import { SimNetwork, type SimNetworkOptions } from "./sim_network.ts";

/** Let settled promises' continuations run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A fresh clock and network. */
export function world(defaults?: SimNetworkOptions["defaults"]): {
  clock: VirtualClock;
  network: SimNetwork;
} {
  const clock = new VirtualClock();
  const network = new SimNetwork(defaults ? { clock, defaults } : { clock });
  return { clock, network };
}

/** Ledger as compact lines: `t type #socket extra`. */
export function trace(network: SimNetwork): string[] {
  return network.ledger.events.map((event) => {
    const { seq: _seq, t, type, socketId, route: _route, ...rest } = event;
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
    return `${t} ${type} #${socketId}${extra ? " " + extra : ""}`;
  });
}
