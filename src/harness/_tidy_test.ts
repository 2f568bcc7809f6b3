import assert from "node:assert/strict";
import { test } from "node:test";
import { BROKEN_POOLS } from "../../fixtures/broken/mod.ts";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { RULES } from "./rules/mod.ts";
import { RuleViolation } from "./rule.ts";
import { runCase } from "./run_case.ts";
import { caseFromScript, caseToScript } from "./script.ts";
import { tidyCase } from "./_tidy.ts";

// The case fast-check shrinks seed 1 of this broken pool to: nine commands, the fifth of which
// ("release … after timer[0]", nothing held) only moves time, from t=6 to t=14, for the sixth
// (the third deadline, less 1: t=84) to aim from. Taken out alone, the sixth aims elsewhere.
const NINE = {
  setup: {
    "config": {
      "routes": ["r0"],
      "maxTotal": 1,
      "maxPerRoute": 1,
      "maxPerRouteOverrides": {},
      "maxConnecting": 1,
      "maxWaiters": 1,
      "ttlMs": { "$": "undefined" },
      "defaultKeepAliveMs": { "$": "undefined" },
      "honourKeepAliveMax": false,
      "maxUses": { "$": "undefined" },
      "validateAfterInactivityMs": { "$": "undefined" },
      "connectTimeoutMs": 5,
      "reconnectBackoffMs": 10,
      "reconnectBackoffMaxMs": 80,
      "maxIdleMs": { "$": "undefined" },
      "maxInFlight": { "$": "undefined" },
    },
    "acquireTimeoutMs": 1,
    "keepAliveHintMs": 5,
    "keepAliveMax": 1,
    "connectLatencyMs": 0,
    "responseLatencyMs": 0,
    "randomSeed": 0,
    "heavy": false,
    "kinds": ["hang"],
    "faults": true,
    "serverHint": { "$": "undefined" },
  },
  commands: [
    {
      "command": "connectFault",
      "route": "r0",
      "mode": "hang",
    },
    {
      "command": "atTimer",
      "side": "after",
      "index": 0,
      "action": {
        "kind": "acquire",
        "route": "r0",
        "timed": false,
      },
    },
    {
      "command": "advanceToDeadline",
      "index": 0,
      "offset": 1,
    },
    {
      "command": "acquire",
      "route": "r0",
      "timed": false,
      "at": {
        "$": "undefined",
      },
    },
    {
      "command": "atTimer",
      "side": "after",
      "index": 0,
      "action": {
        "kind": "release",
        "index": 0,
        "reusable": true,
      },
    },
    {
      "command": "advanceToDeadline",
      "index": 2,
      "offset": -1,
    },
    {
      "command": "acquire",
      "route": "r0",
      "timed": false,
      "at": {
        "$": "undefined",
      },
    },
    {
      "command": "advance",
      "ms": 5,
    },
    {
      "command": "acquire",
      "route": "r0",
      "timed": false,
      "at": {
        "$": "undefined",
      },
    },
  ],
};

const broken = BROKEN_POOLS.find((b) => b.adapter.name === "broken-backoff-multiplier-hardcoded")!;
const rules = RULES.filter((r) => r.id === "TMO-3");

async function violationOf(value: ReturnType<typeof caseFromScript>) {
  try {
    await runCase(broken.adapter, value, { rules });
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
  return undefined;
}

test("a command taken out with the next time step pinned to where it went", async () => {
  const nine = caseFromScript(NINE);
  const error = (await violationOf(nine))!;
  assert.equal(error.clause, "TMO-3.b");
  const tidied = await tidyCase(broken.adapter, rules, nine, error, { watchdogMs: 10_000 });
  const commands = [...tidied.value.commands].map(String);
  assert.equal(commands.length, 8);
  assert.deepEqual(commands.slice(3, 6), ['acquire("r0")', "advanceUntil(84)", 'acquire("r0")']);
  assert.equal(tidied.error.clause, "TMO-3.b");
  // The shorter case breaks the clause on its own, and survives a script.
  const again = await violationOf(caseFromScript(caseToScript(tidied.value)));
  assert.equal(again?.clause, "TMO-3.b");
});

test("a case nothing shortens comes back as it was", async () => {
  const nine = caseFromScript(NINE);
  const error = (await violationOf(nine))!;
  // Against the reference pool, which does not break TMO-3, no candidate reproduces it.
  const kept = await tidyCase(referenceAdapter, rules, nine, error, { watchdogMs: 10_000 });
  assert.equal(kept.value, nine);
  assert.equal(kept.error, error);
});
