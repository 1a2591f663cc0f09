/**
 * Runtime routes: reload, compaction, health and metrics.
 *
 * ```
 * POST /v1/reload    200 { added, changed, removed }   501 without a reload hook
 * POST /v1/compact   200 { compacted: true }
 * GET  /healthz      200 {"status":"ok"} | 503 {"status":"error","reason":"…"}   (open on TCP)
 * GET  /metrics      200 Prometheus text format
 * ```
 *
 * @example
 * ```ts
 * import { adminRoutes } from "./admin.ts";
 * // app.route("/", adminRoutes(deps));
 * ```
 * @module
 */
import { Hono } from "hono";
import type { AdminHost } from "../host.ts";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import { ApiError, jsonBody, onlyKeys } from "../../http/mod.ts";
import type { HealthJson } from "../../http/mod.ts";
import { acceptsGzip, metricsHeaders } from "../_metrics_answer.ts";

/**
 * Health: ok while the engine runs and its log is writable; otherwise why not.
 *
 * @example
 * ```ts
 * import { health } from "./admin.ts";
 * import { Kron } from "../../kron/mod.ts";
 * health(new Kron({ store: "memory" })); // { status: "error", reason: "kron is not running" }
 * ```
 */
export function health(kron: AdminHost): HealthJson {
  const io = kron.engine.ioError;
  if (io !== null) return { status: "error", reason: `event log write failed: ${io.message}` };
  if (!kron.engine.running) return { status: "error", reason: "kron is not running" };
  return { status: "ok" };
}

/**
 * The runtime routes.
 *
 * @example
 * ```ts
 * import { adminRoutes } from "./admin.ts";
 * // app.route("/", adminRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function adminRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { kron, metrics, options } = deps;
  const app = new Hono<AdminEnv>();

  app.post("/v1/reload", async (c) => {
    onlyKeys(await jsonBody(c.req.raw), []);
    if (!options.reload) {
      throw new ApiError(
        501,
        "not_implemented",
        "this runtime has no job file to reload (embedded in an app)",
      );
    }
    const { added, changed, removed } = await options.reload();
    return c.json({ added, changed, removed });
  });

  app.post("/v1/compact", async (c) => {
    onlyKeys(await jsonBody(c.req.raw), []);
    await kron.compact();
    return c.json({ compacted: true });
  });

  app.get("/healthz", (c) => {
    const h = health(kron);
    c.header("cache-control", "no-store");
    return c.json(h, h.status === "ok" ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    // Gzipped by the render worker when asked (Prometheus asks): 1/12 of the bytes to send.
    const gzip = acceptsGzip(c.req.header("accept-encoding"));
    const headers = metricsHeaders(metrics.contentType, gzip);
    return new Response(await metrics.body(gzip), { headers });
  });

  return app;
}
