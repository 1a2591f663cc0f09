/**
 * Reads committed events after a sequence number straight from a data dir's log segments,
 * without the lock: what the admin API's SSE stream replays when a client resumes with a
 * `Last-Event-ID` older than its in-memory ring.
 *
 * @example
 * ```ts
 * import { readEventsAfter } from "./events_after.ts";
 * const { events, firstAvailable } = await readEventsAfter(".kron", 41, Infinity);
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import { parseRecord, verifyRecord } from "./_record.ts";
import { listSegments } from "./_segment.ts";

/** What {@link readEventsAfter} found. */
export interface LogRead {
  /** Events with `after < seq < before`, in sequence order, without their checksum member. */
  events: KronEvent[];
  /** The lowest seq still present in the log (older ones were compacted away); null if none. */
  firstAvailable: number | null;
}

const encoder = new TextEncoder();

/** The seq of a segment's first record (reads only its start). */
async function firstSeq(path: string): Promise<number | null> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(64);
  const n = await file.read(buf);
  if (n === null) return null;
  const m = /^\{"seq":(\d+)/.exec(new TextDecoder().decode(buf.subarray(0, n)));
  return m ? Number(m[1]) : null;
}

async function readOnce(dataDir: string, after: number, before: number): Promise<LogRead> {
  const segments = await listSegments(dataDir);
  if (segments.length === 0) return { events: [], firstAvailable: null };
  // Walk back from the newest segment to the one holding `after + 1`: a resume is nearly
  // always recent, so usually only the live segment is read.
  let start = segments.length - 1;
  let firstAvailable: number | null = null;
  for (let i = segments.length - 1; i >= 0; i--) {
    const seq = await firstSeq(segments[i].path);
    if (seq === null) continue;
    firstAvailable = seq;
    start = i;
    if (seq <= after + 1) break;
  }
  const events: KronEvent[] = [];
  for (let i = start; i < segments.length; i++) {
    const text = await Deno.readTextFile(segments[i].path);
    let pos = 0;
    for (;;) {
      const nl = text.indexOf("\n", pos);
      if (nl < 0) break; // an unfinished last line: not committed yet
      const line = text.slice(pos, nl);
      pos = nl + 1;
      const m = /^\{"seq":(\d+)/.exec(line);
      if (!m) continue;
      const seq = Number(m[1]);
      if (seq <= after) continue;
      if (seq >= before) return { events, firstAvailable };
      // Only records that pass their checksum are streamed; a corrupt one is recovery's
      // business (it refuses to start), not a reader's.
      const bytes = encoder.encode(line);
      if (verifyRecord(bytes, 0, bytes.length) !== null) continue;
      const record = parseRecord(line);
      if (typeof record === "string") continue;
      const { crc: _crc, prev: _prev, ...event } = record as KronEvent & {
        crc?: string;
        prev?: number;
      };
      events.push(event as KronEvent);
    }
  }
  return { events, firstAvailable };
}

/**
 * Events with `after < seq < before` from the log of `dataDir`, oldest first.
 *
 * @example
 * ```ts
 * import { readEventsAfter } from "./events_after.ts";
 * (await readEventsAfter(Deno.makeTempDirSync(), 0, Infinity)).events; // []
 * ```
 */
export async function readEventsAfter(
  dataDir: string,
  after: number,
  before: number,
): Promise<LogRead> {
  for (let attempt = 1;; attempt++) {
    try {
      return await readOnce(dataDir, after, before);
    } catch (e) {
      // Compaction deletes covered segments: read again from the new set.
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 5) throw e;
    }
  }
}
