/**
 * The CLI's client of a live runtime: `src/api`'s {@link AdminClient} over
 * `<dataDir>/kron.sock`, with the answers unwrapped to what the commands print.
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
import { AdminClient } from "../api/client.ts";
import type { ReloadJson } from "../http/client.ts";
import type { JobDetailView, JobView, RunView } from "./views.ts";

/**
 * A page of runs, most recent first, and the cursor of the next (older) one.
 *
 * @example
 * ```ts
 * import type { RunPage } from "./admin.ts";
 * const empty: RunPage = { runs: [], next: null };
 * ```
 */
export interface RunPage {
  runs: RunView[];
  next: string | null;
}

/**
 * A connected runtime.
 *
 * @example
 * ```ts
 * import type { LiveAdmin } from "./admin.ts";
 * async function names(admin: LiveAdmin): Promise<string[]> {
 *   return (await admin.jobs()).map((j) => j.name);
 * }
 * ```
 */
export interface LiveAdmin {
  /** Every job (all pages). */
  jobs(): Promise<JobView[]>;
  job(name: string): Promise<JobDetailView>;
  runs(name: string, limit: number): Promise<RunView[]>;
  /** A page of runs older than `before` (a cursor), and the next page's cursor or null. */
  runsPage(name: string, limit: number, before?: string): Promise<RunPage>;
  run(id: string): Promise<RunView>;
  trigger(name: string): Promise<string>;
  /** Pings a watched job; resolves to the run id it started or ended. */
  ping(
    name: string,
    body: { kind?: "start" | "success" | "fail"; exitCode?: number },
  ): Promise<string>;
  pause(name: string, duration?: string): Promise<JobDetailView>;
  resume(name: string): Promise<JobDetailView>;
  forget(name: string): Promise<void>;
  reload(): Promise<ReloadJson>;
  compact(): Promise<void>;
  close(): void;
}

/**
 * Connects to the runtime on `dataDir`, or null when none answers (no socket, or a stale
 * socket left by a crash).
 *
 * @example
 * ```ts
 * import { connectAdmin } from "./admin.ts";
 * await connectAdmin(Deno.makeTempDirSync()); // null
 * ```
 */
export async function connectAdmin(dataDir: string): Promise<LiveAdmin | null> {
  const client = await AdminClient.connect(dataDir);
  return client ? wrap(client) : null;
}

/**
 * A client of a runtime over HTTP with a bearer token (`--server URL`): a cluster node or a
 * runtime serving `--http`.
 *
 * @example
 * ```ts
 * import { httpAdmin } from "./admin.ts";
 * const admin = httpAdmin("http://127.0.0.1:7380", Deno.env.get("KRON_TOKEN")!);
 * console.log((await admin.jobs()).length);
 * ```
 */
export function httpAdmin(url: string, token: string): LiveAdmin {
  return wrap(AdminClient.http(url, token));
}

function wrap(client: AdminClient): LiveAdmin {
  return {
    async jobs() {
      const out: JobView[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.jobs({ limit: 1000, cursor });
        out.push(...page.jobs);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    },
    job: (name) => client.job(name),
    runs: async (name, limit) => (await client.runs(name, limit)).runs,
    runsPage: async (name, limit, before) => {
      const page = await client.runsPage(
        name,
        before === undefined ? { limit } : { limit, before },
      );
      return { runs: page.runs, next: page.next };
    },
    run: (id) => client.run(id),
    trigger: async (name) => (await client.trigger(name)).runId,
    ping: async (name, body) => (await client.ping(name, body)).runId,
    pause: (name, duration) => client.pause(name, duration),
    resume: (name) => client.resume(name),
    forget: async (name) => {
      await client.forget(name);
    },
    reload: () => client.reload(),
    compact: async () => {
      await client.compact();
    },
    close: () => client.close(),
  };
}
