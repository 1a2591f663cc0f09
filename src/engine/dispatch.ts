/**
 * Dispatch: what the engine does when a timer entry falls due. A job's next occurrence is
 * recorded ahead (`RUN_DUE` with `ahead`, {@link Dispatch.fire} on a "due" entry) and, at its
 * due time, either starts quick (nothing to decide, {@link Dispatch.fireAhead}) or goes the
 * usual way: due → misfire (src/policy/ `isMissed`, `decideMisfire`) → occurrence (overlap,
 * jitter) → run (runs.ts). Retries, jitter starts, timed resumes and timeouts are fired here
 * too. While the journal is holding (the log cannot be written) nothing starts: the job is
 * *stalled* and queued again from its state once the log takes writes.
 *
 * @example
 * ```ts
 * // Folder-private: the Engine makes one Dispatch and hands it the timer queue's wake-ups.
 * import { Engine } from "./engine.ts";
 * import { FakeClock } from "./clock.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * const clock = new FakeClock("2026-01-01T00:00:00Z");
 * const engine = new Engine({ store: new MemoryStore(), clock });
 * engine.define("tick", { every: "1s" }, () => Promise.resolve());
 * await engine.start();
 * await clock.advance(1000); // Dispatch.fire → occurrence → Runs.start
 * await engine.shutdown();
 * ```
 * @module
 */
import { jitterDelay } from "../schedule/mod.ts";
import type { RunTrigger } from "../events/mod.ts";
import type { JobState } from "../store/mod.ts";
import { decideMisfire, decideOverlap, isMissed, runSkipped } from "../policy/mod.ts";
import { ulid } from "../ulid.ts";
import type { Journal, StartedEvent } from "./journal.ts";
import type { TimerQueue, WakeHandler } from "./timer_queue.ts";
import type { Runs } from "./runs.ts";
import {
  type AheadGroup,
  busy,
  type Core,
  iso,
  newRun,
  type Registered,
  type TimerEntry,
} from "./_handles.ts";
import { abortRun, runContext } from "./_call.ts";

/** The engine's dispatch of due entries (see the module docs). */
export class Dispatch implements WakeHandler {
  readonly #core: Core;
  readonly #journal: Journal;
  readonly #timers: TimerQueue;
  readonly #runs: Runs;
  /** Jobs whose entries fired while the log could not be written: queued again once it can. */
  readonly #stalled = new Set<Registered>();

  constructor(core: Core, journal: Journal, timers: TimerQueue, runs: Runs) {
    this.#core = core;
    this.#journal = journal;
    this.#timers = timers;
    this.#runs = runs;
  }

  /** Starts the quick runs this wake-up found (see {@link Runs.runQuick}). */
  afterWake(): void {
    this.#runs.runQuick();
  }

  /** A heap entry is due. */
  fire(entry: TimerEntry, now: number): void {
    const job = entry.job;
    if (this.#core.jobs.get(job.name) !== job) return;
    const timers = this.#timers;
    if (this.#journal.holding && entry.type !== "timeout") {
      // The log cannot be written: nothing new starts. Queued again from the state once it can
      // (writable), so an overdue occurrence then follows the misfire rules.
      if (entry.type === "due" || entry.type === "ahead") job.due = null;
      else if (entry.type === "start") job.start = null;
      else if (entry.type === "retry") job.retry = null;
      else job.resume = null;
      this.#stalled.add(job);
      return;
    }
    switch (entry.type) {
      case "due": {
        job.due = null;
        const at = entry.at + this.#core.leadMs;
        if (at > now) {
          this.#recordAhead(job, entry, at, now);
          break;
        }
        timers.spare = entry;
        this.#onDue(job, at, now);
        timers.spare = null;
        break;
      }
      case "ahead":
        job.due = null;
        timers.spare = entry;
        this.#onDue(job, entry.at, now);
        timers.spare = null;
        break;
      case "start": {
        job.start = null;
        const st = this.#core.state.jobs.get(job.name);
        const at = entry.scheduledAt!;
        if (st?.pendingDue?.scheduledAt === at) {
          this.#runs.start(job, at, 1, "schedule", null, now - at).catch(() => {});
        }
        break;
      }
      case "retry": {
        job.retry = null;
        const pending = this.#core.state.jobs.get(job.name)?.pendingRetry;
        if (pending) {
          this.#runs.start(
            job,
            pending.scheduledAt,
            pending.nextAttempt,
            pending.trigger === "manual" ? "manual" : "retry",
            pending.idempotencyKey,
            0,
          ).catch(() => {});
        }
        break;
      }
      case "resume":
        job.resume = null;
        this.resumeJob(job);
        break;
      case "timeout":
        if (entry.run && !entry.run.done) {
          entry.run.timeout = null;
          const ms = job.def.policy.timeoutMs!;
          abortRun(entry.run, new DOMException(`timed out after ${fmtMs(ms)}`, "TimeoutError"));
          this.#runs.finish(entry.run, "timed_out", `timed out after ${fmtMs(ms)}`, null);
        }
        break;
    }
  }

