/**
 * The engine: one timer over a min-heap of due times, the policies of DESIGN §3–4, and every
 * change expressed as an event that goes through the store and is folded into the state.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { MemoryStore } from "../store/memory_store.ts";
 * const engine = new Engine({ store: new MemoryStore() });
 * engine.define("tick", { every: "1s" }, () => Promise.resolve());
 * await engine.start();
 * await engine.shutdown();
 * ```
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { KronError, TriggerRefusedError } from "../errors.ts";
import { type Duration, parseDuration } from "../schedule/duration.ts";
import { compileSchedule, jitterDelay } from "../schedule/mod.ts";
import type { JobKind, KronEvent, RunCancelledEvent, RunTrigger } from "../events/mod.ts";
import { apply } from "../store/reducer.ts";
import {
  emptyState,
  type JobState,
  type KronState,
  newJobState,
  type RunEntry,
} from "../store/state.ts";
import type { Store } from "../store/types.ts";
import { type Clock, systemClock } from "./clock.ts";
import { buildDefinition, type DefinitionExtras } from "./definition.ts";
import { MinHeap } from "./heap.ts";
import { Spreader } from "./spread.ts";
import type {
  ExecutionResult,
  Executor,
  JobOptions,
  JobStatus,
  RunContext,
  RunLogger,
  RunRecord,
} from "./types.ts";
import { isRunInterrupted, type RunInterruptedError } from "./interrupted.ts";
import { ulid } from "./ulid.ts";
import {
  abortRun,
  anchorOf,
  type Armed,
  type Batch,
  busy,
  dropRun,
  type EntryType,
  errorLine,
  fmtMs,
  hostname,
  iso,
  newRun,
  NOT_CALLED,
  type Registered,
  type RunHandle,
  runLogger,
  signalOf,
  startedEvent,
  Thrown,
  type TimerEntry,
  unknownJob,
} from "./_handles.ts";
import {
  afterFailedAttempt,
  backoffDue,
  decideMisfire,
  decideOverlap,
  isMissed,
  runDead,
  runFailure,
  runRetrying,
  runSkipped,
} from "../policy/mod.ts";
import { toJobStatus, toRunRecord } from "./views.ts";
import { LatenessWatcher } from "./lateness.ts";
import { type Ping, pingEvents } from "./ping.ts";

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** Where events go (a MemoryStore or the durable FileStore). */
  store: Store;
  /** Time source; a FakeClock in tests. */
  clock?: Clock;
  /** IANA zone for cron jobs without their own `timezone` (default: the system's). */
  defaultTimezone?: string;
  /** Randomness for jitter and retry backoff (default Math.random). */
  random?: () => number;
  /** Version recorded in RUNTIME_STARTED. */
  version?: string;
  /** Called with each abandoned run found at recovery (command jobs: stop a leftover tree). */
  onAbandoned?: (run: RunEntry, kind: JobKind) => void | Promise<void>;
  /**
   * How long before a due time the occurrence is recorded (`RUN_DUE` with `ahead`), so that its
   * run starts on the dot instead of after an fsync. Default: 50 ms on a durable store (room
   * for ~10,000 occurrences due together), 0 (off) otherwise.
   */
  leadMs?: number;
}

/** Options of {@link Engine.shutdown}. */
export interface ShutdownOptions {
  /** How long to wait for running jobs before cancelling them (default "30s"). */
  timeout?: Duration;
}

/** Options of {@link Engine.pause}. */
export interface PauseOptions {
  /** Pause for this long, then resume by itself. */
  for?: Duration;
  /** Pause until this time, then resume by itself. */
  until?: Date | string | number;
}

const GC_DEAD_ENTRIES = 4096;
/** Default {@link EngineOptions.leadMs} on a durable store. */
const DEFAULT_LEAD_MS = 50;
/** Timers fire ~1–2 ms late: the timer of an occurrence is set this much early… */
const WAKE_EARLY_MS = 3;
/** …and the rest waited out (Clock.waitUntil), within a budget of 1 % of the time. */
const WAIT_BUDGET_PER_S = 10;
const WAIT_BUDGET_MAX = 50;

/**
 * The scheduler core. The {@link Kron} class wraps it with defaults; use it directly to embed
 * kron with your own store or clock.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { FakeClock } from "./clock.ts";
 * import { MemoryStore } from "../store/memory_store.ts";
 * const clock = new FakeClock("2026-01-01T00:00:00Z");
 * const engine = new Engine({ store: new MemoryStore(), clock });
 * let runs = 0;
 * engine.define("tick", { every: "1s" }, async () => { runs++; });
 * await engine.start();
 * await clock.advance(3000); // runs === 3
 * await engine.shutdown();
 * ```
 */
export class Engine {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #defaultTimezone: string | undefined;
  readonly #version: string;
  readonly #onAbandoned: EngineOptions["onAbandoned"];
  readonly #log: Logger = getLogger(["kron", "engine"]);
  readonly #jobs = new Map<string, Registered>();
  #definitionEpoch = 0;
  readonly #heap = new MinHeap<TimerEntry>((e) => e.at);
  #inFlight = 0;
  #drained: (() => void) | null = null;
  /** Runs waiting for their batch's RUN_STARTED to be durable, and that batch's promise. */
  #starts: RunHandle[] = [];
  /** Runs of armed occurrences found due in this wake-up: called at its end, all together. */
  #quick: RunHandle[] = [];
  #quickEntries: TimerEntry[] = [];
  /** Occurrences recorded ahead, grouped by due time (ascending): out of the heap. */
  #armed: Armed[] = [];
  readonly #leadMs: number;
  /** Seq of the last RUN_DUE recorded ahead, and of the last event known durable. */
  #aheadSeq = 0;
  #durableSeq = 0;
  /** Milliseconds the thread may still block in Clock.waitUntil, and when that was counted. */
  #waitBudget = WAIT_BUDGET_MAX;
  #waitBudgetAt = 0;
  #startsOn: Promise<void> | null = null;
  /** The "due" entry being fired: reused for the job's next due time (one object less a run). */
  #spare: TimerEntry | null = null;
  #batch: Batch = { events: [], failed: false };
  /** Batches not yet durable, oldest first: a failed one is written again, in order. */
  #unacked: Batch[] = [];
  /**
   * While the log cannot be written (disk full): events folded but not yet handed to the store,
   * in order. Null when healthy. See {@link Engine.ioError}.
   */
  #held: KronEvent[] | null = null;
  #heldRefusal: Promise<void> | null = null;
  #probeTimer: number | null = null;
  /** Recovery re-runs and catch-ups found at start, started a few at a time (spread.ts). */
  readonly #spread: Spreader;
  /** RUN_STARTEDs that never became durable: their runs did not run; re-run once healthy. */
  #lostStarts: Extract<KronEvent, { type: "RUN_STARTED" }>[] = [];
  /** Jobs whose timers fired while the log could not be written: re-armed once it can. */
  readonly #stalled = new Set<Registered>();
  readonly #listeners = new Set<(event: KronEvent) => void>();
  #state: KronState = emptyState();
  #phase: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  #timer: number | null = null;
  #timerAt = Infinity;
  #dead = 0;
  #waking = false;
  #lastCommit: Promise<void> = Promise.resolve();
  #ioError: Error | null = null;
  /** Late/down of graced jobs (lateness.ts): its own timers, fed every folded event. */
  readonly #lateness: LatenessWatcher;

