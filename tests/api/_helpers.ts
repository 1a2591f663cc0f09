// Shared fixtures for API tests: a started Kron in a short temp data dir, served for real on its
// Unix socket (and TCP when asked), and fetch over that socket.
import { Kron } from "../../src/kron/mod.ts";
import { type AdminServer, serveAdmin, type ServeAdminOptions } from "../../src/api/mod.ts";
import type { JobOptions, RunContext } from "../../src/engine/types.ts";

/** A short temp dir (socket paths are limited to 107 bytes). */
export function tempDir(): string {
  return Deno.makeTempDirSync({ dir: "/tmp", prefix: "kapi-" });
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

export interface JobSpec {
  options: JobOptions;
  fn?: (ctx: RunContext) => unknown;
}

export interface Rig extends AsyncDisposable {
  kron: Kron;
  dataDir: string;
  admin: AdminServer;
  /** fetch over the Unix socket; `path` like "/v1/jobs". */
  sock(path: string, init?: RequestInit): Promise<Response>;
  /** fetch over TCP (when served). */
  tcp(path: string, init?: RequestInit): Promise<Response>;
  tcpUrl: string;
  close(): Promise<void>;
}

/** Starts a Kron with `jobs` in a fresh data dir and serves its admin API. */
export async function startRig(
  jobs: Record<string, JobSpec>,
  options: Omit<ServeAdminOptions, "dataDir"> & { dataDir?: string; memory?: boolean } = {},
): Promise<Rig> {
  const dataDir = options.dataDir ?? tempDir();
  const kron = options.memory
    ? new Kron({ store: "memory" })
    : new Kron({ dataDir, durability: "none", admin: false }); // served below, as options say
  for (const [name, spec] of Object.entries(jobs)) {
    kron.schedule(name, spec.options, spec.fn ?? (() => {}));
  }
  await kron.start();
  const admin = await serveAdmin(kron, { ...options, dataDir });
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: `${dataDir}/kron.sock` },
  });
  const tcpUrl = admin.http ? `http://127.0.0.1:${admin.http.port}` : "";
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.close();
    await admin.close();
    await kron.shutdown({ timeout: "1s" });
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  return {
    kron,
    dataDir,
    admin,
    tcpUrl,
    sock: (path, init = {}) => fetch(`http://kron${path}`, { ...init, client } as RequestInit),
    tcp: (path, init = {}) => fetch(`${tcpUrl}${path}`, init),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** JSON POST init. */
export function postJson(body: unknown, method = "POST"): RequestInit {
  return { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** Waits until `check` returns a truthy value (polls every 10 ms), or fails after `ms`. */
export async function until<T>(
  check: () => T | Promise<T>,
  ms = 5000,
  what = "condition",
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
