/**
 * Reports for the renderers' tests: between them every status, a failure
 * and known failures with counterexamples, errors, and text that markup
 * languages read as syntax.
 *
 * @module
 */
import type { Counterexample, PoolReport } from "../../harness/result.ts";
import type { RunSetup } from "../../harness/run_view.ts";

const setup = {
  config: {
    routes: ["r0", "r1"],
    maxTotal: 2,
    maxPerRoute: 1,
    maxPerRouteOverrides: {},
    connectTimeoutMs: 11,
    honourKeepAliveMax: false,
  },
  acquireTimeoutMs: 8,
  connectLatencyMs: 1,
  responseLatencyMs: 0,
  faults: true,
  heavy: false,
} as unknown as RunSetup;

/** A failure of LIM-2.a, as the harness prints one. */
export const LIMIT_FAILURE: Counterexample = {
  clause: "LIM-2.a",
  message: "3 live connections to r0; its limit is 2",
  step: 3,
  setup,
  commands: ['acquire("r0")', 'acquire("r0")', 'acquire("r0")'],
  steps: [
    "1. t=0 acquire #1 r0",
    "   ↳ t=1 acquire #1 got socket #1",
    "2. t=1 acquire #2 r0 (timeout 8 ms)",
    "   ↳ t=2 acquire #2 got socket #2",
    "3. t=2 acquire #3 r0   ← LIM-2.a breaks in this step",
  ],
  ledger: [
    '{"seq":1,"t":0,"type":"ConnectionCreated","socketId":1,"route":"r0"}',
    '{"seq":2,"t":1,"type":"ConnectionReady","socketId":1,"route":"r0"}',
    '{"seq":3,"t":1,"type":"ConnectionCreated","socketId":2,"route":"r0"}',
    '{"seq":4,"t":2,"type":"ConnectionReady","socketId":2,"route":"r0"}',
    '{"seq":5,"t":2,"type":"ConnectionCreated","socketId":3,"route":"r0"}',
  ],
  seed: 7,
  path: "1:2",
  replay: "deno task conformance --adapter sample --seed 7 --path 1:2 --rule LIM-2",
};

/** A known failure of CLS-2.d, listed under the whole rule. */
export const CLOSE_KNOWN: Counterexample = {
  clause: "CLS-2.d",
  message: "socket #1 idle in the closed pool is still open",
  step: 4,
  setup,
  commands: ['acquire("r0")', 'acquire("r0")', "release(held[0])", "close()"],
  steps: [
    "1. t=0 acquire #1 r0",
    "   ↳ t=0 acquire #1 got socket #1",
    "2. t=0 acquire #2 r0",
    "   ↳ t=0 acquire #2 got socket #2",
    "3. t=0 release #1 (socket #1)",
    "4. t=0 close()   ← CLS-2.d breaks in this step",
    "   ↳ t=0 close() resolved",
  ],
  ledger: [
    '{"seq":1,"t":0,"type":"ConnectionCreated","socketId":1,"route":"r0"}',
    '{"seq":2,"t":0,"type":"ConnectionReady","socketId":1,"route":"r0"}',
    '{"seq":3,"t":0,"type":"ConnectionChecked","socketId":1,"route":"r0","stale":false}',
    '{"seq":4,"t":0,"type":"ConnectionCreated","socketId":2,"route":"r0"}',
    '{"seq":5,"t":0,"type":"ConnectionReady","socketId":2,"route":"r0"}',
    '{"seq":6,"t":0,"type":"ConnectionChecked","socketId":2,"route":"r0","stale":false}',
  ],
  seed: 20261121,
  path: "0:29:3",
  replay: "npx poolcheck --adapter ./a.js --seed 20261121 --path 0:29:3 --rule CLS-2",
};

/**
 * A counterexample whose text is full of what XML, Markdown, HTML and
 * Mermaid read as syntax, with requests, a server close, a time note, a
 * line of an unknown shape and a ledger line that is not JSON.
 */
