/**
 * `kron server --store postgres://…`: one node of a kron cluster. Creates or migrates its
 * schema, then serves the admin API plus the cluster routes (claims, heartbeats, completions)
 * over HTTP with a bearer token, ticks schedules and reclaims expired leases. Run as many as
 * you like against one database: any node answers any call. See docs/cluster.md.
 *
 * @example
 * ```ts
 * import { run } from "./server.ts";
 * import { consoleIo } from "../output.ts";
 * await run(["--store", "postgres://kron@db/kron", "--http", "0.0.0.0:7380"], consoleIo());
 * ```
 * @module
 */
import { parseFlags, stringFlag } from "../args.ts";
import { usage } from "../errors.ts";
import { configureLogging, isLogFormat } from "../logging.ts";
import type { Io } from "../output.ts";
import { parseDuration } from "../../schedule/duration.ts";

/**
 * The text of `kron server --help`.
 *
 * @example
 * ```ts
 * import { help } from "./server.ts";
 * console.log(help);
 * ```
 */
export const help = `kron server --store postgres://… [--http host:port] [--token T] [--node-id ID]
            [--schema NAME] [--lease 30s]

Runs one node of a kron cluster on PostgreSQL. Every node shares the database, which is the
source of truth: schedules, runs, leases and history live there, so any node answers any API
call and any node may die. Workers (KronWorker) claim runs from any node.

Flags:
  --store <url>       postgres:// URL (default $KRON_STORE)
  --http <host:port>  where to serve the API (default 127.0.0.1:7380)
  --token <token>     bearer token for every route but /healthz (default $KRON_TOKEN)
  --node-id <id>      this node's name in logs and events (default host:pid)
  --schema <name>     schema of kron's tables (default $KRON_PG_SCHEMA, else kron)
  --lease <duration>  lease of claimed runs without a heartbeat (default 30s)

Examples:
  KRON_TOKEN=$(openssl rand -hex 32) kron server --store postgres://kron@db/kron --http 0.0.0.0:7380
  kron status --server http://node-1:7380 --token "$KRON_TOKEN"`;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `kron server` until SIGINT or SIGTERM; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./server.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["--store", "postgres://kron@127.0.0.1/kron"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    store: { type: "string" },
    http: { type: "string" },
    token: { type: "string" },
    "node-id": { type: "string" },
    schema: { type: "string" },
    lease: { type: "string" },
  }, "server");
  if (positionals.length > 0) throw usage(`kron server: unexpected argument ${positionals[0]}`);
  const store = stringFlag(flags, "store") ?? env("KRON_STORE");
  if (!store) throw usage("kron server: --store postgres://… is required (or set KRON_STORE)");
  let leaseMs: number | undefined;
  const lease = stringFlag(flags, "lease");
  if (lease !== undefined) {
    try {
      leaseMs = parseDuration(lease, "--lease");
    } catch (e) {
      throw usage(`kron server: ${(e as Error).message}`);
    }
  }
  const format = stringFlag(flags, "log-format");
  await configureLogging(isLogFormat(format) ? format : "text");
  const { startServer } = await import("../../cluster/mod.ts");
  const server = await startServer({
    store,
    http: stringFlag(flags, "http"),
    token: stringFlag(flags, "token"),
    nodeId: stringFlag(flags, "node-id"),
    schema: stringFlag(flags, "schema"),
    leaseMs,
  });
  io.out(
    `kron server ${server.node.nodeId} serving ${server.url} (schema ${server.node.t.schema})`,
  );
  const stop = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop.resolve);
  await stop.promise;
  for (const s of signals) Deno.removeSignalListener(s, stop.resolve);
  await server.close();
  return 0;
}
