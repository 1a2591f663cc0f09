/**
 * Fixed-interval schedules (`every = "30m"`), anchored: occurrence k is `anchor + k * interval`,
 * so a late run never pushes the next one back (no drift). Everything is arithmetic, so catching
 * up after a 30-day outage of an `every: "1s"` job costs the same as after one second.
 *
 * @example
 * ```ts
 * import { everySchedule } from "./every.ts";
 * const s = everySchedule(1_800_000);
 * const anchor = Date.UTC(2026, 0, 1);
 * new Date(s.next(anchor + 45 * 60_000, anchor)!).toISOString(); // "2026-01-01T01:00:00.000Z"
 * ```
 * @module
 */
import { describeEvery } from "./describe.ts";
import type { CompiledSchedule } from "./types.ts";

/**
 * A compiled `every` schedule. Holds only the interval, so jobs with the same interval share it.
 *
 * @example
 * ```ts
 * import { EverySchedule } from "./every.ts";
 * new EverySchedule(60_000).describe(); // "every minute"
 * ```
 */
export class EverySchedule implements CompiledSchedule {
  /** Always `"every"`. */
  readonly kind = "every" as const;
  /** The interval in ms (> 0). */
  readonly intervalMs: number;

  /** Creates the schedule; `intervalMs` must be a positive number of ms. */
  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** The anchor when `cursorMs` is null or before it, else the next `anchor + k * interval`. */
  next(cursorMs: number | null, anchorMs: number): number | null {
    if (cursorMs === null || cursorMs < anchorMs) return anchorMs;
    return anchorMs + (Math.floor((cursorMs - anchorMs) / this.intervalMs) + 1) * this.intervalMs;
  }

  /** The last `anchor + k * interval` in `(sinceMs, atMs]`, or null. */
  latest(atMs: number, sinceMs: number, anchorMs: number): number | null {
    if (atMs < anchorMs) return null;
    const t = anchorMs + Math.floor((atMs - anchorMs) / this.intervalMs) * this.intervalMs;
    return t > sinceMs ? t : null;
  }

  /** `"every 30 minutes"`. */
  describe(): string {
    return describeEvery(this.intervalMs);
  }
}

const shared = new Map<number, EverySchedule>();

/**
 * The shared {@link EverySchedule} for an interval.
 *
 * @example
 * ```ts
 * import { everySchedule } from "./every.ts";
 * everySchedule(1000) === everySchedule(1000); // true
 * ```
 */
export function everySchedule(intervalMs: number): EverySchedule {
  let schedule = shared.get(intervalMs);
  if (!schedule) {
    schedule = new EverySchedule(intervalMs);
    if (shared.size >= 10_000) shared.delete(shared.keys().next().value!);
    shared.set(intervalMs, schedule);
  }
  return schedule;
}
