/**
 * The log writer: group commit, pipelining, segment rolling and write-failure recovery.
 *
 * `append()` numbers the event and serialises it synchronously into the open batch; the batch
 * is flushed on the next tick with ONE write and (durability permitting) ONE `syncData()`, and
 * every append in it shares ONE promise. While a flush is in flight, new appends gather in the
 * next batch, which starts as soon as the previous one is done (pipelining: the slower the
 * disk, the bigger the batches). All file operations run one after the other on one promise
 * chain, so rolls and flushes never interleave.
 *
 * @example
 * ```ts
 * import { LogWriter } from "./_writer.ts";
 * const root = Deno.makeTempDirSync();
 * const w = await LogWriter.open({ root, durability: "fsync" }, [], 0);
 * const t = new Date().toISOString();
 * await Promise.all([w.append({ type: "RUNTIME_STOPPED", time: t }), w.append({ type: "RUNTIME_STOPPED", time: t })]);
 * w.stats.writes; // 1
 * await w.close();
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { KronEvent } from "../events/mod.ts";
import { CRC_SUFFIX_BYTES, encodeUnsealed, sealRecords } from "./_record.ts";
import { fsyncDir, ioError, join, writeAll } from "./_fs.ts";
import { newSegmentInfo, type SegmentInfo } from "./_segment.ts";
import type { Durability } from "./durability.ts";

export type { Durability };

/**
 * The file operations the writer needs; tests wrap the real file to inject faults or count.
 *
 * @example
 * ```ts
 * const wrap = (f: LogFile): LogFile => ({ ...f, write: (p) => f.write(p), syncData: () => f.syncData(), truncate: (n) => f.truncate(n), close: () => f.close() });
 * ```
 */
export interface LogFile {
  write(p: Uint8Array): Promise<number>;
  syncData(): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): void;
}

/**
 * Options of {@link LogWriter.open}.
 *
 * @example
 * ```ts
 * await LogWriter.open({ root: ".kron", durability: "fsync", segmentBytes: 1 << 24 }, [], 0);
 * ```
 */
export interface WriterOptions {
  root: string;
  durability?: Durability;
  /** `batch` durability: minimum time between flushes (default 10 ms). */
  batchMs?: number;
  /** Roll to a new segment before a write would take the current one past this (16 MiB). */
  segmentBytes?: number;
  /** When a new batch's flush is scheduled (default `microtask`; see docs/storage.md). */
  flushOn?: "microtask" | "macrotask";
  /** Test hook: wrap each segment file (fault injection, counting). */
  wrapFile?: (file: LogFile, path: string) => LogFile;
  /** Called after each successful flush with the bytes written. */
  onFlushed?: (bytes: number) => void;
  /**
   * Which appended events to report to {@link WriterOptions.onWritten}: a key (the run's job)
   * or null. Without it nothing is reported.
   */
  track?: (event: KronEvent) => string | null;
  /** Called after a successful write with the segment and byte offset of each tracked record. */
  onWritten?: (key: string, segment: SegmentInfo, offset: number) => void;
  /**
   * Links tracked records: each gets a `prev` member, the position (see {@link position}) of
   * the previous tracked record of its key, or -1; this returns that position for records
   * written before the batch (the writer knows those of the batch itself).
   */
  previous?: (key: string) => number;
}

/** Width of the `prev` value: a position has at most 16 digits (2^53), -1 has 2. */
const PREV_WIDTH = 17;
/** `,"prev":` and the value's place, inserted before the checksum of a linked record. */
const PREV_MEMBER = ',"prev":' + " ".repeat(PREV_WIDTH);

/**
 * A record's position in the log as one number: segment number × 2^32 + byte offset.
 *
 * @example
 * ```ts
 * import { position } from "./_writer.ts";
 * position(2, 100); // 8589934692
 * ```
 */
export function position(segment: number, offset: number): number {
  return segment * 2 ** 32 + offset;
}

