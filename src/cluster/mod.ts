/**
 * Cluster mode on PostgreSQL (DESIGN §7, docs/cluster.md): `kron server` nodes sharing one
 * database, the TypeScript client and worker, and embedded replicas.
 *
 * @example
 * ```ts
 * import { KronClient, KronWorker } from "./mod.ts";
 * const url = "http://127.0.0.1:7380", token = Deno.env.get("KRON_TOKEN");
 * await new KronClient(url, { token }).schedule("email_digest", { every: "30m", task: "send_digest" });
 * const worker = new KronWorker(url, { token }).task("send_digest", (payload, ctx) => {
 *   console.log(ctx.idempotencyKey, ctx.fencingToken);
 * });
 * await worker.run();
 * ```
 * @module
 */
export { KronClient, type KronClientOptions } from "./client.ts";
export {
  KronWorker,
  type KronWorkerOptions,
  type TaskContext,
  type TaskHandler,
} from "./worker.ts";
export { KronReplica, type KronReplicaOptions, type ReplicaRunContext } from "./replica.ts";
export { type ClusterServer, createClusterApp, type ServerOptions, startServer } from "./server.ts";
export { ClusterNode, type ClusterNodeOptions, defaultSchema } from "./node.ts";
export type { ClusterJobOptions, ClusterJobStatus } from "./jobs.ts";
export { type ClaimedRun, DEFAULT_LEASE_MS } from "./claims.ts";
export { dropSchema, migrate, MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";
