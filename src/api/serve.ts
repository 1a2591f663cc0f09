/**
 * Serving the admin app: on `<dataDir>/kron.sock` always (mode 0600 in a 0700 dir), and on
 * TCP when asked (`--http host:port`), with the token checks that TCP needs.
 *
 * @example
 * ```ts
 * import { serveAdmin } from "./serve.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ dataDir: "/tmp/kron-demo" });
 * await kron.start();
 * const admin = await serveAdmin(kron, { dataDir: kron.dataDir, http: "127.0.0.1:8080" });
 * console.log(admin.socketPath, admin.http?.port);
 * await admin.close();
 * await kron.shutdown();
 * ```
 * @module
 */
import { getConfig, getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import { absolute } from "../paths.ts";
import { VERSION } from "../version.ts";
import type { AdminHost } from "./host.ts";
import { createAdminApp } from "./app.ts";
import { gated } from "./_gate.ts";
import { type Front, ListenError, startFront } from "./_front.ts";
import { type Listen, serveListener } from "./_front_wire.ts";
import { metricsFor } from "./metrics.ts";
import { envToken, parseHostPort, readTokenFile, resolveToken } from "../http/mod.ts";
import type { ReloadJson } from "../http/mod.ts";

/**
 * File name of the socket inside the data dir.
 *
 * @example
 * ```ts
 * import { SOCKET_FILE } from "./serve.ts";
 * const path = `/var/lib/kron/${SOCKET_FILE}`; // "/var/lib/kron/kron.sock"
 * ```
 */
export const SOCKET_FILE = "kron.sock";
/**
 * Longest socket path Linux accepts (sun_path is 108 bytes with the terminating NUL).
 *
 * @example
 * ```ts
 * import { MAX_SOCKET_PATH_BYTES } from "./serve.ts";
 * MAX_SOCKET_PATH_BYTES; // 107
 * ```
 */
export const MAX_SOCKET_PATH_BYTES = 107;

const log = getLogger(["kron", "api"]);

/**
 * Options of {@link serveAdmin}.
 *
 * @example
 * ```ts
 * import type { ServeAdminOptions } from "./serve.ts";
 * const options: ServeAdminOptions = { http: "127.0.0.1:8080" };
 * ```
 */
export interface ServeAdminOptions {
  /** The data dir (socket, token, run logs); default `kron.dataDir`. Null: no socket. */
  dataDir?: string | null;
  /** `host:port` for the TCP listener (`127.0.0.1:8080`, `[::1]:0`, `0.0.0.0:8080`). */
  http?: string;
  /** Re-reads the job file (`POST /v1/reload`). */
  reload?: () => Promise<ReloadJson>;
  /** Aborting it closes both listeners. */
  signal?: AbortSignal;
  /** Version shown by the dashboard and metrics (default this build's). */
  version?: string;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** Recent events kept in memory for SSE resume (default 4096). */
  eventRingSize?: number;
  /**
   * When the socket cannot be served because its path is over the Unix limit: `true` warns in
   * one line and runs on without it (what `Kron` does); default `false` throws. Missing
   * permissions always warn.
   */
  socketOptional?: boolean;
  /**
   * Per-job `kron_run_duration_seconds` histograms in `/metrics` (25 series a job). Default:
   * true unless `KRON_METRICS_JOB_HISTOGRAMS=false` (read when env access is permitted).
   */
  metricsJobHistograms?: boolean;
}

/**
 * What is being served.
 *
 * @example
 * ```ts
 * import type { AdminServer } from "./serve.ts";
 * const where = (s: AdminServer) => s.socketPath ?? `port ${s.http?.port}`;
 * ```
 */
export interface AdminServer {
  /** The socket path, or null when there is none (no data dir, or no permission). */
  socketPath: string | null;
  /**
   * The TCP address and where its bearer token is (`tokenFile` null: `KRON_TOKEN`;
   * `tokenCreated`: this start wrote the file), or null.
   */
  http: { hostname: string; port: number; tokenFile: string | null; tokenCreated: boolean } | null;
  /** Stops both listeners (open SSE streams are ended) and removes the socket file. */
  close(): Promise<void>;
}

/**
 * The absolute socket path of a data dir, checked against the Unix path limit.
 *
 * @example
 * ```ts
 * import { socketPathFor } from "./serve.ts";
 * socketPathFor("/var/lib/kron"); // "/var/lib/kron/kron.sock"
 * ```
 */
export function socketPathFor(dataDir: string): string {
  const dir = absolute(dataDir);
  const path = `${dir}/${SOCKET_FILE}`;
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    const room = MAX_SOCKET_PATH_BYTES - SOCKET_FILE.length - 1;
    throw new KronError(
      "invalid_option",
      `the admin socket path ${path} is ${bytes} bytes, over the Unix limit of ${MAX_SOCKET_PATH_BYTES}: ` +
        `use a shorter --data-dir (at most ${room} bytes, e.g. ~/.kron or /var/lib/kron)`,
    );
  }
  return path;
}

