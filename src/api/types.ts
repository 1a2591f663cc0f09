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
import type { JobStatus, RunRecord } from "../engine/types.ts";
import type { KronEvent } from "../store/events.ts";

/** `T` as JSON makes it: every `Date` becomes an ISO string. */
export type Wire<T> = T extends Date ? string
  : T extends (infer U)[] ? Wire<U>[]
  : T extends object ? { [K in keyof T]: Wire<T[K]> }
  : T;

/** One run attempt (`GET /v1/runs/:id`, items of `GET /v1/jobs/:name/runs`). */
export type RunJson = Wire<RunRecord>;

/** The last run in a job summary. */
export interface LastRunJson {
  id: string;
  outcome: RunRecord["outcome"];
  finishedAt: string | null;
  exitCode: number | null;
}

/** One job in `GET /v1/jobs`. */
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
}

/** `GET /v1/jobs`. */
export interface JobListJson {
  jobs: JobSummaryJson[];
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** `GET /v1/jobs/:name`: the full status plus the schedule in words. */
export type JobDetailJson = Wire<JobStatus> & { scheduleText: string };

/** `GET /v1/jobs/:name/runs`. */
export interface RunListJson {
  runs: RunJson[];
}

/** `POST /v1/jobs/:name/trigger` (202). */
export interface TriggerJson {
  runId: string;
}

/** `POST /v1/reload`. */
export interface ReloadJson {
  added: string[];
  changed: string[];
  removed: string[];
}

/** `POST /v1/compact`. */
export interface CompactJson {
  compacted: true;
}

/** `DELETE /v1/jobs/:name`. */
export interface ForgetJson {
  forgotten: string;
}

/** `GET /healthz`. */
export type HealthJson = { status: "ok" } | { status: "error"; reason: string };

/** One message of `GET /v1/events`: `id` is the event's sequence number. */
export interface ServerEvent {
  id: number;
  /** The event type (`RUN_STARTED`, …), or `gap` when events were lost to compaction. */
  type: string;
  data: KronEvent | GapJson;
}

/**
 * Sent instead of events that can no longer be replayed (compacted away): the client should
 * re-read the state it shows.
 */
export interface GapJson {
  /** The `Last-Event-ID` the client asked to resume after. */
  after: number;
  /** The first sequence number that could be replayed. */
  resumedAt: number;
}
