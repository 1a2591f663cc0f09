/**
 * The light door of src/http for clients (src/api/client.ts, which `kron status` loads on
 * every start, and the cluster's TS SDK): the node list, the client's error and the JSON wire
 * types, without Hono or any npm package.
 *
 * @example
 * ```ts
 * import { AdminApiError, NodeSet } from "./client.ts";
 * new AdminApiError(404, "unknown_job", 'no job named "x"').status; // 404
 * typeof NodeSet; // "function"
 * ```
 * @module
 */
export { AdminApiError } from "./errors.ts";
export * from "./nodes.ts";
export type * from "./types.ts";
