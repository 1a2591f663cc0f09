// Processes for the cluster tests: kron server nodes (the real CLI), worker and replica
// fixtures. Output lines are collected so tests can wait for and inspect them.

import postgres from "postgres";
import { type Pg, startPg } from "./_pg.ts";
import { freePort } from "../_util/ports.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const TOKEN = "cluster-test-token-0123456789abcdef";

export interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  /** Parsed JSON lines. */
  events(): Record<string, unknown>[];
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(signal?: Deno.Signal): Promise<void>;
}

export function spawn(args: string[], env: Record<string, string> = {}): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, prefix: string) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) lines.push(prefix + line);
      for (const w of waiters) w();
    }
  };
  pump(child.stdout, "").catch(() => {});
  pump(child.stderr, "stderr: ").catch(() => {});
  let exited = false;
  child.status.then(() => exited = true);
  return {
    child,
    lines,
    events: () =>
      lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>),
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; output so far:\n${lines.slice(-30).join("\n")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async kill(signal: Deno.Signal = "SIGKILL") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
      await child.status;
    },
  };
}

export { freePort };

export interface Node extends Proc {
  url: string;
}

/** Starts `kron server` and waits until it serves. */
export async function startNode(
  store: string,
  schema: string,
  id: string,
  extra: string[] = [],
  port = freePort(),
  env: Record<string, string> = {},
): Promise<Node> {
  const proc = spawn([
    "main.ts",
    "server",
    "--store",
    store,
    "--http",
    `127.0.0.1:${port}`,
    "--token",
    TOKEN,
    "--node-id",
    id,
    "--schema",
    schema,
    ...extra,
  ], env);
  await proc.waitFor((l) => l.includes("serving http://"), 30_000);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}

export function startWorker(
  url: string,
  mode: "fast" | "hang" | "slow" = "fast",
  env: Record<string, string> = {},
  tasks = "tick",
): Proc {
  return spawn([`tests/cluster/fixtures/worker.ts`, url, TOKEN, mode, tasks], env);
}

export function startReplica(store: string, schema: string): Proc {
  return spawn([`tests/cluster/fixtures/replica.ts`, store, schema]);
}

export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

// deno-lint-ignore no-explicit-any
type Json = any;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What {@link clusterTest} gives a test: its own PostgreSQL, a connection, and its processes. */
export interface ClusterRig {
  pg: Pg;
  sql: postgres.Sql;
  /** Processes the test starts: killed (SIGKILL) when it ends, before PostgreSQL goes. */
  procs: Proc[];
}

/**
 * A cluster test with its own throwaway PostgreSQL: `fn` runs with a connection and a list for
 * the processes it starts; afterwards the connection closes, the processes are killed and the
 * database is destroyed, whatever `fn` did.
 */
export function clusterTest(name: string, fn: (rig: ClusterRig) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const pg = await startPg();
      const sql = postgres(pg.url, { onnotice: () => {} });
      const procs: Proc[] = [];
      try {
        await fn({ pg, sql, procs });
      } finally {
        await sql.end();
        await Promise.all(procs.map((p) => p.kill("SIGKILL")));
        await pg.destroy();
      }
    },
  });
}
