/**
 * The JSON shapes of the admin API, as they travel (dates as ISO strings). The server builds
 * them from the engine's views; the client ({@link ./client.ts}) returns them parsed.
 *
 * @example
 * ```ts
 * import type { JobSummaryJson } from "./types.ts";
 * function label(j: JobSummaryJson): string {
 *   return `${j.name} (${j.state}) next ${j.nextRunAt ?? "never"}`;
 * }
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../engine/mod.ts";
import type { KronEvent } from "../events/mod.ts";

/**
 * `T` as JSON makes it: every `Date` becomes an ISO string.
 *
 * @example
 * ```ts
 * import type { Wire } from "./types.ts";
 * const when: Wire<{ at: Date }> = { at: "2026-01-01T00:00:00.000Z" };
 * ```
 */
export type Wire<T> = T extends Date ? string
  : T extends (infer U)[] ? Wire<U>[]
  : T extends object ? { [K in keyof T]: Wire<T[K]> }
  : T;

/**
 * One run attempt (`GET /v1/runs/:id`, items of `GET /v1/jobs/:name/runs`).
 *
 * @example
 * ```ts
 * import type { RunJson } from "./types.ts";
 * const failed = (r: RunJson) => r.outcome === "failed";
 * ```
 */
export type RunJson = Wire<RunRecord>;

/**
 * The last run in a job summary.
 *
 * @example
 * ```ts
 * import type { LastRunJson } from "./types.ts";
 * const ok = (r: LastRunJson | null) => r?.outcome === "succeeded";
 * ```
 */
export interface LastRunJson {
  id: string;
  outcome: RunRecord["outcome"];
  finishedAt: string | null;
  exitCode: number | null;
}

/**
 * One job in `GET /v1/jobs`.
 *
 * @example
 * ```ts
 * import type { JobSummaryJson } from "./types.ts";
 * const line = (j: JobSummaryJson) => `${j.name} ${j.state} ${j.scheduleText}`;
 * ```
 */
export interface JobSummaryJson {
  name: string;
  state: JobStatus["state"];
  kind: JobStatus["kind"];
  schedule: JobStatus["schedule"];
  /** The schedule in words, e.g. "At 08:00 (Europe/Rome)". */
  scheduleText: string;
  nextRunAt: string | null;
  lastRun: LastRunJson | null;
  running: number;
  consecutiveFailures: number;
  /** `ok`, `late` or `down` (jobs with a grace; see `state` for what wins). */
  health: JobStatus["health"];
  /** The grace (`"10m"`), or null: never late. */
  grace: string | null;
  /** Due time of the first occurrence not yet succeeded (graced jobs), ISO, or null. */
  expectedAt: string | null;
}

/**
 * `GET /v1/jobs`.
 *
 * @example
 * ```ts
 * import type { JobListJson } from "./types.ts";
 * const more = (page: JobListJson) => page.nextCursor !== null;
 * ```
 */
export interface JobListJson {
  jobs: JobSummaryJson[];
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * `GET /v1/jobs/:name`: the full status plus the schedule in words.
 *
 * @example
 * ```ts
 * import type { JobDetailJson } from "./types.ts";
 * const paused = (j: JobDetailJson) => j.pausedUntil;
 * ```
 */
export type JobDetailJson = Wire<JobStatus> & { scheduleText: string };

/**
 * `GET /v1/jobs/:name/runs`.
 *
 * @example
 * ```ts
 * import type { RunListJson } from "./types.ts";
 * const newest = (l: RunListJson) => l.runs[0]?.id;
 * ```
 */
export interface RunListJson {
  runs: RunJson[];
}

/**
 * `POST /v1/jobs/:name/trigger` (202).
 *
 * @example
 * ```ts
 * import type { TriggerJson } from "./types.ts";
 * const t: TriggerJson = { runId: "01M85X24Q7JVY3ZX1BV5FTWPV4" };
 * ```
 */
export interface TriggerJson {
  runId: string;
}

/**
 * `POST /v1/reload`.
 *
 * @example
 * ```ts
 * import type { ReloadJson } from "./types.ts";
 * const r: ReloadJson = { added: ["b"], changed: [], removed: [] };
 * ```
 */
export interface ReloadJson {
  added: string[];
  changed: string[];
  removed: string[];
}

/**
 * `POST /v1/compact`.
 *
 * @example
 * ```ts
 * import type { CompactJson } from "./types.ts";
 * const c: CompactJson = { compacted: true };
 * ```
 */
export interface CompactJson {
  compacted: true;
}

/**
 * `DELETE /v1/jobs/:name`.
 *
 * @example
 * ```ts
 * import type { ForgetJson } from "./types.ts";
 * const f: ForgetJson = { forgotten: "old-job" };
 * ```
 */
export interface ForgetJson {
  forgotten: string;
}

/**
 * `GET /healthz`.
 *
 * @example
 * ```ts
 * import type { HealthJson } from "./types.ts";
 * const h: HealthJson = { status: "error", reason: "kron is not running" };
 * ```
 */
export type HealthJson = { status: "ok" } | { status: "error"; reason: string };

/**
 * One message of `GET /v1/events`: `id` is the event's sequence number.
 *
 * @example
 * ```ts
 * import type { ServerEvent } from "./types.ts";
 * const label = (e: ServerEvent) => `${e.id} ${e.type}`;
 * ```
 */
export interface ServerEvent {
  id: number;
  /** The event type (`RUN_STARTED`, …), or `gap` when events were lost to compaction. */
  type: string;
  data: KronEvent | GapJson;
}

/**
 * Sent instead of events that can no longer be replayed (compacted away): the client should
 * re-read the state it shows.
 *
 * @example
 * ```ts
 * import type { GapJson } from "./types.ts";
 * const g: GapJson = { after: 42, resumedAt: 977 };
 * ```
 */
export interface GapJson {
  /** The `Last-Event-ID` the client asked to resume after. */
  after: number;
  /** The first sequence number that could be replayed. */
  resumedAt: number;
}
