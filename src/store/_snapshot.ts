/**
 * `snapshot.json`: the folded state at sequence N plus per-job run history, written
 * tmp → fsync → rename → fsync(dir). It is one JSON document (`jq` reads it) laid out one item
 * per line so that recovery parses only the state line and history is read one job at a time:
 *
 * ```
 * {"format":1,"seq":42,"time":"…",
 * "state":{"seq":42,"jobs":[{…job…},{…job…}]},
 * "history":{
 * "digest":[{…run…},{…run…}],
 * "backup":[{…run…}]
 * },
 * "crc":"1a2b3c4d"}
 * ```
 * The last line's CRC-32 covers every byte before it.
 *
 * @example
 * ```ts
 * import { readSnapshot } from "./_snapshot.ts";
 * await readSnapshot(Deno.makeTempDirSync()); // null: no snapshot yet
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { absolute, join, writeFileAtomic } from "./_fs.ts";
import { crc32 } from "./_crc32.ts";
import type { JobState, KronState, RunEntry } from "./state.ts";

/** Snapshot format version (inside the file, independent of the data dir's FORMAT). */
const SNAPSHOT_FORMAT = 1;
const NL = 10;
/** `"crc":"hhhhhhhh"}` + newline. */
const TRAILER_BYTES = 18;

/**
 * A loaded snapshot: the state, and where each job's history sits in the file.
 *
 * @example
 * ```ts
 * const view = await readSnapshot(".kron");
 * view?.history.has("digest");
 * ```
 */
export interface SnapshotView {
  seq: number;
  time: string;
  state: KronState;
  /** Byte range of each job's history line. */
  history: Map<string, { start: number; end: number }>;
  /** File size. */
  bytes: number;
}

/**
 * Serialises `state` synchronously into chunks: the caller can keep mutating its state
 * afterwards, the snapshot is the state as it was at this call.
 *
 * @example
 * ```ts
 * import { serializeState } from "./_snapshot.ts";
 * import { emptyState } from "./state.ts";
 * serializeState(emptyState()).join(""); // '"state":{"seq":0,"jobs":[]},\n'
 * ```
 */
export function serializeState(state: KronState): string[] {
  const out = [`"state":{"seq":${state.seq},"jobs":[`];
  let first = true;
  for (const job of state.jobs.values()) {
    out.push(first ? JSON.stringify(job) : "," + JSON.stringify(job));
    first = false;
  }
  out.push("]},\n");
  return out;
}

/**
 * Writes `snapshot.json` durably. `stateChunks` come from {@link serializeState}; `history`
 * lists each job's runs oldest first. Returns the file size.
 *
 * @example
 * ```ts
 * import { serializeState, writeSnapshot } from "./_snapshot.ts";
 * import { emptyState } from "./state.ts";
 * await writeSnapshot(Deno.makeTempDirSync(), 0, serializeState(emptyState()), new Map());
 * ```
 */
export function writeSnapshot(
  root: string,
  seq: number,
  stateChunks: string[],
  history: Map<string, RunEntry[]>,
): Promise<number> {
  let crc = 0;
  let trailer = false;
  function* chunks(): Generator<string | (() => string)> {
    yield `{"format":${SNAPSHOT_FORMAT},"seq":${seq},"time":${
      JSON.stringify(new Date().toISOString())
    },\n`;
    yield* stateChunks;
    yield `"history":{\n`;
    let left = history.size;
    for (const [job, runs] of history) {
      left--;
      yield `${JSON.stringify(job)}:${JSON.stringify(runs)}${left > 0 ? "," : ""}\n`;
    }
    yield `},\n`;
    // Called once everything above was encoded and checksummed.
    yield () => {
      trailer = true;
      return `"crc":"${crc.toString(16).padStart(8, "0")}"}\n`;
    };
  }
  return writeFileAtomic(root, "snapshot.json", chunks(), (bytes) => {
    if (!trailer) crc = crc32(bytes, 0, bytes.length, crc);
  });
}

function damaged(path: string, why: string): KronError {
  return new KronError(
    "corrupt_log",
    `${absolute(path)} is damaged (${why}): run "kron repair" to keep the valid prefix ` +
      `(a backup is kept)`,
  );
}

const decoder = new TextDecoder();

/**
 * Loads `snapshot.json` (null when there is none): verifies its CRC, parses the state (unless
 * `state: false`) and indexes the history lines without parsing them.
 *
 * @example
 * ```ts
 * import { readSnapshot } from "./_snapshot.ts";
 * const view = await readSnapshot(".kron");
 * view?.seq;
 * ```
 */
export async function readSnapshot(
  root: string,
  opts: { state?: boolean } = {},
): Promise<SnapshotView | null> {
  const path = join(root, "snapshot.json");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return parseSnapshot(path, bytes, opts);
}

/**
 * Parses snapshot bytes (see {@link readSnapshot}); `path` is for messages.
 *
 * @example
 * ```ts
 * import { parseSnapshot } from "./_snapshot.ts";
 * try { parseSnapshot("snapshot.json", new Uint8Array()); } catch (e) { (e as Error).message; }
 * ```
 */