/** Writes `prev` into the linked record ending at `end` (its value is right-aligned). */
function patchPrev(data: Uint8Array, end: number, prev: number): void {
  const text = String(prev);
  const at = end - CRC_SUFFIX_BYTES - PREV_WIDTH;
  for (let i = 0; i < PREV_WIDTH; i++) {
    const c = i - (PREV_WIDTH - text.length);
    data[at + i] = c < 0 ? 0x20 : text.charCodeAt(c);
  }
}

/**
 * Counters, for tests and the benchmark.
 *
 * @example
 * ```ts
 * import type { LogWriter } from "./_writer.ts";
 * declare const writer: LogWriter;
 * writer.stats.syncs; // fsyncs so far
 * ```
 */
export interface WriterStats {
  /** `write()` calls on segment files. */
  writes: number;
  /** `syncData()` calls on segment files. */
  syncs: number;
  /** Batches written. */
  batches: number;
  /** Events written. */
  events: number;
  /** Bytes written. */
  bytes: number;
  /** Largest batch, in events. */
  maxBatch: number;
  /** Segments rolled. */
  rolls: number;
  /** Batches that failed. */
  failures: number;
}

interface Batch {
  lines: string[];
  /** `track`'s key of each line (only when the writer tracks records). */
  keys: (string | null)[];
  firstSeq: number;
  lastSeq: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** Picked up by a flush (so a second flush call for it is a no-op). */
  taken: boolean;
}

/** Tells `onWritten` where each tracked line of a written batch starts. */
function reportRecords(
  data: Uint8Array,
  keys: readonly (string | null)[],
  segment: SegmentInfo,
  base: number,
  onWritten: (key: string, segment: SegmentInfo, offset: number) => void,
): void {
  let start = 0;
  for (const key of keys) {
    if (key !== null) onWritten(key, segment, base + start);
    start = data.indexOf(10, start) + 1; // records hold no raw newline (JSON escapes it)
  }
}

/** Fills in the `prev` of each tracked record of a batch about to be written at `base`. */
function linkRecords(
  data: Uint8Array,
  keys: readonly (string | null)[],
  segment: number,
  base: number,
  previous: (key: string) => number,
): void {
  const last = new Map<string, number>();
  let start = 0;
  for (const key of keys) {
    const end = data.indexOf(10, start);
    if (key !== null) {
      patchPrev(data, end, last.get(key) ?? previous(key));
      last.set(key, position(segment, base + start));
    }
    start = end + 1;
  }
}

const encoder = new TextEncoder();
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

function newBatch(firstSeq: number): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Fire-and-forget appends must not turn a failed write into an unhandled rejection that kills
  // the process; callers that await still see the rejection.
  promise.catch(() => {});
  return {
    lines: [],
    keys: [],
    firstSeq,
    lastSeq: firstSeq,
    promise,
    resolve,
    reject,
    taken: false,
  };
}

/**
 * Writer counters at zero (a writer's at open, a store's before it opens).
 *
 * @example
 * ```ts
 * import { emptyWriterStats } from "./_writer.ts";
 * emptyWriterStats().syncs; // 0
 * ```
 */
export function emptyWriterStats(): WriterStats {
  return {
    writes: 0,
    syncs: 0,
    batches: 0,
    events: 0,
    bytes: 0,
    maxBatch: 0,
    rolls: 0,
    failures: 0,
  };
}

/**
 * Appends records to the segments of one data dir. Single writer: the caller holds the lock.
 *
 * @example
 * ```ts
 * const w = await LogWriter.open({ root: ".kron" }, [], 0);
 * await w.append({ type: "RUNTIME_STOPPED", time: new Date().toISOString() });
 * await w.close();
 * ```
 */
export class LogWriter {
  /** Counters since open. */
  readonly stats: WriterStats = emptyWriterStats();
  /** All live segments, oldest first; the last is the one being written. Shared with the store. */
  readonly segments: SegmentInfo[];
  readonly #opts:
    & Required<
      Omit<WriterOptions, "wrapFile" | "onFlushed" | "track" | "onWritten" | "previous">
    >
    & WriterOptions;
  #file: LogFile;
  #nextSeq: number;
  #open: Batch | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #lastFlushAt = 0;
  #broken: KronError | null = null;
  #closed = false;

