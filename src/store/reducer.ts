/**
 * The reducer: `apply(state, event)` folds one event into the state. Recovery, the engine, the
 * CLI's offline reader and the tests all use this one function, so what kron shows is always
 * what the log says.
 *
 * It is deterministic (the result depends only on the state and the event) but updates `state`
 * in place and returns it: copying 100k jobs per event would cost more than the event itself.
 *
 * @example
 * ```ts
 * import { apply, emptyState } from "./reducer.ts";
 * let state = emptyState();
 * for (const event of []) state = apply(state, event);
 * ```
 * @module
 */
import { afterLastFailure, coveredBy, isLastAttempt } from "../policy/mod.ts";
import type {
  KronEvent,
  RunCancelledEvent,
  RunFailedEvent,
  RunSucceededEvent,
  RunTimedOutEvent,
} from "../events/mod.ts";
import {
  addInFlight,
  addRecent,
  emptyState,
  type JobState,
  type KronState,
  type LatenessFold,
  newJobState,
  takeInFlight,
} from "./state.ts";

export { emptyState };

/** Epoch ms of an ISO time (null stays null). */
function ms(iso: string): number;
function ms(iso: string | null): number | null;
function ms(iso: string | null): number | null {
  if (iso === null) return null;
  // Events of one tick share their time strings; parsing costs more than comparing. Two
  // entries: a RUN_STARTED reads its time and its scheduledAt, which differ in real time.
  if (iso === lastIso) return lastMs;
  if (iso === prevIso) return prevMs;
  prevIso = lastIso;
  prevMs = lastMs;
  lastIso = iso;
  return lastMs = Date.parse(iso);
}
let lastIso = "", prevIso = "";
let lastMs = NaN, prevMs = NaN;