  /** Creates an engine; nothing runs before {@link Engine.start}. */
  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#defaultTimezone = options.defaultTimezone;
    this.#version = options.version ?? "dev";
    this.#onAbandoned = options.onAbandoned;
    const lead = options.leadMs ?? (options.store.durable ? DEFAULT_LEAD_MS : 0);
    if (!Number.isFinite(lead) || lead < 0) {
      throw new KronError("invalid_option", `leadMs ${lead} must be a number ≥ 0`);
    }
    this.#leadMs = Math.round(lead);
    this.#lateness = new LatenessWatcher({
      clock: this.#clock,
      state: () => this.#state,
      schedule: (name) => this.#jobs.get(name)?.schedule ?? null,
      emit: (event) => void this.#emit(event).catch(() => {}),
    });
    this.#spread = new Spreader(this.#clock, () => this.#inFlight, (e) => {
      this.#log.error("a recovery start failed: {error}", { error: String(e) });
    });
  }

  /** The clock the engine runs on. */
  get clock(): Clock {
    return this.#clock;
  }

  /** True between a successful `start()` and `shutdown()`. */
  get running(): boolean {
    return this.#phase === "running";
  }

  /**
   * The store write error while the event log cannot be written (e.g. disk full); null when
   * healthy. Meanwhile no run starts (scheduled occurrences wait, `trigger` is refused with
   * `io`), events are folded and held in memory, and the engine retries writing them, in
   * order, every second; once that works it re-runs occurrences whose start could not be
   * recorded (within `misfire_grace`) and re-arms the rest, as after a machine sleep.
   */
  get ioError(): Error | null {
    return this.#ioError;
  }

  /**
   * Bumped by every `define` and `undefine`. A job that stops being defined turns `orphaned`
   * without an event (it is still in the log), so a cache of job views keys on this beside
   * `state.seq`.
   */
  get definitionEpoch(): number {
    return this.#definitionEpoch;
  }

  /** The folded state (read-only by convention: only events change it). */
  get state(): KronState {
    return this.#state;
  }

  // ---------------------------------------------------------------- definitions

  /**
   * Registers a job. Throws (and changes nothing) on a bad name, a duplicate, or invalid options.
   * With `replace: true` an existing definition is replaced (reload), keeping its state when
   * the definition is unchanged.
   */
  define(
    name: string,
    options: JobOptions,
    executor: Executor,
    extras: DefinitionExtras & { kind?: JobKind; replace?: boolean } = {},
  ): void {
    if (this.#phase === "stopping" || this.#phase === "stopped") {
      throw new KronError("shut_down", "kron has been shut down");
    }
    const existing = this.#jobs.get(name);
    if (existing && !extras.replace) {
      throw new KronError("duplicate_job", `a job named "${name}" is already scheduled`);
    }
    const kind = extras.kind ?? "function";
    const { def, defHash } = buildDefinition(name, options, kind, extras);
    const schedule = compileSchedule(def.schedule, { defaultTimezone: this.#defaultTimezone });
    if (typeof executor !== "function") {
      throw new KronError("invalid_option", `job "${name}": the job function is missing`);
    }
    const job: Registered = existing ?? {
      name,
      executor,
      schedule,
      def,
      defHash,
      paused: options.paused ?? false,
      due: null,
      retry: null,
      start: null,
      resume: null,
      runs: null,
    };
    Object.assign(job, { executor, schedule, def, defHash, paused: options.paused ?? false });
    this.#jobs.set(name, job);
    this.#definitionEpoch++;
    if (this.#phase === "running") {
      this.#record(job);
      this.#armAll(job);
      this.#arm();
      // An unchanged definition records nothing: the watcher is told it is defined again.
      this.#lateness.recheck(name);
    }
  }

  /**
   * Removes a registered job (reload): its timers stop, running attempts finish on their own.
   * Nothing is written: the job stays in the log and is `orphaned` from now on, with its state,
   * runs and logs readable, exactly as after a restart without its definition; `forget` drops
   * it.
   */
  undefine(name: string): void {
    const job = this.#mustBeRegistered(name);
    this.#disarmAll(job);
    this.#jobs.delete(name);
    this.#definitionEpoch++;
  }

  /** Forgets an orphaned job (in the log but not defined here): its state goes, history later. */
  forget(name: string): void {
    if (this.#jobs.has(name)) {
      throw new KronError(
        "conflict",
        `job "${name}" is defined in this process; only orphaned jobs can be forgotten`,
      );
    }
    if (!this.#state.jobs.has(name)) throw unknownJob(name);
    this.#requireRunning();
    this.#emit({ type: "JOB_REMOVED", time: this.#iso(), job: name });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Opens the store (lock, snapshot, replay), records abandoned runs, applies definitions and
   * arms the timer. Resolves once running; never blocks the event loop.
   */
  async start(): Promise<void> {
    if (this.#phase !== "new") {
      throw new KronError(
        this.#phase === "running" || this.#phase === "starting" ? "already_started" : "shut_down",
        `kron is ${
          this.#phase === "starting"
            ? "starting"
            : this.#phase === "running"
            ? "already running"
            : "shut down"
        }`,
      );
    }
    this.#phase = "starting";
    try {
      const { state } = await this.#store.open();
      this.#state = state;
    } catch (e) {
      this.#phase = "new";
      throw e;
    }
    const now = this.#clock.now();
    this.#emit({
      type: "RUNTIME_STARTED",
      time: iso(now),
      pid: Deno.pid,
      version: this.#version,
      host: hostname(),
    });
    const reruns: RunEntry[] = [];
    const leftovers: Promise<void>[] = [];
    for (const st of this.#state.jobs.values()) {
      // A watched job's open ping run is external work kron did not run: a restart leaves it.
      if (st.def.kind === "watch") continue;
      for (const run of [...st.inFlight]) {
        this.#emit({ type: "RUN_ABANDONED", time: iso(now), job: st.name, runId: run.id });
        this.#log.warn("run {job} {runId} attempt {attempt} was abandoned by a crash", {
          job: st.name,
          runId: run.id,
          attempt: run.attempt,
          outcome: "abandoned",
        });
        // Leftover process trees are looked for all at once (one process-table read for all).
        if (this.#onAbandoned) {
          leftovers.push(Promise.resolve(this.#onAbandoned(run, st.def.kind)));
        }
        const graceFrom = run.trigger === "manual" ? run.startedAt : run.scheduledAt;
        // Run again once, whatever `retries` says, while within misfire_grace (DESIGN §4).
        if (run.trigger !== "recovery" && now - graceFrom <= st.def.policy.misfireGraceMs) {
          reruns.push(run);
        }
      }
    }
    await Promise.all(leftovers);
    // An occurrence recorded ahead with nothing after it may have started before the crash
    // (its run starts before its RUN_STARTED is durable): it runs again once, as if abandoned.
    const unsure: { job: string; at: number }[] = [];
    for (const st of this.#state.jobs.values()) {
      const p = st.pendingDue;
      if (p?.ahead && p.scheduledAt <= now && now - p.scheduledAt <= st.def.policy.misfireGraceMs) {
        unsure.push({ job: st.name, at: p.scheduledAt });
      }
    }
    let recorded = 0;
    for (const job of this.#jobs.values()) {
      this.#record(job);
      // Commit many definitions in slices: one batch of 100k JOB_DEFINED lines would hold
      // ~70 MB of text at once, and the process keeps that peak as RSS afterwards.
      if (++recorded % 2048 === 0) await this.#lastCommit;
    }
    this.#phase = "running";
    // Re-runs and catch-ups go through the spreader (spread.ts): a few at a time, never all at
    // once ahead of the work that falls due now.
    for (const run of reruns) {
      this.#spread.defer(() => {
        const job = this.#jobs.get(run.job);
        const st = this.#state.jobs.get(run.job);
        if (!job || !st || st.paused || st.stopped || this.#phase !== "running") return;
        const graceFrom = run.trigger === "manual" ? run.startedAt : run.scheduledAt;
        if (this.#clock.now() - graceFrom > st.def.policy.misfireGraceMs) return;
        this.#startRun(job, run.scheduledAt, run.attempt, "recovery", run.idempotencyKey, 0)
          .catch(() => {});
      });
    }
    for (const { job: name, at } of unsure) {
      const job = this.#jobs.get(name);
      const st = this.#state.jobs.get(name);
      if (!job || !st || st.paused || st.stopped || st.pendingDue?.scheduledAt !== at) continue;
      // Only while it is still the job's next occurrence (a redefinition or a failure's backoff
      // may have moved on).
      if (this.#nextDue(job, st) !== at) continue;
      this.#log.warn(
        "run of {job} due {scheduledAt} may have started before a crash; running it again",
        { job: name, scheduledAt: iso(at), outcome: "abandoned" },
      );
      this.#spread.defer(() => {
        if (this.#jobs.get(name) !== job || st.paused || st.stopped) return;
        if (this.#phase !== "running") return;
        this.#startRun(job, at, 1, "recovery", `${name}:${iso(at)}`, 0).catch(() => {});
      });
    }
    for (const job of this.#jobs.values()) {
      this.#armAll(job);
      // Overdue (kron was down when it fell due): its catch-up is decided when its turn comes.
      const due = job.due;
      if (due !== null && due.type === "due" && due.at + this.#leadMs <= now) {
        job.due = this.#kill(due);
        this.#spread.defer(() => {
          const st = this.#state.jobs.get(job.name);
          if (this.#jobs.get(job.name) !== job || job.due !== null || !st) return;
          if (this.#phase === "running") this.#armDue(job, st);
        });
      }
    }
    this.#spread.drain();
    this.#arm();
    this.#lateness.start();
    await this.#lastCommit;
  }

  /**
   * Stops the timer, waits up to `timeout` for running jobs, cancels what is left (their
   * signals abort; `RUN_CANCELLED`), records `RUNTIME_STOPPED` and closes the store.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.#phase === "stopped" || this.#phase === "stopping") return;
    const wasRunning = this.#phase === "running";
    this.#phase = "stopping";
    this.#clearTimer();
    this.#lateness.stop();
    this.#spread.stop();
    for (const job of this.#jobs.values()) this.#disarmAll(job);
    this.#armed = [];
    if (!wasRunning) {
      this.#phase = "stopped";
      return;
    }
    const timeoutMs = parseDuration(options.timeout ?? "30s", "timeout");
    if (this.#inFlight > 0) {
      let timer: number | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#drained = r),
        new Promise((r) => timer = setTimeout(r, timeoutMs) as unknown as number),
      ]);
      clearTimeout(timer);
    }
    for (const job of this.#jobs.values()) {
      for (const run of [...(job.runs ?? [])]) this.#cancel(run, "shutdown");
    }
    this.#emit({ type: "RUNTIME_STOPPED", time: this.#iso() });
    await this.#lastCommit.catch(() => {});
    if (this.#held !== null) {
      // One last attempt to write what the log could not take; if it fails too, recovery on the
      // next start sees the runs the log has in flight as abandoned.
      this.#probe();
      await this.#lastCommit.catch(() => {});
    }
    if (this.#probeTimer !== null) this.#clock.clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#phase = "stopped";
    await this.#store.close();
  }

  // ---------------------------------------------------------------- verbs

  /**
   * Starts a run now. Resolves to its run id once `RUN_STARTED` is durable; never rejects
   * because the run later fails. Refused under `overlap: "skip"` while a run is in flight.
   */
  trigger(name: string): Promise<string> {
    this.#requireRunning();
    const job = this.#jobs.get(name);
    if (!job) {
      if (this.#state.jobs.has(name)) {
        return Promise.reject(
          new TriggerRefusedError(
            `job "${name}" is orphaned (in the log but not defined in this process)`,
          ),
        );
      }
      return Promise.reject(unknownJob(name));
    }
    if (this.#ioError !== null) return Promise.reject(this.#ioRefusal("start a run"));
    if (job.def.kind === "watch") {
      return Promise.reject(
        new TriggerRefusedError(`job "${name}" is watched: kron does not run it`),
      );
    }
    const st = this.#state.jobs.get(name)!;
    if (decideOverlap(job.def.policy.overlap, busy(st)) === "skip") {
      return Promise.reject(
        new TriggerRefusedError(
          `job "${name}" is already running and overlap is "skip"; try again when it finishes`,
        ),
      );
    }
    const now = this.#clock.now();
    return this.#startRun(job, now, 1, "manual", null, 0);
  }

  /** Pauses a job (optionally for a while or until a time). Running attempts finish. */
  pause(name: string, options: PauseOptions = {}): void {
    this.#requireRunning();
    const job = this.#mustBeRegistered(name);
    let until: number | null = null;
    if (options.for !== undefined) until = this.#clock.now() + parseDuration(options.for, "for");
    if (options.until !== undefined) {
      until = new Date(options.until).getTime();
      if (Number.isNaN(until)) {
        throw new KronError("invalid_option", `until: ${String(options.until)} is not a date`);
      }
    }
    this.#emit({
      type: "JOB_PAUSED",
      time: this.#iso(),
      job: name,
      until: until === null ? null : iso(until),
    });
    this.#disarmAll(job);
    this.#armAll(job);
    this.#arm();
  }

  /** Resumes a paused job, or re-enables one stopped by `onError: "stop"`. */
  resume(name: string): void {
    this.#requireRunning();
    const job = this.#mustBeRegistered(name);
    this.#resume(job);
    this.#arm();
  }

  /** Status of one job (synchronous read of the in-memory state). */
  status(name: string): JobStatus {
    const job = this.#jobs.get(name);
    const st = this.#state.jobs.get(name) ?? (job ? this.#provisional(job) : undefined);
    if (!st) throw unknownJob(name);
    return toJobStatus(
      st,
      !job && this.#phase !== "new",
      job ? this.#nextRunAt(job, st) : null,
      job ? this.#lateness.assess(name) : null,
    );
  }

  /** Status of every job: defined ones first (in definition order), then orphans. */
  list(): JobStatus[] {
    const out: JobStatus[] = [];
    for (const name of this.#jobs.keys()) out.push(this.status(name));
    for (const name of this.#state.jobs.keys()) {
      if (!this.#jobs.has(name)) out.push(this.status(name));
    }
    return out;
  }

  /** Past attempts of a job, most recent first (from the store: may read the log). */
  async history(name: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    if (!this.#jobs.has(name) && !this.#state.jobs.has(name)) throw unknownJob(name);
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new KronError("invalid_option", `limit ${limit} must be an integer ≥ 1`);
    }
    const runs = await this.#store.history(name, { limit });
    return runs.map(toRunRecord);
  }

  /** One run attempt by id (from the store). */
  async run(runId: string): Promise<RunRecord> {
    const run = await this.#store.findRun(runId);
    if (!run) throw new KronError("unknown_run", `no run with id "${runId}"`);
    return toRunRecord(run);
  }

  /** Writes a snapshot and drops covered log segments. */
  async compact(): Promise<void> {
    this.#requireRunning();
    // A state holding events the log does not have yet must never become a snapshot.
    if (this.#ioError !== null) throw this.#ioRefusal("compact");
    await this.#lastCommit;
    if (this.#ioError !== null) throw this.#ioRefusal("compact");
    await this.#store.compact(this.#state);
  }

  /**
   * Records that a command run spawned its process (`RUN_SPAWNED`), so that a restarted kron
   * can stop a leftover process tree. Ignored when the run is no longer in flight.
   */
  recordSpawn(
    job: string,
    runId: string,
    info: { pid: number; pgid: number; startTime: number | null },
  ): void {
    const run = this.#jobs.get(job)?.runs?.find((r) => r.runId === runId);
    if (!run || run.done || this.#phase !== "running") return;
    this.#emit({
      type: "RUN_SPAWNED",
      time: this.#iso(),
      job,
      runId,
      pid: info.pid,
      pgid: info.pgid,
      startTime: info.startTime,
    });
  }

  /**
   * Records a ping of a watched job (ping.ts): a start, a success or a failure of the external
   * run. Resolves to its run id once durable. Refused for a job that is not watched.
   */
  ping(name: string, ping: Ping): Promise<string> {
    this.#requireRunning();
    const job = this.#mustBeRegistered(name);
    if (job.def.kind !== "watch") {
      return Promise.reject(
        new KronError("conflict", `job "${name}" is not watched (watch = true): kron runs it`),
      );
    }
    if (this.#ioError !== null) return Promise.reject(this.#ioRefusal("record a ping"));
    const st = this.#state.jobs.get(name)!;
    const { events, runId } = pingEvents(st, job.schedule, ping, this.#clock.now());
    let durable: Promise<void> = Promise.resolve();
    for (const event of events) durable = this.#emit(event);
    return durable.then(() => runId);
  }

  /** Subscribes to every event once it is committed; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Names of the jobs defined in this process. */
  definedJobs(): string[] {
    return [...this.#jobs.keys()];
  }

  /** The stored definition hash of a defined job (reload uses it to report changes). */
  definitionHash(name: string): string | null {
    return this.#jobs.get(name)?.defHash ?? null;
  }

  // ---------------------------------------------------------------- events

  #iso(): string {
    return iso(this.#clock.now());
  }

  /** Appends an event, folds it into the state, and tells listeners once it is durable. */
  #emit(event: KronEvent): Promise<void> {
    if (this.#held !== null) {
      // The log cannot be written: fold now, write later in this same order (#probe).
      apply(this.#state, event);
      this.#held.push(event);
      this.#lateness.observe(event);
      return this.#heldRefusal!;
    }
    const durable = this.#append(event);
    apply(this.#state, event);
    this.#lateness.observe(event);
    return durable;
  }

  /** Hands an event to the store and tracks its batch until it is durable. */
  #append(event: KronEvent): Promise<void> {
    const durable = this.#store.append(event);
    // Appends of one tick share one promise: attach the handlers once per batch, not per
    // event, and tell listeners about exactly the events of the batch that became durable.
    if (durable !== this.#lastCommit) {
      this.#lastCommit = durable;
      const batch: Batch = { events: [], failed: false };
      this.#batch = batch;
      this.#unacked.push(batch);
      durable.then(() => this.#committed(batch), (e) => this.#failed(batch, e));
    }
    this.#batch.events.push(event);
    return durable;
  }

  #committed(batch: Batch): void {
    const i = this.#unacked.indexOf(batch);
    if (i >= 0) this.#unacked.splice(i, 1);
    const seq = batch.events.at(-1)?.seq;
    if (seq !== undefined && seq > this.#durableSeq) this.#durableSeq = seq;
    for (const e of batch.events) for (const l of this.#listeners) l(e);
    if (this.#ioError !== null && this.#held === null && !this.#unacked.some((b) => b.failed)) {
      this.#recovered();
    }
  }

  /**
   * A batch did not become durable (ENOSPC, EIO): its events are in the state but not in the
   * log. Hold every event from now on, write them all again in order once the log takes
   * writes (#probe), and start nothing meanwhile: a run whose RUN_STARTED was lost never ran
   * (#execute saw the rejection), so it is recorded abandoned now and re-run once healthy.
   */
  #failed(batch: Batch, e: unknown): void {
    batch.failed = true;
    // After shutdown the store is closed: nothing is written any more, nothing to retry.
    if (this.#phase === "stopped") return;
    const error = e instanceof Error ? e : new Error(String(e));
    if (this.#held === null) {
      if (this.#ioError === null) {
        this.#log.error(
          "event log write failed: {error}; no run starts until it can be written again",
          { error: error.message },
        );
      }
      this.#held = [];
      const refusal = Promise.reject(this.#ioRefusal("record an event", error));
      refusal.catch(() => {});
      this.#heldRefusal = refusal;
      this.#scheduleProbe();
    }
    this.#ioError = error;
    for (const ev of batch.events) {
      if (ev.type !== "RUN_STARTED") continue;
      if (!this.#state.jobs.get(ev.job)?.inFlight.some((r) => r.id === ev.runId)) continue;
      // Started on its durable RUN_DUE ahead: it is running; its events are written again with
      // the held ones (and a crash meanwhile re-runs it from the RUN_DUE).
      if (this.#jobs.get(ev.job)?.runs?.find((r) => r.runId === ev.runId)?.ahead) continue;
      this.#lostStarts.push(ev);
      this.#emit({ type: "RUN_ABANDONED", time: this.#iso(), job: ev.job, runId: ev.runId });
    }
  }

  #scheduleProbe(): void {
    if (this.#probeTimer !== null) return;
    this.#probeTimer = this.#clock.setTimeout(() => {
      this.#probeTimer = null;
      this.#probe();
    }, 1000);
  }

  /** Writes the failed batches and the held events again, in order, as one batch. */
  #probe(): void {
    if (this.#held === null || this.#phase === "stopped" || this.#phase === "new") return;
    // Batches still in flight decide where the failed ones go: wait for them.
    if (this.#unacked.some((b) => !b.failed)) return this.#scheduleProbe();
    const events = [...this.#unacked.flatMap((b) => b.events), ...this.#held];
    this.#unacked = [];
    this.#held = null;
    this.#heldRefusal = null;
    for (const e of events) this.#append(e);
    // Every event the state folded is now in the log or in this batch: the state is at its end.
    const last = events.at(-1)?.seq;
    if (last !== undefined) this.#state.seq = last;
  }

  /** The log takes writes again: start what could not start, re-arm what waited. */
  #recovered(): void {
    this.#ioError = null;
    this.#log.info("event log writable again; scheduling resumes");
    if (this.#phase !== "running") return;
    const now = this.#clock.now();
    const lost = this.#lostStarts;
    this.#lostStarts = [];
    for (const ev of lost) {
      // A manual trigger was refused to its caller; a recovery run is only ever tried once.
      if (ev.trigger === "manual" || ev.trigger === "recovery") continue;
      const job = this.#jobs.get(ev.job);
      const st = this.#state.jobs.get(ev.job);
      if (!job || !st || st.paused || st.stopped) continue;
      const scheduledAt = Date.parse(ev.scheduledAt);
      if (now - scheduledAt > st.def.policy.misfireGraceMs) continue;
      this.#startRun(job, scheduledAt, ev.attempt, "recovery", ev.idempotencyKey, 0).catch(
        () => {},
      );
    }
    for (const job of this.#stalled) if (this.#jobs.get(job.name) === job) this.#armAll(job);
    this.#stalled.clear();
    this.#arm();
  }

  #ioRefusal(what: string, error = this.#ioError): KronError {
    return new KronError(
      "io",
      `cannot ${what}: the event log cannot be written (${error?.message ?? "unknown error"})`,
    );
  }

  /** Records a definition when new or changed (an unchanged one keeps its state). */
  #record(job: Registered): void {
    const st = this.#state.jobs.get(job.name);
    if (st && st.defHash === job.defHash) return;
    const now = this.#clock.now();
    const scheduleChanged = !st ||
      JSON.stringify(st.def.schedule) !== JSON.stringify(job.def.schedule);
    this.#emit({
      type: "JOB_DEFINED",
      time: iso(now),
      job: job.name,
      def: job.def,
      defHash: job.defHash,
      anchorAt: iso(scheduleChanged ? anchorOf(job, now) : st!.anchorAt),
      paused: job.paused,
    });
  }

  // ---------------------------------------------------------------- timers

  #push(
    job: Registered,
    type: EntryType,
    at: number,
    scheduledAt = at,
    run: RunHandle | null = null,
  ): TimerEntry {
    let entry = this.#spare;
    if (entry !== null && type === "due" && entry.job === job) {
      this.#spare = null;
      entry.at = at;
      entry.type = type;
      entry.live = true;
    } else if (type === "due") {
      entry = { at, type, job, live: true };
    } else {
      entry = { at, type, job, live: true, scheduledAt, run };
    }
    this.#heap.push(entry);
    // While waking, the timer is re-armed once at the end instead of once per push.
    if (!this.#waking && at < this.#timerAt) this.#arm();
    return entry;
  }

  #kill(entry: TimerEntry | null): null {
    if (entry && entry.live) {
      entry.live = false;
      if (entry.type === "armed") return null; // in #armed, not in the heap
      if (++this.#dead > GC_DEAD_ENTRIES && this.#dead > this.#heap.size / 2) {
        this.#heap.filter((e) => e.live);
        this.#dead = 0;
      }
    }
    return null;
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  /** Arms the one timer for the earliest live entry. */
  #arm(): void {
    if (this.#phase !== "running") return;
    let top = this.#heap.peek();
    while (top && !top.live) {
      this.#heap.pop();
      this.#dead = Math.max(0, this.#dead - 1);
      top = this.#heap.peek();
    }
    const armedAt = this.#armed.length > 0 ? this.#armed[0].at : Infinity;
    const at = top && top.at < armedAt ? top.at : armedAt;
    if (at === Infinity) {
      this.#clearTimer();
      return;
    }
    if (at === this.#timerAt && this.#timer !== null) return;
    this.#clearTimer();
    this.#timerAt = at;
    const now = this.#clock.now();
    let delay = at - now;
    // An occurrence's timer is set early; #wake waits out the rest precisely.
    if (this.#precise(at) && this.#budget(now) >= WAKE_EARLY_MS) delay -= WAKE_EARLY_MS;
    // Long delays are capped so the timer never overflows and clock steps are noticed.
    this.#timer = this.#clock.setTimeout(() => this.#wake(), Math.min(Math.max(0, delay), 60_000));
  }

  /**
   * True when `at` is the due time of an occurrence (not a retry, a jitter, a timeout) and the
   * clock can wait precisely.
   */
  #precise(at: number): boolean {
    if (this.#clock.waitUntil === undefined) return false;
    if (this.#armed.length > 0 && this.#armed[0].at === at) return true;
    const top = this.#heap.peek();
    return this.#leadMs === 0 && top !== undefined && top.at === at && top.type === "due";
  }

  /** Fires everything due from one wake-up (a burst of separate timers is much slower). */
  #wake(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    let now = this.#clock.now();
    const top = this.#heap.peek();
    const armedAt = this.#armed.length > 0 ? this.#armed[0].at : Infinity;
    const at = top && top.at < armedAt ? top.at : armedAt;
    if (at > now && at - now <= WAKE_EARLY_MS && this.#precise(at)) now = this.#waitFor(at, now);
    this.#waking = true;
    try {
      this.#drain(now);
      if (this.#quick.length > 0) this.#runQuick();
    } finally {
      this.#waking = false;
    }
    this.#arm();
  }

  /**
   * Blocks until `at` (a few ms at most) while the budget allows: 1 % of the time, so dense
   * schedules fall back to plain timers instead of holding the thread. Returns the new now.
   */
  #waitFor(at: number, now: number): number {
    if (this.#budget(now) < at - now) return now;
    this.#clock.waitUntil!(at);
    const after = this.#clock.now();
    this.#waitBudget -= after - now;
    this.#waitBudgetAt = after;
    return after;
  }

  /** The wait budget at `now`, refilled for the time since it was last counted. */
  #budget(now: number): number {
    const refill = Math.max(0, now - this.#waitBudgetAt) * WAIT_BUDGET_PER_S / 1000;
    this.#waitBudget = Math.min(WAIT_BUDGET_MAX, this.#waitBudget + refill);
    this.#waitBudgetAt = now;
    return this.#waitBudget;
  }

  #drain(now: number): void {
    while (this.#armed.length > 0 && this.#armed[0].at <= now) {
      this.#fireArmed(this.#armed.shift()!, now);
    }
    for (;;) {
      const top = this.#heap.peek();
      // Timers may fire early (~1 ms): re-check the clock and re-arm rather than fire early.
      if (!top || top.at > now) break;
      this.#heap.pop();
      if (!top.live) {
        this.#dead = Math.max(0, this.#dead - 1);
        continue;
      }
      top.live = false;
      try {
        this.#fire(top, now);
      } catch (e) {
        this.#log.error("dispatch of {job} failed: {error}", {
          job: top.job.name,
          error: String(e),
        });
      }
    }
    this.#arm();
  }

  #fire(entry: TimerEntry, now: number): void {
    const job = entry.job;
    if (this.#jobs.get(job.name) !== job) return;
    if (this.#held !== null && entry.type !== "timeout") {
      // The log cannot be written: nothing new starts. Re-armed from the state once it can
      // (#recovered), so an overdue occurrence then follows the misfire rules.
      if (entry.type === "due" || entry.type === "armed") job.due = null;
      else if (entry.type === "start") job.start = null;
      else if (entry.type === "retry") job.retry = null;
      else job.resume = null;
      this.#stalled.add(job);
      return;
    }
    switch (entry.type) {
      case "due": {
        job.due = null;
        const at = entry.at + this.#leadMs;
        if (at > now) {
          this.#recordAhead(job, entry, at, now);
          break;
        }
        this.#spare = entry;
        this.#onDue(job, at, now);
        this.#spare = null;
        break;
      }
      case "armed":
        job.due = null;
        this.#spare = entry;
        this.#onDue(job, entry.at, now);
        this.#spare = null;
        break;
      case "start": {
        job.start = null;
        const st = this.#state.jobs.get(job.name);
        const at = entry.scheduledAt!;
        if (st?.pendingDue?.scheduledAt === at) {
          this.#startRun(job, at, 1, "schedule", null, now - at)
            .catch(() => {});
        }
        break;
      }
      case "retry": {
        job.retry = null;
        const pending = this.#state.jobs.get(job.name)?.pendingRetry;
        if (pending) {
          this.#startRun(
            job,
            pending.scheduledAt,
            pending.nextAttempt,
            pending.trigger === "manual" ? "manual" : "retry",
            pending.idempotencyKey,
            0,
          )
            .catch(() => {});
        }
        break;
      }
      case "resume":
        job.resume = null;
        this.#resume(job);
        break;
      case "timeout":
        if (entry.run && !entry.run.done) {
          entry.run.timeout = null;
          const ms = job.def.policy.timeoutMs!;
          abortRun(entry.run, new DOMException(`timed out after ${fmtMs(ms)}`, "TimeoutError"));
          this.#finish(job, entry.run, "timed_out", `timed out after ${fmtMs(ms)}`, null);
        }
        break;
    }
  }

  /** Arms the next due occurrence (and pending retry, jitter start, timed resume). */
  #armAll(job: Registered): void {
    const st = this.#state.jobs.get(job.name);
    if (!st || this.#phase !== "running") return;
    if (st.paused && st.pausedUntil !== null && !job.resume) {
      job.resume = this.#push(job, "resume", st.pausedUntil);
    }
    if (st.paused || st.stopped) return;
    if (st.pendingDue && !st.pendingDue.ahead && !job.start) {
      job.start = this.#push(job, "start", st.pendingDue.startAt, st.pendingDue.scheduledAt);
    }
    if (st.pendingRetry && !job.retry) {
      job.retry = this.#push(job, "retry", st.pendingRetry.retryAt);
    }
    this.#armDue(job, st);
  }

  #armDue(job: Registered, st: JobState, next?: number | null): void {
    job.due = this.#kill(job.due);
    // Watched jobs are not run: their occurrences are only expected (lateness.ts).
    if (st.paused || st.stopped || job.def.kind === "watch") return;
    const at = this.#nextDue(job, st, next);
    if (at !== null) job.due = this.#push(job, "due", at - this.#leadMs);
  }

  #disarmAll(job: Registered): void {
    job.due = this.#kill(job.due);
    job.retry = this.#kill(job.retry);
    job.start = this.#kill(job.start);
    job.resume = this.#kill(job.resume);
  }

  /** The next nominal occurrence, delayed by `onError: "backoff"` while failing. */
  #nextDue(job: Registered, st: JobState, known?: number | null): number | null {
    // `known`: the caller already computed next(cursor) (the hot path of a due occurrence).
    const next = known !== undefined ? known : job.schedule.next(st.cursorAt, st.anchorAt);
    if (next === null || job.def.policy.onError !== "backoff" || st.consecutiveFailures === 0) {
      return next;
    }
    return backoffDue({
      policy: job.def.policy,
      schedule: job.schedule,
      anchorAt: st.anchorAt,
      next,
      consecutiveFailures: st.consecutiveFailures,
      lastFinishedAt: st.lastFinishedAt,
    });
  }

  #nextRunAt(job: Registered, st: JobState): number | null {
    if (this.#phase === "new") {
      return st.paused ? null : this.#nextDue(job, st);
    }
    const due = job.due;
    let at = due === null ? null : due.type === "due" ? due.at + this.#leadMs : due.at;
    for (const e of [job.retry, job.start]) if (e && (at === null || e.at < at)) at = e.at;
    return at;
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Records the next occurrence ahead of its due time (`RUN_DUE` with `ahead`) and turns its
   * entry into an `armed` one at the due time: by then the record is durable, and the run
   * starts without waiting for an fsync (#fireArmed).
   */
  #recordAhead(job: Registered, entry: TimerEntry, at: number, now: number): void {
    const st = this.#state.jobs.get(job.name);
    if (!st || st.paused || st.stopped) return;
    this.#emit({
      type: "RUN_DUE",
      time: iso(now),
      job: job.name,
      scheduledAt: iso(at),
      jitterMs: 0,
      ahead: true,
    });
    this.#aheadSeq = this.#state.seq;
    // The run and its context are made now, off the due time's critical path.
    const run = newRun(job, ulid(at), 1, at, `${job.name}:${iso(at)}`, "schedule", at, true);
    run.ctx = this.#context(job, run);
    entry.type = "armed";
    entry.at = at;
    entry.live = true;
    job.due = entry;
    const armed = this.#armed;
    let i = armed.length;
    while (i > 0 && armed[i - 1].at > at) i--;
    let group = i > 0 && armed[i - 1].at === at ? armed[i - 1] : null;
    if (group === null) {
      group = { at, entries: [], runs: [] };
      armed.splice(i, 0, group);
      if (!this.#waking && at < this.#timerAt) this.#arm();
    }
    group.entries.push(entry);
    group.runs.push(run);
  }

  /**
   * The occurrences recorded ahead for `group.at` are due: those with nothing to decide start
   * quick (#runQuick, at the end of the wake-up), the others go the usual way (#onDue).
   */
  #fireArmed(group: Armed, now: number): void {
    const { at, entries, runs } = group;
    // Quick starts need every record of this instant durable and a log that takes writes.
    const quick = this.#held === null && this.#durableSeq >= this.#aheadSeq;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      // A removed, paused or redefined job's entry was killed: a live one is still current.
      if (!entry.live) continue;
      entry.live = false;
      const job = entry.job;
      if (quick && this.#quickable(job, at, now)) {
        job.due = null;
        const run = runs[i];
        run.startedAt = now;
        (job.runs ??= []).push(run);
        this.#inFlight++;
        this.#quick.push(run);
        this.#quickEntries.push(entry);
        continue;
      }
      try {
        this.#fire(entry, now);
      } catch (e) {
        this.#log.error("dispatch of {job} failed: {error}", { job: job.name, error: String(e) });
      }
    }
  }

  /**
   * True when the armed occurrence due at `at` can start quick: nothing is missed, and no
   * policy has anything to decide (not busy or overlap allowed, no jitter).
   */
  #quickable(job: Registered, at: number, now: number): boolean {
    const st = this.#state.jobs.get(job.name);
    if (!st || st.paused || st.stopped) return false;
    const pending = st.pendingDue;
    if (pending === null || !pending.ahead || pending.scheduledAt !== at) return false;
    const policy = job.def.policy;
    if (policy.jitterMs > 0 || (busy(st) && policy.overlap !== "allow")) return false;
    if (now === at) return true;
    if (now - at > policy.misfireGraceMs) return false;
    return !isMissed(policy, at, job.schedule.next(at, st.anchorAt), now);
  }

  #onDue(job: Registered, at: number, now: number): void {
    const st = this.#state.jobs.get(job.name);
    if (!st || st.paused || st.stopped) return;
    const following = job.schedule.next(at, st.anchorAt);
    if (isMissed(job.def.policy, at, following, now)) {
      this.#misfire(job, st, at, now);
    } else {
      this.#occurrence(job, st, at, "schedule", now);
    }
    this.#armDue(job, st, st.cursorAt === at ? following : undefined);
  }

  /** Occurrences were missed (kron was down, the machine slept): never a burst (DESIGN §3). */
  #misfire(job: Registered, st: JobState, first: number, now: number): void {
    const policy = job.def.policy;
    const decision = decideMisfire(policy, job.schedule, st.anchorAt, first, now);
    const skipped = decision.skipped;
    if (skipped) {
      const until = skipped.until === null ? null : iso(skipped.until);
      this.#emit(runSkipped(iso(now), job.name, iso(skipped.scheduledAt), "misfire", until));
    }
    if (decision.run === null) {
      this.#log.warn("missed runs of {job} since {scheduledAt} skipped (misfire = {misfire})", {
        job: job.name,
        scheduledAt: iso(first),
        misfire: policy.misfire,
        outcome: "skipped",
      });
      return;
    }
    this.#occurrence(job, st, decision.run, decision.trigger, now);
  }

  /** One occurrence is due: apply overlap and jitter, then start it. */
  #occurrence(job: Registered, st: JobState, at: number, trigger: RunTrigger, now: number): void {
    const policy = job.def.policy;
    const overlap = decideOverlap(policy.overlap, busy(st));
    if (overlap !== "start") {
      if (overlap === "skip") {
        this.#emit(runSkipped(iso(now), job.name, iso(at), "overlap", null));
        this.#log.warn(
          "run of {job} due {scheduledAt} skipped: previous run still in flight (overlap = skip)",
          {
            job: job.name,
            scheduledAt: iso(at),
            outcome: "skipped",
          },
        );
        return;
      }
      this.#replace(job, st, now);
    }
    if (policy.jitterMs > 0) {
      const jitterMs = jitterDelay(policy.jitterMs, this.#random);
      if (jitterMs > 0) {
        this.#emit({
          type: "RUN_DUE",
          time: iso(now),
          job: job.name,
          scheduledAt: iso(at),
          jitterMs,
        });
        job.start = this.#push(job, "start", now + jitterMs, at);
        return;
      }
    }
    this.#startRun(job, at, 1, trigger, null, 0).catch(() => {});
  }

  /** `overlap: "replace"`: cancel what the job has in flight or pending. */
  #replace(job: Registered, st: JobState, now: number): void {
    for (const run of [...(job.runs ?? [])]) this.#cancel(run, "replace");
    if (st.pendingRetry) {
      const p = st.pendingRetry;
      this.#emit({
        type: "RUN_CANCELLED",
        time: iso(now),
        job: job.name,
        runId: p.runId,
        attempt: p.nextAttempt - 1,
        durationMs: null,
        exitCode: null,
        reason: "replace",
      });
      job.retry = this.#kill(job.retry);
    }
    if (st.pendingDue && !st.pendingDue.ahead) {
      this.#emit({
        type: "RUN_SKIPPED",
        time: iso(now),
        job: job.name,
        scheduledAt: iso(st.pendingDue.scheduledAt),
        reason: "overlap",
        until: null,
      });
      job.start = this.#kill(job.start);
    }
  }

  // ---------------------------------------------------------------- runs

  /** Records RUN_STARTED, and once it is durable runs the attempt. Resolves to the run id. */
  #startRun(
    job: Registered,
    scheduledAt: number,
    attempt: number,
    trigger: RunTrigger,
    key: string | null,
    jitterMs: number,
    rerun = false,
  ): Promise<string> {
    // Never a run without a durable RUN_STARTED: while the log cannot be written, none starts.
    if (this.#held !== null) return Promise.reject(this.#ioRefusal("start a run"));
    const now = this.#clock.now();
    const runId = ulid(now);
    const idempotencyKey = key ??
      (trigger === "manual" ? `${job.name}:manual:${runId}` : `${job.name}:${iso(scheduledAt)}`);
    const run = newRun(job, runId, attempt, scheduledAt, idempotencyKey, trigger, now, false);
    run.rerun = rerun;
    const durable = this.#emit(startedEvent(run, jitterMs));
    (job.runs ??= []).push(run);
    this.#armTimeout(run);
    this.#inFlight++;
    // The runs of one batch start from one handler on the batch's promise, in order, instead
    // of one async continuation each.
    if (durable !== this.#startsOn) {
      this.#startsOn = durable;
      const starts: RunHandle[] = [];
      this.#starts = starts;
      durable.then(() => this.#startAll(starts), () => this.#dropAll(starts));
    }
    this.#starts.push(run);
    return trigger === "manual"
      ? durable.then(() => runId)
      : (durable as Promise<unknown> as Promise<string>);
  }

  /**
   * Calls the jobs of the quick runs of this wake-up first, then records their RUN_STARTED and
   * timeouts: bookkeeping must not make the last callback of a burst late. (A callback that
   * synchronously reads its own job's status still sees it idle.)
   */
  #runQuick(): void {
    const runs = this.#quick;
    const entries = this.#quickEntries;
    this.#quick = [];
    this.#quickEntries = [];
    const results = this.#callAll(runs);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i];
      const job = run.job;
      if (!run.done) {
        this.#emit(startedEvent(run, 0));
        this.#armTimeout(run);
      }
      // The job's next occurrence, from the fired entry (reused).
      const st = this.#state.jobs.get(job.name);
      if (st && this.#jobs.get(job.name) === job && job.due === null) {
        this.#spare = entries[i];
        this.#armDue(job, st, job.schedule.next(run.scheduledAt, st.anchorAt));
        this.#spare = null;
      }
    }
    this.#takeResults(runs, results);
  }

  /** Arms the run's timeout, from its start. */
  #armTimeout(run: RunHandle): void {
    const timeoutMs = run.job.def.policy.timeoutMs;
    if (timeoutMs !== null) {
      run.timeout = this.#push(run.job, "timeout", run.startedAt + timeoutMs, run.scheduledAt, run);
    }
  }

  /** Calls the job of every run of a durable batch, then takes their results. */
  #startAll(runs: RunHandle[]): void {
    this.#takeResults(runs, this.#callAll(runs));
  }

  /**
   * Calls the job of each run, in order; returns what each returned or threw (wrapped in
   * {@link Thrown}), or {@link NOT_CALLED} for a run already done.
   */
  #callAll(runs: RunHandle[]): unknown[] {
    const results: unknown[] = new Array(runs.length);
    let flushes: Set<() => void> | null = null;
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i];
      if (run.done) {
        results[i] = NOT_CALLED;
        continue;
      }
      const executor = run.job.executor;
      try {
        results[i] = executor(run.ctx ?? this.#context(run.job, run));
      } catch (e) {
        results[i] = new Thrown(e);
      }
      if (executor.flush !== undefined) (flushes ??= new Set()).add(executor.flush);
    }
    if (flushes !== null) {
      for (const flush of flushes) {
        try {
          flush();
        } catch (e) {
          queueMicrotask(() => {
            throw e;
          });
        }
      }
    }
    return results;
  }

  /**
   * Follows each run's promise, and records the ends of the runs that returned or threw at once
   * after the loop: the last callback of a burst must not wait for the others' end events.
   */
  #takeResults(runs: RunHandle[], results: unknown[]): void {
    let ended: unknown[] | null = null; // (run, value, threw) triples
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i];
      const result = results[i];
      if (result === NOT_CALLED) {
        this.#settle();
      } else if (result instanceof Thrown) {
        (ended ??= []).push(run, result.error, true);
      } else if (
        result !== null && typeof result === "object" &&
        typeof (result as PromiseLike<unknown>).then === "function"
      ) {
        (result as Promise<ExecutionResult | void>).then(
          (r) => this.#returned(run, r),
          (e) => this.#threw(run, e),
        );
      } else {
        (ended ??= []).push(run, result, false);
      }
    }
    if (ended === null) return;
    for (let i = 0; i < ended.length; i += 3) {
      const run = ended[i] as RunHandle;
      try {
        if (ended[i + 2]) this.#threw(run, ended[i + 1]);
        else this.#returned(run, ended[i + 1] as ExecutionResult | void);
      } catch (e) {
        // As if each run had its own continuation: one failure must not strand the others.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** Not durably started: never run side effects. Recovery records them abandoned. */
  #dropAll(runs: RunHandle[]): void {
    for (const run of runs) {
      run.done = true;
      dropRun(run);
      run.timeout = this.#kill(run.timeout);
      this.#settle();
    }
  }

  #settle(): void {
    if (--this.#inFlight === 0 && this.#drained) {
      this.#drained();
      this.#drained = null;
    }
  }

  #returned(run: RunHandle, result: ExecutionResult | void): void {
    try {
      if (run.done) return;
      let exitCode: number | null = null;
      let error: string | null = null;
      if (result && typeof result === "object" && typeof result.exitCode === "number") {
        exitCode = result.exitCode;
      }
      const denied = result ? result.deniedPermissions : undefined;
      if (exitCode !== null && exitCode !== 0) error = `exit code ${exitCode}`;
      this.#finish(run.job, run, error === null ? "succeeded" : "failed", error, exitCode, denied);
    } finally {
      this.#settle();
    }
  }

  #threw(run: RunHandle, e: unknown): void {
    try {
      if (run.done) return;
      if (isRunInterrupted(e) && !run.rerun) return this.#interrupted(run, e);
      const denied = (e as { deniedPermissions?: string[] } | null)?.deniedPermissions;
      this.#finish(run.job, run, "failed", errorLine(e), null, denied);
    } finally {
      this.#settle();
    }
  }

  /**
   * A run stopped from outside its job (its sandbox worker was terminated for another job):
   * recorded cancelled, and the same occurrence runs again at once, once. Cancelling and
   * starting in one turn keeps the job busy throughout, so overlap sees no gap.
   */
  #interrupted(run: RunHandle, e: RunInterruptedError): void {
    const job = run.job;
    // Nothing to abort: its worker is gone already.
    this.#endCancelled(run, e.reason, undefined, errorLine(e));
    if (this.#phase !== "running" || this.#jobs.get(job.name) !== job) return;
    this.#log.warn("run {job} {runId} interrupted ({reason}: {error}); running it again", {
      job: job.name,
      runId: run.runId,
      attempt: run.attempt,
      reason: e.reason,
      error: errorLine(e),
    });
    this.#startRun(job, run.scheduledAt, run.attempt, "recovery", run.idempotencyKey, 0, true)
      .catch(() => {});
  }

  #context(job: Registered, run: RunHandle): RunContext {
    let log: RunLogger | undefined;
    const name = job.name;
    return {
      job: name,
      runId: run.runId,
      attempt: run.attempt,
      scheduledAt: new Date(run.scheduledAt),
      idempotencyKey: run.idempotencyKey,
      get signal(): AbortSignal {
        return signalOf(run);
      },
      get log(): RunLogger {
        return log ??= runLogger(name, run.runId, run.attempt);
      },
    };
  }

  /** Ends an attempt and applies retries and on_error. */
  #finish(
    job: Registered,
    run: RunHandle,
    outcome: "succeeded" | "failed" | "timed_out",
    error: string | null,
    exitCode: number | null,
    denied?: string[],
  ): void {
    run.done = true;
    dropRun(run);
    run.timeout = this.#kill(run.timeout);
    if (this.#phase === "stopped") return;
    const now = this.#clock.now();
    const st = this.#state.jobs.get(job.name);
    const failuresBefore = st?.consecutiveFailures ?? 0;
    if (outcome === "succeeded") {
      // Built field by field (same key order as the other end events): the hot path of a run.
      const time = iso(now);
      const durationMs = now - run.startedAt;
      this.#emit(
        denied?.length
          ? {
            type: "RUN_SUCCEEDED",
            time,
            job: job.name,
            runId: run.runId,
            attempt: run.attempt,
            durationMs,
            exitCode,
            deniedPermissions: denied,
          }
          : {
            type: "RUN_SUCCEEDED",
            time,
            job: job.name,
            runId: run.runId,
            attempt: run.attempt,
            durationMs,
            exitCode,
          },
      );
      if (this.#log.isEnabledFor("info")) {
        this.#log.info("run {job} {runId} attempt {attempt} succeeded in {durationMs} ms", {
          time,
          job: job.name,
          runId: run.runId,
          attempt: run.attempt,
          durationMs,
          exitCode,
          outcome,
        });
      }
      this.#rearmAfter(job, st, failuresBefore);
      return;
    }
    const base = {
      time: iso(now),
      job: job.name,
      runId: run.runId,
      attempt: run.attempt,
      durationMs: now - run.startedAt,
      exitCode,
    };
    {
      this.#emit(runFailure({ ...base, error: error! }, outcome === "timed_out", denied));
      this.#log.warn("run {job} {runId} attempt {attempt} {outcome}: {error}", {
        ...base,
        outcome,
        error,
      });
      const policy = job.def.policy;
      const next = afterFailedAttempt(policy, run.attempt, this.#random);
      if (next.retry && st && this.#jobs.get(job.name) === job) {
        const retryAt = now + next.retry.delayMs;
        this.#emit(
          runRetrying(
            iso(now),
            job.name,
            run.runId,
            iso(run.scheduledAt),
            run.idempotencyKey,
            next.retry.nextAttempt,
            iso(retryAt),
          ),
        );
        if (!st.paused && this.#phase === "running") {
          job.retry = this.#kill(job.retry);
          job.retry = this.#push(job, "retry", retryAt);
        }
      } else if (next.dead || next.retry) {
        // Used up, or a retry the job's removal or redefinition cancels: the occurrence ends.
        this.#emit(runDead(iso(now), job.name, run.runId, run.attempt));
        this.#log.error("run {job} {runId} is dead after {attempt} attempts", {
          ...base,
          outcome: "dead",
        });
      }
    }
    this.#rearmAfter(job, st, failuresBefore);
  }

  /** on_error acted in the fold; re-arm only when the failure count moved the schedule. */
  #rearmAfter(job: Registered, st: JobState | undefined, failuresBefore: number): void {
    if (
      st && this.#phase === "running" && this.#jobs.get(job.name) === job &&
      (st.consecutiveFailures !== failuresBefore || st.stopped)
    ) {
      if (st.stopped) this.#disarmAll(job);
      else this.#armDue(job, st);
      this.#arm();
    }
  }

  #cancel(run: RunHandle, reason: "replace" | "shutdown"): void {
    if (run.done) return;
    this.#endCancelled(run, reason, new DOMException(`cancelled (${reason})`, "AbortError"));
  }

  /**
   * Ends a run as cancelled: `RUN_CANCELLED` with `reason` (and what forced it), its signal
   * aborted with `abort` when the job may still be running.
   */
  #endCancelled(
    run: RunHandle,
    reason: RunCancelledEvent["reason"],
    abort?: unknown,
    error?: string,
  ): void {
    run.done = true;
    dropRun(run);
    run.timeout = this.#kill(run.timeout);
    if (abort !== undefined) abortRun(run, abort);
    const now = this.#clock.now();
    const event: RunCancelledEvent = {
      type: "RUN_CANCELLED",
      time: iso(now),
      job: run.job.name,
      runId: run.runId,
      attempt: run.attempt,
      durationMs: now - run.startedAt,
      exitCode: null,
      reason,
    };
    if (error !== undefined) event.error = error;
    this.#emit(event);
  }

  #resume(job: Registered): void {
    const st = this.#state.jobs.get(job.name);
    if (!st) return;
    const now = this.#clock.now();
    this.#emit({ type: "JOB_RESUMED", time: iso(now), job: job.name });
    job.resume = this.#kill(job.resume);
    // Occurrences that fell inside the pause are skipped, not caught up.
    const next = job.schedule.next(st.cursorAt, st.anchorAt);
    if (next !== null && next <= now) {
      this.#emit({
        type: "RUN_SKIPPED",
        time: iso(now),
        job: job.name,
        scheduledAt: iso(next),
        reason: "paused",
        until: iso(now),
      });
    }
    this.#armAll(job);
  }

  // ---------------------------------------------------------------- helpers

  #requireRunning(): void {
    if (this.#phase !== "running") {
      throw new KronError(
        this.#phase === "stopped" || this.#phase === "stopping" ? "shut_down" : "not_started",
        this.#phase === "stopped" || this.#phase === "stopping"
          ? "kron has been shut down"
          : "kron is not started: call start() first",
      );
    }
  }

  #mustBeRegistered(name: string): Registered {
    const job = this.#jobs.get(name);
    if (job) return job;
    if (this.#state.jobs.has(name)) {
      throw new KronError(
        "conflict",
        `job "${name}" is orphaned (in the log but not defined in this process)`,
      );
    }
    throw unknownJob(name);
  }

  /** A JobState for a job defined before start(): nothing has happened to it yet. */
  #provisional(job: Registered): JobState {
    return newJobState(
      job.name,
      job.def,
      job.defHash,
      anchorOf(job, this.#clock.now()),
      job.paused,
    );
  }
}
