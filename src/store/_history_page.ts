/**
 * A page of a job's history read by index: O(limit) records, whatever the log's size.
 *
 * Every run event of the live log carries `prev`, the position of its job's previous run event
 * (-1 for none in the live log; the writer links them, see `_writer.ts`), and the store keeps
 * each job's newest position (`RunPositions`). A page walks that chain back from the newest
 * event (or from a cursor) until it holds `limit` starts, then goes on in the snapshot's history
 * (one line per job, at most its history limit) when the live log ran out.
 *
 * Ends, spawns and deaths of a run come after its start, so a walk meets those of older runs
 * before their starts: the walk hands them on in the cursor (`pending`), for the page that
 * reaches their start. A cursor is `<runId>~<from>~<pending,…>` (positions in base 36): the
 * last run handed out, where the walk goes on (-1: the live log is done) and those events. A
 * bare run id is a cursor too (the walk then starts at the newest event and skips to it).
 *
 * @example
 * ```ts
 * import { parseCursor } from "./_history_page.ts";
 * parseCursor("01JX0000000000000000000000~2s~"); // { beforeId: "01JX…", from: 100, pending: [] }
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { RunEntry } from "./state.ts";
import type { HistoryPage } from "./types.ts";
import { RunIndex } from "./_runs.ts";
import { readSnapshotRuns, type SnapshotView } from "./_snapshot.ts";
import type { RunPositions } from "./_run_positions.ts";

const SEGMENT = 2 ** 32;
const RUN_ID = /^[^~,]{1,128}$/;

/** Where the next page starts. */
export interface Cursor {
  /** The last run handed out: the next page holds older runs only. */
  beforeId: string;
  /** Position to walk back from; -1: the live log is done (go on in the snapshot). */
  from: number;
  /** Positions of later events (ends…) of runs not handed out yet. */
  pending: number[];
}

/**
 * Reads a cursor (or a bare run id: `from` and `pending` null); null when it is neither.
 *
 * @example
 * ```ts
 * import { parseCursor } from "./_history_page.ts";
 * parseCursor("01JX00000000000000000000AB")?.from; // null: a bare run id
 * parseCursor("../etc"); // null
 * ```
 */
export function parseCursor(
  text: string,
): { beforeId: string; from: number | null; pending: number[] | null } | null {
  const [id, from, pending, ...rest] = text.split("~");
  if (!RUN_ID.test(id) || rest.length > 0) return null;
  if (from === undefined) return { beforeId: id, from: null, pending: null };
  const num = (s: string) => (s === "-1" ? -1 : /^[0-9a-z]{1,11}$/.test(s) ? parseInt(s, 36) : NaN);
  const f = num(from);
  const p = pending ? pending.split(",").map(num) : [];
  if (Number.isNaN(f) || p.some((n) => Number.isNaN(n) || n < 0)) return null;
  return { beforeId: id, from: f, pending: p };
}

/**
 * A cursor's text.
 *
 * @example
 * ```ts
 * import { formatCursor } from "./_history_page.ts";
 * formatCursor({ beforeId: "01JX", from: -1, pending: [] }); // "01JX~-1~"
 * ```
 */
export function formatCursor(c: Cursor): string {
  const b36 = (n: number) => (n < 0 ? "-1" : n.toString(36));
  return `${c.beforeId}~${b36(c.from)}~${c.pending.map(b36).join(",")}`;
}

type Logged = KronEvent & { seq: number; prev?: number; runId?: string };

const decoder = new TextDecoder();

