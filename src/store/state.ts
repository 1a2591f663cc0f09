/**
 * The shape of kron's state: what the fold of the event log yields. Times are epoch ms.
 *
 * @example
 * ```ts
 * import { emptyState } from "./state.ts";
 * const state = emptyState();
 * console.log(state.jobs.size); // 0
 * ```
 * @module
 */
import type { JobDefinitionRecord, Outcome, RunTrigger } from "./events.ts";

/** How many finished runs each job keeps in memory (the log keeps up to `historyLimit`). */
export const RECENT_RUNS = 5;

/** One run attempt as the fold knows it. */
export interface RunEntry {
  id: string;
  job: string;
  attempt: number;
  scheduledAt: number;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  /** `null` while the attempt is in flight. */
  outcome: Outcome | null;
  error: string | null;
  exitCode: number | null;
  idempotencyKey: string;
  trigger: RunTrigger;
  jitterMs: number;
  /** Command jobs: the process that runs it (from `RUN_SPAWNED`). */
  pid: number | null;
  pgid: number | null;
  procStartTime: number | null;
  /** Permissions a sandboxed run was refused (from its end event); absent when none. */
  deniedPermissions?: string[];
}

/** A retry waiting for its backoff to pass. */
export interface PendingRetry {
  scheduledAt: number;
  idempotencyKey: string;
  nextAttempt: number;
  retryAt: number;
  /** The attempt that failed. */
  runId: string;
  trigger: RunTrigger;
}

/** An occurrence that is due but waits for its jitter. */
export interface PendingDue {
  scheduledAt: number;
  startAt: number;
}

/** The folded state of one job. */
export interface JobState {
  name: string;
  def: JobDefinitionRecord;
  defHash: string;
  /** See `JobDefinedEvent.anchorAt`. */
  anchorAt: number;
  /** Every scheduled occurrence at or before this time has been consumed (run or skipped). */
  cursorAt: number | null;
  paused: boolean;
  pausedUntil: number | null;
  /** Disabled by `on_error = "stop"` after `maxFailures` consecutive failed occurrences. */
  stopped: boolean;
  consecutiveFailures: number;
  lastFinishedAt: number | null;
  inFlight: RunEntry[];
  pendingRetry: PendingRetry | null;
  pendingDue: PendingDue | null;
  /** Last finished attempts, newest last, at most {@link RECENT_RUNS}. */
  recent: RunEntry[];
  /** Attempts started over the job's life. */
  totalRuns: number;
}

/** The whole folded state. */
export interface KronState {
  /** Sequence number of the last event folded in (0 = none). */
  seq: number;
  jobs: Map<string, JobState>;
}

/**
 * A new, empty state.
 *
 * @example
 * ```ts
 * import { emptyState } from "./state.ts";
 * emptyState().seq; // 0
 * ```
 */
export function emptyState(): KronState {
  return { seq: 0, jobs: new Map() };
}

/**
 * A job's state as first defined: nothing has happened to it yet.
 *
 * @example
 * ```ts
 * import { newJobState } from "./state.ts";
 * // newJobState("a", def, "hash", Date.now(), false).cursorAt === null
 * ```
 */
export function newJobState(
  name: string,
  def: JobDefinitionRecord,
  defHash: string,
  anchorAt: number,
  paused: boolean,
): JobState {
  return {
    name,
    def,
    defHash,
    anchorAt,
    cursorAt: null,
    paused,
    pausedUntil: null,
    stopped: false,
    consecutiveFailures: 0,
    lastFinishedAt: null,
    inFlight: [],
    pendingRetry: null,
    pendingDue: null,
    recent: [],
    totalRuns: 0,
  };
}

/**
 * True when a one-shot (`after`/`at`) job has consumed its occurrence and nothing is pending.
 *
 * @example
 * ```ts
 * import { isDone } from "./state.ts";
 * // isDone(job) is false for cron and every jobs
 * ```
 */
export function isDone(job: JobState): boolean {
  const s = job.def.schedule;
  return ("after" in s || "at" in s) && job.cursorAt !== null && job.inFlight.length === 0 &&
    job.pendingRetry === null && job.pendingDue === null;
}
