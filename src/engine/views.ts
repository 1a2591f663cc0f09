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
import { jobStateOf } from "../policy/mod.ts";
import { isDone, type JobState, type RunEntry } from "../store/state.ts";
import type { JobStateName, JobStatus, RunRecord } from "./types.ts";

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
 * orphaned > stopped > paused > running > failing > done > idle.
 *
 * @example
 * ```ts
 * import { jobStateName } from "./views.ts";
 * // jobStateName(job, true) === "orphaned"
 * ```
 */
export function jobStateName(job: JobState, orphaned: boolean): JobStateName {
  return jobStateOf({
    orphaned,
    stopped: job.stopped,
    paused: job.paused,
    running: job.inFlight.length,
    failing: job.consecutiveFailures > 0 || job.pendingRetry !== null,
    done: isDone(job),
  });
}

/**
 * A job's status object.
 *
 * @example
 * ```ts
 * import { toJobStatus } from "./views.ts";
 * // toJobStatus(job, false, nextDueMs).state
 * ```
 */
export function toJobStatus(job: JobState, orphaned: boolean, nextRunAt: number | null): JobStatus {
  const recent = job.recent.map(toRunRecord);
  const running = job.inFlight.length > 0
    ? toRunRecord(job.inFlight[job.inFlight.length - 1])
    : null;
  return {
    name: job.name,
    kind: job.def.kind,
    state: jobStateName(job, orphaned),
    schedule: { ...job.def.schedule },
    description: job.def.description,
    nextRunAt: date(nextRunAt),
    pausedUntil: date(job.pausedUntil),
    running: job.inFlight.length,
    consecutiveFailures: job.consecutiveFailures,
    lastRun: running ?? recent[recent.length - 1] ?? null,
    recentRuns: recent,
    totalRuns: job.totalRuns,
  };
}
