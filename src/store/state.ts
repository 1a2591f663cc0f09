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
import type { JobDefinitionRecord, Outcome, RunTrigger } from "../events/mod.ts";

/** How many finished runs each job keeps in memory (the log keeps up to `historyLimit`). */
export const RECENT_RUNS = 5;

/** One run attempt as the fold knows it. */
export interface RunEntry {
  /** Run attempt id (ULID). */
  id: string;
  /** Name of the job. */
  job: string;
  /** Attempt number, from 1. */
  attempt: number;
  /** Nominal time of the occurrence (epoch ms). */
  scheduledAt: number;
  /** When the attempt started (epoch ms). */
  startedAt: number;
  /** When it ended (epoch ms), null while running. */
  finishedAt: number | null;
  /** How long it took (ms). */
  durationMs: number | null;
  /** `null` while the attempt is in flight. */
  outcome: Outcome | null;
  /** One-line description of what went wrong. */
  error: string | null;
  /** Exit code of a command run. */
  exitCode: number | null;
  /** Stable across retries of one occurrence. */
  idempotencyKey: string;
  /** What started the run. */
  trigger: RunTrigger;
  /** Random delay applied before the start (ms). */
  jitterMs: number;
  /** Command jobs: the process that runs it (from `RUN_SPAWNED`). */
  pid: number | null;
  /** Command runs: process group id. */
  pgid: number | null;
  /** Command runs: process start time (clock ticks since boot). */
  procStartTime: number | null;
  /** Permissions a sandboxed run was refused (from its end event); absent when none. */
  deniedPermissions?: string[];
}

/** A retry waiting for its backoff to pass. */
export interface PendingRetry {
  /** Nominal time of the occurrence (epoch ms). */
  scheduledAt: number;
  /** Stable across retries of one occurrence. */
  idempotencyKey: string;
  /** Attempt that starts at `retryAt`. */
  nextAttempt: number;
  /** When the retry starts (epoch ms). */
  retryAt: number;
  /** The attempt that failed. */
  runId: string;
  /** What started the run. */
  trigger: RunTrigger;
}

/** An occurrence that is due but waits for its jitter. */
export interface PendingDue {
  /** Nominal time of the occurrence (epoch ms). */
  scheduledAt: number;
  /** When the jittered start happens (epoch ms). */
  startAt: number;
  /**
   * Recorded ahead of the due time (see `RunDueEvent`): not yet decided, so it neither makes the
   * job busy nor moves its cursor. Absent in states folded before kron recorded such events.
   */
  ahead?: boolean;
}

/**
 * What the fold knows about a job's lateness (jobs with a `grace` only; see
 * src/policy/lateness.ts for the rules these facts feed).
 */
export interface LatenessFold {
  /** Every occurrence at or before this time is covered by a success (epoch ms). */
  coveredUntil: number | null;
  /** When the last success finished (epoch ms). */
  lastSuccessAt: number | null;
  /** Occurrences at or before this time are not expected (a resume, a changed grace). */
  watchFrom: number | null;
  /** The lateness last recorded (`JOB_LATE`, `JOB_DOWN`, `JOB_RECOVERED`). */
  health: "ok" | "late" | "down";
  /** When that was recorded (epoch ms), null before any. */
  since: number | null;
  /** The occurrence the job is late for (epoch ms), null while ok. */
  scheduledAt: number | null;
}

/** The folded state of one job. */
export interface JobState {
  /** Name of the job. */
  name: string;
  /** The persisted definition. */
  def: JobDefinitionRecord;
  /** Hash of `def`. */
  defHash: string;
  /** See `JobDefinedEvent.anchorAt`. */
  anchorAt: number;
  /** Every scheduled occurrence at or before this time has been consumed (run or skipped). */
  cursorAt: number | null;
  /** Paused by hand (or registered paused). */
  paused: boolean;
  /** End of a timed pause (epoch ms). */
  pausedUntil: number | null;
  /** Disabled by `on_error = "stop"` after `maxFailures` consecutive failed occurrences. */
  stopped: boolean;
  /** Failed occurrences in a row. */
  consecutiveFailures: number;
  /** When the last attempt ended (epoch ms). */
  lastFinishedAt: number | null;
  /** Attempts running now. */
  inFlight: RunEntry[];
  /** A retry waiting for its backoff. */
  pendingRetry: PendingRetry | null;
  /** An occurrence waiting for its jitter, or recorded ahead of its due time. */
  pendingDue: PendingDue | null;
  /** Last finished attempts, newest last, at most {@link RECENT_RUNS}. */
  recent: RunEntry[];
  /** Attempts started over the job's life. */
  totalRuns: number;
  /** Lateness facts: present only for jobs with a `grace` (100k jobs without pay nothing). */
  lateness?: LatenessFold;
}