export function parseSnapshot(
  path: string,
  bytes: Uint8Array,
  opts: { state?: boolean } = {},
): SnapshotView {
  const n = bytes.length;
  if (n < TRAILER_BYTES || bytes[n - 1] !== NL) throw damaged(path, "truncated");
  const trailer = decoder.decode(bytes.subarray(n - TRAILER_BYTES));
  const m = /^"crc":"([0-9a-f]{8})"\}\n$/.exec(trailer);
  if (!m) throw damaged(path, "no checksum");
  if (crc32(bytes, 0, n - TRAILER_BYTES) !== parseInt(m[1], 16)) {
    throw damaged(path, "bad checksum");
  }
  const l1 = bytes.indexOf(NL);
  const l2 = bytes.indexOf(NL, l1 + 1);
  const l3 = bytes.indexOf(NL, l2 + 1);
  if (l1 < 0 || l2 < 0 || l3 < 0) throw damaged(path, "bad layout");
  let header: { format: number; seq: number; time: string };
  // Right after a compaction only the index is needed: skip parsing the (large) state line.
  let state: { seq: number; jobs: JobState[] } = { seq: 0, jobs: [] };
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(0, l1 - 1)) + "}");
    if (opts.state !== false) {
      const stateLine = decoder.decode(bytes.subarray(l1 + 1, l2 - 1));
      if (!stateLine.startsWith('"state":')) throw new Error("no state");
      state = JSON.parse(stateLine.slice(8));
    }
  } catch (e) {
    throw damaged(path, e instanceof Error ? e.message : String(e));
  }
  if (header.format !== SNAPSHOT_FORMAT) {
    throw new KronError(
      "unknown_format",
      `${absolute(path)} has snapshot format ${JSON.stringify(header.format)}, but this build ` +
        `of kron reads only snapshot format ${SNAPSHOT_FORMAT}`,
    );
  }
  const jobs = new Map<string, JobState>();
  for (const job of state.jobs) jobs.set(job.name, job);
  // Index history lines: each starts with the job's JSON string key.
  const history = new Map<string, { start: number; end: number }>();
  const stop = n - TRAILER_BYTES;
  for (let start = l3 + 1; start < stop;) {
    const end = bytes.indexOf(NL, start);
    if (end < 0 || end >= stop) throw damaged(path, "bad history layout");
    if (bytes[start] === 0x22) {
      let i = start + 1;
      while (i < end && bytes[i] !== 0x22) i += bytes[i] === 0x5c ? 2 : 1;
      history.set(JSON.parse(decoder.decode(bytes.subarray(start, i + 1))), { start, end });
    }
    start = end + 1;
  }
  return { seq: header.seq, time: header.time, state: { seq: state.seq, jobs }, history, bytes: n };
}

function parseHistoryLine(text: string): RunEntry[] {
  const body = text.endsWith(",") ? text.slice(0, -1) : text;
  const obj = JSON.parse(`{${body}}`) as Record<string, RunEntry[]>;
  for (const k in obj) return obj[k];
  return [];
}

/**
 * One job's runs from the snapshot, oldest first.
 *
 * @example
 * ```ts
 * import { readSnapshot, readSnapshotRuns } from "./_snapshot.ts";
 * const view = await readSnapshot(".kron");
 * if (view) await readSnapshotRuns(".kron", view, "digest");
 * ```
 */
export function readSnapshotRuns(
  root: string,
  view: SnapshotView,
  job: string,
): Promise<RunEntry[]> {
  const range = view.history.get(job);
  if (!range) return Promise.resolve([]);
  // Synchronous on purpose: one line of a few KB from the page cache costs microseconds, while
  // each await of an async read waits a turn of an event loop that a busy API keeps full (a
  // history page waited tens of ms per await under the load torture, holding a query slot).
  const f = Deno.openSync(join(root, "snapshot.json"), { read: true });
  try {
    f.seekSync(range.start, Deno.SeekMode.Start);
    const buf = new Uint8Array(range.end - range.start);
    let off = 0;
    while (off < buf.length) {
      const got = f.readSync(buf.subarray(off));
      if (got === null || got === 0) {
        throw damaged(join(root, "snapshot.json"), "changed while reading");
      }
      off += got;
    }
    return Promise.resolve(parseHistoryLine(decoder.decode(buf)));
  } catch (e) {
    return Promise.reject(e);
  } finally {
    f.close();
  }
}

/**
 * Every job's runs from the snapshot (compaction carries them forward).
 *
 * @example
 * ```ts
 * import { readAllSnapshotRuns, readSnapshot } from "./_snapshot.ts";
 * const view = await readSnapshot(".kron");
 * if (view) (await readAllSnapshotRuns(".kron", view)).size;
 * ```
 */
export async function readAllSnapshotRuns(
  root: string,
  view: SnapshotView,
): Promise<Map<string, RunEntry[]>> {
  const out = new Map<string, RunEntry[]>();
  if (view.history.size === 0) return out;
  const bytes = await Deno.readFile(join(root, "snapshot.json"));
  for (const [job, { start, end }] of view.history) {
    out.set(job, parseHistoryLine(decoder.decode(bytes.subarray(start, end))));
  }
  return out;
}

/**
 * Looks a run up by id in the snapshot's history (a text search, then one line parsed).
 *
 * @example
 * ```ts
 * import { findSnapshotRun, readSnapshot } from "./_snapshot.ts";
 * const view = await readSnapshot(".kron");
 * if (view) await findSnapshotRun(".kron", view, "01J…");
 * ```
 */
export async function findSnapshotRun(
  root: string,
  view: SnapshotView,
  id: string,
): Promise<RunEntry | null> {
  if (view.history.size === 0) return null;
  const text = decoder.decode(await Deno.readFile(join(root, "snapshot.json")));
  // Search only the history lines: the state line holds recent runs too.
  const from = text.indexOf('\n"history":{\n');
  const at = from < 0 ? -1 : text.indexOf(`{"id":${JSON.stringify(id)},`, from);
  if (at < 0) return null;
  const start = text.lastIndexOf("\n", at) + 1;
  const end = text.indexOf("\n", at);
  return parseHistoryLine(text.slice(start, end)).find((r) => r.id === id) ?? null;
}
