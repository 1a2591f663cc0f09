/**
 * kron: a Deno-native job scheduler whose every run is an event in a durable log.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./mod.ts";
 * parseDuration("1h30m"); // 5_400_000
 * ```
 * @module
 */
export { formatDuration, parseDuration } from "./src/schedule/duration.ts";
export type { Duration } from "./src/schedule/duration.ts";
export { KronError, ScheduleError, TriggerRefusedError } from "./src/errors.ts";
export type * from "./src/engine/types.ts";
export type * from "./src/store/events.ts";
