/**
 * The engine's own records of a job and a run (folder-private): a registered job with its
 * timer entries, a run handle from its start to its end event, the {@link Core} the engine's
 * modules share, RUN_STARTED's shape, whether a job is busy and the memoised ISO time. How a
 * run's job is called and aborted is in _call.ts.
 *
 * @example
 * ```ts
 * import { iso } from "./_handles.ts";
 * iso(0); // "1970-01-01T00:00:00.000Z"
 * ```
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { CompiledSchedule } from "../schedule/mod.ts";
import type { JobDefinitionRecord, KronEvent, RunTrigger } from "../events/mod.ts";
import { emptyState, type JobState, type KronState } from "../store/mod.ts";
import type { Clock } from "./clock.ts";
import type { Executor, RunContext } from "./types.ts";

/** Where the engine is in its life (see {@link Core.phase}). */
export type Phase = "new" | "starting" | "running" | "stopping" | "stopped";

/**
 * What the engine's modules (timer queue, journal, runs, dispatch, start-up) share: the jobs
 * defined here, the folded state (changed only by the journal, through the reducer), the
 * phase, and the clock, randomness and logger they all use.
 */
export interface Core {
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  /** How long before its due time an occurrence is recorded ahead (0: never). */
  readonly leadMs: number;
  readonly jobs: Map<string, Registered>;
  /** The fold of every event so far; replaced once, by the state the store opens with. */
  state: KronState;
  phase: Phase;
}
// toISOString costs ~1 µs; runs due together share their times, so memoise the last two.
let isoMs1 = NaN, isoText1 = "", isoMs2 = NaN, isoText2 = "";
/** ISO text of epoch ms, memoised for the last two values. */
export const iso = (ms: number): string => {
  if (ms === isoMs1) return isoText1;
  if (ms === isoMs2) return isoText2;
  isoMs2 = isoMs1;
  isoText2 = isoText1;
  isoMs1 = ms;
  return isoText1 = new Date(ms).toISOString();
};

/** A Core before start: no jobs, the empty state, phase "new". */
export function newCore(clock: Clock, random: () => number, leadMs: number): Core {
  const log = getLogger(["kron", "engine"]);
  const jobs = new Map<string, Registered>();
  return {
    clock,
    random,
    log,
    leadMs: Math.round(leadMs),
    jobs,
    state: emptyState(),
    phase: "new",
  };
}

/**
 * `due`: a job's next occurrence, at its due time minus the lead (when it is recorded ahead);
 * `ahead`: that occurrence once recorded ahead, at its due time (in an {@link AheadGroup}).
 */
export type EntryType = "due" | "ahead" | "retry" | "start" | "resume" | "timeout";

export interface TimerEntry {
  at: number;
  type: EntryType;
  job: Registered;
  live: boolean;
  /**
   * "start" and "timeout" only: the nominal time waiting for its jitter, the run. Due entries
   * (one per job, the bulk of the heap) go without: two fields and a boxed number less.
   */
  scheduledAt?: number;
  run?: RunHandle | null;
}

export interface RunHandle {
  job: Registered;
  runId: string;
  attempt: number;
  scheduledAt: number;
  idempotencyKey: string;
  trigger: RunTrigger;
  startedAt: number;
  /** Created on first use: most runs never look at their signal. */
  controller: AbortController | null;
  /** Why the run was aborted before anyone asked for its signal. */
  abortReason: unknown;
  /** Set once the run has an end event (or was cancelled): later results are ignored. */
  done: boolean;
  timeout: TimerEntry | null;
  /** Started on the durability of its RUN_DUE ahead, before its RUN_STARTED was durable. */
  ahead: boolean;
  /** The job's context, made ahead for an occurrence recorded ahead (else made at the call). */
  ctx: RunContext | null;
  /** Already a re-run of an interrupted attempt: a second interruption is a failure. */
  rerun: boolean;
}

/**
 * The occurrences recorded ahead for one due time, with their runs made ahead (off the due
 * time's critical path). At the due time they are walked in order: no heap, no lookups.
 */
export interface AheadGroup {
  at: number;
  entries: TimerEntry[];
  runs: RunHandle[];
  /** The log sequence of the group's last record: once durable, its runs may start quick. */
  seq: number;
}

/** Events handed to the store in one group commit, kept until they are durable. */
export interface Batch {
  events: KronEvent[];
  failed: boolean;
}

export interface Registered {
  name: string;
  executor: Executor;
  schedule: CompiledSchedule;
  def: JobDefinitionRecord;
  defHash: string;
  paused: boolean;
  due: TimerEntry | null;
  retry: TimerEntry | null;
  start: TimerEntry | null;
  resume: TimerEntry | null;
  /** Attempts in flight (rarely more than one: an array, not a Map that rehashes as it churns). */
  runs: RunHandle[] | null;
}

/** A job as `define` registers it: nothing queued, nothing running. */
export function newRegistered(
  name: string,
  executor: Executor,
  schedule: CompiledSchedule,
  def: JobDefinitionRecord,
  defHash: string,
): Registered {
  return {
    name,
    executor,
    schedule,
    def,
    defHash,
    paused: false,
    due: null,
    retry: null,
    start: null,
    resume: null,
    runs: null,
  };
}

export function dropRun(run: RunHandle): void {
  const runs = run.job.runs;
  const i = runs === null ? -1 : runs.indexOf(run);
  if (i >= 0) runs!.splice(i, 1);
}

export function newRun(
  job: Registered,
  runId: string,
  attempt: number,
  scheduledAt: number,
  idempotencyKey: string,
  trigger: RunTrigger,
  startedAt: number,
  ahead: boolean,
): RunHandle {
  return {
    job,
    runId,
    attempt,
    scheduledAt,
    idempotencyKey,
    trigger,
    startedAt,
    controller: null,
    abortReason: undefined,
    done: false,
    timeout: null,
    ahead,
    ctx: null,
    rerun: false,
  };
}

/** The RUN_STARTED of `run` (keys in the order the fast serializer expects). */
export function startedEvent(run: RunHandle, jitterMs: number): KronEvent {
  return {
    type: "RUN_STARTED",
    time: iso(run.startedAt),
    job: run.job.name,
    runId: run.runId,
    attempt: run.attempt,
    scheduledAt: iso(run.scheduledAt),
    idempotencyKey: run.idempotencyKey,
    trigger: run.trigger,
    jitterMs,
  };
}

/** Whether a job has a run, a retry or an undecided occurrence in flight. */
export function busy(st: JobState): boolean {
  // An occurrence recorded ahead is not decided yet: it does not make the job busy.
  return st.inFlight.length > 0 || st.pendingRetry !== null ||
    (st.pendingDue !== null && !st.pendingDue.ahead);
}
