/**
 * The durable store: an append-only, checksummed, group-committed event log in segments, plus
 * `snapshot.json`, in one locked data directory (DESIGN §5; format in docs/storage.md).
 *
 * @example
 * ```ts
 * import { FileStore } from "./file_store.ts";
 * const store = new FileStore({ dataDir: Deno.makeTempDirSync() + "/.kron" });
 * const { state, report } = await store.open();
 * await store.append({ type: "RUNTIME_STARTED", time: new Date().toISOString(), pid: Deno.pid, version: "0", host: "h" });
 * await store.close();
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { KronEvent } from "../events/mod.ts";
import { DEFAULT_POLICY } from "../policy/mod.ts";
import type { KronState, RunEntry } from "./state.ts";
import type { HistoryPage, HistoryQuery, RecoveryReport, Store } from "./types.ts";
import { checkFormat, ensureDataDir } from "./data_dir.ts";
import { absolute, fsyncDir, ioError, join } from "./_fs.ts";
import { acquireLock, type DataDirLock } from "./_lock.ts";
import { corruptLogError, replay } from "./_replay.ts";
import type { SegmentInfo } from "./_segment.ts";
import {
  readAllSnapshotRuns,
  readSnapshot,
  serializeState,
  type SnapshotView,
  writeSnapshot,
} from "./_snapshot.ts";
import {
  type Durability,
  emptyWriterStats,
  type LogFile,
  LogWriter,
  type WriterStats,
} from "./_writer.ts";
import { isRunEvent, RunIndex } from "./_runs.ts";
import { RunPositions } from "./_run_positions.ts";
import { historyPage } from "./_history_page.ts";
import { SegmentFiles } from "./_segment_files.ts";
import { forEachRecord } from "./_scan.ts";
import { type LiveSegment, queryHistory, queryRun } from "./_query.ts";

/**
 * The writer's types, re-exported for the store's users.
 *
 * @example
 * ```ts
 * import type { Durability } from "./file_store.ts";
 * const d: Durability = "fsync";
 * ```
 */
export type { Durability, LogFile, WriterStats };
export { corruptLogError };

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * import { FileStore } from "./file_store.ts";
 * import { resolveDataDir } from "./data_dir.ts";
 * import { emptyState } from "./state.ts";
 * const engineState = emptyState();
 * const store = new FileStore({
 *   dataDir: resolveDataDir(),
 *   durability: "batch",
 *   batchMs: 5,
 *   getState: () => engineState,
 * });
 * ```
 */
export interface FileStoreOptions {
  /** The data directory (see `resolveDataDir`); created 0700 if missing. */
  dataDir: string;
  /** When `append()` resolves; default `"fsync"`. See docs/storage.md for the risks. */
  durability?: Durability;
  /** `"batch"` durability: at most one flush (write + fsync) per this many ms. Default 10. */
  batchMs?: number;
  /** Roll to a new segment before one would pass this size. Default 16 MiB. */
  segmentBytes?: number;
  /**
   * Log bytes written since the last snapshot that make compaction due. Default 64 MiB;
   * `Infinity` disables. When due: with `getState`, the store compacts by itself; else it
   * calls `onCompactNeeded` (once per threshold crossed).
   */
  compactBytes?: number;
  /**
   * Runs kept per job by compaction. Default: the job's `policy.historyLimit` from the state
   * being snapshotted, else 200.
   */
  historyLimit?: (job: string) => number;
  /** Called when compaction is due and no `getState` was given. */
  onCompactNeeded?: () => void;
  /** The live state; given, the store compacts itself when `compactBytes` is reached. */
  getState?: () => KronState;
  /** Auto-compaction failures (default: `console.error`). The log keeps growing meanwhile. */
  onCompactError?: (error: unknown) => void;
  /** When a batch's flush is scheduled. Default `"microtask"` (see docs/storage.md). */
  flushOn?: "microtask" | "macrotask";
  /** Test hook: wraps each segment file (fault injection, counting writes). */
  wrapFile?: (file: LogFile, path: string) => LogFile;
}

/**
 * What `FileStore.open()` found and did (a superset of {@link RecoveryReport}).
 *
 * @example
 * ```ts
 * import type { FileStore } from "./file_store.ts";
 * declare const store: FileStore;
 * const { report } = await store.open();
 * if (report.truncated) console.warn(`cut a torn tail of ${report.truncated.bytes} bytes`);
 * ```
 */
export interface FileRecoveryReport extends RecoveryReport {
  /** Absolute data dir. */
  dataDir: string;
  /** Seq of the last event in the log (the next append gets `lastSeq + 1`). */
  lastSeq: number;
  /** Live segments after recovery. */
  segments: number;
  /** Segments wholly covered by the snapshot that an interrupted compaction had left behind. */
  removedSegments: string[];
  /** Wall time of `open()`. */
  ms: number;
}

/**
 * What `compact()` did.
 *
 * @example
 * ```ts
 * import type { FileStore } from "./file_store.ts";
 * import type { KronState } from "./state.ts";
 * declare const store: FileStore, state: KronState;
 * await store.compact(state);
 * store.lastCompaction?.dropped; // ["log/000001.ndjson", …]
 * ```
 */
export interface CompactionReport {
  seq: number;
  /** Segments deleted. */
  dropped: string[];
  /** Jobs and runs carried into the snapshot's history. */
  jobs: number;
  runs: number;
  snapshotBytes: number;
}

/**
 * Default number of runs kept per job when neither the option nor the job's policy says (the
 * policy default, src/policy/fields.ts).
 *
 * @example
 * ```ts
 * DEFAULT_HISTORY_LIMIT; // 200
 * ```
 */
export const DEFAULT_HISTORY_LIMIT: number = DEFAULT_POLICY.historyLimit;
const DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024;
/** History queries that read the log at the same time (see `#read`). */
const MAX_QUERIES = 4;
const decoder = new TextDecoder();
/**
 * Characters of log text compaction folds between two yields to the event loop (pieces of 1 Mi
 * held timers for tens of ms in a CPU profile of the load torture, of 256 Ki 10–30 ms).
 */
