/**
 * The admin API: a Hono app served on `<dataDir>/kron.sock` (and on TCP with a token), live
 * events over SSE, Prometheus metrics, a server-rendered dashboard, and the client the CLI
 * uses. See docs/api.md.
 *
 * @example
 * ```ts
 * import { AdminClient, serveAdmin } from "./mod.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ dataDir: Deno.makeTempDirSync() });
 * kron.schedule("tick", { every: "1m" }, () => {});
 * await kron.start();
 * const admin = await serveAdmin(kron, { http: "127.0.0.1:0" });
 * const client = (await AdminClient.connect(kron.dataDir!))!;
 * console.log((await client.jobs()).jobs[0].scheduleText); // "every minute"
 * client.close();
 * await admin.close();
 * await kron.shutdown();
 * ```
 * @module
 */
export { createAdminApp, MAX_BODY_BYTES } from "./app.ts";
export type { AdminAppOptions } from "./app.ts";
export {
  type AdminServer,
  isLoopback,
  MAX_SOCKET_PATH_BYTES,
  serveAdmin,
  type ServeAdminOptions,
  SOCKET_FILE,
  socketPathFor,
} from "./serve.ts";
export { AdminApiError, AdminClient } from "./client.ts";
export {
  ApiError,
  generateToken,
  parseHostPort,
  resolveToken,
  statusForCode,
  TOKEN_FILE,
  tokenPath,
} from "../http/mod.ts";
export { KronMetrics } from "./metrics.ts";
export { type SseMessage, SseParser } from "./sse_parser.ts";
export type * from "../http/client.ts";
export type { AdminHost } from "./host.ts";
