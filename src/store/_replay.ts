/**
 * Replays a data dir: snapshot, then every segment record after the snapshot's seq through the
 * reducer, validating checksums, JSON and the sequence as it goes. It only reads; what to do
 * about a torn tail or a corrupt record is the caller's decision (recovery truncates or throws,
 * the offline reader ignores the tail, repair cuts at the corruption).
 *
 * @example
 * ```ts
 * import { replay } from "./_replay.ts";
 * const r = await replay(Deno.makeTempDirSync());
 * r.lastSeq; // 0
 * ```
 * @module
 */
import { apply } from "./reducer.ts";
import { emptyState, type KronState } from "./state.ts";
import { readSnapshot, type SnapshotView } from "./_snapshot.ts";
import { listSegments, type SegmentInfo } from "./_segment.ts";
import { scanSegment } from "./_scan.ts";
import type { ParsedRecord } from "./_record.ts";
import { KronError } from "../errors.ts";
import { absolute } from "./_fs.ts";

/**
 * Where the valid prefix of the log ends because of a corrupt record.
 *
 * @example
 * ```ts
 * const { corrupt } = await replay(".kron");
 * if (corrupt) console.log(corrupt.segment.name, corrupt.line, corrupt.reason);
 * ```
 */
export interface CorruptAt {
  /** Index into `segments` of the damaged segment. */
  index: number;
  segment: SegmentInfo;
  line: number;
  offset: number;
  reason: string;
}

/**
 * What a replay found.
 *
 * @example
 * ```ts
 * const { state, lastSeq, tail } = await replay(".kron");
 * ```
 */
export interface ReplayResult {
  state: KronState;
  snapshot: SnapshotView | null;
  /** Every segment file in order; `size`, `firstSeq`, `lastSeq` describe its valid records. */
  segments: SegmentInfo[];
  /** Highest seq in the snapshot or the log. */
  lastSeq: number;
  /** Records folded in after the snapshot. */
  replayed: number;
  /** An incomplete or zero-filled tail in the last segment. */
  tail: { segment: SegmentInfo; offset: number; bytes: number; zeroFilled: boolean } | null;
  /** The first corrupt record; segments after it were not read. */
  corrupt: CorruptAt | null;
  /** Raw bytes of each segment read (only when `keepBytes`), for repair. */
  bytes?: Uint8Array[];
}

/**
 * Options of {@link replay}.
 *
 * @example
 * ```ts
 * await replay(".kron", { keepBytes: true, onEvent: (e) => console.log(e.seq) });
 * ```
 */
export interface ReplayOptions {
  /** Keep each segment's bytes in the result (repair counts what it drops). */
  keepBytes?: boolean;
  /** Called for every valid record after the snapshot, after it was folded in. */
  onEvent?: (event: ParsedRecord) => void;
  /** Like `onEvent`, with the record's segment and byte offset (the history index). */
  onRecordAt?: (event: ParsedRecord, segment: SegmentInfo, offset: number) => void;
  /** Replay as if there were no snapshot (repair, when the snapshot is damaged). */
  ignoreSnapshot?: boolean;
}

/**
 * Loads the snapshot and replays the segments after it. Never writes.
 *
 * @example
 * ```ts
 * import { replay } from "./_replay.ts";
 * const { state, corrupt } = await replay(".kron");
 * ```
 */
export async function replay(root: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const snapshot = opts.ignoreSnapshot ? null : await readSnapshot(root);
  const snapSeq = snapshot?.seq ?? 0;
  const state = snapshot ? snapshot.state : emptyState();
  const segments = await listSegments(root);
  const result: ReplayResult = {
    state,
    snapshot,
    segments,
    lastSeq: snapSeq,
    replayed: 0,
    tail: null,
    corrupt: null,
  };
  if (opts.keepBytes) result.bytes = [];
  let prev = 0; // last seq seen in the log (0 = none yet)
  const onEvent = opts.onEvent;
  const onRecordAt = opts.onRecordAt;
  // Read the next segment while this one is being scanned (I/O overlaps the CPU work).
  const read = (i: number) => {
    if (i >= segments.length) return null;
    const p = Deno.readFile(segments[i].path);
    p.catch(() => {}); // if the loop stops early, an unread failure is not unhandled
    return p;
  };
  let next = read(0);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const bytes = await next!;
    next = read(i + 1);
    result.bytes?.push(bytes);
    const scan = scanSegment(bytes, (event, _line, offset) => {
      const seq = event.seq;
      if (prev === 0) {
        if (seq > snapSeq + 1) {
          return snapSeq === 0
            ? `sequence gap: the log starts at seq ${seq}, not 1`
            : `sequence gap: the log resumes at seq ${seq} but the snapshot ends at ${snapSeq}`;
        }
      } else if (seq !== prev + 1) {
        return seq <= prev
          ? `sequence goes backwards: seq ${seq} after ${prev}`
          : `sequence gap: seq ${seq} after ${prev}`;
      }
      prev = seq;
      if (seg.firstSeq === 0) seg.firstSeq = seq;
      seg.lastSeq = seq;
      if (seq > snapSeq) {
        apply(state, event);
        result.replayed++;
        onEvent?.(event);
        onRecordAt?.(event, seg, offset);
      }
    });
    seg.size = scan.validEnd;
    if (scan.corrupt) {
      result.corrupt = { index: i, segment: seg, ...scan.corrupt };
      break;
    }
    if (scan.tail) {
      if (i < segments.length - 1) {
        // Only the last segment is ever being written: an unfinished line anywhere else means
        // data after it was written before it, which a clean crash cannot produce.
        result.corrupt = {
          index: i,
          segment: seg,
          line: scan.records + 1,
          offset: scan.tail.offset,
          reason: `incomplete record (${scan.tail.bytes} bytes) before the end of the log`,
        };
        break;
      }
      result.tail = { segment: seg, ...scan.tail };
    }
  }
  result.lastSeq = Math.max(prev, snapSeq);
  return result;
}

/**
 * Builds the `corrupt_log` error for a corrupt record: names the segment file and line.
 *
 * @example
 * ```ts
 * import { corruptLogError } from "./_replay.ts";
 * // corruptLogError(".kron", corruptAt).message
 * // 'corrupt record in /abs/.kron/log/000002.ndjson line 17 (bad checksum): run "kron repair" …'
 * ```
 */
export function corruptLogError(c: CorruptAt): KronError {
  return new KronError(
    "corrupt_log",
    `corrupt record in ${absolute(c.segment.path)} line ${c.line} (${c.reason}): ` +
      `run "kron repair" to keep the valid prefix (a backup is kept)`,
  );
}
