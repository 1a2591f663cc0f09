/**
 * What read commands show, in the admin API's JSON shapes (camelCase, times as ISO strings),
 * whether they came from a live runtime over the socket or from the data dir offline: a job
 * list holds summaries (`JobSummaryJson`), one job its full status (`JobDetailJson`).
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
import type { JobDetailJson, JobSummaryJson, RunJson } from "../http/client.ts";

/**
 * One job in a list.
 *
 * @example
 * ```ts
 * import type { JobView } from "./views.ts";
 * const label = (j: JobView) => `${j.name} ${j.state}`;
 * ```
 */
export type JobView = JobSummaryJson;
/**
 * One job in detail.
 *
 * @example
 * ```ts
 * import type { JobDetailView } from "./views.ts";
 * const words = (j: JobDetailView) => j.scheduleText;
 * ```
 */
export type JobDetailView = JobDetailJson;
/**
 * One run attempt.
 *
 * @example
 * ```ts
 * import type { RunView } from "./views.ts";
 * const ok = (r: RunView) => r.outcome === "succeeded";
 * ```
 */
export type RunView = RunJson;

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