/** The whole folded state. */
export interface KronState {
  /** Sequence number of the last event folded in (0 = none). */
  seq: number;
  /** Every job in the log, by name. */
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
 * The empty `inFlight` / `recent` list every new job starts with: one frozen array shared by
 * all jobs (100k idle jobs would otherwise hold 200k empty arrays). Lists are copy-on-write:
 * change them only through {@link addInFlight}, {@link takeInFlight} and {@link addRecent}.
 *
 * @example
 * ```ts
 * import { NO_RUNS } from "./state.ts";
 * Object.isFrozen(NO_RUNS); // true
 * ```
 */
export const NO_RUNS: RunEntry[] = Object.freeze([]) as unknown as RunEntry[];

/**
 * A state that came through a structured clone (`postMessage`), made safe to fold into: the
 * clone turned {@link NO_RUNS}, shared by every job, into one plain array shared by every job,
 * which the first run would have been added to for all of them. Empty lists become NO_RUNS
 * again. Returns `state`.
 *
 * @example
 * ```ts
 * import { emptyState, NO_RUNS, unshareEmptyRuns } from "./state.ts";
 * const copy = structuredClone(emptyState());
 * unshareEmptyRuns(copy).jobs.size; // 0
 * ```
 */
export function unshareEmptyRuns(state: KronState): KronState {
  for (const job of state.jobs.values()) {
    if (job.inFlight.length === 0) job.inFlight = NO_RUNS;
    if (job.recent.length === 0) job.recent = NO_RUNS;
  }
  return state;
}

/**
 * Adds a run to a job's in-flight list.
 *
 * @example
 * ```ts
 * import { addInFlight } from "./state.ts";
 * // addInFlight(job, run); job.inFlight.at(-1) === run
 * ```
 */
export function addInFlight(job: JobState, run: RunEntry): void {
  if (job.inFlight === NO_RUNS) job.inFlight = [run];
  else job.inFlight.push(run);
}

/**
 * Removes and returns the in-flight run `runId` (undefined when it is not in flight).
 *
 * @example
 * ```ts
 * import { takeInFlight } from "./state.ts";
 * // takeInFlight(job, "01J…")?.id === "01J…"
 * ```
 */
export function takeInFlight(job: JobState, runId: string): RunEntry | undefined {
  const list = job.inFlight;
  if (list.length === 1) {
    if (list[0].id !== runId) return undefined;
    job.inFlight = NO_RUNS;
    return list[0];
  }
  const i = list.findIndex((r) => r.id === runId);
  if (i < 0) return undefined;
  return list.splice(i, 1)[0];
}

/**
 * Appends a finished run to a job's recent runs, keeping the last {@link RECENT_RUNS}.
 *
 * @example
 * ```ts
 * import { addRecent } from "./state.ts";
 * // addRecent(job, run); job.recent.at(-1) === run
 * ```
 */
export function addRecent(job: JobState, run: RunEntry): void {
  if (job.recent === NO_RUNS) {
    job.recent = [run];
    return;
  }
  job.recent.push(run);
  if (job.recent.length > RECENT_RUNS) job.recent.shift();
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
  /** Name of the job. */
  name: string,
  /** The persisted definition. */
  def: JobDefinitionRecord,
  /** Hash of `def`. */
  defHash: string,
  anchorAt: number,
  /** Paused by hand (or registered paused). */
  paused: boolean,
): JobState {
  return {
    name,
    def,
    defHash,
    anchorAt,
    cursorAt: null,
    paused,
    /** End of a timed pause (epoch ms). */
    pausedUntil: null,
    stopped: false,
    /** Failed occurrences in a row. */
    consecutiveFailures: 0,
    /** When the last attempt ended (epoch ms). */
    lastFinishedAt: null,
    /** Attempts running now. */
    inFlight: NO_RUNS,
    /** A retry waiting for its backoff. */
    pendingRetry: null,
    /** An occurrence waiting for its jitter. */
    pendingDue: null,
    recent: NO_RUNS,
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
