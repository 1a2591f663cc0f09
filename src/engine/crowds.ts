/**
 * Crowded instants: when thousands of jobs share a due time, recording each of them ahead
 * (`RUN_DUE` with `ahead`, its run made ahead) takes longer than the lead an occurrence is
 * recorded by (`leadMs`, 50 ms on a data dir): 5,000 of them took 60–150 ms of the thread, so
 * the whole instant started that much late (the load torture's windows without any API client:
 * lateness p99 110–200 ms). The timer queue counts its "due" entries per time; an instant with
 * {@link CROWD_MIN} or more is recorded earlier, by {@link CROWD_LEAD_PER_ENTRY_MS} per entry
 * (at most {@link CROWD_LEAD_MAX_MS}), in slices of {@link CROWD_SLICE} entries with a turn of
 * the event loop between them (requests are answered meanwhile).
 *
 * @example
 * ```ts
 * import { Crowds } from "./crowds.ts";
 * const crowds = new Crowds();
 * for (let i = 0; i < 5_000; i++) crowds.add(10_000);
 * crowds.wakeAt(); // 9800: 5,000 entries × 0.04 ms early
 * crowds.horizon(9_900); // 10000: the instant may be recorded now
 * ```
 * @module
 */

/** Entries sharing a time from which that time is recorded early. */
export const CROWD_MIN = 256;
/** How much earlier per entry of a crowded time (twice what recording one costs, measured). */
export const CROWD_LEAD_PER_ENTRY_MS = 0.04;
/** The earliest a crowded time is recorded before its entries' time. */
export const CROWD_LEAD_MAX_MS = 1_000;
/** Entries of a crowded time recorded per wake-up (a turn of the event loop between slices). */
export const CROWD_SLICE = 512;

/** Counts of "due" entries per time, and the crowded times among them (module docs). */
export class Crowds {
  readonly #counts = new Map<number, number>();
  /** Times with at least {@link CROWD_MIN} entries (a handful at most). */
  readonly #crowded = new Set<number>();

  /** An entry for `at` was queued. */
  add(at: number): void {
    const n = (this.#counts.get(at) ?? 0) + 1;
    this.#counts.set(at, n);
    if (n === CROWD_MIN) this.#crowded.add(at);
  }

  /** An entry for `at` was fired or killed. */
  remove(at: number): void {
    const n = (this.#counts.get(at) ?? 0) - 1;
    if (n <= 0) this.#counts.delete(at);
    else this.#counts.set(at, n);
    if (n < CROWD_MIN) this.#crowded.delete(at);
  }

  /** How much earlier than `at` its entries are recorded (0: not crowded). */
  leadOf(at: number): number {
    if (!this.#crowded.has(at)) return 0;
    return Math.min(CROWD_LEAD_MAX_MS, this.#counts.get(at)! * CROWD_LEAD_PER_ENTRY_MS);
  }

  /** When the earliest crowded time is to be recorded (Infinity: none). */
  wakeAt(): number {
    let wake = Infinity;
    for (const at of this.#crowded) wake = Math.min(wake, at - this.leadOf(at));
    return wake;
  }

  /** The latest crowded time whose recording may start by `now` (−Infinity: none). */
  horizon(now: number): number {
    let latest = -Infinity;
    for (const at of this.#crowded) if (at - this.leadOf(at) <= now) latest = Math.max(latest, at);
    return latest;
  }

  /** Forgets every count (the queue stopped). */
  clear(): void {
    this.#counts.clear();
    this.#crowded.clear();
  }
}