/** The record starting at `offset` (sync reads: a few hundred bytes from the page cache). */
function readLine(file: Deno.FsFile, offset: number): string {
  let buf = new Uint8Array(1024);
  let have = 0;
  file.seekSync(offset, Deno.SeekMode.Start);
  for (;;) {
    const got = file.readSync(buf.subarray(have));
    if (got === null || got === 0) throw new Error(`no record at offset ${offset}`);
    const nl = buf.subarray(have, have + got).indexOf(10);
    have += got;
    if (nl >= 0) return decoder.decode(buf.subarray(0, have - got + nl));
    if (have === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
  }
}

/** Reads records by position through the store's open segment files. */
class Reader {
  constructor(readonly fileOf: (segment: number) => Deno.FsFile | null) {}

  /** The record at `pos`, or null when its segment was dropped (compacted into the snapshot). */
  read(pos: number): Logged | null {
    const file = this.fileOf(Math.floor(pos / SEGMENT));
    return file === null ? null : JSON.parse(readLine(file, pos % SEGMENT)) as Logged;
  }
}

/**
 * One page of `job`'s runs, most recent first, and the cursor of the next (null when there is
 * none), or null when the index cannot answer (a log written before records were linked): the
 * caller scans then. `before` is a cursor or a run id; `fileOf` gives a live segment's open
 * file (null once dropped), kept open by the store: a page reads a few hundred bytes, and
 * opening and closing the file for each page cost more than the reads.
 *
 * @example
 * ```ts
 * import { historyPage } from "./_history_page.ts";
 * import { RunPositions } from "./_run_positions.ts";
 * await historyPage(".kron", null, new RunPositions(), () => null, "digest", 20, null);
 * // { runs: [], next: null }
 * ```
 */
export async function historyPage(
  root: string,
  snapshot: SnapshotView | null,
  index: RunPositions,
  fileOf: (segment: number) => Deno.FsFile | null,
  job: string,
  limit: number,
  before: string | null,
): Promise<HistoryPage | null> {
  const cursor = before === null ? null : parseCursor(before);
  if (before !== null && cursor === null) return { runs: [], next: null };
  const ring = index.newestFirst(job);
  /** A bare run id: walk from the newest event, skipping runs until that one. */
  let skipTo = cursor !== null && cursor.from === null ? cursor.beforeId : null;
  let from = cursor?.from ?? ring?.positions[0] ?? -1;
  // Records written before links existed have no `prev`: the ring says where the next one is.
  let ringAt = cursor?.from == null ? 0 : -1;
  const handedOut = new Set<string>();
  const events: { e: Logged; pos: number }[] = [];
  const starts: Logged[] = [];
  const reader = new Reader(fileOf);
  for (const pos of cursor?.pending ?? []) {
    const e = reader.read(pos);
    if (e) events.push({ e, pos });
  }
  while (from >= 0 && starts.length < limit) {
    const e = reader.read(from);
    if (e === null || (snapshot && e.seq <= snapshot.seq)) {
      from = -1; // the rest is in the snapshot's history
      break;
    }
    if (e.type === "RUN_STARTED") {
      if (skipTo !== null) {
        handedOut.add(e.runId!);
        if (e.runId === skipTo) skipTo = null;
      } else starts.push(e);
    } else if (!handedOut.has(e.runId!)) events.push({ e, pos: from });
    if (typeof e.prev === "number") {
      from = e.prev;
      if (ringAt >= 0) ringAt++;
    } else if (ringAt >= 0 && ring && ringAt + 1 < ring.positions.length) {
      from = ring.positions[++ringAt];
    } else if (ringAt >= 0 && ring?.complete) {
      from = -1; // the ring held every run event of the live log
    } else return null;
  }
  // Past the live log: the snapshot's runs, older than the last one handed out.
  let older: RunEntry[] = [];
  let olderLeft = false;
  if (starts.length < limit && from < 0 && snapshot) {
    let runs = await readSnapshotRuns(root, snapshot, job);
    const until = cursor?.beforeId ?? null;
    if (until !== null) {
      // Not there: a run of the live log (all of the snapshot's are older) or one trimmed
      // since; run ids (ULIDs) sort by time.
      const i = runs.findIndex((r) => r.id === until);
      runs = i >= 0 ? runs.slice(0, i) : runs.filter((r) => r.id < until);
    }
    const take = Math.min(limit - starts.length, runs.length);
    older = runs.slice(runs.length - take);
    olderLeft = runs.length > take;
  } else if (skipTo !== null) {
    return { runs: [], next: null }; // not in the live log, and no snapshot
  }
  const ids = new Set<string>([...starts.map((e) => e.runId!), ...older.map((r) => r.id)]);
  const idx = new RunIndex();
  idx.seed(job, older);
  const mine = [...starts, ...events.filter(({ e }) => ids.has(e.runId!)).map(({ e }) => e)];
  mine.sort((a, b) => a.seq - b.seq);
  for (const e of mine) idx.add(e);
  const list = idx.runs(job);
  const runs: RunEntry[] = [];
  for (let i = list.length - 1; i >= 0 && runs.length < limit; i--) runs.push(list[i]);
  const more = runs.length === limit &&
    (from >= 0 || olderLeft || (older.length === 0 && !!snapshot?.history.has(job)));
  const next = more
    ? formatCursor({
      beforeId: runs[runs.length - 1].id,
      from: older.length > 0 ? -1 : from,
      pending: events.filter(({ e }) => !ids.has(e.runId!)).map(({ pos }) => pos),
    })
    : null;
  return { runs, next };
}
