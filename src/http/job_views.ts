/**
 * What the API and the dashboard show of a job: the compact summary of `GET /v1/jobs`, the
 * full status of `GET /v1/jobs/:name`, and the schedule in words (cached: cronstrue costs tens
 * of microseconds per call, which a page of 100 jobs would pay on every request).
 *
 * @example
 * ```ts
 * import { scheduleText } from "./job_views.ts";
 * scheduleText({ cron: "0 8 * * *", timezone: "Europe/Rome" }); // "At 08:00 (Europe/Rome)"
 * scheduleText({ every: "30m", startAt: null }); // "every 30 minutes"
 * ```
 * @module
 */
import type { JobStatus, JobSummary } from "../engine/mod.ts";
import { parseDuration } from "../schedule/mod.ts";
import { describeAfter, describeAt, describeCron, describeEvery } from "../schedule/mod.ts";
import type { JobDetailJson, JobSummaryJson } from "./types.ts";

const textCache = new Map<string, string>();
const CACHE_MAX = 10_000;

/**
 * A job's schedule (as `JobStatus.schedule` holds it) in words.
 *
 * @example
 * ```ts
 * import { scheduleText } from "./job_views.ts";
 * scheduleText({ after: "10s" }); // "once, 10s after registration"
 * ```
 */
export function scheduleText(schedule: Record<string, string | number | null>): string {
  const key = JSON.stringify(schedule);
  let text = textCache.get(key);
  if (text === undefined) {
    text = describe(schedule);
    // Bounded: distinct schedules are few in practice, but never let a stream of them grow it.
    if (textCache.size >= CACHE_MAX) textCache.clear();
    textCache.set(key, text);
  }
  return text;
}

function describe(s: Record<string, string | number | null>): string {
  try {
    if (typeof s.cron === "string") {
      return describeCron(s.cron, typeof s.timezone === "string" ? s.timezone : null);
    }
    if (s.every !== undefined && s.every !== null) {
      return describeEvery(parseDuration(s.every, "every"));
    }
    if (s.after !== undefined && s.after !== null) {
      return describeAfter(parseDuration(s.after, "after"));
    }
    if (s.at !== undefined && s.at !== null) return describeAt(new Date(s.at).getTime());
  } catch {
    // A schedule the describer cannot read is still shown, as written.
  }
  return Object.entries(s).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`).join(", ");
}

/**
 * The compact summary of a job for lists.
 *
 * @example
 * ```ts
 * import { jobSummary } from "./job_views.ts";
 * // jobSummary(kron.summary("digest")).scheduleText
 * ```
 */
export function jobSummary(status: JobSummary): JobSummaryJson {
  const last = status.lastRun;
  return {
    name: status.name,
    state: status.state,
    kind: status.kind,
    schedule: status.schedule,
    scheduleText: scheduleText(status.schedule),
    nextRunAt: status.nextRunAt === null ? null : status.nextRunAt.toISOString(),
    lastRun: last === null ? null : {
      id: last.id,
      outcome: last.outcome,
      finishedAt: last.finishedAt === null ? null : last.finishedAt.toISOString(),
      exitCode: last.exitCode,
    },
    running: status.running,
    consecutiveFailures: status.consecutiveFailures,
    health: status.health,
    grace: status.grace,
    expectedAt: status.expectedAt === null ? null : status.expectedAt.toISOString(),
  };
}

/**
 * The full status of a job plus its schedule in words (dates become ISO strings in JSON).
 *
 * @example
 * ```ts
 * import { jobDetail } from "./job_views.ts";
 * // JSON.stringify(jobDetail(kron.status("digest")))
 * ```
 */
export function jobDetail(status: JobStatus): JobDetailJson {
  return JSON.parse(JSON.stringify({ ...status, scheduleText: scheduleText(status.schedule) }));
}

/**
 * {@link jobDetail} as JSON text, in one stringify (the route's answer: no parse and stringify
 * again).
 *
 * @example
 * ```ts
 * import { jobDetailText } from "./job_views.ts";
 * // new Response(jobDetailText(kron.status("digest")))
 * ```
 */
export function jobDetailText(status: JobStatus): string {
  return JSON.stringify({ ...status, scheduleText: scheduleText(status.schedule) });
}
