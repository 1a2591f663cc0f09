/**
 * Log segments: `log/000001.ndjson`, `log/000002.ndjson`, … numbered in write order. A segment is
 * closed (never written again) once the next one exists; only the last is appended to.
 *
 * @example
 * ```ts
 * import { segmentName } from "./_segment.ts";
 * segmentName(12); // "000012.ndjson"
 * ```
 * @module
 */
import { join } from "./_fs.ts";

/**
 * What the store knows about one segment.
 *
 * @example
 * ```ts
 * const seg: SegmentInfo = newSegmentInfo(".kron", 1); // log/000001.ndjson, empty
 * ```
 */
export interface SegmentInfo {
  /** Segment number (1-based, increasing). */
  n: number;
  /** Path relative to the data dir, e.g. `log/000001.ndjson` (for reports and messages). */
  name: string;
  /** Path to open. */
  path: string;
  /** Bytes of valid records (the file may briefly be longer while a write is in flight). */
  size: number;
  /** First and last seq it holds; 0 when empty. */
  firstSeq: number;
  lastSeq: number;
}

const NAME = /^(\d{6,})\.ndjson$/;

/**
 * File name of segment `n`.
 *
 * @example
 * ```ts
 * import { segmentName } from "./_segment.ts";
 * segmentName(1); // "000001.ndjson"
 * ```
 */
export function segmentName(n: number): string {
  return `${String(n).padStart(6, "0")}.ndjson`;
}

/**
 * A fresh, empty {@link SegmentInfo} for segment `n` of the data dir `root`.
 *
 * @example
 * ```ts
 * import { newSegmentInfo } from "./_segment.ts";
 * newSegmentInfo(".kron", 3).name; // "log/000003.ndjson"
 * ```
 */
export function newSegmentInfo(root: string, n: number): SegmentInfo {
  const file = segmentName(n);
  return {
    n,
    name: `log/${file}`,
    path: join(root, "log", file),
    size: 0,
    firstSeq: 0,
    lastSeq: 0,
  };
}

/**
 * The segments in `<root>/log`, in order; other files there are ignored. No log dir = none.
 *
 * @example
 * ```ts
 * import { listSegments } from "./_segment.ts";
 * await listSegments(Deno.makeTempDirSync()); // []
 * ```
 */
export async function listSegments(root: string): Promise<SegmentInfo[]> {
  const out: SegmentInfo[] = [];
  try {
    for await (const entry of Deno.readDir(join(root, "log"))) {
      const m = entry.isFile ? NAME.exec(entry.name) : null;
      if (m) out.push(newSegmentInfo(root, parseInt(m[1], 10)));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return out.sort((a, b) => a.n - b.n);
}
