/**
 * One run: a fresh world, the pool under test, the caller's record, the
 * settle loop and the rule checks after every step.
 *
 * @module
 */
import { VirtualClock } from "../clock/virtual_clock.ts";
import { GlobalTimeDriver, type GlobalTimeOwner } from "../clock/global_time.ts";
import type { DrivableClock } from "../clock/types.ts";
import { EndableClock } from "./_endable_clock.ts";
import { SimNetwork } from "../net/mod.ts";
import { seededRandom } from "../random.ts";
import type { Route, SocketId } from "../net/types.ts";
import type { Adapter, PoolUnderTest, Supports, World } from "./adapter.ts";
import { shapedAcquireRecord, shapedCallerEvent, shapedPoolEvent } from "./_shapes.ts";
import { validatePoolUnderTest } from "./adapter_validation.ts";
import { type ConfigProbe, probeInvalidConfig } from "./invalid_options.ts";
import type { InvalidArgument } from "./invalid_arguments.ts";
import * as calls from "./_calls.ts";
import { leaseFacts } from "./_lease_facts.ts";
import { Operations } from "./_operations.ts";
import { RuleChecks } from "./_rule_checks.ts";
import { InconclusiveRun, RunEndedEarly } from "./_run_end.ts";
import { advanceTo, settle, type Settling } from "./_settle.ts";
import { SocketUses } from "./_socket_uses.ts";
import { Watchdog } from "./_watchdog.ts";
import { outcomeLine } from "./_trace.ts";
import {
  type AcquireRecord,
  type BadCallRecord,
  type CallerEvent,
  errorText,
  rejectionFacts,
  type SendRecord,
} from "./observations.ts";
import { type Rule, RuleViolation } from "./rule.ts";
import {
  type CapacityProbe,
  certainlyUsable,
  type RunSetup,
  type RunView,
  type SocketUse,
} from "./run_view.ts";

/**
 * At most this many instants a rule is owed a check at, within one move of
 * time: every further one is judged when the move ends (bounds the cost when a
 * rule keeps naming instants).
 */
const MAX_DUE_STOPS = 64;

/** Options of one run. */
export interface RunOptions {
  /** Rules to check (already filtered to those that apply). */
  readonly rules: readonly Rule[];
  /**
   * Real-time budget of the run in ms; beyond it the run fails LIV-1 (or
   * ends inconclusive when LIV-1 is not among `rules`). @default {10_000}
   */
  readonly watchdogMs?: number;
  /** Record a readable line per step (for counterexamples). @default {false} */
  readonly trace?: boolean;
  /**
   * Judge every rule again after a step in which only time moved, instead of
   * only those whose verdict can change (the reference the skip is tested
   * against). @default {false}
   */
  readonly judgeEveryStep?: boolean;
  /** Who holds global time during the run (the check). @default {undefined} */
  readonly timeOwner?: GlobalTimeOwner;
}

/**
 * A run in progress. Commands call its operations; each operation is
 * followed by {@linkcode Run.endStep}, which settles the pool and checks the
 * rules incrementally.
 */
export class Run implements RunView, Settling {
  readonly setup: RunSetup;
  readonly supports: Supports;
  readonly network: SimNetwork;
  readonly ledger: SimNetwork["ledger"];
  readonly clock: DrivableClock;
  readonly world: World;
  readonly global: boolean;
  readonly toleranceMs: number;
  readonly acquires: AcquireRecord[] = [];
  /** The acquires not yet over (pending or leased), in start order; see `held()`. */
  #open: AcquireRecord[] = [];
  readonly sends: SendRecord[] = [];
  readonly callerEvents: CallerEvent[] = [];
  /** Operations started on the pool and not yet settled. */
  readonly operations: Operations = new Operations();
  /** Readable line per step when tracing. */
  readonly lines: string[] = [];
  /** Steps (when tracing) whose command found nothing to act on. */
  readonly noopSteps: Set<number> = new Set();
  /** Ledger length at the start of each step (index = step). */
  readonly stepSeq: number[] = [0];
  pool!: PoolUnderTest;
  step = 0;
  closeSeq: number | undefined;
  closeStep: number | undefined;
  closeResolved = false;
  secondCloseResolved = false;
  probe: CapacityProbe | undefined;
  probeStep: number | undefined;
  configProbes: ConfigProbe[] = [];
  checks = 0;
  clockReads = 0;

