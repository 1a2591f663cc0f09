/**
 * The engine's own records of a job and a run (folder-private): a registered job with its
 * timer entries, a run handle from its start to its end event, and the small helpers the
 * engine's modules share (the run's signal and abort, RUN_STARTED's shape, whether a job is
 * busy, one-line errors, the memoised ISO time).
 *
 * @example
 * ```ts
 * import { fmtMs } from "./_handles.ts";
 * fmtMs(1500); // "1500ms"
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import { anchorFor, type CompiledSchedule } from "../schedule/mod.ts";
import type { JobDefinitionRecord, KronEvent, RunTrigger } from "../events/mod.ts";
import type { JobState } from "../store/state.ts";
import type { Executor, RunContext, RunLogger } from "./types.ts";
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

/**
 * `due`: a job's next occurrence, at its due time minus the lead (when it is recorded ahead);
 * `armed`: that occurrence once recorded ahead, at its due time.
 */
export type EntryType = "due" | "armed" | "retry" | "start" | "resume" | "timeout";

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
  /** The job's context, made ahead for an armed occurrence (else made at the call). */
  ctx: RunContext | null;
  /** Already a re-run of an interrupted attempt: a second interruption is a failure. */
  rerun: boolean;
}

/**
 * The occurrences recorded ahead for one due time, with their runs made ahead (off the due
 * time's critical path). At the due time they are walked in order: no heap, no lookups.
 */
export interface Armed {
  at: number;
  entries: TimerEntry[];
  runs: RunHandle[];
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

/** What {@link Engine} `#callAll` gives for a run it did not call (already done). */
export const NOT_CALLED = Symbol("not called");

/** A job that threw synchronously (kept apart from a job that returned an Error). */
export class Thrown {
  constructor(readonly error: unknown) {}
}

export function anchorOf(job: Registered, now: number): number {
  return anchorFor(job.def.schedule, now);
}

export function signalOf(run: RunHandle): AbortSignal {
  if (!run.controller) {
    run.controller = new AbortController();
    if (run.abortReason !== undefined) run.controller.abort(run.abortReason);
  }
  return run.controller.signal;
}

export function abortRun(run: RunHandle, reason: unknown): void {
  if (run.controller) run.controller.abort(reason);
  else run.abortReason = reason;
  run.job.executor.abort?.(run.runId, reason);
}

export function busy(st: JobState): boolean {
  // An occurrence recorded ahead is not decided yet: it does not make the job busy.
  return st.inFlight.length > 0 || st.pendingRetry !== null ||
    (st.pendingDue !== null && !st.pendingDue.ahead);
}

export function unknownJob(name: string): KronError {
  return new KronError("unknown_job", `no job named "${name}"`);
}

export function errorLine(e: unknown): string {
  const text = e instanceof Error ? (e.message || e.name) : String(e);
  const line = text.split("\n")[0];
  return line.length > 500 ? line.slice(0, 500) + "…" : line;
}

export function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The host name when the app may read it; asked, never requested (a request prompts at a TTY). */
export function hostname(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
      return "unknown";
    }
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

export function runLogger(job: string, runId: string, attempt: number): RunLogger {
  const logger = getLogger(["kron", "job", job]).with({ job, runId, attempt });
  return {
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}
