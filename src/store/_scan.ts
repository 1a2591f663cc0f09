/**
 * Scans one segment's bytes record by record and classifies how it ends. This is the single
 * definition of "torn" and "corrupt" (DESIGN §5) that recovery, repair and the offline reader
 * all use:
 *
 * - torn: the bytes after the last complete valid record hold no newline (a write cut short, or
 *   a zero-filled tail left by a crash after the file grew). Cut off on recovery.
 * - corrupt: a complete (newline-terminated) line with a bad checksum or bad JSON, anywhere, or a
 *   record the caller rejects (sequence gap). Recovery stops; `repair` keeps the prefix.
 *
 * @example
 * ```ts
 * import { scanSegment } from "./_scan.ts";
 * const r = scanSegment(new TextEncoder().encode('{"seq":1'), () => null);
 * r.tail; // { offset: 0, bytes: 8, zeroFilled: false }
 * ```
 * @module
 */
import { checkRecord, type ParsedRecord, parseRecord, verifyRecord } from "./_record.ts";

/**
 * The outcome of scanning one segment.
 *
 * @example
 * ```ts
 * import { scanSegment } from "./_scan.ts";
 * declare const bytes: Uint8Array;
 * const { validEnd, tail, corrupt } = scanSegment(bytes, () => null);
 * ```
 */
export interface SegmentScan {
  /** Byte offset just after the last valid record (where a torn tail starts). */
  validEnd: number;
  /** Valid records seen. */
  records: number;
  /** Incomplete bytes after the last valid record, if any. */
  tail: { offset: number; bytes: number; zeroFilled: boolean } | null;
  /** The first corrupt line (1-based), if any; scanning stops there. */
  corrupt: { line: number; offset: number; reason: string } | null;
}

const decoder = new TextDecoder();
/** Lines per JSON.parse call on replay. */
const CHUNK = 256;
const NL = 10;

/**
 * Scans `bytes`, calling `onRecord` for each valid record in order; `onRecord` may return a
 * reason string to declare that record corrupt (e.g. a sequence gap), which stops the scan.
 *
 * @example
 * ```ts
 * import { scanSegment } from "./_scan.ts";
 * import { encodeRecord } from "./_record.ts";
 * const line = encodeRecord({ type: "RUNTIME_STOPPED", time: "t", seq: 1 }) + "\n";
 * scanSegment(new TextEncoder().encode(line), (e) => void e.seq).records; // 1
 * ```
 */
export function scanSegment(
  bytes: Uint8Array,
  onRecord: (event: ParsedRecord, line: number, offset: number) => string | null | void,
): SegmentScan {
  // Pass 1: checksums, line by line, up to the first bad or unfinished line.
  const end = bytes.length;
  const starts: number[] = [];
  let pos = 0;
  let stop: { offset: number; reason: string } | null = null;
  let tail: SegmentScan["tail"] = null;
  while (pos < end) {
    const nl = bytes.indexOf(NL, pos);
    if (nl < 0) {
      let zero = true;
      for (let i = pos; i < end; i++) {
        if (bytes[i] !== 0) {
          zero = false;
          break;
        }
      }
      tail = { offset: pos, bytes: end - pos, zeroFilled: zero };
      break;
    }
    const bad = verifyRecord(bytes, pos, nl);
    if (bad) {
      stop = { offset: pos, reason: bad };
      break;
    }
    starts.push(pos);
    pos = nl + 1;
  }
  const verifiedEnd = pos;
  // Pass 2: parse the verified lines as JSON arrays of CHUNK lines each, one JSON.parse per
  // chunk: cheaper than a call per line, while the objects still die young (one array for the
  // whole segment would keep them all alive into the old generation). Records hold no raw
  // newline (JSON escapes it), so joining lines with "," is exact. If a chunk fails (a
  // checksummed line that is not JSON: never written by kron), parse its lines one by one to
  // name the culprit.
  const text = decoder.decode(bytes.subarray(0, verifiedEnd));
  const n = starts.length;
  // String offsets equal byte offsets only for ASCII text; otherwise split the text instead.
  const ascii = text.length === verifiedEnd;
  const lines = ascii ? null : text.split("\n");
  const lineText = (i: number) =>
    lines ? lines[i] : text.slice(starts[i], i + 1 < n ? starts[i + 1] - 1 : verifiedEnd - 1);
  for (let c = 0; c < n; c += CHUNK) {
    const to = Math.min(n, c + CHUNK);
    let events: unknown[] | null = null;
    try {
      const chunk = lines
        ? lines.slice(c, to).join(",")
        : text.slice(starts[c], to < n ? starts[to] - 1 : verifiedEnd - 1).replaceAll("\n", ",");
      events = JSON.parse(`[${chunk}]`);
      if (events!.length !== to - c) events = null;
    } catch {
      events = null;
    }
    // Pass 3: shape checks and the caller's checks, in order.
    for (let i = c; i < to; i++) {
      const rec = events ? checkRecord(events[i - c]) : parseRecord(lineText(i));
      const reason = typeof rec === "string" ? rec : onRecord(rec, i + 1, starts[i]);
      if (reason) {
        return {
          validEnd: starts[i],
          records: i,
          tail: null,
          corrupt: { line: i + 1, offset: starts[i], reason },
        };
      }
    }
  }
  return {
    validEnd: verifiedEnd,
    records: starts.length,
    tail,
    corrupt: stop ? { line: starts.length + 1, ...stop } : null,
  };
}

/**
 * Counts the newline-terminated lines in `bytes[from, to)`: how many records a cut drops.
 *
 * @example
 * ```ts
 * import { countLines } from "./_scan.ts";
 * countLines(new TextEncoder().encode("a\nb\nc"), 0, 5); // 2
 * ```
 */
export function countLines(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let n = 0;
  for (let i = bytes.indexOf(NL, from); i >= 0 && i < to; i = bytes.indexOf(NL, i + 1)) n++;
  return n;
}

/**
 * Parses every complete line of already verified log text (what this process wrote or
 * recovered) in chunks, calling `fn` for each record whose line passes `keep` (a cheap text
 * prefilter). An unfinished last line is skipped.
 *
 * @example
 * ```ts
 * import { forEachRecord } from "./_scan.ts";
 * forEachRecord('{"seq":1}\n{"seq":2}\n', () => true, (e) => console.log(e.seq));
 * ```
 */
export function forEachRecord(
  text: string,
  keep: ((line: string) => boolean) | null,
  fn: (event: ParsedRecord) => void,
): void {
  const end = text.lastIndexOf("\n");
  if (end < 0) return;
  if (keep === null) {
    // Everything: cut the text into chunks of about CHUNK lines at newlines.
    for (let start = 0; start < end;) {
      let stop = start;
      for (let k = 0; k < CHUNK && stop >= 0 && stop < end; k++) {
        stop = text.indexOf("\n", stop + 1);
      }
      if (stop < 0 || stop > end) stop = end;
      const events = JSON.parse(`[${text.slice(start, stop).replaceAll("\n", ",")}]`);
      for (const e of events) fn(e);
      start = stop + 1;
    }
    return;
  }
  let batch: string[] = [];
  const flush = () => {
    for (const e of JSON.parse(`[${batch.join(",")}]`)) fn(e);
    batch = [];
  };
  for (let start = 0; start < end;) {
    const stop = text.indexOf("\n", start);
    const line = text.slice(start, stop);
    if (keep(line)) {
      batch.push(line);
      if (batch.length === CHUNK) flush();
    }
    start = stop + 1;
  }
  if (batch.length) flush();
}