  private constructor(
    opts: WriterOptions,
    segments: SegmentInfo[],
    file: LogFile,
    lastSeq: number,
  ) {
    this.#opts = {
      ...opts,
      // `??`, not a spread of defaults: an explicit `undefined` must not erase a default.
      durability: opts.durability ?? "fsync",
      batchMs: opts.batchMs ?? 10,
      segmentBytes: opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      flushOn: opts.flushOn ?? "microtask",
    };
    this.segments = segments;
    this.#file = file;
    this.#nextSeq = lastSeq + 1;
  }

  /**
   * Opens the writer on the recovered `segments` (appending to the last one unless it is full)
   * with the next seq after `lastSeq`.
   */
  static async open(
    opts: WriterOptions,
    segments: SegmentInfo[],
    lastSeq: number,
  ): Promise<LogWriter> {
    const logDir = join(opts.root, "log");
    await Deno.mkdir(logDir, { recursive: true, mode: 0o700 });
    // The log dir's own entry must be durable before anything in it is acknowledged.
    if (opts.durability !== "none") await fsyncDir(opts.root);
    const last = segments.at(-1);
    const limit = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    let info: SegmentInfo;
    let file: Deno.FsFile;
    if (last && last.size < limit) {
      info = last;
      file = await Deno.open(last.path, { write: true, append: true });
    } else {
      info = newSegmentInfo(opts.root, (last?.n ?? 0) + 1);
      file = await Deno.open(info.path, {
        write: true,
        append: true,
        createNew: true,
        mode: 0o600,
      });
      segments.push(info);
      if (opts.durability !== "none") await fsyncDir(logDir);
    }
    const wrapped = opts.wrapFile ? opts.wrapFile(file, info.path) : file;
    return new LogWriter(opts, segments, wrapped, lastSeq);
  }

  /** The seq of the last appended event (written or not). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** The segment being written. */
  get current(): SegmentInfo {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Numbers `event` (sets `event.seq`), serialises it into the open batch and returns the
   * batch's promise. Do not mutate an event after appending it.
   */
  append(event: KronEvent): Promise<void> {
    if (this.#closed) return Promise.reject(new KronError("shut_down", "the store is closed"));
    if (this.#broken) return Promise.reject(this.#broken);
    const seq = this.#nextSeq;
    event.seq = seq;
    let line: string;
    try {
      line = encodeUnsealed(event);
    } catch (e) {
      event.seq = undefined;
      return Promise.reject(e);
    }
    this.#nextSeq = seq + 1;
    let b = this.#open;
    if (b === null) {
      b = this.#open = newBatch(seq);
      this.#schedule(b);
    }
    if (this.#opts.track) {
      const key = this.#opts.track(event);
      b.keys.push(key);
      if (key !== null && this.#opts.previous) {
        line = line.slice(0, -CRC_SUFFIX_BYTES) + PREV_MEMBER + line.slice(-CRC_SUFFIX_BYTES);
      }
    }
    b.lines.push(line);
    b.lastSeq = seq;
    return b.promise;
  }

  #schedule(b: Batch): void {
    const run = () => void this.#enqueue(() => this.#flush(b));
    if (this.#opts.flushOn === "macrotask") setTimeout(run, 0);
    else run(); // the chain's `.then` already defers the flush to a later microtask
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(task);
    this.#chain = p.catch(() => {});
    return p;
  }

  /** Resolves once everything appended so far has been flushed (or failed). Never rejects. */
  async flushed(): Promise<void> {
    const b = this.#open;
    await this.#enqueue(() => b ? this.#flush(b) : Promise.resolve());
  }

  /**
   * Flushes everything appended so far, then starts a new segment (unless the current one is
   * empty), so that the closed ones can be dropped whole by compaction. Rejects on I/O errors.
   */
  roll(): Promise<void> {
    const b = this.#open;
    return this.#enqueue(async () => {
      if (b) await this.#flush(b);
      if (this.current.size > 0) await this.#roll();
    });
  }

  async #flush(b: Batch): Promise<void> {
    if (b.taken) return;
    if (this.#opts.durability === "batch") {
      // Hold the batch open until batchMs after the previous flush: fewer, larger fsyncs.
      const wait = this.#lastFlushAt + this.#opts.batchMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (b.taken) return;
    }
    b.taken = true;
    if (this.#open === b) this.#open = null;
    const count = b.lines.length;
    b.lines.push(""); // the last record's newline, without copying the joined text again
    const data = encoder.encode(b.lines.join("\n"));
    b.lines = [];
    if (this.#broken) return this.#fail(b, this.#broken);
    try {
      const cur = this.current;
      if (cur.size > 0 && cur.size + data.length > this.#opts.segmentBytes) await this.#roll();
    } catch (e) {
      return this.#fail(b, ioError(`starting a new log segment in ${this.#opts.root}`, e));
    }
    const seg = this.current;
    const before = seg.size;
    // Where each record lands is known now: link them before they are checksummed.
    if (this.#opts.previous) linkRecords(data, b.keys, seg.n, before, this.#opts.previous);
    // One checksum pass over the batch's bytes (records were appended with a placeholder).
    sealRecords(data);
    try {
      await this.#writeAll(data);
      if (this.#opts.durability !== "none") {
        await this.#file.syncData();
        this.stats.syncs++;
      }
    } catch (e) {
      await this.#undo(seg, before);
      return this.#fail(b, ioError(`appending to ${seg.name}`, e));
    }
    this.#lastFlushAt = performance.now();
    seg.size = before + data.length;
    if (seg.firstSeq === 0) seg.firstSeq = b.firstSeq;
    seg.lastSeq = b.lastSeq;
    const s = this.stats;
    s.batches++;
    s.events += count;
    s.bytes += data.length;
    if (count > s.maxBatch) s.maxBatch = count;
    if (this.#opts.onWritten) reportRecords(data, b.keys, seg, before, this.#opts.onWritten);
    b.keys = [];
    b.resolve();
    this.#opts.onFlushed?.(data.length);
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    const file = this.#file;
    const stats = this.stats;
    await writeAll({
      write(p) {
        stats.writes++;
        return file.write(p);
      },
    }, data);
  }

  /** Cuts a partially written batch off again so the log stays a sequence of whole records. */
  async #undo(seg: SegmentInfo, size: number): Promise<void> {
    try {
      await this.#file.truncate(size);
    } catch (e) {
      this.#broken = ioError(
        `restoring ${seg.name} to ${size} bytes after a failed write (restart kron to recover)`,
        e,
      );
    }
  }

  #fail(b: Batch, error: KronError): void {
    this.stats.failures++;
    b.reject(error);
    // Appends made while this batch was in flight were numbered after it: fail them too, and
    // number the next appends from this batch's first seq so that the log has no gap.
    const next = this.#open;
    if (next) {
      next.taken = true;
      this.#open = null;
      next.reject(error);
    }
    this.#nextSeq = b.firstSeq;
  }

  async #roll(): Promise<void> {
    const info = newSegmentInfo(this.#opts.root, this.current.n + 1);
    const f = await Deno.open(info.path, {
      write: true,
      append: true,
      createNew: true,
      mode: 0o600,
    });
    try {
      // The new file must survive a crash as soon as records in it are acknowledged.
      if (this.#opts.durability !== "none") await fsyncDir(join(this.#opts.root, "log"));
    } catch (e) {
      f.close();
      await Deno.remove(info.path).catch(() => {});
      throw e;
    }
    this.#file.close();
    this.#file = this.#opts.wrapFile ? this.#opts.wrapFile(f, info.path) : f;
    this.segments.push(info);
    this.stats.rolls++;
  }

  /** Flushes what is pending and closes the segment file. Appends after this reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flushed();
    this.#closed = true;
    await this.#enqueue(() => {
      this.#file.close();
      return Promise.resolve();
    });
  }
}
