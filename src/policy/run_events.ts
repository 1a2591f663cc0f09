/**
 * Builders of the RUN_* events both the engine and the cluster record, so the two write the
 * same shapes with the same key order (times are ISO text: each caller formats its own).
 *
 * @example
 * ```ts
 * import { runDead } from "./run_events.ts";
 * runDead("2026-01-01T00:00:00.000Z", "digest", "01J0", 3).type; // "RUN_DEAD"
 * ```
 * @module
 */
import type {
  RunDeadEvent,
  RunFailedEvent,
  RunRetryingEvent,
  RunSkippedEvent,
  RunTimedOutEvent,
} from "../events/mod.ts";

/**
 * `RUN_SKIPPED`: an occurrence (from `scheduledAt`, `until` a time for a range) not run.
 *
 * @example
 * ```ts
 * import { runSkipped } from "./run_events.ts";
 * const t = "2026-01-01T00:00:00.000Z";
 * runSkipped(t, "digest", t, "overlap", null).reason; // "overlap"
 * ```
 */
export function runSkipped(
  time: string,
  job: string,
  scheduledAt: string,
  reason: RunSkippedEvent["reason"],
  until: string | null,
): RunSkippedEvent {
  return { type: "RUN_SKIPPED", time, job, scheduledAt, reason, until };
}

/**
 * `RUN_RETRYING`: attempt `nextAttempt` of the occurrence follows at `retryAt`.
 *
 * @example
 * ```ts
 * import { runRetrying } from "./run_events.ts";
 * const t = "2026-01-01T00:00:00.000Z";
 * runRetrying(t, "digest", "01J0", t, `digest:${t}`, 2, t).nextAttempt; // 2
 * ```
 */
export function runRetrying(
  time: string,
  job: string,
  runId: string,
  scheduledAt: string,
  idempotencyKey: string,
  nextAttempt: number,
  retryAt: string,
): RunRetryingEvent {
  return {
    type: "RUN_RETRYING",
    time,
    job,
    runId,
    scheduledAt,
    idempotencyKey,
    nextAttempt,
    retryAt,
  };
}

/**
 * `RUN_DEAD`: the occurrence's retries are used up after `attempts` attempts.
 *
 * @example
 * ```ts
 * import { runDead } from "./run_events.ts";
 * runDead("2026-01-01T00:00:00.000Z", "digest", "01J0", 2).attempts; // 2
 * ```
 */
export function runDead(time: string, job: string, runId: string, attempts: number): RunDeadEvent {
  return { type: "RUN_DEAD", time, job, runId, attempts };
}

/**
 * What {@link runFailure} records of an attempt that ended badly.
 *
 * @example
 * ```ts
 * import type { FailureFacts } from "./run_events.ts";
 * const f: FailureFacts = {
 *   time: "2026-01-01T00:00:00.000Z", job: "a", runId: "01J0", attempt: 1,
 *   durationMs: 5, exitCode: null, error: "boom",
 * };
 * ```
 */
export interface FailureFacts {
  time: string;
  job: string;
  runId: string;
  attempt: number;
  durationMs: number;
  exitCode: number | null;
  error: string;
}

/**
 * `RUN_FAILED` (with the permissions a run was denied, if any) or `RUN_TIMED_OUT`.
 *
 * @example
 * ```ts
 * import { runFailure } from "./run_events.ts";
 * const f = {
 *   time: "2026-01-01T00:00:00.000Z", job: "a", runId: "01J0", attempt: 1,
 *   durationMs: 5, exitCode: null, error: "timed out after 5ms",
 * };
 * runFailure(f, true).type; // "RUN_TIMED_OUT"
 * ```
 */
export function runFailure(
  f: FailureFacts,
  timedOut: boolean,
  deniedPermissions?: string[],
): RunFailedEvent | RunTimedOutEvent {
  const base = {
    time: f.time,
    job: f.job,
    runId: f.runId,
    attempt: f.attempt,
    durationMs: f.durationMs,
    exitCode: f.exitCode,
  };
  if (timedOut) return { type: "RUN_TIMED_OUT", ...base, error: f.error };
  return deniedPermissions?.length
    ? { type: "RUN_FAILED", ...base, error: f.error, deniedPermissions }
    : { type: "RUN_FAILED", ...base, error: f.error };
}
