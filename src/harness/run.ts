/**
 * One run: a fresh world, the pool under test, the caller's record, the
 * settle loop and the rule checks after every step.
 *
 * @module
 */
import { VirtualClock } from "../clock/virtual_clock.ts";
import { GlobalTimeDriver, realTimers } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import { EndableClock } from "./_endable_clock.ts";
import { SimNetwork } from "../net/mod.ts";
import type { Route, SocketId } from "../net/types.ts";
import type { Adapter, PoolUnderTest, Supports, World } from "./adapter.ts";
import { validatePoolUnderTest } from "./adapter.ts";
import {
  type AcquireRecord,
  type CallerEvent,
  errorCode,
  type SendRecord,
} from "./observations.ts";
import { type Rule, type RuleChecker, RuleViolation } from "./rule.ts";
import {
  type CapacityProbe,
  certainlyUsable,
  type RunSetup,
  type RunView,
  type SocketUse,
} from "./run_view.ts";

/** Options of one run. */
export interface RunOptions {
  /** Rules to check (already filtered to those that apply). */
  readonly rules: readonly Rule[];
  /** Real-time budget of the run in ms; beyond it the run fails. @default {10_000} */
  readonly watchdogMs?: number;
  /** Record a readable line per step (for counterexamples). @default {false} */
  readonly trace?: boolean;
}

/** Microtask hops per settle round. */
const HOPS = 12;
/**
 * Consecutive quiet rounds that end a settle on global time. Each such round
 * also yields one real macrotask, so a third-party pool's `nextTick` and
 * long promise chains get to run.
 */
const QUIET_GLOBAL = 2;
/**
 * Consecutive quiet rounds that end a settle while a `close()` is pending:
 * a pool may take dozens of promise hops to destroy its connections with
 * nothing reaching the ledger meanwhile (tarn's destroy takes some 30).
 */
const QUIET_CLOSING = 8;
/** Rounds per settle before the pool is declared busy forever. */
const MAX_ROUNDS = 2_000;
/** Timer deadlines crossed by one advance before it is declared a timer storm. */
const MAX_DEADLINES = 5_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A run in progress. Commands call its operations; each operation is
 * followed by {@linkcode Run.endStep}, which settles the pool and checks the
 * rules incrementally.
 */
export class Run implements RunView {
  readonly setup: RunSetup;
  readonly supports: Supports;
  readonly network: SimNetwork;
  readonly clock: DrivableClock;
  readonly world: World;
  readonly acquires: AcquireRecord[] = [];
  readonly sends: SendRecord[] = [];
  readonly callerEvents: CallerEvent[] = [];
  /** Readable line per step when tracing. */
  readonly lines: string[] = [];
  pool!: PoolUnderTest;
  step = 0;
  closeSeq: number | undefined;
  closeStep: number | undefined;
  closeResolved = false;
  secondCloseResolved = false;
  probe: CapacityProbe | undefined;
  probeStep: number | undefined;
  generation = 0;
  paused = false;
  healing = false;
  #adapter: Adapter;
  #rules: readonly Rule[];
  #checkers: { rule: Rule; checker: RuleChecker }[] = [];
  #uses: SocketUse[] = [];
  #ledgerCursor = 0;
  #callerCursor = 0;
  #activity = 0;
  #deadline: number;
  #trace: boolean;
  #driver: GlobalTimeDriver | undefined;
  #endable: EndableClock | undefined;
  #pendingOps = new Map<number, string>();
  /** `close()` calls not yet settled: the settle waits longer for them. */
  #closing = 0;
  #nextOp = 1;
  #releases = 0;
  #settled = 0;
  #failure: RuleViolation | undefined;
  /** Set once the run is over: late settlements of the pool's promises are ignored. */
  #endedAt: number | undefined;

