/**
 * The event model: every change of kron's state is one of these events, appended to the log.
 * State is the fold of the events ({@link ./reducer.ts}); nothing else is persisted.
 *
 * Times in events are ISO-8601 UTC strings so that `jq` users can read the log; the reducer
 * turns them into epoch milliseconds.
 *
 * @example
 * ```ts
 * import type { KronEvent } from "./mod.ts";
 * const e: KronEvent = {
 *   type: "RUN_SUCCEEDED", job: "digest", runId: "01J…", attempt: 1,
 *   time: new Date().toISOString(), durationMs: 12, exitCode: null,
 * };
 * ```
 * @module
 */

/** Every event type, in the order of DESIGN §5. */
export const EVENT_TYPES = [
  "JOB_DEFINED",
  "JOB_REMOVED",
  "JOB_PAUSED",
  "JOB_RESUMED",
  "RUN_DUE",
  "RUN_SKIPPED",
  "RUN_STARTED",
  "RUN_SUCCEEDED",
  "RUN_FAILED",
  "RUN_TIMED_OUT",
  "RUN_CANCELLED",
  "RUN_RETRYING",
  "RUN_DEAD",
  "RUN_ABANDONED",
  "RUN_SPAWNED",
  "RUNTIME_STARTED",
  "RUNTIME_STOPPED",
  "JOB_LATE",
  "JOB_DOWN",
  "JOB_RECOVERED",
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = typeof EVENT_TYPES[number];

import type { ScheduleRecord } from "../schedule/mod.ts";

export type { ScheduleRecord };

/**
 * How a job executes. `function` = in-process callback; `worker` = sandboxed TS; `command`;
 * `task` = a cluster job run by remote workers (src/cluster); `watch` = external work kron does
 * not run but hears from (`kron ping`).
 */
export type JobKind = "function" | "worker" | "command" | "task" | "watch";

/** Policies of a job, normalised (durations in ms, defaults filled in). */
export interface PolicyRecord {
  /** Abort an attempt after this long (ms), or null for none. */
  timeoutMs: number | null;
  /** Extra attempts after a failure. */
  retries: number;
  /** First retry delay (ms); doubles each attempt. */
  retryDelayMs: number;
  /** Cap on retry and backoff delays (ms). */
  retryMaxDelayMs: number;
  /** What a due occurrence does while a run is in flight. */
  overlap: "skip" | "allow" | "replace";
  /** What happens after an occurrence's last attempt failed. */
  onError: "continue" | "backoff" | "stop";
  /** Consecutive failed occurrences before `on_error = "stop"` stops the job. */
  maxFailures: number;
  /** What happens to runs missed while kron was down. */
  misfire: "run_once" | "skip";
  /** How late a missed run may still be caught up (ms). */
  misfireGraceMs: number;
  /** Random delay applied before the start, in ms. */
  jitterMs: number;
  /** Runs kept per job in the log after compaction. */
  historyLimit: number;
  /**
   * An occurrence not succeeded by its due time + this (ms) makes the job late; absent: never
   * late or down. (Absent rather than null so definitions written before it keep their hash.)
   */
  graceMs?: number;
  /** Late this long (ms) makes the job down; absent: only the following occurrence does. */
  downAfterMs?: number;
}

/** The persisted definition of a job: data only, never code or secret values. */
export interface JobDefinitionRecord {
  /** How the job executes. */
  kind: JobKind;
  /** The schedule as written. */
  schedule: ScheduleRecord;
  /** Policies, normalised. */
  policy: PolicyRecord;
  /** Free text from the definition. */
  description: string | null;
  /** Command jobs: argv or shell string, for display. Secrets never appear here. */
  command: string | string[] | null;
  /** Names of `env` variables; values only as a hash (see DESIGN §5). */
  envNames: string[];
  /** Hash of the `env` values: shows a change without revealing them. */
  envHash: string | null;
}

/** Fields every event has. */
export interface Base<T extends EventType> {
  /** The event type. */
  type: T;
  /** Wall-clock time the event was produced (ISO UTC). */
  time: string;
  /** Sequence number, assigned by the store on append; absent before. */
  seq?: number;
}

/** A job was registered (first time, or with a changed definition). */
export interface JobDefinedEvent extends Base<"JOB_DEFINED"> {
  /** Name of the job. */
  job: string;
  /** The persisted definition. */
  def: JobDefinitionRecord;
  /** Hash of `def`: an unchanged definition is not re-recorded. */
  defHash: string;
  /**
   * The schedule's anchor (ISO): for `every` the first due time; for `after`/`at` the absolute
   * due time (persisted so a restart does not reset it); for `cron` the registration time.
   */
  anchorAt: string;
  /** True when this definition is initially paused (`paused = true`). */
  paused: boolean;
}

/** A job was explicitly forgotten (`kron forget`); its history goes with the next compaction. */
export interface JobRemovedEvent extends Base<"JOB_REMOVED"> {
  /** Name of the job. */
  job: string;
}

/** A job was paused, optionally until a time. */
export interface JobPausedEvent extends Base<"JOB_PAUSED"> {
  /** Name of the job. */
  job: string;
  /** End of a timed pause (ISO UTC), or null. */
  until: string | null;
}

/** A job was resumed (by hand, or its timed pause ran out); also re-enables a stopped job. */
export interface JobResumedEvent extends Base<"JOB_RESUMED"> {
  /** Name of the job. */
  job: string;
}

/**
 * An occurrence is pending. Two cases:
 * - `ahead: true`: recorded shortly before the due time by an engine on a durable store, so the
 *   run can start on the dot without waiting for an fsync. Policies are applied at the due time
 *   (the event decides nothing); if a crash leaves it with no later RUN_STARTED or RUN_SKIPPED,
 *   the run may have started, and recovery runs the occurrence again once (at-least-once).
 * - otherwise: the occurrence was due and will start after `jitterMs` (jitter applies).
 */
export interface RunDueEvent extends Base<"RUN_DUE"> {
  /** Name of the job. */
  job: string;
  /** Nominal time of the occurrence (ISO UTC). */
  scheduledAt: string;
  /** Random delay applied before the start, in ms (0 when `ahead`). */
  jitterMs: number;
  /** Recorded ahead of the due time (absent in logs written before kron recorded them). */
  ahead?: boolean;
}

/** Why an occurrence did not run. */
export type SkipReason = "overlap" | "misfire" | "paused";

/** An occurrence (or a span of missed ones, up to `until`) did not run. */
export interface RunSkippedEvent extends Base<"RUN_SKIPPED"> {
  /** Name of the job. */
  job: string;
  /** Nominal time of the occurrence (ISO UTC). */
  scheduledAt: string;
  /** Why. */
  reason: SkipReason;
  /** For misfires: every occurrence up to this time is consumed (ISO); else null. */
  until: string | null;
}

/** What started a run. */
export type RunTrigger = "schedule" | "manual" | "retry" | "catchup" | "recovery" | "ping";

/** A run attempt started. Durable before the job's side effects begin. */
export interface RunStartedEvent extends Base<"RUN_STARTED"> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** Attempt number, from 1. */
  attempt: number;
  /** Nominal time of the occurrence (ISO UTC). */
  scheduledAt: string;
  /** `job:scheduledAt`, or `job:manual:<runId>`; stable across retries. */
  idempotencyKey: string;
  /** What started the run. */
  trigger: RunTrigger;
  /** Random delay applied before the start, in ms. */
  jitterMs: number;
}