/**
 * True for loopback addresses (only this machine can connect).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./serve.ts";
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === "::ffff:127.0.0.1";
}

/**
 * A warning that must be seen even by an embedding app that never configured logging
 * (LogTape drops records then): such apps get it on stderr.
 */
function warnOnce(line: string): void {
  if (getConfig() === null) console.warn(line);
  else log.warn(line);
}

/** The first permission serving `path` lacks (without prompting), or null when all are granted. */
function missingSocketPermission(dir: string, path: string): string | null {
  const needs: [Deno.PermissionDescriptor, string][] = [
    [{ name: "net", host: `unix:${path}` }, `net access to it; grant --allow-net=unix:${path}`],
    [{ name: "read", path: dir }, `read access to ${dir}; grant --allow-read=${dir}`],
    [{ name: "write", path: dir }, `write access to ${dir}; grant --allow-write=${dir}`],
  ];
  for (const [descriptor, what] of needs) {
    if (Deno.permissions.querySync(descriptor).state !== "granted") return what;
  }
  return null;
}

function permissionError(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/** Removes a socket file left by a crashed runtime; refuses when a live one answers. */
async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (!info.isSocket) {
    throw new KronError("invalid_option", `${path} exists and is not a socket; move it away`);
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.NotFound) {
      // Nobody listens: a crashed runtime's leftover. Replace it.
      await Deno.remove(path).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      return;
    }
    throw e;
  }
  throw new KronError("locked", `another kron runtime is serving ${path}`);
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  const info = await Deno.stat(dir);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    // The socket itself is 0600, but it is created 0755 and chmod-ed a moment later; a private
    // directory closes that window.
    log.warn("data dir {dir} is accessible to other users (mode {mode}); consider chmod 700", {
      dir,
      mode: (info.mode & 0o777).toString(8),
    });
  }
}

/**
 * Serves the admin API of `kron`: on the data dir's Unix socket (unless there is no data dir,
 * or no permission: then a one-line warning and `socketPath: null`), and on TCP when `http`
 * is given, with the bearer token `KRON_TOKEN`, else `<dataDir>/admin.token`, created 0600 when
 * missing (`http.tokenCreated`: the caller logs where it is, never the token itself).
 *
 * @example
 * ```ts
 * import { serveAdmin } from "./serve.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ dataDir: Deno.makeTempDirSync() });
 * await kron.start();
 * const admin = await serveAdmin(kron, { dataDir: kron.dataDir });
 * // curl --unix-socket <dataDir>/kron.sock http://kron/v1/jobs
 * await admin.close();
 * await kron.shutdown();
 * ```
 */