  /** Timers armed on the run's clock. */
  get pendingTimers(): number {
    return this.clock.pendingTimers;
  }
  restedAt = -1;
  timersRun = 0;
  macrotasks = 0;
  generation = 0;
  paused = false;
  healing = false;
  #adapter: Adapter;
  #rules: readonly Rule[];
  #judgeEveryStep: boolean;
  #checks: RuleChecks | undefined;
  #uses: SocketUses;
  #watchdog: Watchdog;
  #trace: boolean;
  #driver: GlobalTimeDriver | undefined;
  /** Whether the driver is its owner's, to suspend (not uninstall) once the run is over. */
  #suspendAtEnd = false;
  #endable: EndableClock | undefined;
  #releases = 0;
  /** Acquires started and, unless `#pendingStale`, still pending. */
  #pending: AcquireRecord[] = [];
  #pendingStale = false;
  #settled = 0;
  #failure: RuleViolation | InconclusiveRun | undefined;
  /** The call with an invalid argument made in this step, if any. */
  #badCall: BadCallRecord | undefined;
  /**
   * Ids of the rules checked. LIV-1 among them: a pool the harness cannot
   * drive to rest fails it (else the run is inconclusive). LSE-4: an
   * accepted second release is its failure (else the run ends there).
   */
  /** Ids of the rules judged, with the keys of the clauses each one no longer judges. */
  #active: ReadonlyMap<string, ReadonlySet<string> | undefined>;
  /** A repeated release was accepted during the current step. */
  #acceptedBadRelease = false;
  /** A repeated release was made during the current step. */
  #repeatedRelease = false;
  /** A release of a held lease failed, or was accepted after close, during the current step. */
  #releaseSettled = false;
  /** What a step check reads that can change (see {@linkcode RuleChecks.check}); refilled per check. */
  #stamp: unknown[] = Array.from({ length: 9 });
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
    this.#judgeEveryStep = options.judgeEveryStep ?? false;
    this.#active = new Map(options.rules.map((rule) => [rule.id, rule.ignoredClauses]));
    this.#trace = trace;
    this.#watchdog = new Watchdog(this, watchdogMs);
    this.setup = setup;
    this.supports = adapter.supports;
    this.toleranceMs = adapter.supports.toleranceMs;
    this.global = adapter.supports.timeMode === "global";
    this.paused = adapter.supports.policies.startsPaused === true;
    if (this.global) {
      const owner = options.timeOwner;
      // A check installs the fake once and suspends it between its runs;
      // resuming it puts time back at the start with no timer armed, as a
      // fresh install would, at a fraction of the cost.
      const held = owner === undefined ? undefined : GlobalTimeDriver.suspendedFor(owner);
      if (held !== undefined) {
        held.resume();
        this.#suspendAtEnd = true;
      }
      this.#driver = held ?? GlobalTimeDriver.install(owner === undefined ? {} : { owner });
      const driver = this.#driver;
      this.#endable = new EndableClock(driver, () => driver.installed);
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
    this.ledger = this.network.ledger;
    this.#uses = new SocketUses(this.network);
    // Held responses are a route setting, not a default, so heal() releases them.
    if (adapter.supports.capabilities.includes("multiplexed")) {
      for (const route of setup.config.routes) {
        this.network.configure(route, { manualResponses: true });
      }
    }
    this.world = {
      clock: this.clock,
      network: this.network,
      random: seededRandom(setup.randomSeed),
    };
  }

  /** Create the pool and start the checkers. */
  async start(): Promise<void> {
    // CFG-1: first an attempt with each of the setup's invalid options, in a world of its own.
    if (this.#active.has("CFG-1")) {
      for (const invalid of this.setup.invalidOptions ?? []) {
        this.configProbes.push(
          await probeInvalidConfig(this.#adapter, this.setup.config, invalid, {
            globalClock: this.global ? this.clock : undefined,
            randomSeed: this.setup.randomSeed,
          }),
        );
      }
    }
    const created = this.#adapter.create(this.setup.config, this.world);
    const pool = created instanceof Promise ? await this.#awaitSettled(created, "create") : created;
    validatePoolUnderTest(this.#adapter.name, pool, this.supports);
    this.pool = pool;
    if (this.supports.capabilities.includes("events")) {
      const declared = new Set(this.supports.eventTypes);
      try {
        pool.events!((event) => {
          if (this.#endedAt !== undefined || event === null || typeof event !== "object") return;
          if (!declared.has(event.type)) return;
          this.record({
            kind: "pool-event",
            event: shapedPoolEvent(event),
            t: this.now(),
            seq: this.network.ledger.length,
          });
        });
      } catch (error) {
        throw new TypeError(
          `Cannot subscribe to the events of adapter ${
            JSON.stringify(this.#adapter.name)
          } as 'create().events' threw: ${errorText(error)}`,
        );
      }
    }
    this.#checks = new RuleChecks(this.#rules, this, this.callerEvents, this.#judgeEveryStep);
    if (this.setup.readyAtStart === true) this.maintain("ready");
    await this.settle();
  }

  /** Whether the run judges a rule's clause (`clause` is its key). */
  #judges(id: string, clause: string): boolean {
    return this.#active.has(id) && !this.#active.get(id)?.has(clause);
  }

