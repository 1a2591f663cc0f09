/**
 * Runs, from start to end: a run is started by recording `RUN_STARTED` (and called once that
 * is durable, or at once when its occurrence was recorded ahead: a *quick* start), its job is
 * called, its result or throw ends it (`RUN_SUCCEEDED`, `RUN_FAILED`, `RUN_TIMED_OUT`, then
 * retry or dead as src/policy/ decides), or it is cancelled (`RUN_CANCELLED`: replace,
 * shutdown, its worker terminated).
 *
 * The runs of one batch are called together, from one handler on the batch's promise, and the
 * ends of the runs that returned at once are recorded after the loop: the last job of a burst
 * must not wait for the others' bookkeeping.
 *
 * @example
 * ```ts
 * // Folder-private: the Engine makes one Runs next to its journal and timer queue.
 * import { Engine } from "./engine.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * const engine = new Engine({ store: new MemoryStore() });
 * engine.define("once", { every: "1h" }, () => Promise.resolve());
 * await engine.start();
 * await engine.trigger("once"); // Runs.start: RUN_STARTED durable, then the job is called
 * await engine.shutdown();
 * ```
 * @module
 */
import type { RunCancelledEvent, RunSucceededEvent, RunTrigger } from "../events/mod.ts";
import type { JobState } from "../store/mod.ts";
import { afterFailedAttempt, runDead, runFailure, runRetrying } from "../policy/mod.ts";
import type { ExecutionResult } from "./types.ts";
import { isRunInterrupted, type RunInterruptedError } from "./interrupted.ts";
import { ulid } from "../ulid.ts";
import type { Journal } from "./journal.ts";
import type { TimerQueue } from "./timer_queue.ts";
import {
  type Core,
  dropRun,
  iso,
  newRun,
  type Registered,
  type RunHandle,
  startedEvent,
  type TimerEntry,
} from "./_handles.ts";
import { abortRun, callAll, errorLine, NOT_CALLED, Thrown } from "./_call.ts";

/** How an attempt ended, short of a cancel. */
export type Outcome = "succeeded" | "failed" | "timed_out";

/**
 * Runs booked between two looks for occurrences that fell due meanwhile (Runs.runQuick): ~1 ms
 * of bookkeeping.
 */
const QUICK_CHECK_EVERY = 32;

/** The engine's runs in flight (see the module docs). */
export class Runs {
  readonly #core: Core;
  readonly #journal: Journal;
  readonly #timers: TimerQueue;
  #inFlight = 0;
  #idle: (() => void) | null = null;
  /** Runs waiting for their batch's RUN_STARTED to be durable, and that batch's promise. */
  #starts: RunHandle[] = [];
  #startsOn: Promise<void> | null = null;
  /** Quick runs found due in this wake-up, and their fired entries: called at its end. */
  #quick: RunHandle[] = [];
  #quickEntries: TimerEntry[] = [];

  constructor(core: Core, journal: Journal, timers: TimerQueue) {
    this.#core = core;
    this.#journal = journal;
    this.#timers = timers;
  }

  /** Records `RUN_SPAWNED` for a run still in flight (Engine.recordSpawn). */
  recordSpawn(
    job: string,
    runId: string,
    info: { pid: number; pgid: number; startTime: number | null },
  ): void {
    const run = this.#core.jobs.get(job)?.runs?.find((r) => r.runId === runId);
    if (!run || run.done || this.#core.phase !== "running") return;
    const { pid, pgid, startTime } = info;
    const time = iso(this.#core.clock.now());
    this.#journal.emit({ type: "RUN_SPAWNED", time, job, runId, pid, pgid, startTime });
  }

  /** Runs started and not yet ended. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waits up to `timeoutMs` for the runs in flight to end, then cancels the rest (shutdown). */
  async stopAll(timeoutMs: number): Promise<void> {
    if (this.#inFlight > 0) {
      let timer: number | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#idle = r),
        new Promise((r) => timer = setTimeout(r, timeoutMs) as unknown as number),
      ]);
      clearTimeout(timer);
    }
    for (const job of this.#core.jobs.values()) {
      for (const run of [...(job.runs ?? [])]) this.cancel(run, "shutdown");
    }
  }

