/**
 * Upcoming run times of a schedule, for `kron check` and the dashboard.
 *
 * @example
 * ```ts
 * import { nextRuns } from "./next_runs.ts";
 * nextRuns({ every: "1h" }, new Date("2026-01-01T00:00:00Z"), 2).map((d) => d.toISOString());
 * // ["2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"]
 * ```
 * @module
 */
import { ScheduleError } from "../errors.ts";
import type { ScheduleRecord } from "./types.ts";
import { compileSchedule } from "./compile.ts";
import { anchorFor } from "./spec.ts";
import type { ScheduleSpec } from "./types.ts";

/**
 * The next `n` run times strictly after `from`, as if the job were registered at `from` (so
 * `{ every }` without `startAt` is anchored there, `{ after }` counts from there).
 *
 * @example
 * ```ts
 * import { nextRuns } from "./next_runs.ts";
 * nextRuns({ cron: "0 8 * * *", timezone: "Europe/Rome" }, new Date("2026-06-01T12:00:00Z"), 1);
 * // [2026-06-02T06:00:00.000Z]
 * ```
 */
export function nextRuns(
  spec: ScheduleSpec | ScheduleRecord,
  from: Date,
  n: number,
  opts: { defaultTimezone?: string } = {},
): Date[] {
  const start = from instanceof Date ? from.getTime() : NaN;
  if (Number.isNaN(start)) throw new ScheduleError("from", "is not a valid Date");
  const schedule = compileSchedule(spec, opts);
  const anchor = anchorFor(spec, start);
  const out: Date[] = [];
  let cursor = start;
  while (out.length < n) {
    const t = schedule.next(cursor, anchor);
    if (t === null) break;
    out.push(new Date(t));
    cursor = t;
  }
  return out;
}
