/**
 * Job routes: list (paginated), status, history, trigger, ping, pause, resume, forget.
 *
 * ```
 * GET    /v1/jobs?limit=&cursor=     200 { jobs, nextCursor }
 * GET    /v1/jobs/:name              200 status + scheduleText      404 unknown job
 * GET    /v1/jobs/:name/runs?limit=&before=  200 { runs }, next page: X-Next-Cursor, Link
 * POST   /v1/jobs/:name/trigger      202 { runId }                  409 overlap "skip"
 * POST   /v1/jobs/:name/ping         200 { runId }   body {} | {"kind":"start"|"success"|"fail",
 *                                    "exitCode":N}                  409 not a watched job
 * POST   /v1/jobs/:name/pause        200 status   body {} | {"for":"24h"} | {"until":"…"}
 * POST   /v1/jobs/:name/resume       200 status
 * DELETE /v1/jobs/:name              200 { forgotten }              409 still defined
 * ```
 *
 * @example
 * ```ts
 * import { jobRoutes } from "./jobs.ts";
 * // app.route("/", jobRoutes(deps));
 * ```
 * @module
 */
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import {
  ApiError,
  JOB_NAME_RE,
  jobDetailText,
  jobNameParam,
  jobSummary,
  jsonBody,
  limitParam,
  onlyKeys,
  pauseOptions,
} from "../../http/mod.ts";
import { jobNamesFor } from "../_job_names.ts";
import { JOBS_PAGE } from "../_front_views.ts";
import { summariesFor } from "../_summary_cache.ts";
import type { JobListJson, JobSummaryJson } from "../../http/mod.ts";
import { KronError } from "../../errors.ts";
import type { AdminHost } from "../host.ts";
import type { Ping } from "../../engine/mod.ts";

export { JOBS_PAGE };

/**
 * Default and largest `limit` of `GET /v1/jobs/:name/runs`.
 *
 * @example
 * ```ts
 * import { RUNS_PAGE } from "./jobs.ts";
 * RUNS_PAGE.max; // 1000
 * ```
 */
export const RUNS_PAGE = { default: 20, max: 1000 } as const;

/** A history cursor (`<runId>~<from>~<pending>`, base 36) or a run id. */
const HISTORY_CURSOR_RE =
  /^[0-9A-Za-z_-]{1,64}(~(-1|[0-9a-z]{1,11})~([0-9a-z]{1,11}(,[0-9a-z]{1,11})*)?)?$/;

/**
 * One page of job summaries.
 *
 * @example
 * ```ts
 * import { listJobs } from "./jobs.ts";
 * // listJobs(kron, null, 100) → { jobs: [...], nextCursor: "…" | null }
 * ```
 */
