/**
 * The CLI's client of a live runtime: the admin API (DESIGN §6) over `<dataDir>/kron.sock`.
 *
 * @example
 * ```ts
 * import { connectAdmin } from "./admin.ts";
 * const admin = await connectAdmin("/srv/kron");
 * if (admin) console.log((await admin.jobs()).length);
 * admin?.close();
 * ```
 * @module
 */
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from "./errors.ts";
import { socketPath } from "./context.ts";
import type { JobView, RunView } from "./views.ts";

/** What `reload` changed. */
export interface ReloadView {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged?: string[];
}

/** A connected runtime. */
export interface LiveAdmin {
  jobs(): Promise<JobView[]>;
  job(name: string): Promise<JobView>;
  runs(name: string, limit: number): Promise<RunView[]>;
  run(id: string): Promise<RunView>;
  runLog(id: string): Promise<string | null>;
  trigger(name: string): Promise<string>;
  pause(name: string, duration?: string): Promise<JobView | null>;
  resume(name: string): Promise<JobView | null>;
  forget(name: string): Promise<void>;
  reload(): Promise<ReloadView>;
  compact(): Promise<void>;
  close(): void;
}

// API error codes that are the caller's mistake (exit 2) rather than a runtime failure.
const USAGE_CODES = new Set(["bad_request", "invalid_option", "invalid_job_file", "invalid_name"]);

/**
 * Connects to the runtime on `dataDir`, or null when none answers (no socket, a stale socket
 * left by a crash, or a runtime that does not respond within a second).
 *
 * @example
 * ```ts
 * import { connectAdmin } from "./admin.ts";
 * await connectAdmin(Deno.makeTempDirSync()); // null
 * ```
 */
export async function connectAdmin(dataDir: string): Promise<LiveAdmin | null> {
  const path = socketPath(dataDir);
  try {
    if (!Deno.statSync(path).isSocket) return null;
  } catch {
    return null;
  }
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  try {
    const res = await fetch("http://kron/healthz", {
      client,
      signal: AbortSignal.timeout(1000),
    });
    await res.body?.cancel();
  } catch {
    client.close();
    return null;
  }
  return makeAdmin(client);
}

function makeAdmin(client: Deno.HttpClient): LiveAdmin {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`http://kron${path}`, {
        method,
        client,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new CliError(
        EXIT_RUNTIME,
        `the runtime stopped answering: ${e instanceof Error ? e.message : e}`,
      );
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text === "" ? null : JSON.parse(text);
    } catch {
      data = text;
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
      const message = err?.message ?? (typeof data === "string" ? data : `HTTP ${res.status}`);
      const usage = res.status === 400 || res.status === 422 || USAGE_CODES.has(err?.code ?? "");
      throw new CliError(usage ? EXIT_USAGE : EXIT_RUNTIME, message.split("\n")[0]);
    }
    return data as T;
  }
  const enc = encodeURIComponent;
  const list = <T>(data: unknown, key: string): T[] =>
    Array.isArray(data) ? data as T[] : ((data as Record<string, T[]> | null)?.[key] ?? []);
  const one = <T>(data: unknown, key: string): T =>
    (data && typeof data === "object" && key in data
      ? (data as Record<string, T>)[key]
      : data) as T;
  return {
    jobs: async () => list<JobView>(await call("GET", "/v1/jobs"), "jobs"),
    job: async (name) => one<JobView>(await call("GET", `/v1/jobs/${enc(name)}`), "job"),
    runs: async (name, limit) =>
      list<RunView>(await call("GET", `/v1/jobs/${enc(name)}/runs?limit=${limit}`), "runs"),
    run: async (id) => one<RunView>(await call("GET", `/v1/runs/${enc(id)}`), "run"),
    runLog: async (id) => {
      try {
        const data = await call<unknown>("GET", `/v1/runs/${enc(id)}/log`);
        return typeof data === "string" ? data : one<string | null>(data, "log");
      } catch (e) {
        if (e instanceof CliError && /no (log|output)/i.test(e.message)) return null;
        throw e;
      }
    },
    trigger: async (name) => {
      const data = await call<{ runId?: string; id?: string }>(
        "POST",
        `/v1/jobs/${enc(name)}/trigger`,
      );
      return data.runId ?? data.id ?? "";
    },
    pause: async (name, duration) =>
      one<JobView | null>(
        await call("POST", `/v1/jobs/${enc(name)}/pause`, duration ? { for: duration } : {}),
        "job",
      ),
    resume: async (name) =>
      one<JobView | null>(await call("POST", `/v1/jobs/${enc(name)}/resume`, {}), "job"),
    forget: async (name) => {
      await call("DELETE", `/v1/jobs/${enc(name)}`);
    },
    reload: async () => {
      const data = await call<ReloadView & { result?: ReloadView }>("POST", "/v1/reload", {});
      return data.result ?? data;
    },
    compact: async () => {
      await call("POST", "/v1/compact", {});
    },
    close: () => client.close(),
  };
}
