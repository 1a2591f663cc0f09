/**
 * Types shared by the schedule modules: what users write ({@link ScheduleSpec}) and what the
 * engine evaluates ({@link CompiledSchedule}).
 *
 * @example
 * ```ts
 * import type { ScheduleSpec } from "./types.ts";
 * const nightly: ScheduleSpec = { cron: "0 3 * * *", timezone: "Europe/Rome" };
 * ```
 * @module
 */
import type { Duration } from "./duration.ts";

/**
 * One schedule as a user writes it: exactly one of `cron`, `every`, `after`, `at`.
 *
 * @example
 * ```ts
 * import type { ScheduleSpec } from "./types.ts";
 * const specs: ScheduleSpec[] = [
 *   { cron: "*\/5 * * * *" },
 *   { every: "30m", startAt: "2026-01-01T00:00:00Z" },
 *   { after: "10s" },
 *   { at: "2026-12-24T18:00:00Z" },
 * ];
 * ```
 */
export type ScheduleSpec =
  | { cron: string; timezone?: string }
  | { every: Duration; startAt?: Date | string }
  | { after: Duration }
  | { at: Date | string | number };

/** The four kinds of schedule. */
export type ScheduleKind = "cron" | "every" | "after" | "at";

/**
 * A schedule ready to evaluate. Stateless and shared between jobs: each job keeps its own anchor
 * (see `anchorFor`) and cursor (the last nominal run) and passes them in. Times are epoch ms.
 *
 * @example
 * ```ts
 * import { compileSchedule } from "./compile.ts";
 * const s = compileSchedule({ every: "30m" });
 * const anchor = Date.UTC(2026, 0, 1);
 * s.next(null, anchor); // anchor: the first run
 * s.next(anchor + 1, anchor); // anchor + 30 min
 * s.latest(anchor + 65 * 60_000, anchor, anchor); // anchor + 60 min
 * ```
 */
export interface CompiledSchedule {
  /** Which kind of schedule this is. */
  readonly kind: ScheduleKind;
  /**
   * The next nominal occurrence strictly after `cursorMs`. With `cursorMs === null`, the first
   * occurrence: the anchor itself for every/after/at, the first match strictly after the anchor
   * for cron. `every` runs at `anchor + k * interval` (k ≥ 0), so it never drifts. One-shots:
   * the anchor if it is after the cursor, else null.
   */
  next(cursorMs: number | null, anchorMs: number): number | null;
  /**
   * The latest occurrence in `(sinceMs, atMs]`, or null (misfire catch-up). Cheap for any window:
   * arithmetic for every, a backward search for cron. Agrees with {@link next}.
   */
  latest(atMs: number, sinceMs: number, anchorMs: number): number | null;
  /** In words: `"At 08:00 (Europe/Rome)"`, `"every 30 minutes"`, `"once at 2026-…Z"`. */
  describe(): string;
}

/**
 * The schedule part of a job definition as stored in the log (durations kept as written).
 *
 * @example
 * ```ts
 * import type { ScheduleRecord } from "./types.ts";
 * const s: ScheduleRecord = { every: "30m", startAt: null };
 * ```
 */
export type ScheduleRecord =
  | { cron: string; timezone: string | null }
  | { every: string | number; startAt: string | null }
  | { after: string | number }
  | { at: string };
