/**
 * The engine's journal: every change is an event that is folded into the state at once by the
 * one reducer (src/store/reducer.ts) and appended to the store, which commits a tick's events
 * in one write (a batch). Listeners hear of each event once its batch is durable.
 *
 * A batch that fails to become durable (disk full, EIO) turns the journal *holding*: from then
 * on events are folded and held in memory, the failed batches and the held events are written
 * again, in order, every second ({@link Journal.probe}), and nothing new starts (the engine
 * asks {@link Journal.holding}). RUN_STARTEDs that were lost are recorded abandoned and handed
 * to {@link Journal.onWritable} once the log takes writes again.
 *
 * @example
 * ```ts
 * import { Journal } from "./journal.ts";
 * import { systemClock } from "./clock.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * import { emptyState } from "../store/mod.ts";
 * import { getLogger } from "@logtape/logtape";
 * const core = {
 *   clock: systemClock, random: Math.random, log: getLogger(["kron"]), leadMs: 0,
 *   jobs: new Map(), state: emptyState(), phase: "running" as const,
 * };
 * const store = new MemoryStore();
 * await store.open();
 * const journal = new Journal(core, store);
 * await journal.emit({ type: "RUNTIME_STOPPED", time: new Date().toISOString() });
 * core.state.seq; // 1
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { KronEvent } from "../events/mod.ts";
import { apply, renumbered } from "../store/mod.ts";
import type { Store } from "../store/mod.ts";
import { type Batch, type Core, iso } from "./_handles.ts";

/** A RUN_STARTED event. */
export type StartedEvent = Extract<KronEvent, { type: "RUN_STARTED" }>;

/** The engine's way to the log (see the module docs). */
export class Journal {
  readonly #core: Core;
  readonly #store: Store;
  readonly #listeners = new Set<(event: KronEvent) => void>();
  #batch: Batch = { events: [], failed: false };
  /** Batches not yet durable, oldest first: a failed one is written again, in order. */
  #unacked: Batch[] = [];
  /**
   * While the log cannot be written (disk full): events folded but not yet handed to the store,
   * in order. Null when healthy.
   */
  #held: KronEvent[] | null = null;
  #heldRefusal: Promise<void> | null = null;
  #probeTimer: number | null = null;
  /** RUN_STARTEDs that never became durable: their runs did not run; re-run once healthy. */
  #lostStarts: StartedEvent[] = [];
  #lastCommit: Promise<void> = Promise.resolve();
  #durableSeq = 0;
  #ioError: Error | null = null;
  /** Called once the log takes writes again, with the starts that were lost meanwhile. */
  onWritable: (lost: StartedEvent[]) => void = () => {};
  /** Called with each event right after it is folded (the late/down watcher, lateness.ts). */
  onFolded: (event: KronEvent) => void = () => {};
  readonly #foldWatchers = new Set<(event: KronEvent | null) => void>();

  /** Adds a watcher of every fold (Engine.onFold); returns its removal. */
  watchFolds(watcher: (event: KronEvent | null) => void): () => void {
    this.#foldWatchers.add(watcher);
    return () => void this.#foldWatchers.delete(watcher);
  }

