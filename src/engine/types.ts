/**
 * Public types of the engine: its options, job options, the run context, status and run records.
 *
 * @example
 * ```ts
 * import type { JobOptions } from "./types.ts";
 * const opts: JobOptions = { every: "30m", retries: 3, timeout: "5m" };
 * ```
 * @module
 */
import type { Duration } from "../schedule/duration.ts";
import type { ScheduleInput } from "../schedule/mod.ts";
import type { JobKind, Outcome, RunTrigger } from "../events/mod.ts";
import type { StateName } from "../policy/mod.ts";
import type { RunEntry } from "../store/mod.ts";
import type { Store } from "../store/mod.ts";
import type { Clock } from "./clock.ts";

/** Exactly one of `cron`, `every`, `after`, `at` (and `timezone`/`startAt` with them). */
export type ScheduleOptions = ScheduleInput;

/** Policies of a job (DESIGN §3–4). */
export interface PolicyOptions {
  /** Abort the run after this long; a timeout is a failure and is retried like one. */
  timeout?: Duration;
  /** Extra attempts after a failure (default 0). */
  retries?: number;
  /** First retry delay (default "1s"); doubles each attempt, with jitter. */
  retryDelay?: Duration;
  /** Cap on the retry (and `onError: "backoff"`) delay (default "1h"). */
  retryMaxDelay?: Duration;
  /** What to do when an occurrence is due while a run is in flight (default "skip"). */
  overlap?: "skip" | "allow" | "replace" | boolean;
  /** What to do after an occurrence's last attempt failed (default "continue"). */
  onError?: "continue" | "backoff" | "stop";
  /** With `onError: "stop"`: consecutive failed occurrences before the job stops (default 3). */
  maxFailures?: number;
  /** Runs missed while kron was down or the machine slept (default "run_once"). */
  misfire?: "run_once" | "skip";
  /** How late a missed run may still be caught up (default "1h"). */
  misfireGrace?: Duration;
  /** Random delay in [0, jitter) added to each run; identity stays the nominal time. */
  jitter?: Duration;
  /** Register the job paused. */
  paused?: boolean;
  /** Free text shown by status and the dashboard. */
  description?: string;
  /** Runs kept per job in the log after compaction (default 200). */
  historyLimit?: number;
  /**
   * Late when an occurrence has not succeeded this long after its due time; `JOB_LATE`, then
   * `JOB_DOWN` (docs/design.md "Late and down"). Default: none, never late.
   */
  grace?: Duration;
  /** With `grace`: late this long makes the job down (default: only the next occurrence does). */
  downAfter?: Duration;
}

/** Everything `kron.schedule(name, options, fn)` accepts. */
export type JobOptions = ScheduleOptions & PolicyOptions;

/** Structured logger handed to jobs; every line carries job, run id and attempt. */
export interface RunLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a job's function receives. */
export interface RunContext {
  /** Name of the job. */
  job: string;
  /** Run attempt id (ULID). */
  runId: string;
  /** Attempt number, from 1. */
  attempt: number;
  /** Nominal (pre-jitter) time of the occurrence; the trigger time for manual runs. */
  scheduledAt: Date;
  /** `job:scheduledAt` (ISO, UTC) or `job:manual:<runId>`: stable across retries. */
  idempotencyKey: string;
  /** Aborts on timeout, `overlap: "replace"` and shutdown. */
  signal: AbortSignal;
  /** Structured logger; lines carry job, run id and attempt. */
  log: RunLogger;
}

/** A job function: may take no argument or the context. */
export type JobFunction = (ctx: RunContext) => unknown;

/** What an executor reports: a resolved value is success unless `exitCode` is non-zero. */
export interface ExecutionResult {
  /** Exit code of a command run, else null. */
  exitCode?: number | null;
  /** Permissions the sandbox refused during the run (`net:host:443`), recorded in its end event. */
  deniedPermissions?: string[];
}

/**
 * Runs one attempt. Resolve for success (a non-zero `exitCode` is a failure), throw for failure.
 * Must stop promptly once `ctx.signal` aborts.
 *
 * An executor that hands runs elsewhere (the TS sandbox's workers) may carry two hooks: `flush`,
 * called once after the engine has called the executors of the runs due at one instant (so
 * they can travel together, before the engine's own bookkeeping), and `abort`, told when a
 * run's signal aborts (so it need not make each run's `ctx.signal`).
 */
export type Executor =
  & ((
    ctx: RunContext,
  ) => Promise<ExecutionResult | void> | ExecutionResult | void)
  & ExecutorHooks;

/**
 * The optional hooks of an {@link Executor}; see there.
 *
 * @example
 * ```ts
 * import type { Executor } from "./types.ts";
 * const queued: string[] = [];
 * const exec: Executor = Object.assign((ctx: { runId: string }) => {
 *   queued.push(ctx.runId);
 * }, { flush: () => queued.splice(0) });
 * ```
 */
export interface ExecutorHooks {
  /** The executor calls of one instant are over. */
  flush?: () => void;
  /** The run's signal aborted with `reason`. */
  abort?: (runId: string, reason: unknown) => void;
}

/** Job states, by precedence (DESIGN §3). */
export type JobStateName = StateName;

