/**
 * Where read commands get their data: the live runtime over `<dataDir>/kron.sock` when one
 * answers, else a read-only replay of the data dir (noted on stderr as
 * "(offline: read from the data dir)"). Mutating commands use {@link requireLive}, which
 * fails with exit 1 when no runtime is running.
 *
 * @example
 * ```ts
 * import { openSource } from "./source.ts";
 * import { consoleIo } from "./output.ts";
 * const source = await openSource("/srv/kron", consoleIo());
 * console.table((await source.jobs()).map((j) => [j.name, j.state]));
 * ```
 * @module
 */
import { failure } from "./errors.ts";
import type { Io } from "./output.ts";
import { connectAdmin, httpAdmin, type LiveAdmin, type RunPage } from "./admin.ts";
import { type FlagSpec, type ParsedArgs, stringFlag } from "./args.ts";
import { usage } from "./errors.ts";
import { lazyImport } from "./lazy.ts";

/**
 * Flags of the commands that can talk to a kron server over HTTP instead of the local socket.
 *
 * @example
 * ```ts
 * import { SERVER_FLAGS } from "./source.ts";
 * Object.keys(SERVER_FLAGS); // ["server", "token"]
 * ```
 */
export const SERVER_FLAGS: FlagSpec = {
  server: { type: "string" },
  token: { type: "string" },
};

/**
 * A remote runtime to use (`--server URL[,URL…] [--token T]`, default `KRON_SERVER` and
 * `KRON_TOKEN`), or null. Several URLs are the nodes of one cluster, tried in turn.
 *
 * @example
 * ```ts
 * import { serverTarget } from "./source.ts";
 * serverTarget({ server: "http://node-1:7380", token: "0123456789abcdef" }, "status");
 * ```
 */
export function serverTarget(
  flags: ParsedArgs["flags"],
  command: string,
): { url: string; token: string } | null {
  let url = stringFlag(flags, "server");
  try {
    url ??= Deno.env.get("KRON_SERVER") || undefined;
  } catch {
    // no env permission: --server it is
  }
  if (url === undefined) return null;
  const urls = url.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (urls.length === 0 || !urls.every((u) => /^https?:\/\/[^/]/.test(u))) {
    throw usage(
      `kron ${command}: --server must be an http(s):// URL or a comma-separated list of them`,
    );
  }
  url = urls.join(",");
  let token = stringFlag(flags, "token");
  try {
    token ??= Deno.env.get("KRON_TOKEN") || undefined;
  } catch {
    // no env permission: --token it is
  }
  if (!token) throw usage(`kron ${command}: --server needs --token or KRON_TOKEN`);
  return { url, token };
}
import { type JobDetailView, type JobView, plain, type RunView } from "./views.ts";

/**
 * Read access to jobs and runs, live or offline.
 *
 * @example
 * ```ts
 * import type { Source } from "./source.ts";
 * async function failing(s: Source): Promise<string[]> {
 *   return (await s.jobs()).filter((j) => j.state === "failing").map((j) => j.name);
 * }
 * ```
 */
export interface Source {
  /** True when a runtime answered. */
  readonly live: boolean;
  jobs(): Promise<JobView[]>;
  job(name: string): Promise<JobDetailView>;
  runs(name: string, limit: number): Promise<RunView[]>;
  /** A page of runs older than `before` (a cursor or run id) and the next page's cursor. */
  runsPage(name: string, limit: number, before?: string): Promise<RunPage>;
  run(id: string): Promise<RunView>;
  /** A run's captured output (command jobs); null when there is none. */
  runLog(id: string): Promise<string | null>;
  close(): void;
}

/**
 * The live runtime if one answers on the socket, else the offline reader.
 *
 * @example
 * ```ts
 * import { openSource } from "./source.ts";
 * import { memoryIo } from "./output.ts";
 * const s = await openSource(Deno.makeTempDirSync(), memoryIo());
 * s.live; // false
 * ```
 */
export async function openSource(
  dataDir: string,
  io: Io,
  server: { url: string; token: string } | null = null,
): Promise<Source> {
  if (server) return liveSource(httpAdmin(server.url, server.token), dataDir);
  const admin = await connectAdmin(dataDir);
  if (admin) return liveSource(admin, dataDir);
  // Noted once the read worked: a data dir that cannot be read is one error line, no more.
  const source = await offlineSource(dataDir);
  io.err("(offline: read from the data dir)");
  return source;
}