  /** Whether the run's faked global time was taken over by another check. */
  lostGlobalTime(): boolean {
    return this.#driver !== undefined && !this.#driver.installed;
  }

  /**
   * Remove faked global time, if any (suspend it, when the run's owner
   * installed it for all its runs). Always call, failure or not.
   */
  dispose(): void {
    this.#endedAt = this.clock.now();
    this.operations.end();
    this.#endable?.end();
    if (this.#suspendAtEnd) this.#driver?.suspend();
    else this.#driver?.uninstall();
    this.#driver = undefined;
  }

  now(): number {
    this.clockReads++;
    return this.#endedAt ?? this.clock.now();
  }

  limitOf(route: Route): number {
    const { config } = this.setup;
    return config.maxPerRouteOverrides[route] ?? config.maxPerRoute;
  }

  use(id: SocketId): SocketUse | undefined {
    this.#uses.sync(this.generation);
    return this.#uses.of(id);
  }

  uses(): readonly SocketUse[] {
    return this.#uses.sync(this.generation);
  }

  liveUses(): readonly SocketUse[] {
    return this.#uses.live(this.generation);
  }

  /**
   * Uses of the sockets that closed at `t` or later (some closed shortly
   * before may remain); `t` must not decrease from one call to the next.
   */
  closedSince(t: number): readonly SocketUse[] {
    return this.#uses.closedSince(this.generation, t);
  }

  pending(): readonly AcquireRecord[] {
    if (this.#pendingStale) {
      this.#pending = this.#pending.filter((a) => a.status === "pending");
      this.#pendingStale = false;
    }
    return this.#pending;
  }

  /** Acquires holding a lease now, in start order. */
  held(): AcquireRecord[] {
    // Statuses only move forward (pending, then leased or rejected, then released): an acquire
    // that is over stays over, so the open ones are a list that only shrinks between starts.
    if (this.#open.some((a) => a.status === "released" || a.status === "rejected")) {
      this.#open = this.#open.filter((a) => a.status === "pending" || a.status === "leased");
    }
    return this.#open.filter((a) => a.status === "leased");
  }

  /** Record a caller event. */
  record(event: CallerEvent): void {
    this.callerEvents.push(shapedCallerEvent(event));
    this.operations.touch();
    if (event.kind === "bad-release") {
      this.#repeatedRelease = true;
      if (!event.rejected) this.#acceptedBadRelease = true;
    }
    if (event.kind === "release-failed" || event.kind === "release-accepted") {
      this.#releaseSettled = true;
    }
    if (!this.#trace) return;
    const line = outcomeLine(event, this.now());
    if (line !== undefined) this.lines.push(line);
  }

  /** Describe this step in the trace (the line is built only when tracing). */
  describe(line: () => string): void {
    if (this.#trace) this.lines.push(line());
  }

  /**
   * Describe a step whose command found nothing to act on (a release with
   * nothing held, say): a counterexample leaves such steps out.
   */
  describeNothing(line: () => string): void {
    if (!this.#trace) return;
    this.noopSteps.add(this.step);
    this.lines.push(line());
  }

  /**
   * The idle connection a new acquire of `route` would be served with at once
   * (LIM-4.b), for a pool whose refusals as over `maxWaiters` can be told.
   */
  #idleFor(route: Route): { idleAtStart?: SocketId } {
    const { capabilities } = this.supports;
    if (!capabilities.includes("maxWaiters") || !capabilities.includes("rejectionKinds")) return {};
    if (this.closeSeq !== undefined || this.paused) return {};
    if (this.#pending.some((a) => a.route === route)) return {};
    // The live sockets are sorted out as for any question about them; only idle ones can serve.
    this.#uses.live(this.generation);
    const idle = this.#uses.idle().find((u) =>
      u.socket.route === route && u.holder === undefined && certainlyUsable(this, u)
    );
    return idle === undefined ? {} : { idleAtStart: idle.socket.id };
  }

  /** Start an acquire; never awaited here. */
  acquire(route: Route, timeoutMs: number | undefined): AcquireRecord {
    const record = shapedAcquireRecord({
      id: this.acquires.length + 1,
      route,
      timeoutMs,
      startedAt: this.now(),
      startSeq: this.network.ledger.length,
      startStep: this.step,
      startReleases: this.#releases,
      ...this.#idleFor(route),
      status: "pending",
    });
    this.acquires.push(record);
    this.#open.push(record);
    this.#pending.push(record);
    this.record({ kind: "acquire-started", acquire: record });
    const options = timeoutMs === undefined ? {} : { timeoutMs };
    const label = `acquire #${record.id} (${route})`;
    this.operations.track(label, () => this.pool.acquire(route, options), {
      ok: (lease) => this.#onLeased(record, lease),
      err: (error) => {
        if (record.status !== "pending") return;
        const facts = rejectionFacts(
          this.pool,
          error,
          this.supports.capabilities.includes("rejectionKinds"),
        );
        Object.assign(record, facts);
        this.#onSettled(record, "rejected", facts.errorCode);
      },
    });
    return record;
  }

  #onLeased(record: AcquireRecord, lease: unknown): void {
    if (record.status !== "pending") return;
    let socketId: SocketId;
    try {
      socketId = this.pool.connectionOf(lease);
    } catch (error) {
      // Without the socket nothing later can be judged: the run ends at the next check.
      this.#failure ??= this.#judges("LSE-2", "d")
        ? new RuleViolation("LSE-2", this.step, `connectionOf() threw ${errorText(error)}`, "d")
        : new InconclusiveRun(
          this.step,
          `connectionOf() threw ${errorText(error)} while LSE-2 is not checked`,
        );
      return;
    }
    record.lease = lease;
    const use = this.#uses.sync(this.generation)[socketId - 1];
    record.facts = leaseFacts(this, this.#uses.idle(), use, record.route, socketId);
    this.#onSettled(record, "leased", undefined);
    if (use !== undefined && !this.supports.capabilities.includes("multiplexed")) {
      use.holder = record;
      use.leases++;
      use.idleSince = undefined;
      this.#uses.idleChanged(use);
    }
  }

  #onSettled(record: AcquireRecord, status: "leased" | "rejected", code: string | undefined): void {
    if (record.status !== "pending") return;
    record.status = status;
    this.#pendingStale = true;
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
        this.#uses.idleChanged(use);
      } else {
        use.brokenSeq = this.network.ledger.length;
      }
    }
    this.record({ kind: "released", acquire: record, reusable });
    const release = () => this.pool.release(record.lease, { reusable });
    const beforeClose = this.closeSeq === undefined;
    this.operations.track(`release #${record.id}`, release, {
      // Before close() a release must be accepted, so only its failure is news (LSE-5).
      ...(beforeClose
        ? {}
        : { ok: () => this.record({ kind: "release-accepted", acquire: record }) }),
      err: (error) =>
        this.record({
          kind: "release-failed",
          acquire: record,
          error: errorText(error),
          beforeClose,
        }),
    });
  }

