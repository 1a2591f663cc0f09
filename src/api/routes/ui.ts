/**
 * Dashboard routes (server-rendered HTML) and the login form.
 *
 * ```
 * GET  /?q=&state=&after=         job list (search, state filter, page)
 * GET  /jobs/:name                job page         GET /runs/:id   run page (header, output)
 * GET  /ui/summary                summary line fragment            (live updates)
 * GET  /ui/list?q=&state=         list fragment (the filter, without a reload)
 * GET  /ui/jobs/:name/row         list row fragment                (live updates)
 * GET  /ui/jobs/:name/detail      job page fragment                (live updates)
 * GET  /ui/runs/:id/head          run header fragment              (live updates)
 * GET  /ui/runs/:id/log?from=N    output from byte N               (live tail)
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
import {
  constantTimeEqual,
  createSession,
  describeError,
  isHttps,
  jobNameParam,
  sessionCookie,
} from "../../http/mod.ts";
import { htmlResponse } from "../dashboard/_html.ts";
import { loginPage, safeNext } from "../dashboard/login.ts";
import { jobDetailSection, jobPage } from "../dashboard/job.ts";
import {
  countStates,
  jobList,
  jobRow,
  jobsPage,
  type PageContext,
  pageJobs,
  parseFilter,
  summaryLine,
} from "../dashboard/list.ts";
import { messagePage } from "../dashboard/message.ts";
import type { AdminHost } from "../host.ts";
import type { JobStatus } from "../../engine/mod.ts";
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
 * What every dashboard page's frame needs from the request: the CSP nonce, the version, and
 * whether to offer log-out (a cookie session).
 *
 * @example
 * ```ts
 * import { pageContext } from "./ui.ts";
 * // htmlResponse((nonce) => jobPage(status, history, pageContext(c, nonce, "0.1.0"), Date.now()));
 * ```
 */
export function pageContext(c: Context<AdminEnv>, nonce: string, version: string): PageContext {
  return { nonce, version, logout: c.get("auth") === "cookie" };
}

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
  const ctx = (c: Context<AdminEnv>, nonce: string) => pageContext(c, nonce, options.version);

  app.get("/", (c) => {
    const after = c.req.query("after");
    const filter = parseFilter({ q: c.req.query("q"), state: c.req.query("state") });
    const statuses = allStatuses(kron);
    const { jobs, next } = pageJobs(
      statuses,
      filter,
      after ? jobNameParam(after) : null,
      DASHBOARD_PAGE,
    );
    const counts = countStates(statuses);
    return htmlResponse((nonce) =>
      jobsPage(jobs, ctx(c, nonce), { next, total: statuses.length, counts, filter })
    );
  });

  app.get("/ui/summary", () => {
    const statuses = allStatuses(kron);
    return fragment(summaryLine(countStates(statuses), statuses.length).value);
  });

  app.get("/ui/list", (c) => {
    const filter = parseFilter({ q: c.req.query("q"), state: c.req.query("state") });
    const { jobs, next } = pageJobs(allStatuses(kron), filter, null, DASHBOARD_PAGE);
    return fragment(jobList(jobs, filter, next).value);
  });

  app.get("/jobs/:name", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const status = kron.status(name);
    const history = await kron.history(name, { limit: JOB_PAGE_RUNS });
    return htmlResponse((nonce) => jobPage(status, history, ctx(c, nonce), Date.now()));
  });

  app.get("/ui/jobs/:name/row", (c) => {
    const status = kron.status(jobNameParam(c.req.param("name")));
    return fragment(jobRow(status).value);
  });

  app.get("/ui/jobs/:name/detail", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const status = kron.status(name);
    return fragment(
      jobDetailSection(status, await kron.history(name, { limit: JOB_PAGE_RUNS }), Date.now())
        .value,
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

const statusCaches = new WeakMap<AdminHost, { version: string; statuses: JobStatus[] }>();

/**
 * Every job's status (defined and orphaned), by name; cached per state version like the JSON
 * list's pages (see `listJobsJson`): every state change is an event that bumps `state.seq`, and
 * every change of the definitions bumps `definitionEpoch`. So the summary every open dashboard
 * re-fetches after an event costs one pass over the jobs per event batch, not one per tab.
 */
function allStatuses(kron: AdminHost): JobStatus[] {
  if (!kron.engine.running) return readStatuses(kron);
  const version = `${kron.engine.state.seq}:${kron.engine.definitionEpoch}`;
  const cached = statusCaches.get(kron);
  if (cached && cached.version === version) return cached.statuses;
  const statuses = readStatuses(kron);
  statusCaches.set(kron, { version, statuses });
  return statuses;
}

function readStatuses(kron: AdminHost): JobStatus[] {
  const out: JobStatus[] = [];
  for (const n of jobNamesFor(kron).all()) {
    try {
      out.push(kron.status(n));
    } catch (e) {
      // Forgotten between listing and reading: leave it out.
      if (!(e instanceof KronError && e.code === "unknown_job")) throw e;
    }
  }
  return out;
}

/**
 * An HTML fragment answer (no CSP needed: it is inserted into a page that has one).
 *
 * @example
 * ```ts
 * import { fragment } from "./ui.ts";
 * fragment("<p>x</p>").headers.get("cache-control"); // "no-store"
 * ```
 */
export function fragment(body: string): Response {
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
