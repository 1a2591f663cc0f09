/**
 * Compiles a schedule record (or spec) into a {@link CompiledSchedule} the engine evaluates.
 * Compiled schedules are stateless and shared: all jobs with the same cron expression and time
 * zone hold one object (the parsed pattern behind it is shared across time zones too), all jobs
 * with the same interval another. So a job costs its record and anchor, not a parser.
 *
 * @example
 * ```ts
 * import { compileSchedule } from "./compile.ts";
 * const s = compileSchedule({ cron: "0 8 * * *", timezone: "Europe/Rome" });
 * new Date(s.next(null, Date.UTC(2026, 0, 1))!).toISOString(); // "2026-01-01T07:00:00.000Z"
 * ```
 * @module
 */
import type { ScheduleRecord } from "./types.ts";
import { cronSchedule } from "./cron.ts";
import { describeAfter, describeAt } from "./describe.ts";
import { parseDuration } from "./duration.ts";
import { everySchedule } from "./every.ts";
import { OneShotSchedule } from "./one_shot.ts";
import { intervalOf, type ScheduleInput, scheduleKind, toInstant } from "./spec.ts";
import type { CompiledSchedule, ScheduleSpec } from "./types.ts";

/**
 * Compiles a record or spec once. A cron schedule with no time zone of its own uses
 * `defaultTimezone`, else the process's time zone. Throws {@link ScheduleError} when invalid.
 *
 * @example
 * ```ts
 * import { compileSchedule } from "./compile.ts";
 * compileSchedule({ every: "30m", startAt: null }).describe(); // "every 30 minutes"
 * compileSchedule({ cron: "0 3 * * *", timezone: null }, { defaultTimezone: "UTC" }).describe();
 * // "At 03:00 (UTC)"
 * ```
 */
export function compileSchedule(
  spec: ScheduleRecord | ScheduleSpec,
  opts: { defaultTimezone?: string } = {},
): CompiledSchedule {
  const s = spec as ScheduleInput & { timezone?: string | null };
  switch (scheduleKind(spec)) {
    case "cron":
      return cronSchedule(s.cron!, s.timezone ?? opts.defaultTimezone ?? null);
    case "every":
      return everySchedule(intervalOf(s.every!));
    case "after":
      return new OneShotSchedule("after", describeAfter(parseDuration(s.after!, "after")));
    case "at":
      return new OneShotSchedule("at", describeAt(toInstant(s.at!, "at")));
  }
}