  /**
   * Release an already released lease again, reusable or broken; the pool
   * should refuse it, and must change nothing either way.
   */
  releaseAgain(record: AcquireRecord, reusable = true): void {
    calls.releaseAgain(this, record, reusable);
  }

  /** Call the pool with one invalid argument (CFG-2). */
  badCall(invalid: InvalidArgument, acquire?: AcquireRecord): void {
    this.#badCall = calls.badCall(this, invalid, acquire);
  }

  /** Make one request on a held lease's connection. */
  request(record: AcquireRecord): void {
    calls.request(this, record);
  }

  /** Send a multiplexed request. */
  send(route: Route): SendRecord {
    return calls.send(this, route);
  }

  /**
   * Call a maintenance operation; `afterTimer` when the call comes in the
   * macrotask of a timer whose callback has just run.
   */
  maintain(op: calls.Maintenance, idleMs?: number, interrupt = false, afterTimer = false): void {
    calls.maintain(this, op, idleMs, interrupt, afterTimer);
  }

  /** Call `close()`. */
  close(): void {
    calls.close(this);
  }

  /** Operations started and not yet settled, for a hang report. */
  pendingOperations(): string[] {
    return this.operations.labels();
  }

  async #awaitSettled<T>(promise: Promise<T>, label: string): Promise<T> {
    let outcome: { value: T } | { error: unknown } | undefined;
    promise.then((value) => (outcome = { value }), (error) => (outcome = { error }));
    await this.settle();
    if (outcome === undefined) throw this.stuck(`${label} never settled`);
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * Flush microtasks and due timers until a round brings nothing new.
   *
   * @throws {RuleViolation} LIV-1 if the pool never quiets down.
   */
  settle(): Promise<void> {
    return settle(this);
  }