export async function serveAdmin(
  kron: AdminHost,
  options: ServeAdminOptions = {},
): Promise<AdminServer> {
  const dataDir = options.dataDir === undefined ? kron.dataDir : options.dataDir;
  const dir = dataDir === null ? null : absolute(dataDir);
  const version = options.version ?? VERSION;
  const closing = new AbortController();
  const servers: Deno.HttpServer[] = [];
  let socketPath: string | null = null;
  let http: AdminServer["http"] = null;

  // Validate everything TCP needs before opening anything, so a refusal leaves nothing behind.
  let tcp:
    | { hostname: string; port: number; token: string; path: string | null; created: boolean }
    | null = null;
  if (options.http !== undefined) {
    const addr = parseHostPort(options.http);
    const host = `${
      addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
    }:${addr.port}`;
    if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
      throw new KronError(
        "invalid_option",
        `serving the admin API on ${options.http} needs net access: run with --allow-net=${host}`,
      );
    }
    // Any address, loopback or not (a container's first start on an empty volume): without
    // KRON_TOKEN a missing <dataDir>/admin.token is created 0600, and the caller says where.
    if (dir !== null) await ensurePrivateDir(dir);
    const before = envToken() === null && dir !== null ? await readTokenFile(dir) : null;
    const { token, path: tokenFile } = await resolveToken(dir, { create: true });
    tcp = { ...addr, token, path: tokenFile, created: tokenFile !== null && before === null };
  }

  const common = {
    reload: options.reload,
    dataDir: dir,
    version,
    signal: closing.signal,
    heartbeatMs: options.heartbeatMs,
    eventRingSize: options.eventRingSize,
    metricsJobHistograms: options.metricsJobHistograms ?? envJobHistograms(),
  };

  // The listeners live on a thread of their own (_front.ts), or here where none can start.
  let front: Front | null | undefined;
  let closed: Promise<void> | null = null;
  const close = () =>
    closed ??= closeAll(servers, closing).then(() => front?.close()).then(() => {});
  // Requests step aside just before occurrences are due (_gate.ts; the front does its own).
  const nextAt = () => kron.engine.nextAheadAt;
  const now = () => kron.engine.clock.now();
  const serveOn = async (
    listen: Listen,
    fetch: (req: Request) => Response | Promise<Response>,
  ): Promise<{ hostname: string; port: number }> => {
    if (front === undefined) {
      front = await startFront(kron);
      // The same metrics as the apps' (one per Kron; the first app made them).
      front?.shareMetrics(metricsFor(kron, {
        dataDir: dir,
        version,
        jobHistograms: common.metricsJobHistograms,
      }));
    }
    if (front !== null) {
      try {
        const at = await front.listen(listen, fetch);
        return { hostname: at.hostname ?? "", port: at.port ?? 0 };
      } catch (e) {
        if (e instanceof ListenError && e.permission) {
          throw new Deno.errors.PermissionDenied(e.message);
        }
        throw e;
      }
    }
    const server = serveListener(listen, gated(fetch, nextAt, now));
    servers.push(server);
    const addr = server.addr as Deno.NetAddr;
    return { hostname: addr.hostname, port: addr.port };
  };

  let path: string | null = null;
  if (dir !== null) {
    try {
      path = socketPathFor(dir);
    } catch (e) {
      if (!options.socketOptional) throw e;
      warnOnce(`kron: admin socket not served (${(e as Error).message}); running on without it`);
    }
  }
  // Asked, never requested: a request would prompt at a terminal.
  const missing = path === null ? null : missingSocketPermission(dir!, path);
  if (missing !== null) {
    warnOnce(
      `kron: admin socket ${path} not served (no ${missing}); running on without it, and the ` +
        `CLI will read ${dir} offline`,
    );
  } else if (path !== null) {
    try {
      await ensurePrivateDir(dir!);
      await clearStaleSocket(path);
      const app = createAdminApp(kron, { ...common, tcp: false });
      await serveOn({ kind: "socket", path }, app.fetch);
      await Deno.chmod(path, 0o600);
      socketPath = path;
    } catch (e) {
      if (!permissionError(e)) {
        await close();
        throw e;
      }
      warnOnce(
        `kron: admin socket not served (${(e as Error).message.split("\n")[0]}); ` +
          `running on without it, and the CLI will read ${dir} offline`,
      );
    }
  }

  if (tcp !== null) {
    try {
      const app = createAdminApp(kron, { ...common, tcp: true, token: tcp.token });
      const addr = await serveOn(
        { kind: "tcp", hostname: tcp.hostname, port: tcp.port, token: tcp.token },
        app.fetch,
      );
      http = {
        hostname: addr.hostname,
        port: addr.port,
        tokenFile: tcp.path,
        tokenCreated: tcp.created,
      };
    } catch (e) {
      await close();
      throw e;
    }
  }

  options.signal?.addEventListener("abort", () => void close(), { once: true });
  if (options.signal?.aborted) await close();
  return { socketPath, http, close };
}

async function closeAll(servers: Deno.HttpServer[], closing: AbortController): Promise<void> {
  // End SSE streams first: shutdown() waits for open responses to finish.
  closing.abort();
  await Promise.all(servers.map((s) => s.shutdown().catch(() => {})));
}

/** `KRON_METRICS_JOB_HISTOGRAMS=false` (or `0`) turns per-job histograms off. */
function envJobHistograms(): boolean {
  const name = "KRON_METRICS_JOB_HISTOGRAMS";
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return true;
  const value = Deno.env.get(name)?.trim().toLowerCase();
  return value !== "false" && value !== "0";
}
