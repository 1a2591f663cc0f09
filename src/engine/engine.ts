/**
 * The `Engine`: the public verbs (define, start, trigger, pause, resume, shutdown, status…)
 * over the modules that do the work: the timer queue (timer_queue.ts), the journal
 * (journal.ts: emit, append, commit, write failures), dispatch (dispatch.ts: due → misfire →
 * occurrence → run), runs (runs.ts: start, call, finish, cancel, retry) and what a start does
 * with the log it opened (startup.ts). Every change is an event that goes through the store
 * and is folded into the state by the one reducer.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * const engine = new Engine({ store: new MemoryStore() });
 * engine.define("tick", { every: "1s" }, () => Promise.resolve());
 * await engine.start();
 * await engine.shutdown();
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { parseDuration } from "../schedule/duration.ts";
import { anchorFor, compileSchedule } from "../schedule/mod.ts";
import type { JobKind, KronEvent } from "../events/mod.ts";
import { type JobState, type KronState, newJobState } from "../store/mod.ts";
import type { Store } from "../store/mod.ts";
import { type Clock, systemClock } from "./clock.ts";
import { buildDefinition, type DefinitionExtras } from "./definition.ts";
import { Spreader } from "./spread.ts";
import type {
  EngineOptions,
  Executor,
  HistoryOptions,
  JobGauges,
  JobOptions,
  JobStatus,
  JobSummary,
  PauseOptions,
  RunRecord,
  ShutdownOptions,
} from "./types.ts";
import { type Core, iso, newCore, newRegistered, type Registered } from "./_handles.ts";
import { mustBeRegistered, requireRunning, triggerable, unknownJob } from "./guards.ts";
import { type LatenessAssessment, pauseUntil } from "../policy/mod.ts";
import { toJobGauges, toJobStatus, toJobSummary } from "./views.ts";
import { historyPageOf, runOf } from "./history.ts";
import { LatenessWatcher } from "./lateness.ts";
import { type Ping, recordPing } from "./ping.ts";
import { TimerQueue } from "./timer_queue.ts";
import { Compactions } from "./quiet.ts";
import { Journal } from "./journal.ts";
import { Runs } from "./runs.ts";
import { Dispatch } from "./dispatch.ts";
import { findAbandoned, hostname, queueAtStart, recordDefinition } from "./startup.ts";

export type { EngineOptions, PauseOptions, ShutdownOptions };

/** Default {@link EngineOptions.leadMs} on a durable store. */
const DEFAULT_LEAD_MS = 50;