  /**
   * @param adapter The adapter (already validated).
   * @param setup The drawn parameters.
   * @param options Rules and budgets.
   */
  constructor(adapter: Adapter, setup: RunSetup, options: RunOptions) {
    const { watchdogMs = 10_000, trace = false } = options;
    this.#adapter = adapter;
    this.#rules = options.rules;
    this.#trace = trace;
    this.#deadline = realTimers.now() + watchdogMs;
    this.setup = setup;
    this.supports = adapter.supports;
    if (adapter.supports.timeMode === "global") {
      this.#driver = GlobalTimeDriver.install();
      this.#endable = new EndableClock(this.#driver);
      this.clock = this.#endable;
    } else {
      this.clock = new VirtualClock();
    }
    this.network = new SimNetwork({
      clock: this.clock,
      defaults: {
        connectLatencyMs: setup.connectLatencyMs,
        responseLatencyMs: setup.responseLatencyMs,
        ...(setup.serverHint === undefined ? {} : { keepAliveHint: setup.serverHint }),
      },
    });
    // Held responses are a route setting, not a default, so heal() releases them.
    if (adapter.supports.capabilities.includes("multiplexed")) {
      for (const route of setup.config.routes) {
        this.network.configure(route, { manualResponses: true });
      }
    }
    this.world = { clock: this.clock, network: this.network, random: mulberry32(setup.randomSeed) };
  }

  /** Create the pool and start the checkers. */
  async start(): Promise<void> {
    const created = this.#adapter.create(this.setup.config, this.world);
    const pool = created instanceof Promise ? await this.#awaitSettled(created, "create") : created;
    validatePoolUnderTest(this.#adapter.name, pool, this.supports);
    this.pool = pool;
    this.#checkers = this.#rules.map((rule) => ({ rule, checker: rule.start(this) }));
    await this.settle();
  }

  /** Remove faked global time, if any. Always call, failure or not. */
  dispose(): void {
    this.#endedAt = this.clock.now();
    this.#endable?.end();
    this.#driver?.uninstall();
    this.#driver = undefined;
  }

  now(): number {
    return this.#endedAt ?? this.clock.now();
  }

  limitOf(route: Route): number {
    const { config } = this.setup;
    return config.maxPerRouteOverrides[route] ?? config.maxPerRoute;
  }

  use(id: SocketId): SocketUse | undefined {
    this.#syncUses();
    return this.#uses[id - 1];
  }

  uses(): readonly SocketUse[] {
    this.#syncUses();
    return this.#uses;
  }

  /** Acquires holding a lease now, in the order they got it. */
  held(): AcquireRecord[] {
    return this.acquires.filter((a) => a.status === "leased");
  }

  /** Record a caller event. */
  record(event: CallerEvent): void {
    this.callerEvents.push(event);
    this.#activity++;
    if (this.#trace) this.#traceOutcome(event);
  }

  #traceOutcome(event: CallerEvent): void {
    const at = `   ↳ t=${this.now()}`;
    if (event.kind === "acquire-resolved") {
      this.lines.push(
        `${at} acquire #${event.acquire.id} got socket #${event.acquire.facts?.socketId}`,
      );
    } else if (event.kind === "acquire-rejected") {
      this.lines.push(`${at} acquire #${event.acquire.id} rejected (${event.acquire.errorCode})`);
    } else if (event.kind === "send-resolved") {
      const { seq, socketId, sequence } = event.send;
      this.lines.push(`${at} send #${seq} answered on socket #${socketId} (response ${sequence})`);
    } else if (event.kind === "send-rejected") {
      this.lines.push(`${at} send #${event.send.seq} failed (${event.send.errorCode})`);
    } else if (event.kind === "bad-release") {
      this.lines.push(`${at} second release ${event.rejected ? "refused" : "accepted"}`);
    } else if (event.kind === "close-resolved") {
      this.lines.push(`${at} close() resolved`);
    }
  }

  /** Describe this step in the trace. */
  describe(line: () => string): void {
    if (this.#trace) this.lines.push(line());
  }

  /** Start an acquire; never awaited here. */
  acquire(route: Route, timeoutMs: number | undefined): AcquireRecord {
    const record: AcquireRecord = {
      id: this.acquires.length + 1,
      route,
      timeoutMs,
      startedAt: this.now(),
      startSeq: this.network.ledger.length,
      startStep: this.step,
      status: "pending",
    };
    this.acquires.push(record);
    this.record({ kind: "acquire-started", acquire: record });
    const options = timeoutMs === undefined ? {} : { timeoutMs };
    this.#track(`acquire #${record.id} (${route})`, () => this.pool.acquire(route, options), {
      ok: (lease) => this.#onLeased(record, lease),
      err: (error) => this.#onSettled(record, "rejected", errorCode(error)),
    });
    return record;
  }

