/**
 * The HTTP pieces the admin API (src/api/) and the cluster's server (src/cluster/server.ts)
 * share, so both answer alike: bearer and cookie auth (the login page is the caller's),
 * the CSRF guard, body limits and key checks, error bodies and the client's error, route
 * parameter and pause-body checks, the job views and the JSON wire types, the token from the
 * environment or the data dir, `host:port` parsing and the node list of the clients.
 * Importing it starts nothing. A client that must not load Hono enters through
 * src/http/client.ts; the CLI's offline reads load src/http/job_views.ts.
 *
 * @example
 * ```ts
 * import { errorBody, parseHostPort } from "./mod.ts";
 * errorBody("unknown_job", 'no job named "x"').error.code; // "unknown_job"
 * parseHostPort("127.0.0.1:8080").port; // 8080
 * ```
 * @module
 */
export * from "./auth.ts";
export * from "./body.ts";
export * from "./csrf.ts";
export * from "./errors.ts";
export * from "./host_port.ts";
export * from "./job_views.ts";
export * from "./nodes.ts";
export * from "./token.ts";
export type * from "./types.ts";
export * from "./validate.ts";
