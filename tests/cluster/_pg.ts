// A throwaway PostgreSQL for one test suite: initdb into a temp dir, a free loopback port,
// started with pg_ctl (as the postgres user when running as root, on a directory it owns).
// Missing binaries FAIL the suite with a message naming .ci/deps: never a silent skip.

import { freePort } from "../_util/ports.ts";

export interface Pg {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (`-m immediate` simulates a crash, `fast` a clean restart). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes everything. */
  destroy(): Promise<void>;
}

function findBin(): string {
  const roots: string[] = [];
  try {
    for (const e of Deno.readDirSync("/usr/lib/postgresql")) roots.push(e.name);
  } catch {
    // fall through to PATH
  }
  roots.sort((a, b) => Number(b) - Number(a));
  for (const v of roots) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    try {
      Deno.statSync(`${dir}/initdb`);
      return dir;
    } catch {
      // next
    }
  }
  for (const p of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      Deno.statSync(`${p}/initdb`);
      return p;
    } catch {
      // next
    }
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, pg_ctl) not found: run `bash .ci/deps` " +
      "(installs Debian's postgresql) before the cluster tests",
  );
}

const isRoot = Deno.uid() === 0;

async function run(bin: string, args: string[], check = true): Promise<string> {
  const cmd = isRoot
    ? new Deno.Command("runuser", {
      args: ["-u", "postgres", "--", bin, ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (check && !out.success) throw new Error(`${bin} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** Starts a fresh PostgreSQL (fsync off: it is thrown away). */
export async function startPg(options: { settings?: Record<string, string> } = {}): Promise<Pg> {
  const bin = findBin();
  const dir = await Deno.makeTempDir({ prefix: "kron-pg-" });
  if (isRoot) {
    await Deno.chmod(dir, 0o755);
    const id = await new Deno.Command("id", { args: ["-u", "postgres"], stdout: "piped" }).output();
    const gid = await new Deno.Command("id", { args: ["-g", "postgres"], stdout: "piped" })
      .output();
    await Deno.chown(
      dir,
      Number(new TextDecoder().decode(id.stdout).trim()),
      Number(new TextDecoder().decode(gid.stdout).trim()),
    );
  }
  const data = `${dir}/data`;
  await run(`${bin}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = freePort();
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "300",
    shared_buffers: "128MB",
    ...options.settings,
  };
  const opts = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(" ");
  const pg: Pg = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async start() {
      await run(`${bin}/pg_ctl`, [
        "-D",
        data,
        "-o",
        opts,
        "-l",
        `${dir}/log`,
        "-w",
        "-t",
        "30",
        "start",
      ]);
    },
    async stop(mode = "fast") {
      await run(`${bin}/pg_ctl`, ["-D", data, "-m", mode, "-w", "stop"], false);
    },
    async destroy() {
      await pg.stop("immediate");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await pg.start();
  return pg;
}