  /** Records RUN_STARTED, and once it is durable runs the attempt. Resolves to the run id. */
  start(
    job: Registered,
    scheduledAt: number,
    attempt: number,
    trigger: RunTrigger,
    key: string | null,
    jitterMs: number,
    rerun = false,
  ): Promise<string> {
    // Never a run without a durable RUN_STARTED: while the log cannot be written, none starts.
    if (this.#journal.holding) return Promise.reject(this.#journal.refusal("start a run"));
    const now = this.#core.clock.now();
    const runId = ulid(now);
    const idempotencyKey = key ??
      (trigger === "manual" ? `${job.name}:manual:${runId}` : `${job.name}:${iso(scheduledAt)}`);
    const run = newRun(job, runId, attempt, scheduledAt, idempotencyKey, trigger, now, false);
    run.rerun = rerun;
    const durable = this.#journal.emit(startedEvent(run, jitterMs));
    (job.runs ??= []).push(run);
    this.#queueTimeout(run);
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

  /** Starts a run made ahead (its RUN_DUE is durable): called at the end of this wake-up. */
  startQuick(run: RunHandle, entry: TimerEntry, now: number): void {
    run.job.due = null;
    run.startedAt = now;
    (run.job.runs ??= []).push(run);
    this.#inFlight++;
    this.#quick.push(run);
    this.#quickEntries.push(entry);
  }

  /**
   * Calls the jobs of the quick runs of this wake-up first, then records their RUN_STARTED and
   * timeouts: bookkeeping must not make the last callback of a burst late. (A callback that
   * synchronously reads its own job's status still sees it idle.)
   *
   * The bookkeeping of a crowd takes a while (5,000 runs: ~140 ms): every
   * {@link QUICK_CHECK_EVERY} runs, occurrences recorded ahead that fell due meanwhile are fired
   * (TimerQueue.fireAheadDue) and their jobs called at once; their bookkeeping follows. Nothing
   * else runs in between: this is one turn of the event loop, as before.
   */
  runQuick(): void {
    if (this.#quick.length === 0) return;
    const chunks: [RunHandle[], TimerEntry[], unknown[]][] = [];
    const take = () => {
      const runs = this.#quick;
      const entries = this.#quickEntries;
      this.#quick = [];
      this.#quickEntries = [];
      chunks.push([runs, entries, callAll(runs)]);
    };
    take();
    const { state, jobs, clock } = this.#core;
    const due = () => {
      this.#timers.fireAheadDue(clock.now());
      if (this.#quick.length > 0) take();
    };
    for (let c = 0; c < chunks.length; c++) {
      const [runs, entries, results] = chunks[c];
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i];
        const job = run.job;
        if (!run.done) {
          this.#journal.emit(startedEvent(run, 0));
          this.#queueTimeout(run);
        }
        // The job's next occurrence, from the fired entry (reused).
        const st = state.jobs.get(job.name);
        if (st && jobs.get(job.name) === job && job.due === null) {
          this.#timers.spare = entries[i];
          this.#timers.queueNext(job, st, job.schedule.next(run.scheduledAt, st.anchorAt));
          this.#timers.spare = null;
        }
        if (i % QUICK_CHECK_EVERY === QUICK_CHECK_EVERY - 1) due();
      }
      if (runs.length <= QUICK_CHECK_EVERY) this.#takeResults(runs, results);
      else {
        for (let i = 0; i < runs.length; i += QUICK_CHECK_EVERY) {
          const j = i + QUICK_CHECK_EVERY;
          this.#takeResults(runs.slice(i, j), results.slice(i, j));
          due();
        }
      }
    }
  }

  /** Queues the run's timeout, from its start. */
  #queueTimeout(run: RunHandle): void {
    const timeoutMs = run.job.def.policy.timeoutMs;
    if (timeoutMs !== null) {
      run.timeout = this.#timers.push(
        run.job,
        "timeout",
        run.startedAt + timeoutMs,
        run.scheduledAt,
        run,
      );
    }
  }

