/**
 * The store interface the engine writes through. Two implementations: {@link MemoryStore}
 * (tests, ephemeral apps) and the durable file store (`log/` segments + `snapshot.json`).
 *
 * @example
 * ```ts
 * import type { Store } from "./types.ts";
 * async function persist(store: Store) {
 *   await store.append({ type: "RUNTIME_STOPPED", time: new Date().toISOString() });
 * }
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { KronState, RunEntry } from "./state.ts";

/** What recovery found and did. */
export interface RecoveryReport {
  /** Sequence number of the snapshot loaded (0 = none). */
  snapshotSeq: number;
  /** Events replayed after the snapshot. */
  replayed: number;
  /** A torn tail was cut off: where, and how many bytes. */
  truncated: { segment: string; offset: number; bytes: number } | null;
}

/** Options for reading history. */
export interface HistoryQuery {
  /** Most recent first; at most this many (default 20). */
  limit?: number;
  /**
   * Older runs only: a cursor handed out as {@link HistoryPage.next} (or a run id: the runs
   * started before it).
   */
  before?: string;
}

/** A page of history and where the next one starts. */
export interface HistoryPage {
  /** Most recent first. */
  runs: RunEntry[];
  /** Cursor of the next (older) page, or null when there are no older runs. */
  next: string | null;
}

/** Persists events and answers history queries. One writer at a time. */
export interface Store {
  /**
   * True when `append()` waits for a disk (an fsync): the engine then records each occurrence
   * ahead of its due time (`RUN_DUE` with `ahead`), so runs start on time. Absent = false.
   */
  readonly durable?: boolean;
  /**
   * Takes the lock, loads the snapshot and replays the log. Returns the recovered state,
   * which the engine owns from then on (it folds new events into it itself).
   */
  open(): Promise<{ state: KronState; report: RecoveryReport }>;
  /**
   * Appends an event: assigns `event.seq` synchronously, then resolves once the event is as
   * durable as the store's durability setting promises. Events appended in the same tick share
   * one write and one fsync (group commit), and one promise.
   */
  append(event: KronEvent): Promise<void>;
  /** Past run attempts of a job, most recent first, in-flight ones included. */
  history(job: string, query?: HistoryQuery): Promise<RunEntry[]>;
  /**
   * {@link Store.history} with the cursor of the next page. Optional for stores of your own:
   * without it, history has one page (`next` is null).
   */
  historyPage?(job: string, query?: HistoryQuery): Promise<HistoryPage>;
  /** One run attempt by id, or null. */
  findRun(runId: string): Promise<RunEntry | null>;
  /** Writes a snapshot of `state` and drops the log segments it covers. */
  compact(state: KronState): Promise<void>;
  /** Flushes, releases the lock, closes files. */
  close(): Promise<void>;
}
