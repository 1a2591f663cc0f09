/**
 * A kron job file in TypeScript:
 * `kron run examples/jobs.ts --allow-net=mail.example.com --allow-run=psql,logger`
 * (`digest` asks for net access to mail.example.com, which must be granted; the command job
 * runs psql and its on_failure hook logger).
 *
 * The default export maps job names to definitions: the same fields as `jobs.toml`, in
 * camelCase, plus `run` for jobs written as functions. `defineJobs` only adds types; a plain
 * object works the same. Each `run` job runs in a sandboxed worker with the permissions given
 * to `kron run` (narrowed further by its `permissions`). Jobs with equal permissions share a
 * pool of workers, and with it this module's top-level state; `isolate: true` gives a job a
 * worker of its own.
 *
 * @module
 */
import { defineJobs, type KronSettings } from "../define.ts";

/** Runtime settings, as the `[kron]` table of jobs.toml. Flags and env variables override. */
export const kron: KronSettings = {
  timezone: "Europe/Rome", // default time zone of cron jobs that set none
  logFormat: "json",
  shutdownTimeout: "30s",
  // sandboxWorkers: 2, // workers per permission set at most (default: CPU cores)
};

export default defineJobs({
  // A function job. `ctx.signal` aborts on timeout, `overlap: "replace"` and shutdown: pass it
  // on so the work stops. `ctx.idempotencyKey` ("digest:2026-03-02T07:00:00.000Z") is the same
  // for every attempt of one occurrence, so the mail service can drop a duplicate send.
  digest: {
    description: "Email the daily digest",
    cron: "0 8 * * MON-FRI",
    timeout: "2m",
    retries: 3,
    retryDelay: "30s",
    permissions: { net: ["mail.example.com"], read: false, write: false },
    onFailure: "https://hooks.example.com/kron",
    run: async (ctx) => {
      ctx.log.info("sending digest", { scheduledAt: ctx.scheduledAt.toISOString() });
      const res = await fetch("https://mail.example.com/v1/digest", {
        method: "POST",
        headers: { "Idempotency-Key": ctx.idempotencyKey },
        signal: ctx.signal,
      });
      if (!res.ok) throw new Error(`mail service answered ${res.status}`);
    },
  },

  // Another function job on an interval; `misfire: "skip"` because a missed heartbeat has no
  // value once it is late.
  heartbeat: {
    every: "1m",
    misfire: "skip",
    jitter: "5s",
    run: (ctx) => ctx.log.info("alive", { attempt: ctx.attempt }),
  },

  // A command job: argv as an array, no shell. `overlap: false` is koku's spelling of "skip".
  vacuum: {
    cron: "30 3 * * SUN",
    timezone: "UTC",
    command: ["psql", "--no-psqlrc", "-c", "VACUUM ANALYZE"],
    env: { PGDATABASE: "app" },
    timeout: "1h",
    overlap: false,
    onError: "stop",
    maxFailures: 2,
    onFailure: ["logger", "-t", "kron", "vacuum failed"],
  },
});