/** Fields shared by the events that end a run attempt. */
export interface RunEnd<T extends EventType> extends Base<T> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** Attempt number, from 1. */
  attempt: number;
  /** How long the attempt took (ms). */
  durationMs: number | null;
  /** Exit code of a command run, else null. */
  exitCode: number | null;
}

/** A run attempt succeeded. */
export interface RunSucceededEvent extends RunEnd<"RUN_SUCCEEDED"> {
  /** Permissions the sandbox refused during the run (`net:host:443`); absent when none. */
  deniedPermissions?: string[];
}
/** A run attempt failed; `error` is a one-line description. */
export interface RunFailedEvent extends RunEnd<"RUN_FAILED"> {
  /** One-line description of what went wrong. */
  error: string;
  /** Permissions the sandbox refused during the run; absent when none. */
  deniedPermissions?: string[];
}
/** A run attempt hit its timeout (a failure, retried like one). */
export interface RunTimedOutEvent extends RunEnd<"RUN_TIMED_OUT"> {
  /** One-line description of what went wrong. */
  error: string;
}
/**
 * A run attempt was cancelled (`replace`, shutdown, or its sandbox worker was terminated because
 * of another job: then the same occurrence runs again at once as `recovery`). Not a failure.
 */
export interface RunCancelledEvent extends RunEnd<"RUN_CANCELLED"> {
  /** Why. */
  reason: "replace" | "shutdown" | "worker_terminated";
  /** What forced it (`worker_terminated`: the job that made the worker stop); absent otherwise. */
  error?: string;
}