/**
 * The scheduler core. The {@link Kron} class wraps it with defaults; use it directly to embed
 * kron with your own store or clock.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { FakeClock } from "./clock.ts";
 * import { MemoryStore } from "../store/mod.ts";
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
  readonly #core: Core;
  readonly #defaultTimezone: string | undefined;
  readonly #version: string;
  readonly #onAbandoned: EngineOptions["onAbandoned"];
  readonly #timers: TimerQueue;
  readonly #journal: Journal;
  readonly #runs: Runs;
  readonly #dispatch: Dispatch;
  /** Recovery re-runs and catch-ups found at start, started a few at a time (spread.ts). */
  readonly #spread: Spreader;
  /** Late/down of graced jobs (lateness.ts): its own timer, told every folded event. */
  readonly #lateness: LatenessWatcher;
  #definitionEpoch = 0;
  #compactions = new Compactions();

  /** Creates an engine; nothing runs before {@link Engine.start}. */
  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#defaultTimezone = options.defaultTimezone;
    this.#version = options.version ?? "dev";
    this.#onAbandoned = options.onAbandoned;
    const lead = options.leadMs ?? (options.store.durable ? DEFAULT_LEAD_MS : 0);
    if (!Number.isFinite(lead) || lead < 0) {
      throw new KronError("invalid_option", `leadMs ${lead} must be a number ≥ 0`);
    }
    const core = newCore(options.clock ?? systemClock, options.random ?? Math.random, lead);
    this.#core = core;
    this.#timers = new TimerQueue(core);
    this.#journal = new Journal(core, this.#store);
    this.#runs = new Runs(core, this.#journal, this.#timers);
    const dispatch = new Dispatch(core, this.#journal, this.#timers, this.#runs);
    this.#dispatch = dispatch;
    this.#timers.handler = dispatch;
    this.#journal.onWritable = (lost) => dispatch.writable(lost);
    const lateness = new LatenessWatcher({
      clock: core.clock,
      state: () => core.state,
      schedule: (name) => core.jobs.get(name)?.schedule ?? null,
      emit: (event) => void this.#journal.emit(event).catch(() => {}),
    });
    this.#lateness = lateness;
    this.#journal.onFolded = (event) => lateness.observe(event);
    this.#spread = new Spreader(core.clock, () => this.#runs.inFlight, (e) => {
      core.log.error("a recovery start failed: {error}", { error: String(e) });
    });
  }

  /** The clock the engine runs on. */
  get clock(): Clock {
    return this.#core.clock;
  }

  /** True between a successful `start()` and `shutdown()`. */
  get running(): boolean {
    return this.#core.phase === "running";
  }

  /**
   * The store write error while the event log cannot be written (e.g. disk full); null when
   * healthy. Meanwhile no run starts (scheduled occurrences wait, `trigger` is refused with
   * `io`), events are folded and held in memory, and the engine retries writing them, in
   * order, every second; once that works it re-runs occurrences whose start could not be
   * recorded (within `misfire_grace`) and queues the rest again, as after a machine sleep.
   */
  get ioError(): Error | null {
    return this.#journal.ioError;
  }

  /**
   * Bumped by every `define` and `undefine`. A job that stops being defined turns `orphaned`
   * without an event (it is still in the log): caches of job views key on this too.
   */
  get definitionEpoch(): number {
    return this.#definitionEpoch;
  }

  /** When the next occurrences recorded ahead are due (Infinity: none); api/_gate.ts. */
  get nextAheadAt(): number {
    return this.#timers.nextAheadAt;
  }

  /**
   * Calls `listener` with each event as it is folded (synchronously, before fsync: a copy of
   * the state that applies them stays equal to it), and with null when what the state does not
   * hold changes (definitions, the engine's phase). Returns the unsubscribe function.
   */
  onFold(listener: (event: KronEvent | null) => void): () => void {
    return this.#journal.watchFolds(listener);
  }

  /** Keeps `cell[0]` at {@link Engine.nextAheadAt} (`Date.now()` scale) until the returned call. */
  shareNextAhead(cell: Float64Array): () => void {
    this.#timers.aheadCells.add(cell);
    this.#timers.publishAhead();
    return () => void this.#timers.aheadCells.delete(cell);
  }

  /** Events of `name` folded so far: moves at once with its state (onEvent waits for fsync). */
  folds(name: string): number {
    return this.#journal.folds(name);
  }

  /** The folded state (read-only by convention: only events change it). */
  get state(): KronState {
    return this.#core.state;
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
    const core = this.#core;
    if (core.phase === "stopping" || core.phase === "stopped") {
      throw new KronError("shut_down", "kron has been shut down");
    }
    const existing = core.jobs.get(name);
    if (existing && !extras.replace) {
      throw new KronError("duplicate_job", `a job named "${name}" is already scheduled`);
    }
    const kind = extras.kind ?? "function";
    const { def, defHash } = buildDefinition(name, options, kind, extras);
    const schedule = compileSchedule(def.schedule, { defaultTimezone: this.#defaultTimezone });
    if (typeof executor !== "function") {
      throw new KronError("invalid_option", `job "${name}": the job function is missing`);
    }
    const paused = options.paused ?? false;
    const job = existing ?? newRegistered(name, executor, schedule, def, defHash);
    Object.assign(job, { executor, schedule, def, defHash, paused });
    core.jobs.set(name, job);
    this.#definitionEpoch++;
    this.#journal.foldNotice(null);
    if (core.phase === "running") {
      recordDefinition(core, this.#journal, job);
      this.#timers.queueJob(job);
      this.#timers.setTimer();
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
    const job = mustBeRegistered(this.#core, name);
    this.#timers.unqueueJob(job);
    this.#core.jobs.delete(name);
    this.#definitionEpoch++;
    this.#journal.foldNotice(null);
  }

  /** Forgets an orphaned job (in the log but not defined here): its state goes, history later. */
  forget(name: string): void {
    if (this.#core.jobs.has(name)) {
      throw new KronError(
        "conflict",
        `job "${name}" is defined in this process; only orphaned jobs can be forgotten`,
      );
    }
    if (!this.#core.state.jobs.has(name)) throw unknownJob(name);
    requireRunning(this.#core.phase);
    this.#journal.emit({ type: "JOB_REMOVED", time: this.#iso(), job: name });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Opens the store (lock, snapshot, replay), records abandoned runs, applies definitions and
   * sets the timer. Resolves once running; never blocks the event loop.
   */
  async start(): Promise<void> {
    const core = this.#core;
    if (core.phase !== "new") {
      const phase = core.phase;
      throw new KronError(
        phase === "running" || phase === "starting" ? "already_started" : "shut_down",
        `kron is ${
          phase === "starting" ? "starting" : phase === "running" ? "already running" : "shut down"
        }`,
      );
    }
    core.phase = "starting";
    try {
      core.state = (await this.#store.open()).state;
    } catch (e) {
      core.phase = "new";
      throw e;
    }
    const now = core.clock.now();
    this.#journal.emit({
      type: "RUNTIME_STARTED",
      time: iso(now),
      pid: Deno.pid,
      version: this.#version,
      host: hostname(),
    });
    const found = await findAbandoned(core, this.#journal, now, this.#onAbandoned);
    let recorded = 0;
    for (const job of core.jobs.values()) {
      recordDefinition(core, this.#journal, job);
      // Commit many definitions in slices: one batch of 100k JOB_DEFINED lines would hold
      // ~70 MB of text at once, and the process keeps that peak as RSS afterwards.
      if (++recorded % 2048 === 0) await this.#journal.lastCommit;
    }
    core.phase = "running";
    queueAtStart(core, this.#timers, this.#runs, this.#spread, found, now);
    this.#lateness.start();
    this.#journal.foldNotice(null);
    await this.#journal.lastCommit;
  }

  /**
   * Stops the timer, waits up to `timeout` for running jobs, cancels what is left (their
   * signals abort; `RUN_CANCELLED`), records `RUNTIME_STOPPED` and closes the store.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const core = this.#core;
    if (core.phase === "stopped" || core.phase === "stopping") return;
    const wasRunning = core.phase === "running";
    core.phase = "stopping";
    this.#journal.foldNotice(null);
    this.#timers.stop();
    this.#lateness.stop();
    this.#spread.stop();
    for (const job of core.jobs.values()) this.#timers.unqueueJob(job);
    if (!wasRunning) {
      core.phase = "stopped";
      return;
    }
    await this.#runs.stopAll(parseDuration(options.timeout ?? "30s", "timeout"));
    this.#journal.emit({ type: "RUNTIME_STOPPED", time: this.#iso() });
    await this.#journal.close();
    core.phase = "stopped";
    await this.#store.close();
  }

  // ---------------------------------------------------------------- verbs

  /**
   * Starts a run now. Resolves to its run id once `RUN_STARTED` is durable; never rejects
   * because the run later fails. Refused under `overlap: "skip"` while a run is in flight.
   */
  trigger(name: string): Promise<string> {
    requireRunning(this.#core.phase);
    let job: Registered;
    try {
      job = triggerable(this.#core, this.#journal, name);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#runs.start(job, this.#core.clock.now(), 1, "manual", null, 0);
  }

  /** Pauses a job (optionally for a while or until a time). Running attempts finish. */
  pause(name: string, options: PauseOptions = {}): void {
    requireRunning(this.#core.phase);
    const job = mustBeRegistered(this.#core, name);
    const until = pauseUntil(options, this.#core.clock.now());
    this.#journal.emit({
      type: "JOB_PAUSED",
      time: this.#iso(),
      job: name,
      until: until === null ? null : iso(until),
    });
    this.#timers.unqueueJob(job);
    this.#timers.queueJob(job);
    this.#timers.setTimer();
  }

  /** Resumes a paused job, or re-enables one stopped by `onError: "stop"`. */
  resume(name: string): void {
    requireRunning(this.#core.phase);
    this.#dispatch.resumeJob(mustBeRegistered(this.#core, name));
    this.#timers.setTimer();
  }

  /** Status of one job (synchronous read of the in-memory state). */
  status(name: string): JobStatus {
    return this.#view(name, toJobStatus);
  }

  /** {@link Engine.status} without `recentRuns` (lists read thousands of jobs). */
  summary(name: string): JobSummary {
    return this.#view(name, toJobSummary);
  }

  #view<T>(name: string, view: (...args: Parameters<typeof toJobSummary>) => T): T {
    const job = this.#core.jobs.get(name);
    const st = this.#core.state.jobs.get(name) ?? (job ? this.#provisional(job) : undefined);
    if (!st) throw unknownJob(name);
    const orphan = !job && this.#core.phase !== "new";
    const next = job ? this.#timers.nextRunAt(job, st) : null;
    return view(st, orphan, next, job ? this.#lateness.assess(name) : null);
  }

  /** What a job's view takes besides its state: a copy of the state (onFold) and these give
   * the same {@link Engine.status} on another thread. */
  viewInputs(
    name: string,
  ): { defined: boolean; nextRunAt: number | null; lateness: LatenessAssessment | null } {
    return this.#view(name, (_, orphan, nextRunAt, lateness = null) => ({
      defined: !orphan,
      nextRunAt,
      lateness,
    }));
  }

  /**
   * The few numbers `/metrics` shows of a job, without building its run records (a tenth of
   * {@link Engine.status}'s cost: a scrape reads thousands). Null for an unknown job.
   */
  gauges(name: string): JobGauges | null {
    if (!this.#core.jobs.has(name) && !this.#core.state.jobs.has(name)) return null;
    return this.#view(
      name,
      (st, orphan, next, lateness) =>
        toJobGauges(st, orphan, lateness?.health ?? st.lateness?.health ?? "ok", next),
    );
  }

  /** Status of every job: defined ones first (in definition order), then orphans. */
  list(): JobStatus[] {
    const out: JobStatus[] = [];
    const jobs = this.#core.jobs;
    for (const name of jobs.keys()) out.push(this.status(name));
    for (const name of this.#core.state.jobs.keys()) {
      if (!jobs.has(name)) out.push(this.status(name));
    }
    return out;
  }

  /** Past attempts of a job, most recent first (from the store: may read the log). */
  async history(name: string, options: HistoryOptions = {}): Promise<RunRecord[]> {
    return (await this.historyPage(name, options)).runs;
  }

  /**
   * {@link Engine.history} with the cursor of the next, older page (null when none): pass it as
   * `before` to read on.
   */
  async historyPage(
    name: string,
    options: HistoryOptions = {},
  ): Promise<{ runs: RunRecord[]; next: string | null }> {
    if (!this.#core.jobs.has(name) && !this.#core.state.jobs.has(name)) throw unknownJob(name);
    return await historyPageOf(this.#store, name, options);
  }

  /** One run attempt by id (from the store). */
  run(runId: string): Promise<RunRecord> {
    return runOf(this.#store, runId);
  }

  /** Writes a snapshot and drops covered log segments, at a quiet moment (quiet.ts). */
  compact(): Promise<void> {
    return this.#compactions.compact(this.#core, this.#journal, this.#timers, this.#store);
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
    this.#runs.recordSpawn(job, runId, info);
  }

  /**
   * Records a ping of a watched job (ping.ts): a start, a success or a failure of the external
   * run. Resolves to its run id once durable. Refused for a job that is not watched.
   */
  ping(name: string, ping: Ping): Promise<string> {
    return recordPing(this.#core, this.#journal, name, ping);
  }

  /** Subscribes to every event once it is committed; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void {
    return this.#journal.onEvent(listener);
  }

  /** Names of the jobs defined in this process. */
  definedJobs(): string[] {
    return [...this.#core.jobs.keys()];
  }

  /** The stored definition hash of a defined job (reload uses it to report changes). */
  definitionHash(name: string): string | null {
    return this.#core.jobs.get(name)?.defHash ?? null;
  }

  // ---------------------------------------------------------------- helpers

  #iso(): string {
    return iso(this.#core.clock.now());
  }

  /** A JobState for a job defined before start(): nothing has happened to it yet. */
  #provisional(job: Registered): JobState {
    const anchorAt = anchorFor(job.def.schedule, this.#core.clock.now());
    return newJobState(job.name, job.def, job.defHash, anchorAt, job.paused);
  }
}