  /** Tells the fold watchers of `event`, or (null) of a change the state does not hold. */
  foldNotice(event: KronEvent | null): void {
    for (const watcher of this.#foldWatchers) watcher(event);
  }
  /** Events folded per job: a change marker for views readers keep (Engine.folds). */
  readonly #folds = new Map<string, number>();

  constructor(core: Core, store: Store) {
    this.#core = core;
    this.#store = store;
  }

  /** The store write error while the log cannot be written; null when healthy. */
  get ioError(): Error | null {
    return this.#ioError;
  }

  /** True while events are held in memory (a failed write): nothing may start. */
  get holding(): boolean {
    return this.#held !== null;
  }

  /** The promise of the last batch handed to the store. */
  get lastCommit(): Promise<void> {
    return this.#lastCommit;
  }

  /** Seq of the last event known durable. */
  get durableSeq(): number {
    return this.#durableSeq;
  }

  /** Subscribes to every event once it is committed; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Appends an event, folds it into the state, and tells listeners once it is durable. */
  emit(event: KronEvent): Promise<void> {
    if (this.#held !== null) {
      // The log cannot be written: fold now, write later in this same order (probe).
      apply(this.#core.state, event);
      this.#held.push(event);
      this.#folded(event);
      return this.#heldRefusal!;
    }
    const durable = this.#append(event);
    apply(this.#core.state, event);
    this.#folded(event);
    return durable;
  }

  /** Events of `job` folded so far. */
  folds(job: string): number {
    return this.#folds.get(job) ?? 0;
  }

  #folded(event: KronEvent): void {
    if ("job" in event) this.#folds.set(event.job, (this.#folds.get(event.job) ?? 0) + 1);
    this.onFolded(event);
    if (this.#foldWatchers.size > 0) this.foldNotice(event);
  }

  /** Hands an event to the store and tracks its batch until it is durable. */
  #append(event: KronEvent): Promise<void> {
    const durable = this.#store.append(event);
    // Appends of one tick share one promise: attach the handlers once per batch, not per
    // event, and tell listeners about exactly the events of the batch that became durable.
    if (durable !== this.#lastCommit) {
      this.#lastCommit = durable;
      const batch: Batch = { events: [], failed: false };
      this.#batch = batch;
      this.#unacked.push(batch);
      durable.then(() => this.#committed(batch), (e) => this.#failed(batch, e));
    }
    this.#batch.events.push(event);
    return durable;
  }

  #committed(batch: Batch): void {
    const i = this.#unacked.indexOf(batch);
    if (i >= 0) this.#unacked.splice(i, 1);
    const seq = batch.events.at(-1)?.seq;
    if (seq !== undefined && seq > this.#durableSeq) this.#durableSeq = seq;
    for (const e of batch.events) for (const l of this.#listeners) l(e);
    if (this.#ioError !== null && this.#held === null && !this.#unacked.some((b) => b.failed)) {
      this.#writable();
    }
  }

  /**
   * A batch did not become durable (ENOSPC, EIO): its events are in the state but not in the
   * log. Hold every event from now on, write them all again in order once the log takes
   * writes (probe), and start nothing meanwhile: a run whose RUN_STARTED was lost never ran
   * (its start waited on the rejection), so it is recorded abandoned now and re-run once
   * healthy.
   */
  #failed(batch: Batch, e: unknown): void {
    batch.failed = true;
    // After shutdown the store is closed: nothing is written any more, nothing to retry.
    if (this.#core.phase === "stopped") return;
    const error = e instanceof Error ? e : new Error(String(e));
    if (this.#held === null) {
      if (this.#ioError === null) {
        this.#core.log.error(
          "event log write failed: {error}; no run starts until it can be written again",
          { error: error.message },
        );
      }
      this.#held = [];
      const refusal = Promise.reject(this.refusal("record an event", error));
      refusal.catch(() => {});
      this.#heldRefusal = refusal;
      this.#scheduleProbe();
    }
    const first = this.#ioError === null;
    this.#ioError = error;
    // Health changed: copies of the state (api/_front_feed.ts) start over with it.
    if (first) this.foldNotice(null);
    const { state, jobs } = this.#core;
    for (const ev of batch.events) {
      if (ev.type !== "RUN_STARTED") continue;
      if (!state.jobs.get(ev.job)?.inFlight.some((r) => r.id === ev.runId)) continue;
      // Started on its durable RUN_DUE ahead: it is running; its events are written again with
      // the held ones (and a crash meanwhile re-runs it from the RUN_DUE).
      if (jobs.get(ev.job)?.runs?.find((r) => r.runId === ev.runId)?.ahead) continue;
      this.#lostStarts.push(ev);
      const time = iso(this.#core.clock.now());
      this.emit({ type: "RUN_ABANDONED", time, job: ev.job, runId: ev.runId });
    }
  }

  #scheduleProbe(): void {
    if (this.#probeTimer !== null) return;
    this.#probeTimer = this.#core.clock.setTimeout(() => {
      this.#probeTimer = null;
      this.probe();
    }, 1000);
  }

  /** Writes the failed batches and the held events again, in order, as one batch. */
  probe(): void {
    const phase = this.#core.phase;
    if (this.#held === null || phase === "stopped" || phase === "new") return;
    // Batches still in flight decide where the failed ones go: wait for them.
    if (this.#unacked.some((b) => !b.failed)) return this.#scheduleProbe();
    const events = [...this.#unacked.flatMap((b) => b.events), ...this.#held];
    this.#unacked = [];
    this.#held = null;
    this.#heldRefusal = null;
    for (const e of events) this.#append(e);
    // Every event the state folded is now numbered by the log or in this batch.
    renumbered(this.#core.state, events);
  }

  /** The log takes writes again: hand over the starts that were lost. */
  #writable(): void {
    this.#ioError = null;
    this.foldNotice(null);
    this.#core.log.info("event log writable again; scheduling resumes");
    if (this.#core.phase !== "running") return;
    const lost = this.#lostStarts;
    this.#lostStarts = [];
    this.onWritable(lost);
  }

  /** The error refusing `what` while the log cannot be written. */
  refusal(what: string, error = this.#ioError): KronError {
    return new KronError(
      "io",
      `cannot ${what}: the event log cannot be written (${error?.message ?? "unknown error"})`,
    );
  }

  /** Waits for the last batch and, when events are held, tries once more to write them. */
  async close(): Promise<void> {
    await this.#lastCommit.catch(() => {});
    if (this.#held !== null) {
      // One last attempt to write what the log could not take; if it fails too, recovery on the
      // next start sees the runs the log has in flight as abandoned.
      this.probe();
      await this.#lastCommit.catch(() => {});
    }
    if (this.#probeTimer !== null) this.#core.clock.clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
  }
}
