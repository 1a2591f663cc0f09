/**
 * How the engine calls a run's job and stops it (folder-private): the run's context (its signal
 * and logger made on first use), the calls of a batch of runs in order, an abort before or after
 * the signal exists, and the one line an error becomes in a run's outcome.
 *
 * @example
 * ```ts
 * import { errorLine } from "./_call.ts";
 * errorLine(new Error("disk full\n  at write")); // "disk full"
 * ```
 * @module
 */
import type { RunHandle } from "./_handles.ts";
import { runLogger } from "./run_logger.ts";
import type { RunContext, RunLogger } from "./types.ts";

/** What `Runs` gives for a run it did not call (already done). */
export const NOT_CALLED = Symbol("not called");

/** A job that threw synchronously (kept apart from a job that returned an Error). */
export class Thrown {
  constructor(readonly error: unknown) {}
}

/**
 * Calls the job of each run, in order; returns what each returned or threw (wrapped in
 * {@link Thrown}), or {@link NOT_CALLED} for a run already done.
 */
export function callAll(runs: RunHandle[]): unknown[] {
  const results: unknown[] = new Array(runs.length);
  let flushes: Set<() => void> | null = null;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run.done) {
      results[i] = NOT_CALLED;
      continue;
    }
    const executor = run.job.executor;
    try {
      results[i] = executor(run.ctx ?? runContext(run));
    } catch (e) {
      results[i] = new Thrown(e);
    }
    if (executor.flush !== undefined) (flushes ??= new Set()).add(executor.flush);
  }
  if (flushes !== null) {
    for (const flush of flushes) {
      try {
        flush();
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
  return results;
}

/** The run's abort signal, made on first use (aborted at once if the run was). */
export function signalOf(run: RunHandle): AbortSignal {
  if (!run.controller) {
    run.controller = new AbortController();
    if (run.abortReason !== undefined) run.controller.abort(run.abortReason);
  }
  return run.controller.signal;
}

/** Aborts a run: its signal, or the reason kept for a signal not made yet; and its executor. */
export function abortRun(run: RunHandle, reason: unknown): void {
  if (run.controller) run.controller.abort(reason);
  else run.abortReason = reason;
  run.job.executor.abort?.(run.runId, reason);
}

/** The first line of an error's message (at most 500 characters). */
export function errorLine(e: unknown): string {
  const text = e instanceof Error ? (e.message || e.name) : String(e);
  const line = text.split("\n")[0];
  return line.length > 500 ? line.slice(0, 500) + "…" : line;
}

/** The context a job is called with (its signal and logger made on first use). */
export function runContext(run: RunHandle): RunContext {
  let log: RunLogger | undefined;
  const name = run.job.name;
  return {
    job: name,
    runId: run.runId,
    attempt: run.attempt,
    scheduledAt: new Date(run.scheduledAt),
    idempotencyKey: run.idempotencyKey,
    get signal(): AbortSignal {
      return signalOf(run);
    },
    get log(): RunLogger {
      return log ??= runLogger(name, run.runId, run.attempt);
    },
  };
}
