/**
 * The light entry for job files: `defineJobs` and the types of `jobs.ts`, and nothing else.
 * It imports no engine, store, API, Hono or postgres, so the sandbox worker that
 * loads a job file loads only this beside it. `mod.ts` re-exports the same names.
 *
 * @example
 * ```ts
 * import { defineJobs } from "./define.ts";
 * export default defineJobs({
 *   digest: { cron: "0 8 * * *", run: (ctx) => console.log(ctx.idempotencyKey) },
 * });
 * ```
 * @module
 */
export { defineJobs, type JobSpec, type JobSpecs, type KronSettings } from "./src/jobs/define.ts";
export type { JobFunction, JobOptions, RunContext, RunLogger } from "./src/engine/types.ts";
