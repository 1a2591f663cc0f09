/**
 * An in-memory {@link Store} for tests and ephemeral apps. It behaves like the file store
 * (seq numbering, events copied as JSON at append, a shared promise per tick, history with
 * in-flight runs, compaction), and `open()` may be called again to simulate a restart.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * await store.open();
 * await store.append({ type: "RUNTIME_STOPPED", time: new Date().toISOString() });
 * store.events.length; // 1
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { KronEvent } from "../events/mod.ts";
import { DEFAULT_POLICY } from "../policy/mod.ts";
import { apply } from "./reducer.ts";
import { emptyState, type KronState, type RunEntry } from "./state.ts";
import type { HistoryPage, HistoryQuery, RecoveryReport, Store } from "./types.ts";
import { RunIndex } from "./_runs.ts";
import { pageOf } from "./_query.ts";

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ historyLimit: () => 10 });
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Runs kept per job. Default: the `policy.historyLimit` of the job's latest `JOB_DEFINED`,
   * else 200.
   */
  historyLimit?: (job: string) => number;
}

/**
 * A {@link Store} that keeps everything in memory.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const { state } = await store.open();
 * ```
 */
export class MemoryStore implements Store {
  #events: KronEvent[] = [];
  #snapshot: KronState | null = null;
  #seq = 0;
  #open = false;
  #tick: Promise<void> | null = null;
  #limits = new Map<string, number>();
  #limitOf: (job: string) => number;
  #runs: RunIndex;

  /** Creates an empty store. */
  constructor(opts: MemoryStoreOptions = {}) {
    this.#limitOf = opts.historyLimit ??
      ((job) => this.#limits.get(job) ?? DEFAULT_POLICY.historyLimit);
    this.#runs = new RunIndex(this.#limitOf);
  }

  /** The events after the last compaction, as stored (JSON copies, with `seq`). */
  get events(): readonly KronEvent[] {
    return this.#events;
  }

  /** Replays the snapshot and events into a fresh state; may be called again after close. */
  open(): Promise<{ state: KronState; report: RecoveryReport }> {
    const state = this.#snapshot ? structuredClone(this.#snapshot) : emptyState();
    for (const e of this.#events) apply(state, structuredClone(e));
    this.#open = true;
    return Promise.resolve({
      state,
      report: {
        snapshotSeq: this.#snapshot?.seq ?? 0,
        replayed: this.#events.length,
        truncated: null,
      },
    });
  }

  /** Numbers and stores the event; appends of one tick share one (resolved) promise. */
  append(event: KronEvent): Promise<void> {
    if (!this.#open) return Promise.reject(new KronError("not_started", "the store is not open"));
    const seq = this.#seq + 1;
    event.seq = seq;
    let copy: KronEvent;
    try {
      copy = JSON.parse(JSON.stringify(event));
    } catch (e) {
      event.seq = undefined;
      return Promise.reject(e);
    }
    this.#seq = seq;
    this.#events.push(copy);
    if (copy.type === "JOB_DEFINED") this.#limits.set(copy.job, copy.def.policy.historyLimit);
    this.#runs.add(copy);
    if (!this.#tick) {
      this.#tick = Promise.resolve();
      queueMicrotask(() => this.#tick = null);
    }
    return this.#tick;
  }

  /** Runs of a job, most recent first, in-flight included (copies). */
  async history(job: string, query: HistoryQuery = {}): Promise<RunEntry[]> {
    return (await this.historyPage(job, query)).runs;
  }

  /** {@link MemoryStore.history} with the next page's cursor (a run id). */
  historyPage(job: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    const page = pageOf(this.#runs.runs(job), query.limit ?? 20, query.before ?? null);
    return Promise.resolve({ runs: page.runs.map((r) => structuredClone(r)), next: page.next });
  }

  /** One run by id (a copy), or null. */
  findRun(runId: string): Promise<RunEntry | null> {
    const run = this.#runs.find(runId);
    return Promise.resolve(run ? structuredClone(run) : null);
  }

  /** Keeps a copy of `state`, drops the events it covers and history beyond the limits. */
  compact(state: KronState): Promise<void> {
    if (state.seq > this.#seq) {
      return Promise.reject(
        new KronError(
          "invalid_option",
          `cannot snapshot seq ${state.seq}: log ends at ${this.#seq}`,
        ),
      );
    }
    this.#snapshot = structuredClone(state);
    this.#events = this.#events.filter((e) => e.seq! > state.seq);
    this.#runs.trim(this.#limitOf);
    for (const job of [...this.#runs.jobs()]) if (!state.jobs.has(job)) this.#runs.delete(job);
    return Promise.resolve();
  }

  /** Marks the store closed (appends reject until the next `open()`). */
  close(): Promise<void> {
    this.#open = false;
    return Promise.resolve();
  }
}
