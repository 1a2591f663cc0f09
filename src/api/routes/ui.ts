/**
 * Dashboard routes (server-rendered HTML) and the login form.
 *
 * ```
 * GET  /                          job list          GET /jobs/:name   job page
 * GET  /ui/jobs/:name/row         list row fragment (live updates)
 * GET  /ui/jobs/:name/detail      job page fragment (live updates)
 * POST /ui/jobs/:name/trigger|pause|resume   form posts: 303 back, or JSON with Accept: application/json
 * GET  /login  POST /login  POST /logout      (TCP only; /login is open)
 * ```
 *
 * Form posts are guarded against CSRF by {@link ../csrf.ts} (same-origin check) and the
 * SameSite=Strict session cookie.
 *
 * @example
 * ```ts
 * import { uiRoutes } from "./ui.ts";
 * // app.route("/", uiRoutes(deps));
 * ```
 * @module
 */
import { type Context, Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import { jobNamesFor } from "../_job_names.ts";
import { constantTimeEqual, createSession, isHttps, sessionCookie } from "../auth.ts";
import { htmlResponse } from "../dashboard/_html.ts";
import { loginPage, safeNext } from "../dashboard/login.ts";
import {
  jobDetailSection,
  jobPage,
  jobRow,
  jobsPage,
  messagePage,
  type PageContext,
} from "../dashboard/pages.ts";
import { describeError } from "../errors.ts";
import { jobNameParam } from "../validate.ts";
import type { JobStatus } from "../../engine/types.ts";
import { KronError } from "../../errors.ts";

/**
 * Jobs per dashboard page (the JSON API pages separately).
 *
 * @example
 * ```ts
 * import { DASHBOARD_PAGE } from "./ui.ts";
 * DASHBOARD_PAGE; // 500
 * ```
 */
export const DASHBOARD_PAGE = 500;
/**
 * Runs shown on a job page.
 *
 * @example
 * ```ts
 * import { JOB_PAGE_RUNS } from "./ui.ts";
 * JOB_PAGE_RUNS; // 50
 * ```
 */
export const JOB_PAGE_RUNS = 50;

/**
 * The dashboard routes.
 *
 * @example
 * ```ts
 * import { uiRoutes } from "./ui.ts";
 * // app.route("/", uiRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function uiRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { kron, options } = deps;
  const app = new Hono<AdminEnv>();
  const ctx = (c: Context<AdminEnv>, nonce: string): PageContext => ({
    nonce,
    version: options.version,
    logout: c.get("auth") === "cookie",
  });

  app.get("/", (c) => {
    const after = c.req.query("after");
    const { names, next, total } = jobNamesFor(kron).page(
      after ? jobNameParam(after) : null,
      DASHBOARD_PAGE,
    );
    const jobs: JobStatus[] = [];
    for (const n of names) {
      try {
        jobs.push(kron.status(n));
      } catch (e) {
        // Forgotten between listing and reading: leave it out.
        if (!(e instanceof KronError && e.code === "unknown_job")) throw e;
      }
    }
    return htmlResponse((nonce) => jobsPage(jobs, ctx(c, nonce), { next, total }));
  });

  app.get("/jobs/:name", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const status = kron.status(name);
    const history = await kron.history(name, { limit: JOB_PAGE_RUNS });
    return htmlResponse((nonce) => jobPage(status, history, ctx(c, nonce)));
  });

  app.get("/ui/jobs/:name/row", (c) => {
    const status = kron.status(jobNameParam(c.req.param("name")));
    return fragment(jobRow(status).value);
  });

  app.get("/ui/jobs/:name/detail", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const status = kron.status(name);
    return fragment(
      jobDetailSection(status, await kron.history(name, { limit: JOB_PAGE_RUNS })).value,
    );
  });

  app.post("/ui/jobs/:name/:verb{trigger|pause|resume}", async (c) => {
    const form = await c.req.parseBody();
    const back = safeNext(form.back);
    const wantsJson = (c.req.header("accept") ?? "").includes("application/json");
    let message: string;
    try {
      const name = jobNameParam(c.req.param("name"));
      const verb = c.req.param("verb");
      if (verb === "trigger") {
        message = `started run ${await kron.trigger(name)} of ${name}`;
      } else if (verb === "pause") {
        const forValue = typeof form.for === "string" && form.for !== "" ? form.for : undefined;
        kron.pause(name, forValue === undefined ? {} : { for: forValue });
        message = `paused ${name}${forValue ? ` for ${forValue}` : ""}`;
      } else {
        kron.resume(name);
        message = `resumed ${name}`;
      }
    } catch (e) {
      const d = describeError(e);
      if (!d.expected) throw e;
      if (wantsJson) {
        return c.json({ error: { code: d.code, message: d.message } }, d.status as 400);
      }
      return htmlResponse(
        (nonce) => messagePage("Not done", d.message, back, ctx(c, nonce)),
        d.status,
      );
    }
    if (wantsJson) return c.json({ ok: true, message });
    return c.redirect(back, 303);
  });

  if (options.tcp) {
    app.get(
      "/login",
      (c) =>
        htmlResponse((nonce) =>
          loginPage({
            next: c.req.query("next") ?? "/",
            error: null,
            nonce,
            version: options.version,
          })
        ),
    );

    app.post("/login", async (c) => {
      const form = await c.req.parseBody();
      const next = safeNext(form.next);
      const token = typeof form.token === "string" ? form.token.trim() : "";
      if (!options.token || !constantTimeEqual(token, options.token)) {
        // Slows down guessing a short KRON_TOKEN; a 64-hex token makes guessing moot anyway.
        await new Promise((r) => setTimeout(r, 200));
        return htmlResponse(
          (nonce) => loginPage({ next, error: "Wrong token.", nonce, version: options.version }),
          401,
        );
      }
      const value = await createSession(options.token, Date.now());
      c.header("set-cookie", sessionCookie(value, isHttps(c.req.raw)));
      return c.redirect(next, 303);
    });

    app.post("/logout", (c) => {
      c.header("set-cookie", sessionCookie("", isHttps(c.req.raw), 0));
      return c.redirect("/login", 303);
    });
  }

  return app;
}

function fragment(body: string): Response {
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