/** The occurrence will be retried: attempt `nextAttempt` starts at `retryAt`. */
export interface RunRetryingEvent extends Base<"RUN_RETRYING"> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** Nominal time of the occurrence (ISO UTC). */
  scheduledAt: string;
  /** `job:scheduledAt`, or `job:manual:<runId>`; stable across retries. */
  idempotencyKey: string;
  /** Number of the attempt that will start at `retryAt`. */
  nextAttempt: number;
  /** When the next attempt starts (ISO UTC). */
  retryAt: string;
}

/** Retries are exhausted: the occurrence is dead; `runId` is its last attempt. */
export interface RunDeadEvent extends Base<"RUN_DEAD"> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** How many attempts the occurrence had. */
  attempts: number;
}

/** A run was found started but unfinished after a crash. */
export interface RunAbandonedEvent extends Base<"RUN_ABANDONED"> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
}

/** A command job's process was spawned (so a restarted kron can stop a leftover tree). */
export interface RunSpawnedEvent extends Base<"RUN_SPAWNED"> {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** Process id. */
  pid: number;
  /** Process group id. */
  pgid: number;
  /**
   * Process start time in clock ticks since boot (/proc/<pid>/stat field 22, or derived from
   * `ps` to about a second; see src/jobs/process_tree.ts): guards pid reuse. Null if unknown.
   */
  startTime: number | null;
}

/** A runtime took over the data dir. */
export interface RuntimeStartedEvent extends Base<"RUNTIME_STARTED"> {
  /** Process id. */
  pid: number;
  /** kron version of the runtime. */
  version: string;
  /** Host name of the runtime. */
  host: string;
}

/** A runtime shut down cleanly. */
export type RuntimeStoppedEvent = Base<"RUNTIME_STOPPED">;

/**
 * A job with a `grace` is late: the occurrence due at `scheduledAt` did not succeed by its due
 * time + grace (src/policy/lateness.ts).
 */
export interface JobLateEvent extends Base<"JOB_LATE"> {
  /** Name of the job. */
  job: string;
  /** The first occurrence that did not succeed (ISO UTC). */
  scheduledAt: string;
  /** When its last success finished (ISO UTC), or null. */
  lastSuccessAt: string | null;
}

/** A late job is down: the following occurrence is late too, or it was late for `down_after`. */
export interface JobDownEvent extends Base<"JOB_DOWN"> {
  /** Name of the job. */
  job: string;
  /** The first occurrence that did not succeed (ISO UTC). */
  scheduledAt: string;
  /** When its last success finished (ISO UTC), or null. */
  lastSuccessAt: string | null;
}

/**
 * A late or down job is back to normal: a success (`reason: "success"`), or its watch started
 * over (`paused`, `resumed`, `redefined`: a changed schedule or grace).
 */
export interface JobRecoveredEvent extends Base<"JOB_RECOVERED"> {
  /** Name of the job. */
  job: string;
  /** The occurrence that had not succeeded (ISO UTC), or null. */
  scheduledAt: string | null;
  /** When its last success finished (ISO UTC), or null. */
  lastSuccessAt: string | null;
  /** Why it is back. */
  reason: "success" | "paused" | "resumed" | "redefined";
}

/** Any kron event. */
export type KronEvent =
  | JobDefinedEvent
  | JobRemovedEvent
  | JobPausedEvent
  | JobResumedEvent
  | RunDueEvent
  | RunSkippedEvent
  | RunStartedEvent
  | RunSucceededEvent
  | RunFailedEvent
  | RunTimedOutEvent
  | RunCancelledEvent
  | RunRetryingEvent
  | RunDeadEvent
  | RunAbandonedEvent
  | RunSpawnedEvent
  | RuntimeStartedEvent
  | RuntimeStoppedEvent
  | JobLateEvent
  | JobDownEvent
  | JobRecoveredEvent;

/** Run outcomes (DESIGN §4). */
export type Outcome =
  | "succeeded"
  | "failed"
  | "timed_out"
  | "skipped"
  | "abandoned"
  | "dead"
  | "cancelled";
