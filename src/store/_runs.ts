/**
 * Builds run history (`RunEntry` lists) from events. It drives the real reducer on stub jobs
 * and keeps references to the entries the reducer creates and then mutates, so a run in
 * history is by construction the same record the live state shows: there is no second copy
 * of the "how does an event change a run" rules to drift apart.
 *
 * @example
 * ```ts
 * import { RunIndex } from "./_runs.ts";
 * const idx = new RunIndex();
 * idx.add({ type: "RUN_STARTED", job: "a", runId: "r1", attempt: 1, scheduledAt: "2025-01-01T00:00:00Z",
 *   idempotencyKey: "a:2025-01-01T00:00:00.000Z", trigger: "schedule", jitterMs: 0, time: "2025-01-01T00:00:00Z" });
 * idx.runs("a")[0].outcome; // null (in flight)
 * ```
 * @module
 */
import type { JobDefinitionRecord, KronEvent } from "../events/mod.ts";
import { apply } from "./reducer.ts";
import {
  addInFlight,
  addRecent,
  emptyState,
  type JobState,
  type KronState,
  newJobState,
  type RunEntry,
} from "./state.ts";

/** Event types that create or change a run entry; the rest never touch history. */
const RUN_EVENTS = new Set<string>([
  "RUN_STARTED",
  "RUN_SPAWNED",
  "RUN_SUCCEEDED",
  "RUN_FAILED",
  "RUN_TIMED_OUT",
  "RUN_CANCELLED",
  "RUN_ABANDONED",
  "RUN_DEAD",
]);

/**
 * True when `type` can change a run entry.
 *
 * @example
 * ```ts
 * import { isRunEvent } from "./_runs.ts";
 * isRunEvent("RUN_FAILED"); // true
 * isRunEvent("JOB_PAUSED"); // false
 * ```
 */
export function isRunEvent(type: string): boolean {
  return RUN_EVENTS.has(type);
}

// retries = Infinity: the stub never counts failures toward on_error (irrelevant to history).
const STUB_DEF: JobDefinitionRecord = {
  kind: "function",
  schedule: { every: 1, startAt: null },
  policy: {
    timeoutMs: null,
    retries: Infinity,
    retryDelayMs: 0,
    retryMaxDelayMs: 0,
    overlap: "allow",
    onError: "continue",
    maxFailures: Infinity,
    misfire: "skip",
    misfireGraceMs: 0,
    jitterMs: 0,
    historyLimit: Infinity,
  },
  description: null,
  command: null,
  envNames: [],
  envHash: null,
};

/**
 * Per-job run history, oldest first, fed event by event.
 *
 * @example
 * ```ts
 * import { RunIndex } from "./_runs.ts";
 * import type { KronEvent } from "../events/mod.ts";
 * declare const event: KronEvent;
 * const idx = new RunIndex(() => 200);
 * idx.add(event);
 * idx.runs("digest"); // oldest first
 * ```
 */
export class RunIndex {
  #state: KronState = emptyState();
  #runs = new Map<string, RunEntry[]>();
  #limit: ((job: string) => number) | null;

  /**
   * `limit`, when given, bounds each job's list (trimmed lazily, a quarter of the limit at a
   * time, so that trimming stays amortised O(1); call {@link RunIndex.trim} for the exact bound).
   */
  constructor(limit?: (job: string) => number) {
    this.#limit = limit ?? null;
  }

  #job(name: string): JobState {
    let job = this.#state.jobs.get(name);
    if (!job) {
      job = newJobState(name, STUB_DEF, "", 0, false);
      this.#state.jobs.set(name, job);
    }
    return job;
  }

  /** Starts a job's history from entries (oldest first), e.g. those of a snapshot. */
  seed(job: string, entries: RunEntry[]): void {
    const j = this.#job(job);
    const list = this.#list(job);
    for (const e of entries) {
      list.push(e);
      if (e.outcome === null) addInFlight(j, e);
      else addRecent(j, e);
    }
  }

  #list(job: string): RunEntry[] {
    let list = this.#runs.get(job);
    if (!list) this.#runs.set(job, list = []);
    return list;
  }

  /** Folds one event in (anything that is not a run event is ignored). */
  add(event: KronEvent): void {
    if (!RUN_EVENTS.has(event.type)) return;
    const name = (event as { job: string }).job;
    const job = this.#job(name);
    apply(this.#state, event);
    if (event.type !== "RUN_STARTED") return;
    const list = this.#list(name);
    list.push(job.inFlight[job.inFlight.length - 1]);
    if (this.#limit) {
      const limit = this.#limit(name);
      // Trim in steps of a quarter of the limit: amortised O(1), bounded memory.
      if (list.length > limit + Math.max(16, limit >> 2)) list.splice(0, list.length - limit);
    }
  }

  /** A job's runs, oldest first (the live array: do not modify). */
  runs(job: string): RunEntry[] {
    return this.#runs.get(job) ?? [];
  }

  /** Every job with history. */
  jobs(): IterableIterator<string> {
    return this.#runs.keys();
  }

  /** One run by id (linear scan: used on small, single-run indexes). */
  find(id: string): RunEntry | null {
    for (const list of this.#runs.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].id === id) return list[i];
    }
    return null;
  }

  /** Trims every job to exactly `limit(job)` most recent runs. */
  trim(limit: (job: string) => number): void {
    for (const [job, list] of this.#runs) {
      const n = Math.max(0, limit(job));
      if (list.length > n) list.splice(0, list.length - n);
    }
  }

  /** Forgets a job's history. */
  delete(job: string): void {
    this.#runs.delete(job);
    this.#state.jobs.delete(job);
  }
}
