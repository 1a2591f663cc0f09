/**
 * Serves a runtime's admin API on `<dataDir>/kron.sock` for the CLI's other commands.
 *
 * This is the CLI's stand-in until `src/api`'s `serveAdmin` lands: the routes and JSON shapes
 * follow DESIGN §6 and `src/api/types.ts`, so the client does not change when it is swapped.
 *
 * @example
 * ```ts
 * import { Kron } from "../kron.ts";
 * import { startAdmin } from "./serve.ts";
 * const kron = new Kron({ dataDir: "/tmp/kron-demo" });
 * await kron.start();
 * const server = await startAdmin(kron, { dataDir: "/tmp/kron-demo" });
 * await server.close();
 * ```
 * @module
 */
import type { Kron } from "../kron.ts";
import { KronError } from "../errors.ts";
import type { ApplyResult } from "../jobs/runtime.ts";
import { socketPath } from "./context.ts";

/** Options of {@link startAdmin}. */
export interface AdminOptions {
  dataDir: string;
  /** `host:port` for a TCP listener (not served by this stand-in). */
  http?: string | null;
  /** Re-reads the job file and applies it; throws (changing nothing) on an invalid file. */
  reload?: () => Promise<ApplyResult>;
}

/** A running admin server. */
export interface AdminServer {
  close(): Promise<void>;
}

const STATUS: Record<string, number> = {
  unknown_job: 404,
  unknown_run: 404,
  conflict: 409,
  invalid_option: 400,
  invalid_schedule: 400,
  invalid_name: 400,
  not_started: 503,
  shut_down: 503,
};

/**
 * Starts the admin server on the data dir's socket (a stale socket file is replaced).
 *
 * @example
 * ```ts
 * import { startAdmin } from "./serve.ts";
 * // const server = await startAdmin(kron, { dataDir, reload });
 * ```
 */
export async function startAdmin(kron: Kron, options: AdminOptions): Promise<AdminServer> {
  const path = socketPath(options.dataDir);
  await Deno.remove(path).catch(() => {});
  const server = Deno.serve({ path, transport: "unix", onListen() {} }, async (req) => {
    try {
      return await route(kron, options, req);
    } catch (e) {
      const code = e instanceof KronError ? e.code : "internal";
      const status = e instanceof KronError && e.name === "TriggerRefusedError"
        ? 409
        : STATUS[code] ?? 500;
      const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      return Response.json({ error: { code, message } }, { status });
    }
  });
  await Deno.chmod(path, 0o600).catch(() => {});
  return {
    async close() {
      await server.shutdown();
      await Deno.remove(path).catch(() => {});
    },
  };
}

async function route(kron: Kron, options: AdminOptions, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const m = req.method;
  if (url.pathname === "/healthz") return Response.json({ status: "ok" });
  if (parts[0] !== "v1") return notFound(req);
  const [, a, name, b] = parts;
  if (a === "jobs" && parts.length === 2 && m === "GET") {
    return Response.json({ jobs: kron.list(), nextCursor: null });
  }
  if (a === "jobs" && parts.length === 3 && m === "GET") return Response.json(kron.status(name));
  if (a === "jobs" && parts.length === 3 && m === "DELETE") {
    kron.forget(name);
    return Response.json({ forgotten: name });
  }
  if (a === "jobs" && parts.length === 4) {
    if (b === "runs" && m === "GET") {
      const limit = Number(url.searchParams.get("limit") ?? "20");
      return Response.json({ runs: await kron.history(name, { limit }) });
    }
    if (b === "trigger" && m === "POST") {
      return Response.json({ runId: await kron.trigger(name) }, { status: 202 });
    }
    if (b === "pause" && m === "POST") {
      const body = await req.json().catch(() => ({}));
      kron.pause(name, typeof body?.for === "string" ? { for: body.for } : {});
      return Response.json(kron.status(name));
    }
    if (b === "resume" && m === "POST") {
      kron.resume(name);
      return Response.json(kron.status(name));
    }
  }
  if (a === "runs" && parts.length === 3 && m === "GET") {
    return Response.json(await kron.engine.run(name));
  }
  if (a === "reload" && m === "POST") {
    if (!options.reload) throw new KronError("conflict", "this runtime has no job file to reload");
    const r = await options.reload();
    return Response.json({ added: r.added, changed: r.changed, removed: r.removed });
  }
  if (a === "compact" && m === "POST") {
    await kron.compact();
    return Response.json({ compacted: true });
  }
  return notFound(req);
}

function notFound(req: Request): Response {
  const path = new URL(req.url).pathname;
  return Response.json(
    { error: { code: "not_found", message: `no route ${req.method} ${path}` } },
    {
      status: 404,
    },
  );
}
