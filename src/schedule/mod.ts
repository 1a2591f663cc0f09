/**
 * Schedules: cron (croner, seconds, time zones, classic-cron DST rules), every, after, at, and
 * jitter. The engine and the CLI use only this module.
 *
 * @example
 * ```ts
 * import { anchorFor, compileSchedule, toScheduleRecord } from "./mod.ts";
 * const record = toScheduleRecord({ cron: "0 8 * * MON-FRI", timezone: "Europe/Rome" });
 * const schedule = compileSchedule(record);
 * const anchor = anchorFor(record, Date.UTC(2026, 0, 1));
 * const first = schedule.next(null, anchor); // 2026-01-01T07:00Z (08:00 in Rome, a Thursday)
 * schedule.describe(); // "At 08:00, Monday through Friday (Europe/Rome)"
 * ```
 * @module
 */
export { type Duration, formatDuration, parseDuration } from "./duration.ts";
export type { CompiledSchedule, ScheduleKind, ScheduleSpec } from "./types.ts";
export { anchorFor, type ScheduleInput, toScheduleRecord } from "./spec.ts";
export { compileSchedule } from "./compile.ts";
export { nextRuns } from "./next_runs.ts";
export { jitterDelay } from "./jitter.ts";
export { validateTimezone } from "./timezone.ts";
export { describeAfter, describeAt, describeCron, describeEvery } from "./describe.ts";
export type { ScheduleRecord } from "./types.ts";
export { ScheduleError } from "../errors.ts";
