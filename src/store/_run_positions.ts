/**
 * History by index: where in the live log each job's latest run events are. The newest one is
 * where a history page starts walking (each run record links to its job's previous one, see
 * `_history_page.ts`); the others let a page walk records written before links existed.
 *
 * Each job keeps the byte positions of its last {@link SLOTS} run events (`RUN_STARTED`, ends,
 * `RUN_SPAWNED`, `RUN_DEAD`) in one fixed ring: 64 bytes a job that has run, whatever its
 * history. The writer reports positions as it writes; recovery rebuilds them from the log after
 * the snapshot. Compaction drops positions in dropped segments (what they pointed at is in the
 * snapshot's history then).
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

/**
 * Positions kept per job. Pages walk the records' links, so only the newest is needed; the few
 * others let a log written before links existed answer small queries without a scan (357 bytes a
 * job in all at 100,000 jobs, map entry included; 677 with the 48 slots kept before links).
 */
export const SLOTS = 8;
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

  /** Position of the job's newest run event in the live log, or -1. */
  newest(job: string): number {
    const ring = this.#jobs.get(job);
    if (!ring || ring.count === 0) return -1;
    return ring.pos[(ring.next - 1 + SLOTS) % SLOTS];
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
