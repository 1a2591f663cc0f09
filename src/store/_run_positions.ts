/**
 * History by index: where in the live log each job's latest run events are, so a history query
 * reads the few records it returns (O(limit)) instead of every live segment (O(log)).
 *
 * Each job keeps the byte positions of its last {@link SLOTS} run events (`RUN_STARTED`, ends,
 * `RUN_SPAWNED`, `RUN_DEAD`) in one fixed ring: 384 bytes a job that has run, whatever its
 * history. The writer reports positions as it writes; recovery rebuilds them from the log after
 * the snapshot. A query walks the ring newest first, reading one record per position, until it
 * has `limit` starts; when the ring does not reach that far and older events were pushed out of
 * it, the caller falls back to the scan. Compaction drops positions in dropped segments (what they
 * pointed at is in the snapshot's history then).
 *
 * @example
 * ```ts
 * import { RunPositions } from "./_run_positions.ts";
 * const p = new RunPositions();
 * p.add("digest", 1, 0);
 * p.newestFirst("digest")?.positions; // [4294967296]: segment 1, offset 0
 * ```
 * @module
 */
import type { KronEvent } from "./events.ts";
import type { RunEntry } from "./state.ts";
import { RunIndex } from "./_runs.ts";
import { readSnapshotRuns, type SnapshotView } from "./_snapshot.ts";

/** Positions kept per job: 24 runs of a start and an end, more than the default limit of 20. */
export const SLOTS = 48;
const SEGMENT = 2 ** 32;

interface Ring {
  /** `segment * 2^32 + offset` of the job's last run events; `next` is the oldest slot. */
  pos: Float64Array;
  next: number;
  count: number;
  /** Older run events of the job in the live log were pushed out of the ring. */
  evicted: boolean;
}

/**
 * Per-job rings of run event positions.
 *
 * @example
 * ```ts
 * import { RunPositions } from "./_run_positions.ts";
 * const p = new RunPositions();
 * p.add("a", 2, 128);
 * p.newestFirst("a")?.complete; // true: nothing was pushed out
 * ```
 */
export class RunPositions {
  readonly #jobs = new Map<string, Ring>();

  /** Records that a run event of `job` was written at `offset` of segment number `segment`. */
  add(job: string, segment: number, offset: number): void {
    let ring = this.#jobs.get(job);
    if (!ring) {
      ring = { pos: new Float64Array(SLOTS), next: 0, count: 0, evicted: false };
      this.#jobs.set(job, ring);
    }
    if (ring.count === SLOTS) ring.evicted = true;
    else ring.count++;
    ring.pos[ring.next] = segment * SEGMENT + offset;
    ring.next = (ring.next + 1) % SLOTS;
  }

  /**
   * The job's positions, newest first, and whether they are all of its run events in the live
   * log (`complete`); null when it has none there.
   */
  newestFirst(job: string): { positions: number[]; complete: boolean } | null {
    const ring = this.#jobs.get(job);
    if (!ring || ring.count === 0) return null;
    const positions: number[] = [];
    for (let i = 1; i <= ring.count; i++) positions.push(ring.pos[(ring.next - i + SLOTS) % SLOTS]);
    return { positions, complete: !ring.evicted };
  }

  /**
   * Forgets positions in segments numbered below `first` (dropped by compaction). A ring that
   * lost one had everything older in those segments too: it is complete again.
   */
  dropSegmentsBefore(first: number): void {
    for (const [job, ring] of this.#jobs) {
      const kept = this.newestFirst(job)!.positions.filter((p) => Math.floor(p / SEGMENT) >= first);
      if (kept.length === ring.count) continue;
      if (kept.length === 0) {
        this.#jobs.delete(job);
        continue;
      }
      ring.pos.fill(0);
      kept.reverse().forEach((p, i) => ring.pos[i] = p);
      ring.count = kept.length;
      ring.next = kept.length % SLOTS;
      ring.evicted = false;
    }
  }
}

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

/**
 * A job's latest runs from the index, most recent first, or null when the index does not reach
 * `limit` runs back (the caller scans then). `pathOf` maps a live segment number to its file.
 *
 * @example
 * ```ts
 * import { indexedHistory, RunPositions } from "./_run_positions.ts";
 * await indexedHistory(".kron", null, new RunPositions(), () => null, "digest", 20); // []
 * ```
 */
export async function indexedHistory(
  root: string,
  snapshot: SnapshotView | null,
  index: RunPositions,
  pathOf: (segment: number) => string | null,
  job: string,
  limit: number,
): Promise<RunEntry[] | null> {
  const found = index.newestFirst(job);
  const events: (KronEvent & { seq: number })[] = [];
  let starts = 0;
  const files = new Map<number, Deno.FsFile>();
  try {
    for (const p of found?.positions ?? []) {
      const n = Math.floor(p / SEGMENT);
      let file = files.get(n);
      if (!file) {
        const path = pathOf(n);
        if (path === null) return null; // dropped meanwhile: let the scan answer
        files.set(n, file = Deno.openSync(path, { read: true }));
      }
      const e = JSON.parse(readLine(file, p % SEGMENT)) as KronEvent & { seq: number };
      if (snapshot && e.seq <= snapshot.seq) continue; // the snapshot's history has it
      events.push(e);
      if (e.type === "RUN_STARTED" && ++starts === limit) break;
    }
  } finally {
    for (const f of files.values()) f.close();
  }
  const enough = starts === limit;
  if (!enough && found && !found.complete) return null;
  const idx = new RunIndex();
  if (!enough && snapshot) idx.seed(job, await readSnapshotRuns(root, snapshot, job));
  // With `limit` starts in hand, ends of runs started before them are not part of the answer.
  const started = new Set(
    events.filter((e) => e.type === "RUN_STARTED").map((e) => (e as { runId: string }).runId),
  );
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (enough && e.type !== "RUN_STARTED" && !started.has((e as { runId: string }).runId)) {
      continue;
    }
    idx.add(e);
  }
  const runs = idx.runs(job);
  const out: RunEntry[] = [];
  for (let i = runs.length - 1; i >= 0 && out.length < limit; i--) out.push(runs[i]);
  return out;
}
