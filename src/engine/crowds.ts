/**
 * Crowded instants: when thousands of jobs fall due within a few ms, recording each of them
 * ahead (`RUN_DUE` with `ahead`, its run made ahead) takes longer than the lead an occurrence is
 * recorded by (`leadMs`, 50 ms on a data dir): 5,000 of them took 60–150 ms of the thread, so
 * the whole instant started that much late (the load torture's windows without any API client:
 * lateness p99 110–200 ms). The timer queue counts its "due" entries per window of
 * {@link CROWD_WINDOW_MS}; a window with {@link CROWD_MIN} or more is recorded earlier, by
 * {@link CROWD_LEAD_PER_ENTRY_MS} per entry (at most {@link CROWD_LEAD_MAX_MS}) before the
 * window starts, in slices of {@link CROWD_SLICE} entries with a turn of the event loop between
 * them (requests are answered meanwhile).
 *
 * Windows, not exact times: interval jobs defined one after another fall due in many groups a
 * ms apart (5,000 every-10 s jobs of the load torture: ~40 groups of ~125 over 40 ms), each far
 * below the threshold, but together 2.5 times more recording than the thread does in that time:
 * counted per time, they went at the plain lead and started 25–81 ms late, the later groups the
 * later.
 *
 * @example
 * ```ts
 * import { Crowds } from "./crowds.ts";
 * const crowds = new Crowds();
 * for (let i = 0; i < 5_000; i++) crowds.add(10_000 + (i % 40)); // due over 40 ms
 * crowds.wakeAt(); // 9800: 5,000 entries × 0.04 ms before the window of 10000
 * crowds.horizon(9_900); // 10049: the window's entries may be recorded now
 * ```
 * @module
 */

/** Entries due within one window from which the window is recorded early. */
export const CROWD_MIN = 256;
/**
 * The window (ms) entries are counted in. At the threshold a window's records take ~5 ms of the
 * thread (256 × 0.02 ms), well within it; more, and they are recorded before it starts.
 */
export const CROWD_WINDOW_MS = 50;
/** How much earlier per entry of a crowded window (twice what recording one costs, measured). */
export const CROWD_LEAD_PER_ENTRY_MS = 0.04;
/** The earliest a crowded window is recorded before it starts. */
export const CROWD_LEAD_MAX_MS = 1_000;
/** Entries of a crowded window recorded per wake-up (a turn of the event loop between slices). */
export const CROWD_SLICE = 512;

/** The start of the window `at` is counted in. */
const windowOf = (at: number) => Math.floor(at / CROWD_WINDOW_MS) * CROWD_WINDOW_MS;

/** Counts of "due" entries per window, and the crowded windows among them (module docs). */
export class Crowds {
  /** Entries per window start. */
  readonly #counts = new Map<number, number>();
  /** Window starts with at least {@link CROWD_MIN} entries (a handful at most). */
  readonly #crowded = new Set<number>();

  /** An entry for `at` was queued. */
  add(at: number): void {
    const w = windowOf(at);
    const n = (this.#counts.get(w) ?? 0) + 1;
    this.#counts.set(w, n);
    if (n === CROWD_MIN) this.#crowded.add(w);
  }

  /**
   * An entry for `at` was fired or killed. A crowded window stays crowded until its last entry
   * leaves: its last slice is recorded early too, not at the plain lead when the thread may be
   * busiest (the records of the slices before, the runs of the groups due just before).
   */
  remove(at: number): void {
    const w = windowOf(at);
    const n = (this.#counts.get(w) ?? 0) - 1;
    if (n <= 0) {
      this.#counts.delete(w);
      this.#crowded.delete(w);
    } else this.#counts.set(w, n);
  }

  /** How much earlier than its window's start `at` is recorded (0: not crowded). */
  leadOf(at: number): number {
    const w = windowOf(at);
    if (!this.#crowded.has(w)) return 0;
    return Math.min(CROWD_LEAD_MAX_MS, this.#counts.get(w)! * CROWD_LEAD_PER_ENTRY_MS);
  }

  /** When the earliest crowded window is to be recorded (Infinity: none). */
  wakeAt(): number {
    let wake = Infinity;
    for (const w of this.#crowded) wake = Math.min(wake, w - this.leadOf(w));
    return wake;
  }

  /**
   * The last time of the latest crowded window whose recording may start by `now`
   * (−Infinity: none): the entries due by then may be recorded.
   */
  horizon(now: number): number {
    let latest = -Infinity;
    for (const w of this.#crowded) {
      if (w - this.leadOf(w) <= now) latest = Math.max(latest, w + CROWD_WINDOW_MS - 1);
    }
    return latest;
  }

  /** Forgets every count (the queue stopped). */
  clear(): void {
    this.#counts.clear();
    this.#crowded.clear();
  }
}