  /** Calls the job of every run of a durable batch, then takes their results. */
  #startAll(runs: RunHandle[]): void {
    this.#takeResults(runs, callAll(runs));
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
      run.timeout = this.#timers.kill(run.timeout);
      this.#settle();
    }
  }

  #settle(): void {
    if (--this.#inFlight === 0 && this.#idle) {
      this.#idle();
      this.#idle = null;
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
      this.finish(run, error === null ? "succeeded" : "failed", error, exitCode, denied);
    } finally {
      this.#settle();
    }
  }

  #threw(run: RunHandle, e: unknown): void {
    try {
      if (run.done) return;
      if (isRunInterrupted(e) && !run.rerun) return this.#interrupted(run, e);
      const denied = (e as { deniedPermissions?: string[] } | null)?.deniedPermissions;
      this.finish(run, "failed", errorLine(e), null, denied);
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
    this.endCancelled(run, e.reason, undefined, errorLine(e));
    if (this.#core.phase !== "running" || this.#core.jobs.get(job.name) !== job) return;
    this.#core.log.warn("run {job} {runId} interrupted ({reason}: {error}); running it again", {
      job: job.name,
      runId: run.runId,
      attempt: run.attempt,
      reason: e.reason,
      error: errorLine(e),
    });
    this.start(job, run.scheduledAt, run.attempt, "recovery", run.idempotencyKey, 0, true)
      .catch(() => {});
  }

  /** Ends an attempt and applies retries and on_error. */
  finish(
    run: RunHandle,
    outcome: Outcome,
    error: string | null,
    exitCode: number | null,
    denied?: string[],
  ): void {
    run.done = true;
    dropRun(run);
    run.timeout = this.#timers.kill(run.timeout);
    const core = this.#core;
    if (core.phase === "stopped") return;
    const job = run.job;
    const log = core.log;
    const now = core.clock.now();
    const st = core.state.jobs.get(job.name);
    const failuresBefore = st?.consecutiveFailures ?? 0;
    if (outcome === "succeeded") {
      // Built field by field (same key order as the other end events): the hot path of a run.
      const time = iso(now);
      const durationMs = now - run.startedAt;
      const event: RunSucceededEvent = {
        type: "RUN_SUCCEEDED",
        time,
        job: job.name,
        runId: run.runId,
        attempt: run.attempt,
        durationMs,
        exitCode,
      };
      if (denied?.length) event.deniedPermissions = denied;
      this.#journal.emit(event);
      if (log.isEnabledFor("info")) {
        log.info("run {job} {runId} attempt {attempt} succeeded in {durationMs} ms", {
          time,
          job: job.name,
          runId: run.runId,
          attempt: run.attempt,
          durationMs,
          exitCode,
          outcome,
        });
      }
      this.#requeueAfterEnd(job, st, failuresBefore);
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
    this.#journal.emit(runFailure({ ...base, error: error! }, outcome === "timed_out", denied));
    log.warn("run {job} {runId} attempt {attempt} {outcome}: {error}", {
      ...base,
      outcome,
      error,
    });
    const next = afterFailedAttempt(job.def.policy, run.attempt, core.random);
    if (next.retry && st && core.jobs.get(job.name) === job) {
      const retryAt = now + next.retry.delayMs;
      this.#journal.emit(
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
      if (!st.paused && core.phase === "running") {
        job.retry = this.#timers.kill(job.retry);
        job.retry = this.#timers.push(job, "retry", retryAt);
      }
    } else if (next.dead || next.retry) {
      // Used up, or a retry the job's removal or redefinition cancels: the occurrence ends.
      this.#journal.emit(runDead(iso(now), job.name, run.runId, run.attempt));
      log.error("run {job} {runId} is dead after {attempt} attempts", {
        ...base,
        outcome: "dead",
      });
    }
    this.#requeueAfterEnd(job, st, failuresBefore);
  }

  /** on_error acted in the fold; requeue only when the failure count moved the schedule. */
  #requeueAfterEnd(job: Registered, st: JobState | undefined, failuresBefore: number): void {
    if (
      st && this.#core.phase === "running" && this.#core.jobs.get(job.name) === job &&
      (st.consecutiveFailures !== failuresBefore || st.stopped)
    ) {
      if (st.stopped) this.#timers.unqueueJob(job);
      else this.#timers.queueNext(job, st);
      this.#timers.setTimer();
    }
  }

  /** Cancels a run still in flight (`overlap: "replace"`, shutdown). */
  cancel(run: RunHandle, reason: "replace" | "shutdown"): void {
    if (run.done) return;
    this.endCancelled(run, reason, new DOMException(`cancelled (${reason})`, "AbortError"));
  }

  /**
   * Ends a run as cancelled: `RUN_CANCELLED` with `reason` (and what forced it), its signal
   * aborted with `abort` when the job may still be running.
   */
  endCancelled(
    run: RunHandle,
    reason: RunCancelledEvent["reason"],
    abort?: unknown,
    error?: string,
  ): void {
    run.done = true;
    dropRun(run);
    run.timeout = this.#timers.kill(run.timeout);
    if (abort !== undefined) abortRun(run, abort);
    const now = this.#core.clock.now();
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
    this.#journal.emit(event);
  }
}
