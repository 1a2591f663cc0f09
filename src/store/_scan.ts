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
import { type ParsedRecord, parseRecord, verifyRecord } from "./_record.ts";

/** The outcome of scanning one segment. */
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
  // Decode once; if every byte is ASCII, string and byte offsets coincide and each line is a
  // cheap slice of this one string instead of a TextDecoder call.
  const text = decoder.decode(bytes);
  const ascii = text.length === bytes.length;
  const end = bytes.length;
  let pos = 0;
  let line = 0;
  let records = 0;
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
      return {
        validEnd: pos,
        records,
        tail: { offset: pos, bytes: end - pos, zeroFilled: zero },
        corrupt: null,
      };
    }
    line++;
    const bad = verifyRecord(bytes, pos, nl);
    let reason: string | null | void = bad;
    if (reason === null) {
      const str = ascii ? text.slice(pos, nl) : decoder.decode(bytes.subarray(pos, nl));
      const rec = parseRecord(str);
      reason = typeof rec === "string" ? rec : onRecord(rec, line, pos);
    }
    if (reason) {
      return { validEnd: pos, records, tail: null, corrupt: { line, offset: pos, reason } };
    }
    records++;
    pos = nl + 1;
  }
  return { validEnd: pos, records, tail: null, corrupt: null };
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