  /**
   * Move virtual time to `target`, settling at every timer deadline on the
   * way, and judging the rules at every instant on the way by which one of
   * them says the pool owes something (a rule checker's `due`).
   *
   * @throws {RuleViolation} A rule broken at such an instant.
   */
  async advanceTo(target: number): Promise<void> {
    const checks = this.#checks;
    for (let stops = 0; checks !== undefined && stops < MAX_DUE_STOPS; stops++) {
      // A step whose call the harness still has to account for (a bad argument, a repeated
      // release) is judged at its end, where that call's rule is judged first.
      if (
        this.#badCall !== undefined || this.#repeatedRelease || this.#releaseSettled ||
        this.#failure !== undefined
      ) break;
      const due = checks.nextDue();
      if (due === undefined || due >= target) break;
      await advanceTo(this, due);
      this.#check("step");
    }
    await advanceTo(this, target);
  }

  /**
   * The error for a pool the harness cannot drive to rest: a LIV-1 violation
   * while LIV-1 is active, else an inconclusive end of the run (LIV-1 was
   * already found failing, or is not checked; reporting it again under
   * another seed would only loop).
   *
   * @param detail What happened.
   * @returns The error to throw.
   */
  stuck(detail: string): RuleViolation | InconclusiveRun {
    return this.#judges("LIV-1", "b")
      ? new RuleViolation("LIV-1", this.step, detail, "b")
      : new InconclusiveRun(this.step, detail);
  }

  /** @throws {RuleViolation | InconclusiveRun} See {@linkcode Watchdog.check}. */
  watchdog(): void {
    this.#watchdog.check();
  }

  /**
   * Settle, then run every checker's step check.
   *
   * @throws {RuleViolation} The first rule broken.
   * @throws {RunEndedEarly} When a pool that declares it refuses repeated
   * releases accepted one and LSE-4 is not active.
   */
  async endStep(): Promise<void> {
    await this.settle();
    this.watchdog();
    const badCall = this.#badCall;
    this.#badCall = undefined;
    // A call the pool should have refused and did not may have queued a
    // waiter or handed out a lease no record tracks: what follows would be
    // judged on a pool the harness no longer knows.
    if (
      badCall !== undefined && badCall.outcome !== "refused" && !this.#judges("CFG-2", "a")
    ) {
      throw new RunEndedEarly(
        this.step,
        `the pool ${
          badCall.outcome === "accepted" ? "accepted" : "did not settle"
        } a call with an invalid ${badCall.invalid.argument} and CFG-2 is not active`,
      );
    }
    const accepted = this.#acceptedBadRelease;
    const repeated = this.#repeatedRelease;
    const settled = this.#releaseSettled;
    this.#acceptedBadRelease = false;
    this.#repeatedRelease = false;
    this.#releaseSettled = false;
    // A pool that declares it refuses repeated releases and accepted one has
    // broken LSE-4, and what follows would only report it again under other
    // rules. A pool that makes no such promise goes on: LSE-7 and the limits judge it.
    const refuses = this.supports.capabilities.includes("rejectsBadRelease");
    if (accepted && refuses && !this.#judges("LSE-4", "a") && !this.healing) {
      throw new RunEndedEarly(
        this.step,
        "the pool accepted a second release and LSE-4 is not active",
      );
    }
    this.#check(
      "step",
      badCall !== undefined
        ? "CFG-2"
        : repeated
        ? (refuses ? "LSE-4" : "LSE-7")
        : settled
        ? "LSE-5"
        : undefined,
    );
  }

  /** Run the phase checks (`healed` or `closed`). */
  checkPhase(phase: "healed" | "closed"): void {
    this.#check(phase);
  }

  #check(phase: "step" | "healed" | "closed", first?: string): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.checks++;
    const stamp = this.#stamp;
    stamp[0] = this.operations.activity;
    stamp[1] = this.ledger.length;
    stamp[2] = this.generation;
    stamp[3] = this.paused;
    stamp[4] = this.closeSeq;
    stamp[5] = this.closeResolved;
    stamp[6] = this.secondCloseResolved;
    stamp[7] = this.healing;
    stamp[8] = this.probe === undefined;
    this.#checks?.check(phase, stamp, this.now(), (events) => {
      this.#uses.sync(this.generation);
      this.#uses.markDead(events);
    }, first);
  }
}
