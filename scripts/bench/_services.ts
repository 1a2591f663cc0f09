/**
 * Local Redis and PostgreSQL servers for the durable peers, each in a temporary directory on a
 * free port, started and stopped by the benchmark itself. PostgreSQL refuses to run as root, so
 * as root it runs through `runuser -u postgres`.
 *
 * @example
 * ```ts
 * import { startRedis } from "./_services.ts";
 * const redis = await startRedis("always");
 * // … redis.port …
 * await redis.stop();
 * ```
 * @module
 */

/** A running server. */
export interface Service {
  port: number;
  /** PostgreSQL: a connection string; Redis: `redis://127.0.0.1:port`. */
  url: string;
  version: string;
  stop(): Promise<void>;
}

/**
 * A free TCP port on 127.0.0.1 (bind to 0, read it, close).
 *
 * @example
 * ```ts
 * import { freePort } from "./_services.ts";
 * freePort() > 0; // true
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function which(cmd: string, extra: string[] = []): Promise<string | null> {
  for (const dir of [...(Deno.env.get("PATH") ?? "").split(":"), ...extra]) {
    try {
      const path = `${dir}/${cmd}`;
      const st = await Deno.stat(path);
      if (st.isFile) return path;
    } catch { /* not here */ }
  }
  return null;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${text.trim()}`);
  return text;
}

async function waitFor(ok: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

async function canConnect(port: number): Promise<boolean> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  c.close();
  return true;
}

/**
 * Starts `redis-server` with AOF on and the given `appendfsync` policy, RDB snapshots off.
 * Throws "redis-server not found" when it is not installed (`apt-get install redis-server`).
 *
 * @example
 * ```ts
 * const r = await startRedis("everysec");
 * await r.stop();
 * ```
 */
export async function startRedis(appendfsync: "always" | "everysec"): Promise<Service> {
  const bin = await which("redis-server");
  if (!bin) throw new Error("redis-server not found (apt-get install -y redis-server)");
  const version = (await run(bin, ["--version"])).match(/v=([\d.]+)/)?.[1] ?? "?";
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-redis-" });
  const port = freePort();
  const child = new Deno.Command(bin, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      appendfsync,
      "--maxmemory-policy",
      "noeviction",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(() => canConnect(port), "redis-server");
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    version,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Initialises and starts a PostgreSQL cluster (durable defaults: fsync on, synchronous_commit
 * on) in a temp dir on a free port. Throws naming what is missing when it is not installed.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * await pg.stop();
 * ```
 */
export async function startPostgres(): Promise<Service> {
  const versions: string[] = [];
  try {
    for await (const e of Deno.readDir("/usr/lib/postgresql")) versions.push(e.name);
  } catch { /* none */ }
  versions.sort((a, b) => Number(b) - Number(a));
  const binDir = versions.length ? `/usr/lib/postgresql/${versions[0]}/bin` : null;
  const initdb = await which("initdb", binDir ? [binDir] : []);
  const pgCtl = await which("pg_ctl", binDir ? [binDir] : []);
  if (!initdb || !pgCtl) throw new Error("PostgreSQL not found (apt-get install -y postgresql)");
  const asRoot = Deno.uid() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-pg-" });
  if (asRoot) await run("chown", ["-R", "postgres:postgres", dir]);
  await Deno.chmod(dir, 0o700);
  const data = `${dir}/data`;
  await run(...wrap(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]));
  const port = freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  await run(...wrap(pgCtl, ["-D", data, "-o", opts, "-l", `${dir}/log`, "-w", "start"]));
  const version = (await run(...wrap(pgCtl, ["--version"]))).match(/([\d.]+)/)?.[1] ?? "?";
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version,
    async stop() {
      await run(...wrap(pgCtl, ["-D", data, "-m", "fast", "-w", "stop"])).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
