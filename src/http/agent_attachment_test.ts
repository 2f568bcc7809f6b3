import assert from "node:assert/strict";
import http from "node:http";
import type { Duplex } from "node:stream";
import { describe, test } from "node:test";
import { GlobalTimeDriver, VirtualClock } from "../clock/mod.ts";
import { SimNetwork } from "../net/mod.ts";
import {
  attachAgent,
  isAgentAttached,
  leaseThroughAgent,
  releaseAgentLease,
  settleStreams,
  SimHttpSocket,
} from "./mod.ts";

type CreateConnection = http.Agent["createConnection"];
const prototype = http.Agent.prototype as { createConnection: CreateConnection };

/** Run `body` on faked global time with a fresh network; time is real again afterwards. */
async function onNetwork(body: (network: SimNetwork, driver: GlobalTimeDriver) => Promise<void>) {
  const driver = GlobalTimeDriver.install();
  try {
    await body(new SimNetwork({ clock: driver }), driver);
  } finally {
    driver.uninstall();
  }
}

/**
 * A subclass that does what agentkeepalive's `createConnection` does: take
 * the socket from super, then set it up (a stamp, a counter, a listener).
 */
class SettingUpAgent extends http.Agent {
  created = 0;
  override createConnection(
    options: Parameters<CreateConnection>[0],
    callback?: Parameters<CreateConnection>[1],
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    if (socket) {
      this.created++;
      (socket as Duplex & { setUp?: boolean }).setUp = true;
      socket.on("close", () => this.created--);
    }
    return socket;
  }
}

describe("attachAgent", () => {
  test("a subclass's createConnection override runs, with a simulated socket beneath it", async () => {
    await onNetwork(async (network, driver) => {
      const agent = new SettingUpAgent({ keepAlive: true });
      const attachment = attachAgent(agent, network, ["r0"]);
      const leasing = leaseThroughAgent(agent, "r0");
      await settleStreams(driver);
      const lease = await leasing;
      assert.ok(lease.socket instanceof SimHttpSocket);
      assert.equal((lease.socket as SimHttpSocket & { setUp?: boolean }).setUp, true);
      assert.equal(agent.created, 1);
      assert.equal(network.ledger.routeOf(lease.socketId), "r0");
      releaseAgentLease(lease, { reusable: false });
      await settleStreams(driver);
      assert.equal(agent.created, 0, "the subclass's close listener ran too");
      agent.destroy();
      attachment.detach();
    });
  });

  test("the agent's timeout option arms the socket's inactivity timer, as net.createConnection does", async () => {
    await onNetwork(async (network, driver) => {
      const agent = new http.Agent({ keepAlive: true, timeout: 5_000 });
      const attachment = attachAgent(agent, network, ["r0"]);
      const leasing = leaseThroughAgent(agent, "r0");
      await settleStreams(driver);
      const lease = await leasing;
      assert.equal(lease.socket.timeout, 5_000);
      releaseAgentLease(lease, { reusable: false });
      agent.destroy();
      await settleStreams(driver);
      attachment.detach();
    });
  });

  test("agents attached to different networks connect each through its own", async () => {
    await onNetwork(async (first, driver) => {
      const second = new SimNetwork({ clock: driver });
      const a = new http.Agent({ keepAlive: true });
      const b = new http.Agent({ keepAlive: true });
      const attachments = [attachAgent(a, first, ["r0"]), attachAgent(b, second, ["r1"])];
      const leasing = [leaseThroughAgent(a, "r0"), leaseThroughAgent(b, "r1")];
      await settleStreams(driver);
      const [leaseA, leaseB] = await Promise.all(leasing);
      assert.deepEqual(first.ledger.sockets().map((id) => first.ledger.routeOf(id)), ["r0"]);
      assert.deepEqual(second.ledger.sockets().map((id) => second.ledger.routeOf(id)), ["r1"]);
      releaseAgentLease(leaseA!, { reusable: false });
      releaseAgentLease(leaseB!, { reusable: false });
      await settleStreams(driver);
      for (const attachment of attachments) {
        attachment.agent.destroy();
        attachment.detach();
      }
    });
  });

  test("an agent that is not attached gets the original createConnection (a net.Socket)", () => {
    const network = new SimNetwork({ clock: new VirtualClock() });
    const attached = new http.Agent();
    const attachment = attachAgent(attached, network, ["r0"]);
    const other = new http.Agent();
    // A port nothing listens on, destroyed before the lookup completes: no connection is made.
    const socket = other.createConnection({ host: "127.0.0.1", port: 9 });
    assert.ok(socket !== null && socket !== undefined && !(socket instanceof SimHttpSocket));
    socket.on("error", () => {});
    socket.destroy();
    attachment.detach();
  });

  test("detaching the last agent puts the original createConnection back; detach is idempotent", () => {
    const before = prototype.createConnection;
    const network = new SimNetwork({ clock: new VirtualClock() });
    const agent = new http.Agent();
    const attachment = attachAgent(agent, network, ["r0"]);
    assert.equal(prototype.createConnection.name, "simulatedCreateConnection");
    assert.equal(isAgentAttached(agent), true);
    attachment.detach();
    attachment.detach();
    assert.equal(isAgentAttached(agent), false);
    // The hook may already have been installed by an agent another test left attached; either
    // way the prototype is as it was before this attachment.
    assert.equal(prototype.createConnection, before);
  });

  test("an agent can be attached once at a time", () => {
    const network = new SimNetwork({ clock: new VirtualClock() });
    const agent = new http.Agent();
    const attachment = attachAgent(agent, network, ["r0"]);
    assert.throws(() => attachAgent(agent, network, ["r0"]), /already attached/);
    attachment.detach();
    attachAgent(agent, network, ["r0"]).detach();
  });
});
