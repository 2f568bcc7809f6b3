import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referenceAdapter } from "../../../conformance/reference/adapter.ts";
import type { Supports } from "../adapter.ts";
import { poolConfigOf } from "../pool_config.ts";
import type { RunSetup } from "../run_view.ts";
import {
  AcquireCommand,
  AcquireWhenIdleCommand,
  ClearCommand,
  CloseCommand,
  CloseExpiredCommand,
  CloseIdleCommand,
  commandArbitraries,
  type CommandKind,
  ConnectFaultCommand,
  KeepAliveHintCommand,
  optionalKinds,
  ReleaseCommand,
  ReleaseTwiceCommand,
  RequestCommand,
  ResetCommand,
  ServerCloseCommand,
} from "./mod.ts";

const SETUP: RunSetup = {
  config: poolConfigOf({ routes: ["r0", "r1"], connectTimeoutMs: 20 }),
  acquireTimeoutMs: 10,
  keepAliveHintMs: 50,
  keepAliveMax: 2,
  serverHint: undefined,
  connectLatencyMs: 0,
  responseLatencyMs: 0,
  randomSeed: 1,
  faults: true,
  heavy: true,
};

/** The script lines of many commands drawn for a setup, by kind. */
function draw(supports: Supports, setup: RunSetup): Map<string, string[]> {
  const commands = fc.sample(fc.oneof(...commandArbitraries(supports, setup)), {
    seed: 7,
    numRuns: 4_000,
  });
  const kinds = new Map<string, string[]>();
  for (const command of commands) {
    const kind = kindOf(command);
    kinds.set(kind, [...kinds.get(kind) ?? [], String(command)]);
  }
  return kinds;
}

function kindOf(command: unknown): string {
  if (command instanceof AcquireCommand || command instanceof AcquireWhenIdleCommand) {
    return command.timed ? "timed" : "acquire";
  }
  if (command instanceof ReleaseCommand) return command.reusable ? "release" : "broken";
  if (command instanceof ReleaseTwiceCommand) {
    return command.reusable ? "releaseAgain" : "releaseAgain broken";
  }
  if (command instanceof RequestCommand) return "request";
  if (command instanceof KeepAliveHintCommand) return "hint";
  if (command instanceof CloseIdleCommand) return "closeIdle";
  if (command instanceof CloseExpiredCommand) return "closeExpired";
  if (command instanceof ClearCommand) return "clear";
  if (command instanceof CloseCommand) return "close";
  if (command instanceof ConnectFaultCommand) {
    return command.mode === "ok" ? "connects ok" : command.mode;
  }
  if (command instanceof ServerCloseCommand) return "serverClose";
  if (command instanceof ResetCommand) return "reset";
  return "time";
}

const ALWAYS = ["acquire", "release", "broken", "releaseAgain", "releaseAgain broken", "time"];

describe("the kinds of command a run draws", () => {
  test("the reference pool can be given every optional kind", () => {
    assert.deepEqual(optionalKinds(referenceAdapter.supports), [
      "timed",
      "request",
      "hint",
      "closeIdle",
      "closeExpired",
      "clear",
      "close",
      "refuse",
      "hang",
      "serverClose",
      "reset",
      "badCall",
    ]);
  });

  test("a swarm run that drew no optional kind only acquires, releases in every form and lets time pass", () => {
    const drawn = draw(referenceAdapter.supports, { ...SETUP, kinds: [] });
    assert.deepEqual([...drawn.keys()].sort(), [...ALWAYS].sort());
  });

  test("a swarm run draws exactly the optional kinds it lists", () => {
    const kinds: CommandKind[] = ["timed", "hang", "serverClose"];
    const drawn = draw(referenceAdapter.supports, { ...SETUP, kinds });
    assert.deepEqual(
      [...drawn.keys()].sort(),
      [...ALWAYS, "timed", "hang", "connects ok", "serverClose"].sort(),
    );
  });

  test("every kind is drawn when every kind is on, and without swarm in a run with faults", () => {
    const every = [
      ...ALWAYS,
      "timed",
      "request",
      "hint",
      "closeIdle",
      "closeExpired",
      "clear",
      "close",
      "refuse",
      "hang",
      "connects ok",
      "serverClose",
      "reset",
    ].sort();
    const all = optionalKinds(referenceAdapter.supports);
    assert.deepEqual(
      [...draw(referenceAdapter.supports, { ...SETUP, kinds: all }).keys()].sort(),
      every,
    );
    assert.deepEqual([...draw(referenceAdapter.supports, SETUP).keys()].sort(), every);
  });

  test("repeated releases are drawn for pools that do not promise to refuse them, broken too", () => {
    const supports: Supports = {
      ...referenceAdapter.supports,
      capabilities: referenceAdapter.supports.capabilities.filter((c) => c !== "rejectsBadRelease"),
    };
    const drawn = draw(supports, { ...SETUP, kinds: [] });
    assert.ok(drawn.has("releaseAgain"));
    assert.match(
      drawn.get("releaseAgain broken")![0]!,
      /^releaseAgain\(released\[\d+\], broken\)$/,
    );
  });

  test("a pool that takes no broken releases is never given one, first or repeated", () => {
    const supports: Supports = {
      ...referenceAdapter.supports,
      capabilities: referenceAdapter.supports.capabilities.filter((c) => c !== "releaseBroken"),
    };
    const drawn = draw(supports, { ...SETUP, kinds: [] });
    assert.equal(drawn.has("broken"), false);
    assert.equal(drawn.has("releaseAgain broken"), false);
    assert.ok(drawn.has("releaseAgain"));
  });
});
