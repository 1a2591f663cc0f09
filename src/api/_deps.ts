/**
 * What every route module gets: the Kron, its event hub and metrics, and the app's options.
 *
 * @example
 * ```ts
 * import type { AdminDeps } from "./_deps.ts";
 * function jobCount(deps: AdminDeps): number {
 *   return deps.kron.list().length;
 * }
 * ```
 * @module
 */
import type { AdminHost } from "./host.ts";
import type { AuthVariables, ReloadJson } from "../http/mod.ts";
import type { EventHub } from "./hub.ts";
import type { KronMetrics } from "./metrics.ts";

/**
 * Options of `createAdminApp`.
 *
 * @example
 * ```ts
 * import type { AdminAppOptions } from "./_deps.ts";
 * const options: AdminAppOptions = { tcp: false, dataDir: ".kron", version: "0.1.0" };
 * ```
 */
export interface AdminAppOptions {
  /** True for the TCP listener: requests need the bearer token or a session cookie. */
  tcp: boolean;
  /** The token TCP requests are checked against (required when `tcp`). */
  token?: string;
  /** Re-reads the job file; without it `POST /v1/reload` answers 501. */
  reload?: () => Promise<ReloadJson>;
  /** The data dir (run logs, event log for SSE resume, metrics); null with a memory store. */
  dataDir: string | null;
  /** Shown by the dashboard and `kron_build_info`. */
  version: string;
  /** Aborting it ends every open SSE stream, so the server can shut down. */
  signal?: AbortSignal;
  /** Interval of SSE heartbeat comments (default 15 s). */
  heartbeatMs?: number;
  /** Recent events kept in memory for SSE resume (default 4096; the first app of a Kron decides). */
  eventRingSize?: number;
  /** Per-job duration histograms in `/metrics` (default true; the first app of a Kron decides). */
  metricsJobHistograms?: boolean;
}

/**
 * Hono environment of the admin app.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { AdminEnv } from "./_deps.ts";
 * const app = new Hono<AdminEnv>();
 * app.get("/who", (c) => c.text(c.get("auth")));
 * ```
 */
export type AdminEnv = { Variables: AuthVariables };

/**
 * Shared by the route modules.
 *
 * @example
 * ```ts
 * import type { AdminDeps } from "./_deps.ts";
 * const count = (deps: AdminDeps) => deps.kron.list().length;
 * ```
 */
export interface AdminDeps {
  kron: AdminHost;
  hub: EventHub;
  metrics: KronMetrics;
  options: AdminAppOptions;
}