export function listJobs(
  deps: Pick<AdminDeps, "kron">,
  cursor: string | null,
  limit: number,
): JobListJson {
  const { names, next } = jobNamesFor(deps.kron).page(cursor, limit);
  const jobs: JobSummaryJson[] = [];
  for (const name of names) {
    try {
      jobs.push(jobSummary(deps.kron.summary(name)));
    } catch (e) {
      // Forgotten between listing and reading: leave it out of this page.
      if (!(e instanceof KronError && e.code === "unknown_job")) throw e;
    }
  }
  return { jobs, nextCursor: next };
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/**
 * `listJobs` as JSON text, the same bytes, from each job's summary kept as text until that job
 * changes (see `_summary_cache.ts`): a page of 1,000 jobs costs 1,000 lookups while they stand
 * still, not 1,000 summaries. Not kept before `start()`, where provisional next-run times move
 * with the clock.
 *
 * @example
 * ```ts
 * import { listJobsJson } from "./jobs.ts";
 * // JSON.parse(listJobsJson(kron, null, 100)).jobs.length
 * ```
 */
export function listJobsJson(kron: AdminHost, cursor: string | null, limit: number): string {
  if (!kron.engine.running) return JSON.stringify(listJobs({ kron }, cursor, limit));
  const { names, next } = jobNamesFor(kron).page(cursor, limit);
  const summaries = summariesFor(kron);
  const now = Date.now();
  const jobs: string[] = [];
  for (const name of names) {
    const json = summaries.json(name, now);
    if (json !== null) jobs.push(json);
  }
  return `{"jobs":[${jobs.join(",")}],"nextCursor":${JSON.stringify(next)}}`;
}

/**
 * The job routes.
 *
 * @example
 * ```ts
 * import { jobRoutes } from "./jobs.ts";
 * // app.route("/", jobRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function jobRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { kron } = deps;
  const app = new Hono<AdminEnv>();

  app.get("/v1/jobs", (c) => {
    const limit = limitParam(c.req.query("limit"), JOBS_PAGE.default, JOBS_PAGE.max);
    const cursor = c.req.query("cursor") ?? null;
    if (cursor !== null && !JOB_NAME_RE.test(cursor)) {
      throw new ApiError(400, "bad_request", "cursor is not one this server handed out");
    }
    return new Response(listJobsJson(deps.kron, cursor, limit), { headers: JSON_HEADERS });
  });

  app.get(
    "/v1/jobs/:name",
    (c) =>
      new Response(jobDetailText(kron.status(jobNameParam(c.req.param("name")))), {
        headers: JSON_HEADERS,
      }),
  );

  app.get("/v1/jobs/:name/runs", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const limit = limitParam(c.req.query("limit"), RUNS_PAGE.default, RUNS_PAGE.max);
    const before = c.req.query("before");
    if (before !== undefined && !HISTORY_CURSOR_RE.test(before)) {
      throw new ApiError(400, "bad_request", "before is not a cursor this server handed out");
    }
    const page = await kron.historyPage(name, before === undefined ? { limit } : { limit, before });
    // The body keeps its shape; the next page is in the headers.
    if (page.next !== null) {
      const next = `/v1/jobs/${encodeURIComponent(name)}/runs?limit=${limit}&before=${
        encodeURIComponent(page.next)
      }`;
      c.header("x-next-cursor", page.next);
      c.header("link", `<${next}>; rel="next"`);
    }
    return c.json({ runs: page.runs });
  });

  app.post("/v1/jobs/:name/trigger", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    onlyKeys(await jsonBody(c.req.raw), []);
    const runId = await kron.trigger(name);
    return c.json({ runId }, 202);
  });

  app.post("/v1/jobs/:name/ping", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const runId = await kron.ping(name, pingBody(await jsonBody(c.req.raw)));
    return c.json({ runId });
  });

  app.post("/v1/jobs/:name/pause", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const options = pauseOptions(await jsonBody(c.req.raw));
    kron.pause(name, options);
    return new Response(jobDetailText(kron.status(name)), { headers: JSON_HEADERS });
  });

  app.post("/v1/jobs/:name/resume", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    onlyKeys(await jsonBody(c.req.raw), []);
    kron.resume(name);
    return new Response(jobDetailText(kron.status(name)), { headers: JSON_HEADERS });
  });

  app.delete("/v1/jobs/:name", (c) => {
    const name = jobNameParam(c.req.param("name"));
    kron.forget(name);
    return c.json({ forgotten: name });
  });

  return app;
}

/** A ping's body: `{}` (success), `{ kind }`, `{ exitCode }` (non-zero: a failure). */
function pingBody(body: Record<string, unknown>): Ping {
  onlyKeys(body, ["kind", "exitCode"]);
  const kind = body.kind ?? "success";
  if (kind !== "start" && kind !== "success" && kind !== "fail") {
    throw new ApiError(400, "bad_request", `kind must be "start", "success" or "fail"`);
  }
  const exitCode = body.exitCode ?? null;
  if (exitCode !== null && (!Number.isInteger(exitCode) || (exitCode as number) < 0)) {
    throw new ApiError(400, "bad_request", `exitCode must be an integer >= 0`);
  }
  if (kind === "start" && exitCode !== null) {
    throw new ApiError(400, "bad_request", `a start has no exitCode`);
  }
  const failed = kind === "fail" || (exitCode !== null && exitCode !== 0);
  return {
    kind: kind === "start" ? "start" : failed ? "fail" : "success",
    exitCode: exitCode as number | null,
  };
}
