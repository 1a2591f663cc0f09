/**
 * The second door of src/api: the HTTP pieces the admin API shares with the cluster's server
 * (src/cluster/server.ts), so both answer alike: bearer and cookie auth, the CSRF guard, body
 * limits and key checks, error bodies, route parameter checks, the job views, the token from
 * the environment and `host:port` parsing. Importing it does not start anything.
 *
 * @example
 * ```ts
 * import { errorBody } from "./http.ts";
 * errorBody("unknown_job", 'no job named "x"').error.code; // "unknown_job"
 * ```
 * @module
 */
export { requireAuth } from "./auth.ts";
export { csrfGuard } from "./csrf.ts";
export { jsonBody, limitBody, onlyKeys } from "./_body.ts";
export { ApiError, describeError, errorBody } from "./errors.ts";
export { pauseOptions } from "./routes/jobs.ts";
export { jobNameParam, limitParam, runIdParam, seqParam } from "./validate.ts";
export { jobDetail, jobSummary } from "./views.ts";
export { envToken, MIN_ENV_TOKEN_LENGTH } from "./token.ts";
export { parseHostPort } from "./serve.ts";
