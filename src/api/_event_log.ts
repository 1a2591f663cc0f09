/**
 * Reads committed events back from a data dir's log segments (`log/NNNNNN.ndjson`, one JSON
 * record a line), for SSE clients resuming from a `Last-Event-ID` older than the in-memory
 * ring. Read-only and lock-free: the last line of the live segment may be half-written, so
 * only newline-terminated lines are used, and a segment deleted by a concurrent compaction
 * just makes the read start over.
 *
 * @example
 * ```ts
 * import { readEventsAfter } from "./_event_log.ts";
 * const { events, firstAvailable } = await readEventsAfter(".kron", 41, 100);
 * // events: seq 42..99, in order; firstAvailable: the oldest seq still in the log
 * ```
 * @module
 */
import type { KronEvent } from "../store/mod.ts";

const SEGMENT = /^\d{6,}\.ndjson$/;
const decoder = new TextDecoder();

/**
 * Events read back from the log.
 *
 * @example
 * ```ts
 * import type { LogRead } from "./_event_log.ts";
 * const oldest = (r: LogRead) => r.firstAvailable ?? 0;
 * ```
 */
export interface LogRead {
  /** Events with `after < seq < before`, in sequence order, without their checksum member. */
  events: KronEvent[];
  /** The lowest seq still present in the log (older ones were compacted away); null if none. */
  firstAvailable: number | null;
}

async function segments(dataDir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dataDir}/log`)) {
      if (e.isFile && SEGMENT.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  // Zero-padded names sort numerically as long as they have the same width; sort by number.
  return names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((n) => `${dataDir}/log/${n}`);
}

/** The seq of a segment's first record (reads only its first line). */
async function firstSeq(path: string): Promise<number | null> {
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) return null;
    const part = buf.slice(0, n);
    const nl = part.indexOf(10);
    chunks.push(nl >= 0 ? part.subarray(0, nl) : part);
    if (nl >= 0) break;
  }
  const line = decoder.decode(concat(chunks));
  const m = /^\{"seq":(\d+)/.exec(line);
  return m ? Number(m[1]) : null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function readOnce(dataDir: string, after: number, before: number): Promise<LogRead> {
  const paths = await segments(dataDir);
  if (paths.length === 0) return { events: [], firstAvailable: null };
  // Walk back from the newest segment to the one holding `after + 1`: a resume is nearly
  // always recent, so usually only the live segment is read.
  let start = paths.length - 1;
  let firstAvailable: number | null = null;
  for (let i = paths.length - 1; i >= 0; i--) {
    const seq = await firstSeq(paths[i]);
    if (seq === null) continue;
    firstAvailable = seq;
    start = i;
    if (seq <= after + 1) break;
  }
  const events: KronEvent[] = [];
  for (let i = start; i < paths.length; i++) {
    const text = await Deno.readTextFile(paths[i]);
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
      try {
        const { crc: _crc, ...event } = JSON.parse(line) as KronEvent & { crc?: string };
        events.push(event as KronEvent);
      } catch {
        // A corrupt line is recovery's business (it refuses to start); skip it here.
      }
    }
  }
  return { events, firstAvailable };
}

/**
 * Events with `after < seq < before` from the log of `dataDir`, oldest first.
 *
 * @example
 * ```ts
 * import { readEventsAfter } from "./_event_log.ts";
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
