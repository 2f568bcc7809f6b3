/**
 * The read-only view of a run that rules judge from.
 *
 * @module
 */
import type { SimNetwork, SimSocket } from "../net/mod.ts";
import type { KeepAliveHint, Route, SocketId } from "../net/types.ts";
import type { PoolConfig, PoolUnderTest, Supports } from "./adapter.ts";
import type { AcquireRecord, SendRecord } from "./observations.ts";
import type { CommandKind } from "./commands/kinds.ts";
import type { ConfigProbe, InvalidOption } from "./invalid_options.ts";

/**
 * One run's drawn parameters: the pool config plus the environment the
 * harness plays (latencies, hints, timeouts) and the seed of `world.random`.
 */
export interface RunSetup {
  /** What the adapter is given. */
  readonly config: PoolConfig;
  /** Timeout of timed acquires, ms. */
  readonly acquireTimeoutMs: number | undefined;
  /** `timeout=N` of the keep-alive hints the server may send, ms. */
  readonly keepAliveHintMs: number | undefined;
  /** `max=M` of those hints. */
  readonly keepAliveMax: number | undefined;
  /** Keep-alive hint every route's server sends from the start (routes may change it later). */
  readonly serverHint: KeepAliveHint | undefined;
  /** Network default connect latency, ms. */
  readonly connectLatencyMs: number;
  /** Network default response latency, ms. */
  readonly responseLatencyMs: number;
  /** Seed of `world.random`. */
  readonly randomSeed: number;
  /**
   * Whether the run injects faults and maintenance calls (refused and hanging
   * connects, server closes, resets, clear, close). Calm runs reach deep
   * reuse and expiry paths that faults would cut short; they still evict
   * (closeIdle, closeExpired), less often.
   */
  readonly faults: boolean;
  /**
   * The kinds of command this run may draw beyond acquires, first releases
   * and time steps (swarm testing: each is drawn on or off per run). When
   * set, `faults` says whether any of them disturbs the pool from outside.
   * Undefined for a case drawn without swarm: every kind the declaration
   * allows is drawn, faults and maintenance only when `faults` is set.
   */
  readonly kinds?: readonly CommandKind[];
  /**
   * Heavy runs acquire more than they release (queues fill, waiters pile up);
   * light runs release more (idle connections are reused, reuse order and
   * expiry at lease are exercised).
   */
  readonly heavy: boolean;
  /**
   * Options offered an invalid value before the pool is created (CFG-1), each
   * in a creation of its own; drawn in some runs of a pool that declares
   * `validatesOptions`.
   */
  readonly invalidOptions?: readonly InvalidOption[];
  /**
   * Whether the harness calls `ready()` right after creating the pool;
   * drawn only for a pool that declares the policy `startsPaused`.
   */
  readonly readyAtStart?: boolean;
}

/** What the harness knows about a socket beyond the ledger: how callers used it. */
export interface SocketUse {
  /** The simulated socket. */
  readonly socket: SimSocket;
  /** Number of `clear()` calls before it was created. */
  readonly generation: number;
  /** Virtual time it was last released reusable into the pool; undefined while leased or never released. */
  idleSince: number | undefined;
  /** Ledger length at that release. */
  idleSinceSeq: number;
  /** Order of that release among all releases of the run (1, 2, …). */
  idleOrder: number;
  /** Hint of its last response at that release. */
  idleHint: KeepAliveHint | undefined;
  /** The acquire holding it now (non-multiplexed pools). */
  holder: AcquireRecord | undefined;
  /** Leases callers received on it so far (non-multiplexed pools). */
  leases: number;
  /** Released with `reusable: false`, at this ledger length. */
  brokenSeq: number | undefined;
  /** Ledger length at which the pool learnt the socket is dead (closed, stale, failed request). */
  observedDeadSeq: number | undefined;
}