/** One run attempt, as the library and the API show it. Absent values are `null`. */
export interface RunRecord {
  /** Run attempt id (ULID). */
  id: string;
  /** Name of the job. */
  job: string;
  /** Nominal time of the occurrence (ISO UTC). */
  scheduledAt: Date;
  /** When the attempt started. */
  startedAt: Date | null;
  /** When the attempt ended. */
  finishedAt: Date | null;
  /** How long the attempt took (ms). */
  durationMs: number | null;
  /** Attempt number, from 1. */
  attempt: number;
  /** `null` while running. */
  outcome: Outcome | null;
  /** One-line description of what went wrong. */
  error: string | null;
  /** Exit code of a command run, else null. */
  exitCode: number | null;
  /** `job:scheduledAt`, or `job:manual:<runId>`; stable across retries. */
  idempotencyKey: string;
  /** What started the run. */
  trigger: RunTrigger;
  /** Random delay applied before the start, in ms. */
  jitterMs: number;
  /**
   * Permissions a sandboxed TS run was refused (`["env:HOME"]`); empty when none. Always set
   * by the engine's views; optional only so that records built elsewhere need not name it.
   */
  deniedPermissions?: string[];
}

/**
 * Which runs `history()` returns.
 *
 * @example
 * ```ts
 * import type { HistoryOptions } from "./types.ts";
 * const o: HistoryOptions = { limit: 50, before: "01JX…" }; // the next page's cursor
 * ```
 */
export interface HistoryOptions {
  /** At most this many, most recent first (default 20). */
  limit?: number;
  /** Older runs only: a page's `next` cursor, or a run id (runs started before it). */
  before?: string;
}

/**
 * What `/metrics` reads of a job: {@link JobStatus}'s numbers without its run records (epoch ms
 * or null).
 *
 * @example
 * ```ts
 * import type { JobGauges } from "./types.ts";
 * const g: JobGauges = { state: "idle", health: "ok", running: 0, consecutiveFailures: 0,
 *   lastStartedAt: null, lastSucceededAt: null, nextRunAt: Date.now() + 60_000 };
 * ```
 */
export interface JobGauges {
  state: JobStateName;
  /** Lateness of a graced job (`ok` for the others). */
  health: "ok" | "late" | "down";
  running: number;
  consecutiveFailures: number;
  /** Start of the attempt in flight, else of the last finished one. */
  lastStartedAt: number | null;
  /** End of the last successful attempt the state remembers (its recent runs). */
  lastSucceededAt: number | null;
  nextRunAt: number | null;
}

/** A job's status: a synchronous read of the in-memory state. */
export interface JobStatus {
  /** Name of the job. */
  name: string;
  /** How the job executes. */
  kind: JobKind;
  /** The one state, by DESIGN §3 precedence. */
  state: JobStateName;
  /** The schedule as written, e.g. `{ cron: "0 8 * * *", timezone: "Europe/Rome" }`. */
  schedule: Record<string, string | number | null>;
  /** Free text from the definition. */
  description: string | null;
  /** Next due time, or null (paused, stopped, done). */
  nextRunAt: Date | null;
  /** End of a timed pause. */
  pausedUntil: Date | null;
  /** Attempts in flight. */
  running: number;
  /** Failed occurrences in a row. */
  consecutiveFailures: number;
  /** The attempt in flight, else the last finished one. */
  lastRun: RunRecord | null;
  /** Last few finished attempts, newest last. */
  recentRuns: RunRecord[];
  /**
   * Lateness of a job with a grace: `late`, `down`, or `ok` (always `ok` without a grace).
   * `state` shows it unless orphaned, stopped or paused comes first.
   */
  health: "ok" | "late" | "down";
  /** The grace period (`"10m"`), or null: never late or down. */
  grace: string | null;
  /** Late this long makes the job down (`"1h"`), or null. */
  downAfter: string | null;
  /**
   * Due time of the first occurrence not yet succeeded (graced jobs): late once `expectedAt` +
   * grace passes. Null without a grace, or when nothing more is expected.
   */
  expectedAt: Date | null;
  /** When the job went late (or down) if it is, else null. */
  lateSince: Date | null;
  /** When the last success finished (graced jobs), else null. */
  lastSuccessAt: Date | null;
  /** Attempts started over the job's life. */
  totalRuns: number;
}

/** A job's status without its recent runs: what a list of jobs shows. */
export type JobSummary = Omit<JobStatus, "recentRuns">;

/** Options of an `Engine`. */
export interface EngineOptions {
  /** Where events go (a MemoryStore or the durable FileStore). */
  store: Store;
  /** Time source; a FakeClock in tests. */
  clock?: Clock;
  /** IANA zone for cron jobs without their own `timezone` (default: the system's). */
  defaultTimezone?: string;
  /** Randomness for jitter and retry backoff (default Math.random). */
  random?: () => number;
  /** Version recorded in RUNTIME_STARTED. */
  version?: string;
  /** Called with each abandoned run found at recovery (command jobs: stop a leftover tree). */
  onAbandoned?: (run: RunEntry, kind: JobKind) => void | Promise<void>;
  /**
   * How long before a due time the occurrence is recorded (`RUN_DUE` with `ahead`), so that its
   * run starts on the dot instead of after an fsync. Default: 50 ms on a durable store (room
   * for ~10,000 occurrences due together), 0 (off) otherwise.
   */
  leadMs?: number;
}

/** Options of `Engine.shutdown`. */
export interface ShutdownOptions {
  /** How long to wait for running jobs before cancelling them (default "30s"). */
  timeout?: Duration;
}

/** Options of `Engine.pause`. */
export interface PauseOptions {
  /** Pause for this long, then resume by itself. */
  for?: Duration;
  /** Pause until this time, then resume by itself. */
  until?: Date | string | number;
}