  /**
   * Records the next occurrence ahead of its due time (`RUN_DUE` with `ahead`) and turns its
   * entry into an "ahead" one at the due time: by then the record is durable, and the run
   * starts without waiting for an fsync (fireAhead).
   */
  #recordAhead(job: Registered, entry: TimerEntry, at: number, now: number): void {
    const st = this.#core.state.jobs.get(job.name);
    if (!st || st.paused || st.stopped) return;
    this.#journal.emit({
      type: "RUN_DUE",
      time: iso(now),
      job: job.name,
      scheduledAt: iso(at),
      jitterMs: 0,
      ahead: true,
    });
    // The run and its context are made now, off the due time's critical path.
    const run = newRun(job, ulid(at), 1, at, `${job.name}:${iso(at)}`, "schedule", at, true);
    run.ctx = runContext(run);
    entry.type = "ahead";
    entry.at = at;
    entry.live = true;
    job.due = entry;
    this.#timers.queueAhead(entry, run, this.#core.state.seq);
  }

  /**
   * The occurrences recorded ahead for `group.at` are due: those with nothing to decide start
   * quick (Runs.runQuick, at the end of the wake-up), the others go the usual way (#onDue).
   */
  fireAhead(group: AheadGroup, now: number): void {
    const { at, entries, runs } = group;
    // Quick starts need every record of this instant durable and a log that takes writes; the
    // records of later instants need not be. (Waiting for the newest record sent the groups of
    // interval jobs, due a few ms apart, the slow way whenever the next group's record was in
    // flight: 15,000 of 25,000 quick-startable runs in 30 s of the load case's 10,000 jobs.)
    const quick = !this.#journal.holding && this.#journal.durableSeq >= group.seq;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      // A removed, paused or redefined job's entry was killed: a live one is still current.
      if (!entry.live) continue;
      entry.live = false;
      if (quick && this.#quickable(entry.job, at, now)) {
        this.#runs.startQuick(runs[i], entry, now);
        continue;
      }
      this.#timers.fireSafely(entry, now);
    }
  }

  /**
   * True when the occurrence recorded ahead for `at` can start quick: nothing is missed, and no
   * policy has anything to decide (not busy or overlap allowed, no jitter).
   */
  #quickable(job: Registered, at: number, now: number): boolean {
    const st = this.#core.state.jobs.get(job.name);
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
    const st = this.#core.state.jobs.get(job.name);
    if (!st || st.paused || st.stopped) return;
    const following = job.schedule.next(at, st.anchorAt);
    if (isMissed(job.def.policy, at, following, now)) {
      this.#misfire(job, st, at, now);
    } else {
      this.#occurrence(job, st, at, "schedule", now);
    }
    this.#timers.queueNext(job, st, st.cursorAt === at ? following : undefined);
  }

  /** Occurrences were missed (kron was down, the machine slept): never a burst (DESIGN §3). */
  #misfire(job: Registered, st: JobState, first: number, now: number): void {
    const policy = job.def.policy;
    const decision = decideMisfire(policy, job.schedule, st.anchorAt, first, now);
    const skipped = decision.skipped;
    if (skipped) {
      const until = skipped.until === null ? null : iso(skipped.until);
      this.#journal.emit(
        runSkipped(iso(now), job.name, iso(skipped.scheduledAt), "misfire", until),
      );
    }
    if (decision.run === null) {
      this.#core.log.warn(
        "missed runs of {job} since {scheduledAt} skipped (misfire = {misfire})",
        { job: job.name, scheduledAt: iso(first), misfire: policy.misfire, outcome: "skipped" },
      );
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
        this.#journal.emit(runSkipped(iso(now), job.name, iso(at), "overlap", null));
        this.#core.log.warn(
          "run of {job} due {scheduledAt} skipped: previous run still in flight (overlap = skip)",
          { job: job.name, scheduledAt: iso(at), outcome: "skipped" },
        );
        return;
      }
      this.#replace(job, st, now);
    }
    if (policy.jitterMs > 0) {
      const jitterMs = jitterDelay(policy.jitterMs, this.#core.random);
      if (jitterMs > 0) {
        this.#journal.emit({
          type: "RUN_DUE",
          time: iso(now),
          job: job.name,
          scheduledAt: iso(at),
          jitterMs,
        });
        job.start = this.#timers.push(job, "start", now + jitterMs, at);
        return;
      }
    }
    this.#runs.start(job, at, 1, trigger, null, 0).catch(() => {});
  }

  /** `overlap: "replace"`: cancel what the job has in flight or pending. */
  #replace(job: Registered, st: JobState, now: number): void {
    for (const run of [...(job.runs ?? [])]) this.#runs.cancel(run, "replace");
    if (st.pendingRetry) {
      const p = st.pendingRetry;
      this.#journal.emit({
        type: "RUN_CANCELLED",
        time: iso(now),
        job: job.name,
        runId: p.runId,
        attempt: p.nextAttempt - 1,
        durationMs: null,
        exitCode: null,
        reason: "replace",
      });
      job.retry = this.#timers.kill(job.retry);
    }
    if (st.pendingDue && !st.pendingDue.ahead) {
      this.#journal.emit({
        type: "RUN_SKIPPED",
        time: iso(now),
        job: job.name,
        scheduledAt: iso(st.pendingDue.scheduledAt),
        reason: "overlap",
        until: null,
      });
      job.start = this.#timers.kill(job.start);
    }
  }

  /** Resumes a paused or stopped job: occurrences that fell inside the pause are skipped. */
  resumeJob(job: Registered): void {
    const st = this.#core.state.jobs.get(job.name);
    if (!st) return;
    const now = this.#core.clock.now();
    this.#journal.emit({ type: "JOB_RESUMED", time: iso(now), job: job.name });
    job.resume = this.#timers.kill(job.resume);
    const next = job.schedule.next(st.cursorAt, st.anchorAt);
    if (next !== null && next <= now) {
      this.#journal.emit({
        type: "RUN_SKIPPED",
        time: iso(now),
        job: job.name,
        scheduledAt: iso(next),
        reason: "paused",
        until: iso(now),
      });
    }
    this.#timers.queueJob(job);
  }

  /** The log takes writes again: start what could not start, queue again what waited. */
  writable(lost: StartedEvent[]): void {
    const { state, jobs, clock } = this.#core;
    const now = clock.now();
    for (const ev of lost) {
      // A manual trigger was refused to its caller; a recovery run is only ever tried once.
      if (ev.trigger === "manual" || ev.trigger === "recovery") continue;
      const job = jobs.get(ev.job);
      const st = state.jobs.get(ev.job);
      if (!job || !st || st.paused || st.stopped) continue;
      const scheduledAt = Date.parse(ev.scheduledAt);
      if (now - scheduledAt > st.def.policy.misfireGraceMs) continue;
      this.#runs.start(job, scheduledAt, ev.attempt, "recovery", ev.idempotencyKey, 0)
        .catch(() => {});
    }
    for (const job of this.#stalled) if (jobs.get(job.name) === job) this.#timers.queueJob(job);
    this.#stalled.clear();
    this.#timers.setTimer();
  }
}

/** A delay as a message shows it: whole seconds as "5s", anything else in ms. */
function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