  #onLeased(record: AcquireRecord, lease: unknown): void {
    if (record.status !== "pending") return;
    let socketId: SocketId;
    try {
      socketId = this.pool.connectionOf(lease);
    } catch (error) {
      this.#failure ??= new RuleViolation(
        "LSE-2",
        this.step,
        `connectionOf() threw: ${errorCode(error)}`,
      );
      return;
    }
    const socket = this.network.socket(socketId);
    record.lease = lease;
    this.#syncUses();
    const candidates = this.#uses.filter((u) =>
      u.socket.route === record.route && u.idleSince !== undefined && certainlyUsable(this, u)
    ).map((u) => ({
      id: u.socket.id,
      idleSince: u.idleSince!,
      idleSinceSeq: u.idleSinceSeq,
      idleOrder: u.idleOrder,
    }));
    const use = this.#uses[socketId - 1];
    record.facts = {
      socketId,
      socketRoute: socket?.route,
      state: socket?.state,
      served: socket?.requestsServed ?? 0,
      hint: socket?.lastKeepAlive,
      candidates,
      idleSince: use?.idleSince,
      idleSinceSeq: use?.idleSinceSeq ?? 0,
      idleHint: use?.idleHint,
    };
    this.#onSettled(record, "leased", undefined);
    if (use !== undefined && !this.supports.capabilities.includes("multiplexed")) {
      use.holder = record;
      use.idleSince = undefined;
    }
  }

  #onSettled(record: AcquireRecord, status: "leased" | "rejected", code: string | undefined): void {
    if (record.status !== "pending") return;
    record.status = status;
    record.settledAt = this.now();
    record.settleSeq = this.network.ledger.length;
    record.settleStep = this.step;
    record.settleOrder = ++this.#settled;
    if (code !== undefined) record.errorCode = code;
    this.record({
      kind: status === "leased" ? "acquire-resolved" : "acquire-rejected",
      acquire: record,
    });
  }

  /** Release a held lease. */
  release(record: AcquireRecord, reusable: boolean): void {
    const facts = record.facts;
    if (record.status !== "leased" || facts === undefined) return;
    record.status = "released";
    record.reusable = reusable;
    record.releasedAt = this.now();
    record.releaseSeq = this.network.ledger.length;
    const use = this.use(facts.socketId);
    if (use !== undefined && use.holder === record) {
      use.holder = undefined;
      if (reusable) {
        use.idleSince = this.now();
        use.idleSinceSeq = this.network.ledger.length;
        use.idleOrder = ++this.#releases;
        use.idleHint = use.socket.lastKeepAlive;
      } else {
        use.brokenSeq = this.network.ledger.length;
      }
    }
    this.record({ kind: "released", acquire: record, reusable });
    this.#track(`release #${record.id}`, () => this.pool.release(record.lease, { reusable }), {});
  }

  /** Release an already released lease again; the pool should refuse. */
  releaseAgain(record: AcquireRecord): void {
    const seqBefore = this.network.ledger.length;
    let rejected = false;
    const done = (r: boolean) => {
      rejected = r;
      this.record({ kind: "bad-release", acquire: record, rejected, seqBefore });
    };
    try {
      const result = this.pool.release(record.lease, { reusable: true });
      if (result instanceof Promise) result.then(() => done(false), () => done(true));
      else done(false);
    } catch {
      done(true);
    }
  }

  /** Make one request on a held lease's connection. */
  request(record: AcquireRecord): void {
    if (record.status !== "leased" || record.facts === undefined) return;
    const socket = this.network.socket(record.facts.socketId);
    const pool = this.pool;
    const start = () => pool.request !== undefined ? pool.request(record.lease) : socket!.request();
    if (socket === undefined && pool.request === undefined) return;
    this.#track(`request on #${record.id}`, start, {});
  }

  /** Send a multiplexed request. */
  send(route: Route): SendRecord {
    const record: SendRecord = {
      seq: this.sends.length + 1,
      route,
      startedAt: this.now(),
      status: "pending",
    };
    this.sends.push(record);
    this.record({ kind: "send-started", send: record });
    const finish = (status: "resolved" | "rejected") => {
      record.status = status;
      record.settledAt = this.now();
      record.settleStep = this.step;
    };
    this.#track(`send #${record.seq} (${route})`, () => this.pool.send!(route, record), {
      ok: (response) => {
        if (record.status !== "pending") return;
        record.socketId = response.socketId;
        record.requestId = response.requestId;
        record.sequence = response.sequence;
        finish("resolved");
        this.record({ kind: "send-resolved", send: record });
      },
      err: (error) => {
        if (record.status !== "pending") return;
        record.errorCode = errorCode(error);
        finish("rejected");
        this.record({ kind: "send-rejected", send: record });
      },
    });
    return record;
  }

  /** Call a maintenance operation. */
  maintain(op: "closeIdle" | "closeExpired" | "clear" | "ready", idleMs?: number): void {
    const event = {
      kind: "maintenance",
      op,
      t: this.now(),
      seq: this.network.ledger.length,
    } as const;
    this.record(idleMs === undefined ? event : { ...event, idleMs });
    if (op === "clear") {
      this.generation++;
      this.paused = true;
    }
    if (op === "ready") this.paused = false;
    const pool = this.pool;
    const call = op === "closeIdle"
      ? () => pool.closeIdle?.(idleMs ?? 0)
      : op === "closeExpired"
      ? () => pool.closeExpired?.()
      : op === "clear"
      ? () => pool.clear?.()
      : () => pool.ready?.();
    this.#track(op, call, {});
  }

  /** Call `close()`. */
  close(): void {
    const seq = this.network.ledger.length;
    const first = this.closeSeq === undefined;
    if (!first) {
      this.#track("second close", () => this.pool.close(), {
        ok: () => (this.secondCloseResolved = true),
      }, true);
      return;
    }
    this.closeSeq = seq;
    this.closeStep = this.step;
    this.record({ kind: "close-started", t: this.now(), seq });
    this.#track("close", () => this.pool.close(), {
      ok: () => {
        this.closeResolved = true;
        this.record({
          kind: "close-resolved",
          t: this.now(),
          seq: this.network.ledger.length,
          live: this.network.ledger.live().length,
        });
      },
    }, true);
  }

  /** Operations started and not yet settled, for a hang report. */
  pendingOperations(): string[] {
    return [...this.#pendingOps.values()];
  }

  #track<T>(
    label: string,
    call: () => T | Promise<T>,
    handlers: { ok?: (value: T) => void; err?: (error: unknown) => void },
    closing = false,
  ): void {
    const id = this.#nextOp++;
    let result: T | Promise<T>;
    try {
      result = call();
    } catch (error) {
      if (error instanceof RuleViolation) throw error;
      handlers.err?.(error);
      return;
    }
    if (!(result instanceof Promise)) {
      handlers.ok?.(result);
      return;
    }
    this.#pendingOps.set(id, label);
    if (closing) this.#closing++;
    const done = () => {
      this.#pendingOps.delete(id);
      if (closing) this.#closing--;
      this.#activity++;
    };
    result.then(
      (value) => {
        if (this.#endedAt !== undefined) return;
        done();
        handlers.ok?.(value);
      },
      (error) => {
        if (this.#endedAt !== undefined) return;
        done();
        handlers.err?.(error);
      },
    );
  }

  async #awaitSettled<T>(promise: Promise<T>, label: string): Promise<T> {
    let outcome: { value: T } | { error: unknown } | undefined;
    promise.then((value) => (outcome = { value }), (error) => (outcome = { error }));
    await this.settle();
    if (outcome === undefined) {
      throw new RuleViolation("LIV-1", this.step, `${label} never settled`);
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }

  #syncUses(): void {
    const sockets = this.network.sockets();
    for (let i = this.#uses.length; i < sockets.length; i++) {
      this.#uses.push({
        socket: sockets[i]!,
        generation: this.generation,
        idleSince: undefined,
        idleSinceSeq: 0,
        idleOrder: 0,
        idleHint: undefined,
        holder: undefined,
        brokenSeq: undefined,
        observedDeadSeq: undefined,
      });
    }
  }

  /**
   * Flush microtasks and due timers until a round brings nothing new.
   *
   * @throws {RuleViolation} LIV-1 if the pool never quiets down.
   */
  async settle(): Promise<void> {
    const ledger = this.network.ledger;
    const global = this.#driver !== undefined;
    // fake-timers moves a 0 ms timer armed inside a running timer to now+1:
    // on global time, while operations are pending, follow-up work due within
    // the tolerance (at least 1 ms) of the settle's start still belongs to it.
    const reach = global ? this.now() + Math.max(1, this.supports.toleranceMs) : -Infinity;
    for (let round = 0, quiet = 0; round < MAX_ROUNDS; round++) {
      const before = this.#activity + ledger.length;
      for (let i = 0; i < HOPS; i++) await Promise.resolve();
      // One real macrotask: `process.nextTick` callbacks (pg-pool hands idle
      // clients over on one) run only once the microtask queue drains.
      if (global) await new Promise<void>((resolve) => realTimers.setImmediate(resolve));
      const ran = this.clock.runDue();
      if (ran > 0 || this.#activity + ledger.length !== before) {
        quiet = 0;
        continue;
      }
      quiet++;
      const needed = this.#closing > 0 ? QUIET_CLOSING : global ? QUIET_GLOBAL : 1;
      if (quiet < needed) continue;
      const next = global && this.#pendingOps.size > 0 ? this.clock.nextDeadline() : undefined;
      if (next === undefined || next > reach) return;
      this.clock.advanceTo(Math.max(next, this.now()));
      quiet = 0;
    }
    throw new RuleViolation("LIV-1", this.step, "the pool never settled (busy without end)");
  }

  /** Move virtual time to `target`, settling at every timer deadline on the way. */
  async advanceTo(target: number): Promise<void> {
    for (let crossed = 0; crossed < MAX_DEADLINES; crossed++) {
      const next = this.clock.nextDeadline();
      if (next === undefined || next > target) {
        if (target > this.now()) this.clock.advanceTo(target);
        await this.settle();
        return;
      }
      this.clock.advanceTo(Math.max(next, this.now()));
      await this.settle();
      this.#watchdog();
    }
    throw new RuleViolation("LIV-1", this.step, `timer storm: over ${MAX_DEADLINES} deadlines`);
  }

  #watchdog(): void {
    if (realTimers.now() > this.#deadline) {
      const pending = this.pendingOperations().slice(0, 8).join(", ") || "none";
      throw new RuleViolation(
        "LIV-1",
        this.step,
        `watchdog: run exceeded its real-time budget (pending: ${pending})`,
      );
    }
  }

  /** Settle, then run every checker's step check. */
  async endStep(): Promise<void> {
    await this.settle();
    this.#watchdog();
    this.#check("step");
  }

  /** Ledger length at the start of each step (index = step). */
  readonly stepSeq: number[] = [0];

  /** Run the phase checks (`healed` or `closed`). */
  checkPhase(phase: "healed" | "closed"): void {
    this.#check(phase);
  }

  #check(phase: "step" | "healed" | "closed"): void {
    this.#syncUses();
    const ledger = this.network.ledger;
    const context = {
      run: this,
      ledger: ledger.since(this.#ledgerCursor),
      callers: this.callerEvents.slice(this.#callerCursor),
    };
    if (this.#failure !== undefined) throw this.#failure;
    this.#markDead(context.ledger);
    this.#ledgerCursor = ledger.length;
    this.#callerCursor = this.callerEvents.length;
    for (const { rule, checker } of this.#checkers) {
      const check = checker[phase];
      if (check === undefined) continue;
      const message = check.call(checker, context);
      if (message !== undefined) throw new RuleViolation(rule.id, this.step, message);
    }
  }

  #markDead(events: ReturnType<SimNetwork["ledger"]["since"]>): void {
    for (const event of events) {
      const dead = event.type === "ConnectionClosed" ||
        (event.type === "ConnectionChecked" && event.stale);
      const use = this.#uses[event.socketId - 1];
      if (dead && use !== undefined) use.observedDeadSeq ??= event.seq;
    }
  }
}
