/**
 * Typing helpers for `jobs.ts`: `defineJobs` returns its argument unchanged, so wrapping the
 * default export in it only buys editor completion and type checks. A plain object works too.
 *
 * @example
 * ```ts
 * import { defineJobs } from "./define.ts";
 * export default defineJobs({
 *   digest: { cron: "0 8 * * *", timezone: "Europe/Rome", run: (ctx) => console.log(ctx.idempotencyKey) },
 *   cleanup: { every: "30m", command: ["find", "/tmp/app", "-mtime", "+1", "-delete"] },
 * });
 * ```
 * @module
 */
import type { JobFunction, JobOptions } from "../engine/mod.ts";
import type { Durability, JobPermissions } from "./job_types.ts";

/**
 * One job in `jobs.ts`: schedule and policy options plus either `run` (a function, called with
 * the run context) or `command` (run as a process). Field names are the camelCase forms of
 * the `jobs.toml` ones.
 *
 * @example
 * ```ts
 * import type { JobSpec } from "./define.ts";
 * const spec: JobSpec = { every: "1h", retries: 2, run: async (ctx) => { ctx.log.info("tick"); } };
 * ```
 */
export interface JobSpec extends JobOptions {
  /** The job's code; receives `{ job, runId, attempt, scheduledAt, idempotencyKey, signal, log }`. */
  run?: JobFunction;
  /** A command instead of `run`: a string (split into words, no shell) or an argv array. */
  command?: string | string[];
  /** Run a string `command` with `/bin/sh -c`. */
  shell?: boolean;
  /** Working directory of `command`. */
  dir?: string;
  /** Extra environment variables of `command`. */
  env?: Record<string, string>;
  /** Narrows the sandbox of a `run` job (never widens what `kron run` was granted). */
  permissions?: JobPermissions;
  /** After an occurrence's last attempt failed: a command, or an `http(s)://` URL to POST to. */
  onFailure?: string | string[];
  /**
   * When the job goes late, down and back to normal (needs a `grace`): a command (told
   * `KRON_KIND`, `KRON_JOB`, `KRON_SCHEDULED_AT`, `KRON_LAST_SUCCESS_AT`), or an `http(s)://`
   * URL POSTed `{ kind, job, scheduledAt, lastSuccessAt }`.
   */
  onLate?: string | string[];
  /**
   * A watched job: external work kron does not run but expects on its schedule, told by
   * `kron ping <job>`; set no `run` or `command`.
   */
  watch?: boolean;
  /**
   * Run this `run` job in a sandbox worker of its own instead of sharing one with the jobs of
   * the same permissions (which share its module-level state, and a worker it could stop).
   */
  isolate?: boolean;
}

/**
 * The default export of `jobs.ts`: job names (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`) to specs.
 *
 * @example
 * ```ts
 * import type { JobSpecs } from "./define.ts";
 * const jobs: JobSpecs = { ping: { every: "5m", command: "curl -fsS https://example.com" } };
 * ```
 */
export type JobSpecs = Record<string, JobSpec>;

/**
 * The optional `kron` export of `jobs.ts`: runtime settings, as in the `[kron]` table.
 *
 * @example
 * ```ts
 * import type { KronSettings } from "./define.ts";
 * export const kron: KronSettings = { timezone: "Europe/Rome", logFormat: "json" };
 * ```
 */
export interface KronSettings {
  dataDir?: string;
  /** Default time zone of cron jobs that set none. */
  timezone?: string;
  /** `"host:port"` for the admin API over TCP. */
  http?: string;
  logFormat?: "text" | "json";
  durability?: Durability;
  shutdownTimeout?: string | number;
  /** Sandbox workers per permission set at most (default: the number of CPU cores). */
  sandboxWorkers?: number;
  /** Default `grace` of the jobs that set none (late/down). */
  grace?: string | number;
  /** Default `downAfter` of the jobs with a grace. */
  downAfter?: string | number;
}

/**
 * Identity function that gives a `jobs.ts` default export its types.
 *
 * @example
 * ```ts
 * import { defineJobs } from "./define.ts";
 * export default defineJobs({
 *   report: { cron: "0 9 * * MON", run: async ({ signal }) => { await fetch("https://example.com", { signal }); } },
 * });
 * ```
 */
export function defineJobs<T extends JobSpecs>(jobs: T): T {
  return jobs;
}
