/**
 * What read commands show: jobs and runs as plain JSON (camelCase, times as ISO strings), the
 * same shape whether they came from a live runtime over the socket or from the data dir.
 *
 * @example
 * ```ts
 * import type { JobView } from "./views.ts";
 * function late(j: JobView): boolean {
 *   return j.nextRunAt !== null && Date.parse(j.nextRunAt) < Date.now();
 * }
 * ```
 * @module
 */

/** One run attempt. */
export interface RunView {
  id: string;
  job: string;
  scheduledAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  attempt: number;
  outcome: string | null;
  error: string | null;
  exitCode: number | null;
  idempotencyKey: string;
  trigger: string;
  jitterMs: number;
}

/** One job's status. */
export interface JobView {
  name: string;
  kind: string;
  state: string;
  schedule: Record<string, string | number | null>;
  description: string | null;
  nextRunAt: string | null;
  pausedUntil: string | null;
  running: number;
  consecutiveFailures: number;
  lastRun: RunView | null;
  recentRuns: RunView[];
  totalRuns: number;
}

/**
 * A value as its JSON form (Dates to ISO strings): library objects become views.
 *
 * @example
 * ```ts
 * import { plain } from "./views.ts";
 * plain({ at: new Date(0) }); // { at: "1970-01-01T00:00:00.000Z" }
 * ```
 */
export function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