function sameSchedule(a: JobState["def"]["schedule"], b: JobState["def"]["schedule"]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Brings `state.seq` to the log's numbering of `events`: events the state folded before the log
 * numbered them (held while the log could not be written), then appended again, in order.
 *
 * @example
 * ```ts
 * import { emptyState, renumbered } from "./reducer.ts";
 * const state = emptyState();
 * renumbered(state, [{ type: "RUNTIME_STOPPED", time: new Date().toISOString(), seq: 7 }]);
 * state.seq; // 7
 * ```
 */
export function renumbered(state: KronState, events: readonly KronEvent[]): KronState {
  const last = events.at(-1)?.seq;
  if (last !== undefined) state.seq = last;
  return state;
}

/**
 * Folds `event` into `state` and returns it.
 *
 * @example
 * ```ts
 * import { apply, emptyState } from "./reducer.ts";
 * const state = apply(emptyState(), {
 *   type: "JOB_PAUSED", job: "nope", until: null, time: new Date().toISOString(), seq: 1,
 * });
 * state.seq; // 1 (events about unknown jobs are ignored)
 * ```
 */
export function apply(state: KronState, event: KronEvent): KronState {
  if (event.seq !== undefined) state.seq = event.seq;
  if (event.type === "RUNTIME_STARTED") return state;
  if (event.type === "RUNTIME_STOPPED") {
    // A clean stop started nothing it had not recorded: occurrences recorded ahead are void.
    for (const job of state.jobs.values()) if (job.pendingDue?.ahead) job.pendingDue = null;
    return state;
  }
  if (event.type === "JOB_DEFINED") {
    defineJob(state, event);
    return state;
  }
  const job = state.jobs.get(event.job);
  if (!job) return state;
  switch (event.type) {
    case "JOB_REMOVED":
      state.jobs.delete(event.job);
      break;
    case "JOB_PAUSED":
      // A paused job's occurrences do not start: one recorded ahead is void.
      if (job.pendingDue?.ahead) job.pendingDue = null;
      job.paused = true;
      job.pausedUntil = ms(event.until);
      break;
    case "JOB_RESUMED":
      // Occurrences due while paused are not expected: the watch starts over (lateness.ts).
      if (job.lateness) job.lateness.watchFrom = ms(event.time);
      job.paused = false;
      job.pausedUntil = null;
      if (job.stopped) {
        job.stopped = false;
        job.consecutiveFailures = 0;
      }
      // A retry that fell due while paused runs on resume, not in the past.
      if (job.pendingRetry) {
        job.pendingRetry.retryAt = Math.max(job.pendingRetry.retryAt, ms(event.time));
      }
      break;
    case "RUN_DUE": {
      const at = ms(event.scheduledAt);
      if (event.ahead) {
        // Decides nothing yet: the cursor moves when the occurrence starts or is skipped.
        job.pendingDue = { scheduledAt: at, startAt: at, ahead: true };
        break;
      }
      job.pendingDue = { scheduledAt: at, startAt: ms(event.time) + event.jitterMs };
      advanceCursor(job, at);
      break;
    }
    case "RUN_SKIPPED": {
      const at = ms(event.scheduledAt);
      if (job.pendingDue?.scheduledAt === at) job.pendingDue = null;
      advanceCursor(job, event.until === null ? at : Math.max(at, ms(event.until)));
      break;
    }
    case "RUN_STARTED": {
      const scheduledAt = ms(event.scheduledAt);
      if (event.trigger !== "manual") advanceCursor(job, scheduledAt);
      if (job.pendingDue?.scheduledAt === scheduledAt) job.pendingDue = null;
      // The retry a pending RUN_RETRYING announced has started (a manual run's retries keep
      // the trigger "manual", so match the occurrence and attempt, not the trigger).
      const retry = job.pendingRetry;
      if (
        retry !== null && retry.idempotencyKey === event.idempotencyKey &&
        retry.nextAttempt === event.attempt
      ) {
        job.pendingRetry = null;
      }
      job.totalRuns++;
      addInFlight(job, {
        id: event.runId,
        job: event.job,
        attempt: event.attempt,
        scheduledAt,
        startedAt: ms(event.time),
        finishedAt: null,
        durationMs: null,
        outcome: null,
        error: null,
        exitCode: null,
        idempotencyKey: event.idempotencyKey,
        trigger: event.trigger,
        jitterMs: event.jitterMs,
        pid: null,
        pgid: null,
        procStartTime: null,
      });
      break;
    }
    case "RUN_SPAWNED": {
      const run = job.inFlight.find((r) => r.id === event.runId);
      if (run) {
        run.pid = event.pid;
        run.pgid = event.pgid;
        run.procStartTime = event.startTime;
      }
      break;
    }
    case "RUN_SUCCEEDED":
    case "RUN_FAILED":
    case "RUN_TIMED_OUT":
    case "RUN_CANCELLED":
      endRun(job, event);
      break;
    case "RUN_ABANDONED": {
      const run = takeInFlight(job, event.runId);
      if (run) {
        run.outcome = "abandoned";
        run.finishedAt = ms(event.time);
        addRecent(job, run);
      }
      break;
    }
    case "RUN_RETRYING": {
      const prev = job.recent.find((r) => r.id === event.runId);
      job.pendingRetry = {
        scheduledAt: ms(event.scheduledAt),
        idempotencyKey: event.idempotencyKey,
        nextAttempt: event.nextAttempt,
        retryAt: ms(event.retryAt),
        runId: event.runId,
        trigger: prev?.trigger === "manual" ? "manual" : "retry",
      };
      break;
    }
    case "RUN_DEAD": {
      const run = job.recent.find((r) => r.id === event.runId);
      if (run) run.outcome = "dead";
      job.pendingRetry = null;
      break;
    }
    case "JOB_LATE":
    case "JOB_DOWN":
      if (job.lateness) {
        job.lateness.health = event.type === "JOB_LATE" ? "late" : "down";
        job.lateness.since = ms(event.time);
        job.lateness.scheduledAt = ms(event.scheduledAt);
      }
      break;
    case "JOB_RECOVERED":
      if (job.lateness) {
        job.lateness.health = "ok";
        job.lateness.since = ms(event.time);
        job.lateness.scheduledAt = null;
      }
      break;
  }
  return state;
}

/** A graced job's lateness facts when first watched. */
function newLateness(watchFrom: number | null): LatenessFold {
  return {
    coveredUntil: null,
    lastSuccessAt: null,
    watchFrom,
    health: "ok",
    since: null,
    scheduledAt: null,
  };
}

function defineJob(state: KronState, event: Extract<KronEvent, { type: "JOB_DEFINED" }>): void {
  const existing = state.jobs.get(event.job);
  const graced = event.def.policy.graceMs !== undefined;
  if (!existing) {
    const job = newJobState(event.job, event.def, event.defHash, ms(event.anchorAt), event.paused);
    if (graced) job.lateness = newLateness(null);
    state.jobs.set(event.job, job);
    return;
  }
  // A changed schedule re-anchors from now; a paused job stays paused; failures reset.
  const rescheduled = !sameSchedule(existing.def.schedule, event.def.schedule);
  if (rescheduled) {
    existing.anchorAt = ms(event.anchorAt);
    existing.cursorAt = null;
    existing.pendingDue = null;
  }
  // Lateness: without a grace there is none; a new anchor or a changed grace starts the watch
  // over (from the new anchor's first occurrence, or from now).
  const before = existing.def.policy;
  if (!graced) {
    delete existing.lateness;
  } else if (!existing.lateness) {
    existing.lateness = newLateness(rescheduled ? null : ms(event.time));
  } else if (rescheduled) {
    existing.lateness.coveredUntil = null;
    existing.lateness.watchFrom = null;
  } else if (
    before.graceMs !== event.def.policy.graceMs ||
    before.downAfterMs !== event.def.policy.downAfterMs
  ) {
    existing.lateness.watchFrom = ms(event.time);
  }
  existing.def = event.def;
  existing.defHash = event.defHash;
  existing.paused = existing.paused || event.paused;
  existing.stopped = false;
  existing.consecutiveFailures = 0;
}

function advanceCursor(job: JobState, at: number): void {
  if (job.cursorAt === null || at > job.cursorAt) job.cursorAt = at;
  // An occurrence recorded ahead that the cursor has passed was started or skipped.
  if (job.pendingDue?.ahead && job.pendingDue.scheduledAt <= at) job.pendingDue = null;
}

const OUTCOME = {
  RUN_SUCCEEDED: "succeeded",
  RUN_FAILED: "failed",
  RUN_TIMED_OUT: "timed_out",
  RUN_CANCELLED: "cancelled",
} as const;

function endRun(
  job: JobState,
  event: RunSucceededEvent | RunFailedEvent | RunTimedOutEvent | RunCancelledEvent,
): void {
  const run = takeInFlight(job, event.runId);
  if (!run) return;
  const finishedAt = ms(event.time);
  run.outcome = OUTCOME[event.type];
  run.finishedAt = finishedAt;
  // A ping that ends with no start before it has no duration to tell.
  run.durationMs = event.durationMs ?? (run.trigger === "ping" ? null : finishedAt - run.startedAt);
  run.exitCode = event.exitCode;
  if ("deniedPermissions" in event && event.deniedPermissions?.length) {
    run.deniedPermissions = event.deniedPermissions;
  }
  run.error = "error" in event && event.error !== undefined
    ? event.error
    : event.type === "RUN_CANCELLED"
    ? `cancelled (${event.reason})`
    : null;
  addRecent(job, run);
  job.lastFinishedAt = finishedAt;
  if (event.type === "RUN_SUCCEEDED") {
    job.consecutiveFailures = 0;
    const lateness = job.lateness;
    if (lateness) {
      const covered = coveredBy(run);
      if (lateness.coveredUntil === null || covered > lateness.coveredUntil) {
        lateness.coveredUntil = covered;
      }
      lateness.lastSuccessAt = finishedAt;
    }
  } else if (event.type !== "RUN_CANCELLED" && isLastAttempt(job.def.policy, event.attempt)) {
    // The occurrence's last attempt failed: on_error acts now (DESIGN §4).
    const after = afterLastFailure(job.def.policy, job.consecutiveFailures);
    job.consecutiveFailures = after.consecutiveFailures;
    if (after.stop) job.stopped = true;
  }
}
