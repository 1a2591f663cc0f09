/**
 * Read models: turn folded state into the objects the library, the API and the CLI show.
 *
 * @example
 * ```ts
 * import { toRunRecord } from "./views.ts";
 * // toRunRecord(entry).startedAt instanceof Date
 * ```
 * @module
 */
import { type Health, jobStateOf, type LatenessAssessment } from "../policy/mod.ts";
import { compileSchedule, formatDuration } from "../schedule/mod.ts";
import { isDone, type JobState, type RunEntry } from "../store/mod.ts";
import { assessOf } from "./lateness.ts";
import type { JobGauges, JobStateName, JobStatus, JobSummary, RunRecord } from "./types.ts";

const date = (ms: number | null): Date | null => ms === null ? null : new Date(ms);

/**
 * A run entry as a public run record (every field present, `null` where it does not apply).
 *
 * @example
 * ```ts
 * import { toRunRecord } from "./views.ts";
 * // const record = toRunRecord(state.jobs.get("a")!.recent[0]);
 * ```
 */
export function toRunRecord(run: RunEntry): RunRecord {
  return {
    id: run.id,
    job: run.job,
    scheduledAt: new Date(run.scheduledAt),
    startedAt: date(run.startedAt),
    finishedAt: date(run.finishedAt),
    durationMs: run.durationMs,
    attempt: run.attempt,
    outcome: run.outcome,
    error: run.error,
    exitCode: run.exitCode,
    idempotencyKey: run.idempotencyKey,
    trigger: run.trigger,
    jitterMs: run.jitterMs,
    deniedPermissions: run.deniedPermissions ?? [],
  };
}

/**
 * The one `state` of a job, by the precedence of DESIGN §3:
 * orphaned > stopped > paused > down > late > running > failing > done > idle. `health` is
 * its lateness (default: the one last recorded in the fold).
 *
 * @example
 * ```ts
 * import { jobStateName } from "./views.ts";
 * // jobStateName(job, true) === "orphaned"
 * ```
 */
export function jobStateName(
  job: JobState,
  orphaned: boolean,
  health: Health = job.lateness?.health ?? "ok",
): JobStateName {
  return jobStateOf({
    orphaned,
    stopped: job.stopped,
    paused: job.paused,
    running: job.inFlight.length,
    failing: job.consecutiveFailures > 0 || job.pendingRetry !== null,
    done: isDone(job),
    health,
  });
}

/**
 * The few numbers `/metrics` shows of a job, without building its run records.
 *
 * @example
 * ```ts
 * import { toJobGauges } from "./views.ts";
 * // toJobGauges(job, false, "ok", nextDueMs).running
 * ```
 */
export function toJobGauges(
  job: JobState,
  orphaned: boolean,
  health: Health,
  nextRunAt: number | null,
): JobGauges {
  let lastSucceededAt: number | null = null;
  for (let i = job.recent.length - 1; i >= 0; i--) {
    const r = job.recent[i];
    if (r.outcome === "succeeded" && r.finishedAt !== null) {
      lastSucceededAt = r.finishedAt;
      break;
    }
  }
  const last = job.inFlight[job.inFlight.length - 1] ?? job.recent[job.recent.length - 1];
  return {
    state: jobStateName(job, orphaned, health),
    health,
    running: job.inFlight.length,
    consecutiveFailures: job.consecutiveFailures,
    lastStartedAt: last?.startedAt ?? null,
    lastSucceededAt,
    nextRunAt,
  };
}

/**
 * A graced job's lateness decided from the fold and `now` alone, for readers with no runtime
 * (the offline `kron status`): what the runtime's watcher would have recorded by then. Cron
 * schedules without a zone of their own are read in this process's zone.
 *
 * @example
 * ```ts
 * import { offlineLateness } from "./views.ts";
 * // offlineLateness(state.jobs.get("backup")!, Date.now())?.health
 * ```
 */
export function offlineLateness(job: JobState, now: number): LatenessAssessment | null {
  if (!job.lateness) return null;
  try {
    return assessOf(job, compileSchedule(job.def.schedule), now);
  } catch {
    // A schedule this process cannot compile (an unknown zone): the recorded lateness stands.
    return null;
  }
}

/**
 * A job's status object.
 *
 * @example
 * ```ts
 * import { toJobStatus } from "./views.ts";
 * // toJobStatus(job, false, nextDueMs).state
 * // toJobStatus(job, false, null, offlineLateness(job, Date.now())).state
 * ```
 */
export function toJobStatus(
  job: JobState,
  orphaned: boolean,
  nextRunAt: number | null,
  lateness: LatenessAssessment | null = null,
): JobStatus {
  return statusOf(job, orphaned, nextRunAt, lateness, job.recent.map(toRunRecord)) as JobStatus;
}

/**
 * {@link toJobStatus} without `recentRuns`: what a list shows, at a fraction of the cost (one
 * run record instead of up to six; a page of 1,000 jobs built thousands of unused ones).
 *
 * @example
 * ```ts
 * import { toJobSummary } from "./views.ts";
 * // toJobSummary(job, false, nextDueMs).lastRun?.outcome
 * ```
 */
export function toJobSummary(
  job: JobState,
  orphaned: boolean,
  nextRunAt: number | null,
  lateness: LatenessAssessment | null = null,
): JobSummary {
  return statusOf(job, orphaned, nextRunAt, lateness, null);
}

/** The status, with `recentRuns` when `recent` is given (same fields, same order). */
function statusOf(
  job: JobState,
  orphaned: boolean,
  nextRunAt: number | null,
  lateness: LatenessAssessment | null,
  recent: RunRecord[] | null,
): JobSummary & { recentRuns?: RunRecord[] } {
  const policy = job.def.policy;
  const health = lateness?.health ?? job.lateness?.health ?? "ok";
  const lastFinished = recent
    ? recent[recent.length - 1] ?? null
    : job.recent.length > 0
    ? toRunRecord(job.recent[job.recent.length - 1])
    : null;
  const running = job.inFlight.length > 0
    ? toRunRecord(job.inFlight[job.inFlight.length - 1])
    : null;
  return {
    name: job.name,
    kind: job.def.kind,
    state: jobStateName(job, orphaned, health),
    schedule: { ...job.def.schedule },
    description: job.def.description,
    nextRunAt: date(nextRunAt),
    pausedUntil: date(job.pausedUntil),
    running: job.inFlight.length,
    consecutiveFailures: job.consecutiveFailures,
    lastRun: running ?? lastFinished,
    ...(recent ? { recentRuns: recent } : {}),
    totalRuns: job.totalRuns,
    health,
    grace: policy.graceMs === undefined ? null : formatDuration(policy.graceMs),
    downAfter: policy.downAfterMs === undefined ? null : formatDuration(policy.downAfterMs),
    expectedAt: date(lateness?.expectedAt ?? null),
    lateSince: health === "ok" ? null : date(job.lateness?.since ?? null),
    lastSuccessAt: date(job.lateness?.lastSuccessAt ?? null),
  };
}