/** The run as rules see it. */
export interface RunView {
  /** The run's drawn parameters. */
  readonly setup: RunSetup;
  /** The adapter's declaration. */
  readonly supports: Supports;
  /** The run's network (and its ledger). */
  readonly network: SimNetwork;
  /** The pool under test (rules read only `stats()`). */
  readonly pool: PoolUnderTest;
  /** Current virtual time. */
  now(): number;
  /** Current step, 1-based. */
  readonly step: number;
  /** Every acquire, in start order. */
  readonly acquires: readonly AcquireRecord[];
  /** The acquires still pending, in start order. */
  pending(): readonly AcquireRecord[];
  /** Every send, in send order. */
  readonly sends: readonly SendRecord[];
  /** How callers used a socket (undefined for unknown ids). */
  use(id: SocketId): SocketUse | undefined;
  /** Uses of every socket, in id order. */
  uses(): readonly SocketUse[];
  /** Uses of the sockets not closed, in id order (cheaper than filtering `uses()`). */
  liveUses(): readonly SocketUse[];
  /** The acquires holding a lease now, in start order. */
  held(): readonly AcquireRecord[];
  /** The route's connection limit (override or maxPerRoute). */
  limitOf(route: Route): number;
  /** Ledger length when `close()` was first called, if it was. */
  readonly closeSeq: number | undefined;
  /** Number of `clear()` calls so far. */
  readonly generation: number;
  /** `true` between `clear()` and `ready()`. */
  readonly paused: boolean;
  /** Whether the heal phase has begun. */
  readonly healing: boolean;
  /** Step in which `close()` was first called. */
  readonly closeStep: number | undefined;
  /** Whether the first `close()` resolved. */
  readonly closeResolved: boolean;
  /** Whether a second `close()` resolved (checked at the end of the run). */
  readonly secondCloseResolved: boolean;
  /** Step of the capacity probe, once it started. */
  readonly probeStep: number | undefined;
  /** Result of the capacity probe of the heal phase (LIV-2). */
  readonly probe: CapacityProbe | undefined;
  /** What creating the pool with each of the setup's invalid options did (CFG-1), when tried. */
  readonly configProbes?: readonly ConfigProbe[];
  /** Operations started and not yet settled. */
  pendingOperations(): string[];
  /**
   * Rule checks begun so far. Nothing a rule reads changes during a check,
   * so what rules derive from the run may be cached under this number.
   */
  readonly checks: number;
  /**
   * Calls of {@linkcode RunView.now} so far. A rule check that did not read
   * the clock cannot change its verdict when only time moves.
   */
  readonly clockReads: number;
  /**
   * Timers armed on the run's clock: the pool's own (on virtual time) and the
   * simulated network's.
   */
  readonly pendingTimers: number;
}

/** After heal: acquires up to every limit, and how many were served. */
export interface CapacityProbe {
  /** Acquires started. */
  readonly requested: number;
  /** Acquires served. */
  readonly served: number;
  /** Which routes were short, for the message. */
  readonly detail: string;
}

/**
 * Whether an idle socket is certainly still usable: open, not past any
 * configured deadline (with the tolerance as margin), of the current
 * generation, not known dead, and with no request in flight (a socket a pool
 * has sent a request on is in use even before any caller holds it: an HTTP
 * agent's lease resolves only with the response head). Rules that demand
 * reuse consider only these.
 *
 * @param run The run.
 * @param use The socket's use.
 * @returns `true` when any pool should consider it reusable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { certainlyUsable, type RunView, type SocketUse } from "./run_view.ts";
 *
 * const use = { idleSince: undefined } as SocketUse;
 * assert.equal(certainlyUsable({} as RunView, use), false);
 * ```
 */
export function certainlyUsable(run: RunView, use: SocketUse): boolean {
  if (use.idleSince === undefined || use.socket.state !== "open") return false;
  if (use.generation !== run.generation || use.observedDeadSeq !== undefined) return false;
  if (use.brokenSeq !== undefined || use.socket.inFlight > 0) return false;
  const { config } = run.setup;
  const now = run.now();
  const margin = run.supports.toleranceMs + 1;
  const keepAlive = use.idleHint?.timeoutMs ?? config.defaultKeepAliveMs;
  // The earliest TTL deadline a pool may keep: one counting from the start of
  // the connect may already have expired it (EXP-1 judges the latest one).
  if (config.ttlMs !== undefined && now + margin >= use.socket.createdAt + config.ttlMs) {
    return false;
  }
  if (keepAlive !== undefined && now + margin >= use.idleSince + keepAlive) return false;
  if (config.maxIdleMs !== undefined && now + margin >= use.idleSince + config.maxIdleMs) {
    return false;
  }
  const max = use.idleHint?.max;
  if (config.honourKeepAliveMax && max !== undefined && use.socket.requestsServed >= max) {
    return false;
  }
  // A connection that served its maxUses leases is retired, even if the pool
  // closes it only when it next meets it (EXP-6).
  if (config.maxUses !== undefined && use.leases >= config.maxUses) return false;
  const validate = config.validateAfterInactivityMs;
  return validate === undefined || now - use.idleSince <= validate;
}
