/**
 * Run routes.
 *
 * ```
 * GET /v1/runs/:id      200 run record          404 unknown run   400 not a run id
 * GET /v1/runs/:id/log  200 text/plain output   404 no log (function jobs have none)
 * ```
 *
 * The log path is built only from a validated job name and run id, and resolved with
 * `realPath` to make sure it is inside the data dir, so no request can read another file.
 *
 * @example
 * ```ts
 * import { runRoutes } from "./runs.ts";
 * // app.route("/", runRoutes(deps));
 * ```
 * @module
 */
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../_deps.ts";
import { ApiError, JOB_NAME_RE, runIdParam } from "../../http/mod.ts";

/**
 * The absolute path of a run's log inside `dataDir`, or null when there is none (or it would
 * resolve outside the data dir, e.g. through a symlink).
 *
 * @example
 * ```ts
 * import { runLogFile } from "./runs.ts";
 * await runLogFile(Deno.makeTempDirSync(), "backup", "01J5Z3XK7Q8V9W0Y1Z2A3B4C5D"); // null
 * ```
 */
export async function runLogFile(
  dataDir: string,
  job: string,
  runId: string,
): Promise<string | null> {
  if (!JOB_NAME_RE.test(job)) return null;
  runIdParam(runId);
  try {
    const root = await Deno.realPath(dataDir);
    const real = await Deno.realPath(`${root}/runs/${job}/${runId}.log`);
    if (!real.startsWith(`${root}/runs/`)) return null;
    const info = await Deno.stat(real);
    return info.isFile ? real : null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/**
 * The run routes.
 *
 * @example
 * ```ts
 * import { runRoutes } from "./runs.ts";
 * // app.route("/", runRoutes({ kron, hub, metrics, options }));
 * ```
 */
export function runRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { kron } = deps;
  const app = new Hono<AdminEnv>();

  app.get(
    "/v1/runs/:id",
    async (c) => c.json(await kron.engine.run(runIdParam(c.req.param("id")))),
  );

  app.get("/v1/runs/:id/log", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const run = await kron.engine.run(id);
    const dataDir = deps.options.dataDir;
    const path = dataDir === null ? null : await runLogFile(dataDir, run.job, id);
    const headers = {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    };
    if (path === null) {
      // A command run that printed nothing has no log file: its output is empty.
      const kind = kron.engine.state.jobs.get(run.job)?.def?.kind;
      if (dataDir !== null && kind === "command") return new Response("", { headers });
      throw new ApiError(404, "not_found", `run ${id} has no output log`);
    }
    const file = await Deno.open(path, { read: true });
    return new Response(file.readable, { headers });
  });

  return app;
}