export const NASTY: Counterexample = {
  clause: "ERR-3.a",
  message: 'socket #2 <closed> & "reused"; 100% of `it` | end %% not a comment',
  step: 4,
  setup,
  commands: ['acquire("r0")', "use and release(held[0])", "serverClose(0)", 'acquire("r0")'],
  steps: [
    "1. t=0 acquire #1 r0",
    "   ↳ t=0 acquire #1 got socket #2",
    "2. t=0 request on #1 (socket #2)",
    "   then t=0 release #1 (socket #2)",
    "3. t=5 server closes socket #2",
    "   ↳ t=6 time moved on from t=5 while the pool settled (its timers due within the 1 ms tolerance)",
    "4. t=6 acquire #2 r0   ← ERR-3.a breaks in this step",
    "   ↳ t=6 acquire #2 got socket #2",
    "   ↳ t=6 something new; with #hash & <angle> {braces}",
    "5. heal: faults stop, every lease released, time passes every deadline",
  ],
  ledger: [
    '{"seq":1,"t":0,"type":"ConnectionCreated","socketId":2,"route":"r0"}',
    '{"seq":2,"t":0,"type":"ConnectionReady","socketId":2,"route":"r0"}',
    '{"seq":3,"t":0,"type":"RequestSent","socketId":2,"route":"r0","requestId":1}',
    '{"seq":4,"t":0,"type":"ResponseReceived","socketId":2,"route":"r0","requestId":1,"sequence":1,"keepAlive":{"timeoutMs":5,"max":3}}',
    '{"seq":5,"t":5,"type":"ConnectionHalfClosed","socketId":2,"route":"r0","reason":"server"}',
    "not json at all",
    '{"seq":6,"t":7,"type":"ConnectionClosed","socketId":2,"route":"r0","by":"server","reason":"peer-closed"}',
    '{"seq":7,"t":7,"type":"SomethingNew","socketId":2,"route":"r0"}',
  ],
  seed: 3,
  path: "4:4",
  replay: "poolcheck --adapter ./x.js --seed 3 --path 4:4 --rule ERR-3",
};

/** A report that is not ok: a failure, an unexpected pass, a rule not verified, errors. */
export const FAILING: PoolReport = {
  adapter: "sample",
  seed: 7,
  runs: 3,
  commands: 40,
  durationMs: 12,
  errors: ["checking stopped at its real-time budget of 50 ms after 3 runs: STA-1 not verified"],
  ok: false,
  rules: [
    { id: "LIM-1", title: "Live connections never exceed maxTotal", status: "pass" },
    { id: "LIM-2", title: "Per route", status: "fail", counterexample: LIMIT_FAILURE },
    {
      id: "INF-1",
      title: "In flight",
      status: "not-applicable",
      reason: "needs capability 'multiplexed'",
    },
    {
      id: "ORD-1",
      title: "Waiters in order",
      status: "unexpected-pass",
      reason: "ORD-1: waiters are served LIFO (its recorded reproduction passes now)",
      stale: [{
        key: "ORD-1",
        reason: "waiters are served LIFO",
        replay: "its recorded reproduction passes now",
      }],
    },
    {
      id: "STA-1",
      title: "Stats",
      status: "not-verified",
      reason: "checking stopped at its real-time budget of 50 ms",
    },
  ],
};

/**
 * A report that is ok: passes, known failures (one confirmed only by its
 * recorded reproduction), runs without a verdict and runs ended early, the
 * runs counted apart, and a corpus.
 */
export const KNOWN: PoolReport = {
  adapter: "known <pool> & co",
  seed: 20261121,
  runs: 1021,
  randomRuns: 1009,
  shrinkRuns: 12,
  shrinkSteps: 5,
  commands: 14318,
  durationMs: 5173,
  errors: [],
  ok: true,
  rules: [
    { id: "LIM-1", title: "Live connections never exceed maxTotal", status: "pass" },
    {
      id: "CLS-2",
      title: "After close, sockets are closed",
      status: "expected-fail",
      reason: "CLS-2: drain() then clear() keeps idle sockets open",
      counterexample: CLOSE_KNOWN,
      known: [{
        clause: "CLS-2",
        reason: "drain() then clear() keeps idle sockets open",
        counterexample: CLOSE_KNOWN,
      }],
    },
    {
      id: "ERR-3",
      title: "A closed connection is never handed out | not even once",
      status: "expected-fail",
      reason:
        "ERR-3.a: reuses a socket the <server> closed & says nothing (not found by this check; its recorded reproduction still fails)",
      counterexample: NASTY,
      known: [{
        clause: "ERR-3.a",
        reason:
          "reuses a socket the <server> closed & says nothing (not found by this check; its recorded reproduction still fails)",
        counterexample: NASTY,
        reproduced: true,
      }],
    },
  ],
  corpus: {
    replays: 2,
    failing: [{
      source: "corpus/known/CLS-2.d-0123456789ab.json",
      clause: "CLS-2.d",
      seed: 1,
      path: "20:1:1",
      note: "fails again: CLS-2.d",
    }],
    fixed: [{
      source: "corpus/known/LIM-1.a-ba9876543210.json",
      clause: "LIM-1.a",
      seed: 3,
      path: "3:0",
      note: "no longer fails",
    }],
    skipped: [],
  },
  inconclusive: {
    runs: 27,
    reasons: ["connect storm: over 100 connections opened in one step"],
    replay: "poolcheck --adapter ./known.ts --seed 20261121 --path 41 --runs 1",
  },
  endedEarly: 32,
};

/** A report whose check found nondeterminism and whose adapter wrote control characters. */
export const ODD: PoolReport = {
  adapter: "odd",
  seed: 1,
  runs: 1,
  commands: 2,
  durationMs: 1,
  errors: [],
  ok: false,
  nondeterminism: "a second run of seed 1 gave another trace:\u0007 step 2 differs",
  rules: [{ id: "LIM-1", title: "Live connections never exceed maxTotal", status: "pass" }],
};