const PIECE = 1 << 16;

function notOpen(): KronError {
  return new KronError("not_started", "the store is not open");
}

/** Only run events shape history: skip the other lines without parsing them. */
function isRunLine(line: string): boolean {
  // `"type"` is the third key of every record: look just past seq and time.
  const at = line.indexOf('"type":"', 20);
  return at >= 0 && line.startsWith("RUN_", at + 8);
}

/**
 * The durable {@link Store}. One per data dir and process; see the module doc.
 *
 * @example
 * ```ts
 * const store = new FileStore({ dataDir: ".kron" });
 * const { state } = await store.open();
 * await store.append({ type: "RUNTIME_STOPPED", time: new Date().toISOString() });
 * await store.close();
 * ```
 */
export class FileStore implements Store {
  /** The data directory as given. */
  readonly dataDir: string;
  /** Appends wait for the disk: the engine records occurrences ahead of their due time. */
  readonly durable = true;
  readonly #opts: FileStoreOptions;
  #lock: DataDirLock | null = null;
  #writer: LogWriter | null = null;
  #snapshot: SnapshotView | null = null;
  /** Where each job's latest run events are in the live log (history by index). */
  #positions = new RunPositions();
  readonly #readFiles = new SegmentFiles();
  #opening = false;
  #closing = false;
  #compaction: Promise<CompactionReport> | null = null;
  #lastCompaction: CompactionReport | null = null;
  #bytesSinceCompact = 0;
  #nextCompactAt: number;
  // Queries read files that compaction replaces or deletes: compaction's swap waits for them.
  #readers = 0;
  #querying = 0;
  readonly #queue: (() => void)[] = [];
  #gate: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  /** Creates the store; nothing touches the disk before {@link FileStore.open}. */
  constructor(opts: FileStoreOptions) {
    this.#opts = opts;
    this.dataDir = opts.dataDir;
    this.#nextCompactAt = opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  /** Writer counters (writes, fsyncs, batches…); zeros before open. */
  get stats(): WriterStats {
    return this.#writer?.stats ?? emptyWriterStats();
  }

  /** Seq of the last appended event. */
  get lastSeq(): number {
    return this.#writer?.lastSeq ?? 0;
  }

  /** Log bytes written since the last snapshot (what `compactBytes` is compared with). */
  get bytesSinceCompact(): number {
    return this.#bytesSinceCompact;
  }

  /**
   * Takes the lock, checks FORMAT, loads the snapshot, replays the log, cuts a torn tail.
   * Throws `locked`, `unknown_format`, `corrupt_log` or `io`.
   */
  async open(): Promise<{ state: KronState; report: FileRecoveryReport }> {
    if (this.#writer || this.#opening) {
      throw new KronError("already_started", `store on ${this.dataDir} is already open`);
    }
    this.#opening = true;
    const t0 = performance.now();
    const root = this.dataDir;
    try {
      await ensureDataDir(root);
      this.#lock = await acquireLock(root);
    } catch (e) {
      this.#opening = false;
      throw e instanceof KronError ? e : ioError(`opening data dir ${absolute(root)}`, e);
    }
    try {
      await checkFormat(root, { create: true });
      await Deno.remove(join(root, "snapshot.json.tmp")).catch(() => {});
      const positions = new RunPositions();
      const r = await replay(root, {
        onRecordAt: (e, seg, offset) => {
          if (isRunEvent(e.type)) positions.add((e as { job: string }).job, seg.n, offset);
        },
      });
      if (r.corrupt) throw corruptLogError(r.corrupt);
      const durable = this.#opts.durability !== "none";
      let truncated: RecoveryReport["truncated"] = null;
      if (r.tail) {
        const f = await Deno.open(r.tail.segment.path, { write: true });
        try {
          await f.truncate(r.tail.offset);
          if (durable) await f.syncData();
        } finally {
          f.close();
        }
        truncated = { segment: r.tail.segment.name, offset: r.tail.offset, bytes: r.tail.bytes };
      }
      // Finish a compaction that crashed between the snapshot's rename and the deletes.
      const removedSegments: string[] = [];
      let segments = r.segments;
      if (r.snapshot) {
        const keep: SegmentInfo[] = [];
        segments.forEach((seg, i) => {
          if (i < segments.length - 1 && seg.lastSeq <= r.snapshot!.seq) {
            removedSegments.push(seg.name);
          } else keep.push(seg);
        });
        for (const name of removedSegments) await Deno.remove(join(root, name));
        if (removedSegments.length && durable) await fsyncDir(join(root, "log"));
        segments = keep;
      }
      this.#snapshot = r.snapshot
        ? { ...r.snapshot, state: { seq: r.snapshot.seq, jobs: new Map() } }
        : null;
      if (segments.length) positions.dropSegmentsBefore(segments[0].n);
      this.#positions = positions;
      this.#writer = await LogWriter.open(
        {
          root,
          durability: this.#opts.durability,
          batchMs: this.#opts.batchMs,
          segmentBytes: this.#opts.segmentBytes,
          flushOn: this.#opts.flushOn,
          wrapFile: this.#opts.wrapFile,
          onFlushed: (n) => this.#flushed(n),
          track: (e) => isRunEvent(e.type) ? (e as { job: string }).job : null,
          onWritten: (job, seg, offset) => this.#positions.add(job, seg.n, offset),
          previous: (job) => this.#positions.newest(job),
        },
        segments,
        r.lastSeq,
      );
      this.#bytesSinceCompact = segments.reduce((sum, s) => sum + s.size, 0);
      this.#nextCompactAt = this.#opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
      const report: FileRecoveryReport = {
        snapshotSeq: r.snapshot?.seq ?? 0,
        replayed: r.replayed,
        truncated,
        dataDir: absolute(root),
        lastSeq: r.lastSeq,
        segments: this.#writer.segments.length,
        removedSegments,
        ms: performance.now() - t0,
      };
      return { state: r.state, report };
    } catch (e) {
      this.#lock?.release();
      this.#lock = null;
      throw e instanceof KronError ? e : ioError(`recovering data dir ${absolute(root)}`, e);
    } finally {
      this.#opening = false;
    }
  }