/**
 * The live runtime, or a runtime error (exit 1) saying none runs on `dataDir`.
 *
 * @example
 * ```ts
 * import { requireLive } from "./source.ts";
 * const admin = await requireLive("/srv/kron", "trigger");
 * await admin.trigger("backup");
 * ```
 */
export async function requireLive(
  dataDir: string,
  command: string,
  server: { url: string; token: string } | null = null,
): Promise<LiveAdmin> {
  if (server) return httpAdmin(server.url, server.token);
  const admin = await connectAdmin(dataDir);
  if (admin) return admin;
  throw failure(
    `kron ${command}: no kron runtime is running on ${dataDir} ` +
      `(start one with "kron run" or "kron daemon start", or pass --data-dir)`,
  );
}

function liveSource(admin: LiveAdmin, dataDir: string): Source {
  return {
    live: true,
    jobs: () => admin.jobs(),
    job: (name) => admin.job(name),
    runs: (name, limit) => admin.runs(name, limit),
    runsPage: (name, limit, before) => admin.runsPage(name, limit, before),
    run: (id) => admin.run(id),
    runLog: async (id) => {
      const run = await admin.run(id);
      return await readRunLog(dataDir, run.job, id);
    },
    close: () => admin.close(),
  };
}

async function offlineSource(dataDir: string): Promise<Source> {
  // Imported here: live reads never pay for the store's replay code.
  // Outside the module graph too (lazy.ts): a literal import() would put the store, the engine's
  // views and their imports in the graph every read command builds at start-up.
  const { readDataDir } = await lazyImport<typeof import("../store/mod.ts")>("src/store/mod.ts");
  const { offlineLateness, toJobStatus, toRunRecord } = await lazyImport<
    typeof import("../engine/views.ts")
  >(
    "src/engine/views.ts",
  );
  const { jobDetail, jobSummary } = await lazyImport<typeof import("../http/job_views.ts")>(
    "src/http/job_views.ts",
  );
  const view = await readDataDir(dataDir);
  const state = view.state;
  const unknown = (name: string) => failure(`no job named "${name}" in ${dataDir}`);
  // Offline nothing is scheduled, so there is no next run to show; late/down follow from the
  // fold and the time now (what a runtime would have recorded by now).
  const now = Date.now();
  const status = (name: string) => {
    const st = state.jobs.get(name);
    if (!st) throw unknown(name);
    return toJobStatus(st, false, null, offlineLateness(st, now));
  };
  return {
    live: false,
    // Sorted by name, as the live API lists them.
    jobs: () => Promise.resolve([...state.jobs.keys()].sort().map((n) => jobSummary(status(n)))),
    job: (name) => Promise.resolve().then(() => jobDetail(status(name))),
    runs: async (name, limit) => {
      if (!state.jobs.has(name)) throw unknown(name);
      return plain<RunView[]>((await view.history(name, { limit })).map(toRunRecord));
    },
    runsPage: async (name, limit, before) => {
      if (!state.jobs.has(name)) throw unknown(name);
      const page = await view.historyPage(
        name,
        before === undefined ? { limit } : { limit, before },
      );
      return { runs: plain<RunView[]>(page.runs.map(toRunRecord)), next: page.next };
    },
    run: async (id) => {
      const run = await view.findRun(id);
      if (!run) throw failure(`no run with id "${id}" in ${dataDir}`);
      return plain<RunView>(toRunRecord(run));
    },
    runLog: async (id) => {
      const run = await view.findRun(id);
      if (!run) throw failure(`no run with id "${id}" in ${dataDir}`);
      return await readRunLog(dataDir, run.job, id);
    },
    close: () => {},
  };
}

/**
 * Reads `<dataDir>/runs/<job>/<id>.log`; null when it does not exist.
 *
 * @example
 * ```ts
 * import { readRunLog } from "./source.ts";
 * await readRunLog("/srv/kron", "backup", "01J0000000000000000000000"); // null
 * ```
 */
export async function readRunLog(dataDir: string, job: string, id: string): Promise<string | null> {
  // One path component each ("backup..old" is a valid job name; "..", "a/b" are not).
  const unsafe = (x: string) => x === "" || x === "." || x === ".." || /[/\\\0]/.test(x);
  if (unsafe(job) || unsafe(id)) return null;
  try {
    return await Deno.readTextFile(`${dataDir}/runs/${job}/${id}.log`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
