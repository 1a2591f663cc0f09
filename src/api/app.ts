/**
 * The admin app: one Hono app per listener, the same routes on the Unix socket (no auth: the
 * socket's file mode is the auth) and on TCP (bearer token or session cookie).
 *
 * @example
 * ```ts
 * import { createAdminApp } from "./app.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * kron.schedule("tick", { every: "1m" }, () => {});
 * await kron.start();
 * const app = createAdminApp(kron, { tcp: false, dataDir: null, version: "0.1.0" });
 * const res = await app.request("/v1/jobs");
 * (await res.json()).jobs[0].name; // "tick"
 * await kron.shutdown();
 * ```
 * @module
 */
import { type Context, Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import type { AdminHost } from "./host.ts";
import type { AdminAppOptions, AdminDeps, AdminEnv } from "./_deps.ts";
import { csrfGuard, describeError, errorBody, limitBody, requireAuth } from "../http/mod.ts";
import { htmlResponse } from "./dashboard/_html.ts";
import { loginPage } from "./dashboard/login.ts";
import { errorPage, wantsHtml } from "./dashboard/message.ts";
import { hubFor } from "./hub.ts";
import { metricsFor } from "./metrics.ts";
import { adminRoutes } from "./routes/admin.ts";
import { eventRoutes } from "./routes/events.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { runRoutes } from "./routes/runs.ts";
import { uiRoutes } from "./routes/ui.ts";
import { uiRunRoutes } from "./routes/ui_runs.ts";

export type { AdminAppOptions };

/**
 * Largest request body accepted (413 above).
 *
 * @example
 * ```ts
 * import { MAX_BODY_BYTES } from "./app.ts";
 * MAX_BODY_BYTES; // 65536: larger bodies get 413
 * ```
 */
export const MAX_BODY_BYTES = 64 * 1024;

const log = getLogger(["kron", "api"]);
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Builds the admin app for one listener. Serve it with `Deno.serve(..., app.fetch)`, or use
 * {@link ./serve.ts}'s `serveAdmin` which does the socket and TCP plumbing.
 *
 * @example
 * ```ts
 * import { createAdminApp } from "./app.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * const app = createAdminApp(kron, { tcp: true, token: "f".repeat(64), dataDir: null, version: "0.1.0" });
 * (await app.request("/v1/jobs")).status; // 401
 * ```
 */
export function createAdminApp(kron: AdminHost, options: AdminAppOptions): Hono<AdminEnv> {
  if (options.tcp && !options.token) {
    throw new KronError("invalid_option", "the TCP admin app needs a token");
  }
  const deps: AdminDeps = {
    kron,
    hub: hubFor(kron, options.eventRingSize),
    metrics: metricsFor(kron, {
      dataDir: options.dataDir,
      version: options.version,
      jobHistograms: options.metricsJobHistograms,
    }),
    options,
  };
  const app = new Hono<AdminEnv>();

  app.onError((err, c) => {
    const d = describeError(err);
    if (!d.expected) {
      log.error("{method} {path} failed: {error}", {
        method: c.req.method,
        path: c.req.path,
        error: String(err?.stack ?? err),
      });
    }
    if (wantsHtml(c.req.raw)) return htmlError(c, d.status, d.message);
    return c.json(errorBody(d.code, d.message), d.status as 500);
  });
  app.notFound((c) => {
    if (wantsHtml(c.req.raw)) return htmlError(c, 404, `There is no page at ${c.req.path}.`);
    return c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404);
  });
  // A browser gets a page it can navigate away from; API clients keep the JSON error.
  const htmlError = (c: Context<AdminEnv>, status: number, message: string) =>
    htmlResponse(
      (nonce) =>
        errorPage(status, message, {
          nonce,
          version: options.version,
          logout: c.get("auth") === "cookie",
        }),
      status,
    );

  if (options.tcp) {
    const token = options.token!;
    const login = (next: string) =>
      htmlResponse(
        (nonce) => loginPage({ next, error: null, nonce, version: options.version }),
        401,
      );
    app.use("*", requireAuth(() => token, login));
  } else {
    app.use("*", async (c, next) => {
      c.set("auth", "socket");
      await next();
    });
  }
  app.use("*", csrfGuard());
  const limit = limitBody(MAX_BODY_BYTES, (c) =>
    c.json(
      errorBody("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB`),
      413,
    ));
  // Only methods whose bodies are read: for the others the body is ignored, never buffered.
  app.use("*", (c, next) => BODY_METHODS.has(c.req.method) ? limit(c, next) : next());

  app.route("/", jobRoutes(deps));
  app.route("/", runRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", adminRoutes(deps));
  app.route("/", uiRoutes(deps));
  app.route("/", uiRunRoutes(deps));
  return app;
}