  /** See {@link Store.append}: numbers the event now, resolves per the durability setting. */
  append(event: KronEvent): Promise<void> {
    if (!this.#writer) return Promise.reject(notOpen());
    return this.#writer.append(event);
  }

  /** Resolves once everything appended so far is flushed (never rejects). */
  async flush(): Promise<void> {
    await this.#writer?.flushed();
  }

  #flushed(bytes: number): void {
    this.#bytesSinceCompact += bytes;
    if (this.#bytesSinceCompact < this.#nextCompactAt || this.#closing) return;
    // Ask once per threshold crossed; a failing compaction is retried a threshold later.
    this.#nextCompactAt = this.#bytesSinceCompact +
      (this.#opts.compactBytes ?? DEFAULT_COMPACT_BYTES);
    const getState = this.#opts.getState;
    if (getState) {
      queueMicrotask(() => {
        if (this.#closing) return;
        this.compact(getState()).catch((e) =>
          (this.#opts.onCompactError ?? ((e) => console.error("kron: compaction failed:", e)))(e)
        );
      });
    } else this.#opts.onCompactNeeded?.();
  }

  #live(): LiveSegment[] {
    return (this.#writer?.segments ?? []).map((s) => ({
      path: s.path,
      size: s.size,
      lastSeq: s.lastSeq,
    }));
  }

  async #read<T>(fn: () => Promise<T>): Promise<T> {
    // A query decodes and scans whole segments (~35 ms of CPU per 16 MiB) on the thread the
    // engine's timers run on: a burst of them (200 API clients) starved the scheduler into
    // misfires (found by the load torture). Run a few at a time; the rest wait without cost.
    while (this.#querying >= MAX_QUERIES) await new Promise<void>((r) => this.#queue.push(r));
    this.#querying++;
    try {
      while (this.#gate) await this.#gate;
      this.#readers++;
      try {
        return await fn();
      } finally {
        if (--this.#readers === 0) this.#drained?.();
      }
    } finally {
      this.#querying--;
      this.#queue.shift()?.();
    }
  }

  /** See {@link Store.history}. `limit` defaults to 20. */
  async history(job: string, query: HistoryQuery = {}): Promise<RunEntry[]> {
    return (await this.historyPage(job, query)).runs;
  }

  /**
   * See {@link Store.historyPage}: O(limit) reads through the linked run records, a scan of the
   * live log only for a log written before records were linked.
   */
  historyPage(job: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    if (!this.#writer) return Promise.reject(notOpen());
    const limit = query.limit ?? 20;
    const before = query.before ?? null;
    return this.#read(async () => {
      return await historyPage(
        this.dataDir,
        this.#snapshot,
        this.#positions,
        (n) => this.#readFile(n),
        job,
        limit,
        before,
      ) ?? await queryHistory(this.dataDir, this.#snapshot, this.#live(), job, limit, before);
    });
  }

  /** Segment `n` open for reading, or null when it is not live (dropped by a compaction). */
  #readFile(n: number): Deno.FsFile | null {
    const seg = this.#writer?.segments.find((s) => s.n === n);
    return seg ? this.#readFiles.open(n, seg.path) : null;
  }

  /** See {@link Store.findRun}. */
  findRun(runId: string): Promise<RunEntry | null> {
    if (!this.#writer) return Promise.reject(notOpen());
    return this.#read(() => queryRun(this.dataDir, this.#snapshot, this.#live(), runId));
  }

  #mustBeOpen(): LogWriter {
    if (!this.#writer) throw notOpen();
    return this.#writer;
  }

  /** What the last successful compaction did (null before the first). */
  get lastCompaction(): CompactionReport | null {
    return this.#lastCompaction;
  }

  /**
   * Writes a snapshot of `state` (serialised synchronously, so the caller may go on mutating
   * it) and drops the segments it covers; history beyond each job's limit goes with them.
   * `state.seq` must not be ahead of the log. Compactions run one at a time.
   */
  async compact(state: KronState): Promise<void> {
    this.#lastCompaction = await this.#startCompaction(state);
  }

  #startCompaction(state: KronState): Promise<CompactionReport> {
    const writer = this.#mustBeOpen();
    const seq = state.seq;
    if (seq > writer.lastSeq) {
      return Promise.reject(
        new KronError(
          "invalid_option",
          `cannot snapshot state at seq ${seq}: the log ends at ${writer.lastSeq}`,
        ),
      );
    }
    const chunks = serializeState(state);
    const limits = new Map<string, number>();
    for (const [name, job] of state.jobs) {
      limits.set(
        name,
        this.#opts.historyLimit?.(name) ?? job.def?.policy?.historyLimit ?? DEFAULT_HISTORY_LIMIT,
      );
    }
    const prev = this.#compaction ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.#compact(writer, seq, chunks, limits));
    this.#compaction = run;
    return run;
  }

  async #compact(
    writer: LogWriter,
    seq: number,
    chunks: string[],
    limits: Map<string, number>,
  ): Promise<CompactionReport> {
    const root = this.dataDir;
    const old = this.#snapshot;
    const prevSeq = old?.seq ?? 0;
    if (seq < prevSeq) {
      throw new KronError(
        "invalid_option",
        `cannot snapshot state at seq ${seq}: the current snapshot is at ${prevSeq}`,
      );
    }
    // Everything appended so far goes to disk and into closed segments; new appends start a
    // new segment, so every segment up to seq can be dropped whole.
    const failures = writer.stats.failures;
    await writer.roll();
    // A flush that failed meanwhile took its seqs back: the state holds events the log lacks.
    if (writer.stats.failures !== failures) {
      throw new KronError("io", `cannot snapshot state at seq ${seq}: appending to the log failed`);
    }
    const closed = writer.segments.slice(0, -1);
    const limitOf = (job: string) => limits.get(job) ?? 0;
    const idx = new RunIndex(limitOf);
    if (old) {
      for (const [job, runs] of await readAllSnapshotRuns(root, old)) {
        idx.seed(job, runs);
      }
    }
    const wanted = closed.filter((seg) => seg.lastSeq > prevSeq && seg.size > 0);
    // Read the next segment while folding this one.
    const read = (i: number) => {
      if (i >= wanted.length) return null;
      const p = Deno.readFile(wanted[i].path);
      p.catch(() => {});
      return p;
    };
    let next = read(0);
    for (let i = 0; i < wanted.length; i++) {
      const bytes = (await next!).subarray(0, wanted[i].size);
      next = read(i + 1);
      const text = decoder.decode(bytes);
      // Fold a piece at a time and let timers run in between: compaction shares the thread
      // with the engine, whose timers must not stall for a whole segment.
      for (let start = 0; start < text.length;) {
        let stop = text.indexOf("\n", Math.min(start + PIECE, text.length - 1));
        stop = stop < 0 ? text.length : stop + 1;
        forEachRecord(text.slice(start, stop), isRunLine, (e) => {
          if (e.seq > prevSeq && e.seq <= seq) idx.add(e);
        });
        start = stop;
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    idx.trim(limitOf);
    const history = new Map<string, RunEntry[]>();
    let runs = 0;
    for (const job of idx.jobs()) {
      const list = idx.runs(job);
      if (list.length > 0 && limits.has(job)) {
        history.set(job, list);
        runs += list.length;
      }
    }
    const snapshotBytes = await writeSnapshot(root, seq, chunks, history);
    const view = await readSnapshot(root, { state: false });
    const dropped: string[] = [];
    const covered = closed.filter((seg) => seg.lastSeq <= seq);
    // Readers see the new snapshot and no covered segment from here on; removing the files (and
    // the directory fsync, slow on a busy disk) happens after: history queries arriving meanwhile
    // do not wait for it (they waited up to a second under the load torture).
    await this.#exclusive(() => {
      this.#snapshot = view;
      for (const seg of covered) writer.segments.splice(writer.segments.indexOf(seg), 1);
      this.#positions.dropSegmentsBefore(writer.segments[0].n);
      this.#readFiles.closeBefore(writer.segments[0].n);
      return Promise.resolve();
    });
    for (const seg of covered) {
      await Deno.remove(seg.path);
      dropped.push(seg.name);
    }
    if (dropped.length) await fsyncDir(join(root, "log"));
    this.#bytesSinceCompact = writer.segments.reduce((sum, s) => sum + s.size, 0);
    this.#nextCompactAt = this.#bytesSinceCompact +
      (this.#opts.compactBytes ?? DEFAULT_COMPACT_BYTES);
    return { seq, dropped, jobs: history.size, runs, snapshotBytes };
  }

  async #exclusive(fn: () => Promise<void>): Promise<void> {
    while (this.#gate) await this.#gate;
    let open!: () => void;
    this.#gate = new Promise<void>((r) => open = r);
    try {
      while (this.#readers > 0) await new Promise<void>((r) => this.#drained = r);
      await fn();
    } finally {
      this.#gate = null;
      this.#drained = null;
      open();
    }
  }

  /** Flushes, waits for a running compaction, releases the lock. Idempotent. */
  async close(): Promise<void> {
    const writer = this.#writer;
    if (!writer || this.#closing) return;
    this.#closing = true;
    try {
      await writer.flushed();
      await this.#compaction?.catch(() => {});
      await writer.close();
    } finally {
      this.#readFiles.closeAll();
      this.#writer = null;
      this.#closing = false;
      this.#lock?.release();
      this.#lock = null;
    }
  }
}
