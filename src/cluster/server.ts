/**
 * A cluster node's HTTP face (`kron server`): the single-node admin API's routes, answered
 * from the database, plus the cluster routes. Any node answers any call; there is no leader.
 * Every route needs the bearer token except `GET /healthz`.
 *
 * ```
 * GET    /v1/jobs?limit=&cursor=      200 { jobs, nextCursor }   (?view=full: full statuses)
 * GET    /v1/jobs/:name               200 status + scheduleText + task + payload
 * PUT    /v1/jobs/:name               201 created | 200 updated: body = job options + task, payload
 * DELETE /v1/jobs/:name               200 { removed }
 * GET    /v1/jobs/:name/runs?limit=   200 { runs }
 * POST   /v1/jobs/:name/trigger       202 { runId }       409 overlap "skip" while busy
 * POST   /v1/jobs/:name/pause         200 status          body {} | {"for":"24h"} | {"until":…}
 * POST   /v1/jobs/:name/resume        200 status
 * GET    /v1/runs/:id                 200 run record
 * GET    /v1/events                   SSE: the event log, live (Last-Event-ID resumes)
 * POST   /v1/claim                    200 [runs]  body {"tasks":[…],"max":N,"waitMs":ms,"leaseMs":ms}
 * POST   /v1/runs/:id/heartbeat       200 { leaseUntil }  409 stale token
 * POST   /v1/runs/:id/complete        200 { runId }       409 stale token
 * POST   /v1/runs/:id/fail            200 { retryAt }     409 stale token  body {"fencingToken","error","timedOut"}
 * POST   /v1/complete                 200 { accepted, rejected }  body {"runs":[{runId,fencingToken}]}
 * GET    /healthz                     200 {"status":"ok"} | 503 {"status":"error","reason"}
 * GET    /metrics                     Prometheus text
 * ```
 *
 * A claim of one run also carries `X-Kron-Job`, `X-Kron-Run`, `X-Kron-Idempotency-Key` and
 * `X-Kron-Fencing-Token`. A batch carries each header as a comma-separated list in the order
 * of the body (job names, run ids, keys and tokens never contain commas), plus
 * `X-Kron-Run-Count`; an empty claim carries only `X-Kron-Run-Count: 0`. A claim sent with
 * `X-Kron-Run-Headers: none` gets only `X-Kron-Run-Count` (the SDK's worker reads the body).
 *
 * `PUT /v1/jobs/:name` and `POST /v1/jobs/:name/trigger` honour an `Idempotency-Key` header
 * (idempotency.ts): a repeat of the key, on any node within 24 h, answers the first answer
 * (with `Idempotent-Replayed: true`) and acts no more.
 *
 * When the database is unreachable, routes answer 503 `unavailable`; clients retry.
 *
 * @example
 * ```ts
 * import { startServer } from "./server.ts";
 * const server = await startServer({
 *   store: "postgres://postgres@127.0.0.1:5432/postgres",
 *   http: "127.0.0.1:0",
 *   token: "0123456789abcdef0123456789abcdef",
 * });
 * console.log(server.url);
 * await server.close();
 * ```
 * @module
 */
import { type Context, Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import { VERSION } from "../version.ts";
import {
  ApiError,
  csrfGuard,
  describeError,
  envToken,
  errorBody,
  jobDetail,
  jobNameParam,
  jobSummary,
  jsonBody,
  limitBody,
  limitParam,
  MIN_ENV_TOKEN_LENGTH,
  onlyKeys,
  parseHostPort,
  pauseOptions,
  requireAuth,
  runIdParam,
  seqParam,
} from "../http/mod.ts";
import { isTransient, type Sql } from "./_sql.ts";
import { eventsAfter, lastEventSeq, type StreamEvent } from "./_events.ts";
import { idempotencyKeyOf, withIdempotencyKey } from "./idempotency.ts";
import { type ClaimedJson, completeRun, completeRuns, failRun, heartbeatRun } from "./claims.ts";
import {
  type ClusterJobOptions,
  type ClusterJobStatus,
  defineJob,
  pauseJob,
  removeJob,
  resumeJob,
  triggerJob,
} from "./jobs.ts";
import { findRun, jobHistory, jobStatus, jobStatuses } from "./views.ts";
import { int, token } from "./_params.ts";
import { ClusterNode, type ClusterNodeOptions } from "./node.ts";

const log = getLogger(["kron", "cluster", "api"]);

/**
 * Largest request body (413 above).
 *
 * @example
 * ```ts
 * import { CLUSTER_MAX_BODY_BYTES } from "./server.ts";
 * CLUSTER_MAX_BODY_BYTES; // 262144
 * ```
 */
export const CLUSTER_MAX_BODY_BYTES = 256 * 1024;
/**
 * Longest long-poll a claim may ask for.
 *
 * @example
 * ```ts
 * import { MAX_WAIT_MS } from "./server.ts";
 * MAX_WAIT_MS; // 60000
 * ```
 */
export const MAX_WAIT_MS = 60_000;
/**
 * Most runs one claim may take.
 *
 * @example
 * ```ts
 * import { MAX_CLAIM } from "./server.ts";
 * MAX_CLAIM; // 1000
 * ```
 */
export const MAX_CLAIM = 1000;

type Env = { Variables: { auth: "socket" | "bearer" | "cookie" | "none" } };

/** A cluster job's detail as JSON: single-node's plus task and payload. */
function detail(s: ClusterJobStatus) {
  return { ...jobDetail(s), task: s.task, payload: s.payload };
}

function summary(s: ClusterJobStatus) {
  return { ...jobSummary(s), task: s.task };
}

const CLAIM_HEADERS: [string, (r: ClaimedJson) => string][] = [
  ["x-kron-job", (r) => r.job],
  ["x-kron-run", (r) => r.runId],
  ["x-kron-idempotency-key", (r) => r.idempotencyKey],
  ["x-kron-fencing-token", (r) => String(r.fencingToken)],
];

/**
 * Options of {@link createClusterApp}.
 *
 * @example
 * ```ts
 * import type { ClusterAppOptions } from "./server.ts";
 * const o: ClusterAppOptions = { token: "0123456789abcdef0123456789abcdef" };
 * ```
 */
export interface ClusterAppOptions {
  /** The bearer token every route but `/healthz` needs. */
  token: string;
  /** SSE poll interval while no NOTIFY arrives (default 500 ms). */
  ssePollMs?: number;
}

/**
 * The Hono app of a cluster node.
 *
 * @example
 * ```ts
 * import { createClusterApp } from "./server.ts";
 * import { ClusterNode } from "./node.ts";
 * const node = new ClusterNode({ store: "postgres://postgres@127.0.0.1/postgres" });
 * const app = createClusterApp(node, { token: "0123456789abcdef0123456789abcdef" });
 * (await app.request("/v1/jobs")).status; // 401
 * ```
 */
export function createClusterApp(node: ClusterNode, options: ClusterAppOptions): Hono<Env> {
  const { sql, t } = node;
  const app = new Hono<Env>();

  app.onError((err, c) => {
    if (isTransient(err)) {
      return c.json(
        errorBody("unavailable", `database unreachable: ${(err as Error).message}`),
        503,
      );
    }
    const d = describeError(err);
    if (!d.expected) {
      log.error("{method} {path} failed: {error}", {
        method: c.req.method,
        path: c.req.path,
        error: String((err as Error)?.stack ?? err),
      });
    }
    return c.json(errorBody(d.code, d.message), d.status as 500);
  });
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404)
  );
  app.use("*", requireAuth(() => options.token));
  app.use("*", csrfGuard());
  app.use(
    "*",
    limitBody(
      CLUSTER_MAX_BODY_BYTES,
      (c) => c.json(errorBody("payload_too_large", "request body too large"), 413),
    ),
  );

  app.get("/healthz", async (c) => {
    c.header("cache-control", "no-store");
    if (!node.running) return c.json({ status: "error", reason: "node is not running" }, 503);
    try {
      await node.ping();
      return c.json({ status: "ok" });
    } catch (e) {
      return c.json(
        { status: "error", reason: `database unreachable: ${(e as Error).message}` },
        503,
      );
    }
  });

  app.get("/metrics", async () => {
    const lines = [
      "# HELP kron_build_info kron build.",
      "# TYPE kron_build_info gauge",
      `kron_build_info{version="${VERSION}",mode="cluster"} 1`,
    ];
    try {
      const rows = await sql.unsafe(
        `SELECT status, count(*) AS n FROM ${t.queue} GROUP BY status`,
      );
      lines.push(
        "# HELP kron_cluster_runs Runs pending or in flight.",
        "# TYPE kron_cluster_runs gauge",
      );
      for (const r of rows) lines.push(`kron_cluster_runs{status="${r.status}"} ${r.n}`);
      lines.push("kron_cluster_db_up 1");
    } catch {
      lines.push("kron_cluster_db_up 0");
    }
    return new Response(lines.join("\n") + "\n", {
      headers: { "content-type": "text/plain; version=0.0.4", "cache-control": "no-store" },
    });
  });

  // ------------------------------------------------------------------ jobs

  app.get("/v1/jobs", async (c) => {
    const limit = limitParam(c.req.query("limit"), 100, 1000);
    const cursor = c.req.query("cursor") ?? null;
    if (cursor !== null) jobNameParam(cursor);
    const { jobs, nextCursor } = await jobStatuses(sql, t, { cursor, limit });
    const full = c.req.query("view") === "full";
    return c.json({ jobs: jobs.map((j) => full ? detail(j) : summary(j)), nextCursor });
  });

  app.get("/v1/jobs/:name", async (c) => {
    return c.json(detail(await jobStatus(sql, t, jobNameParam(c.req.param("name")))));
  });

  /** Answers `act`'s answer, once per `Idempotency-Key` when the request carries one. */
  async function keyed(
    c: Context<Env>,
    body: unknown,
    act: (db: Sql) => Promise<{ status: number; body: unknown }>,
  ): Promise<Response> {
    const key = idempotencyKeyOf(c.req.raw.headers);
    const answer = key === null ? { ...await act(sql), replayed: false } : await withIdempotencyKey(
      sql,
      t,
      key,
      `${c.req.method} ${c.req.path} ${JSON.stringify(body)}`,
      act,
    );
    if (!answer.replayed) node.wake();
    const headers: Record<string, string> = answer.replayed
      ? { "idempotent-replayed": "true" }
      : {};
    return c.json(answer.body, answer.status as 200, headers);
  }

  app.put("/v1/jobs/:name", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const body = await jsonBody(c.req.raw);
    return await keyed(c, body, async (db) => {
      const { created } = await defineJob(db, t, name, body as ClusterJobOptions, "task");
      return { status: created ? 201 : 200, body: detail(await jobStatus(db, t, name)) };
    });
  });

  app.delete("/v1/jobs/:name", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    await removeJob(sql, t, name);
    return c.json({ removed: name });
  });

  app.get("/v1/jobs/:name/runs", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const limit = limitParam(c.req.query("limit"), 20, 1000);
    return c.json({ runs: await jobHistory(sql, t, name, limit) });
  });

  app.post("/v1/jobs/:name/trigger", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, []);
    return await keyed(c, body, async (db) => ({
      status: 202,
      body: { runId: await triggerJob(db, t, name) },
    }));
  });

  app.post("/v1/jobs/:name/pause", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    await pauseJob(sql, t, name, pauseOptions(await jsonBody(c.req.raw)));
    return c.json(detail(await jobStatus(sql, t, name)));
  });

  app.post("/v1/jobs/:name/resume", async (c) => {
    const name = jobNameParam(c.req.param("name"));
    onlyKeys(await jsonBody(c.req.raw), []);
    await resumeJob(sql, t, name);
    node.wake();
    return c.json(detail(await jobStatus(sql, t, name)));
  });

  app.get(
    "/v1/runs/:id",
    async (c) => c.json(await findRun(sql, t, runIdParam(c.req.param("id")))),
  );

  app.get("/v1/runs/:id/log", (c) => {
    runIdParam(c.req.param("id"));
    throw new ApiError(404, "not_found", "cluster runs have no captured output log");
  });

  for (const path of ["/v1/reload", "/v1/compact"]) {
    app.post(path, () => {
      throw new ApiError(501, "not_implemented", `${path} has no meaning in cluster mode`);
    });
  }

  // ------------------------------------------------------------------ cluster routes

  app.post("/v1/claim", async (c) => {
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, ["tasks", "max", "waitMs", "leaseMs", "worker"]);
    const tasks = body.tasks;
    if (
      !Array.isArray(tasks) || tasks.length === 0 || tasks.length > 1000 ||
      !tasks.every((x) => typeof x === "string")
    ) {
      throw new ApiError(400, "bad_request", `"tasks" must be a non-empty list of task names`);
    }
    const worker = body.worker === undefined ? "anonymous" : String(body.worker).slice(0, 200);
    const runs = await node.claimJson({
      tasks: tasks as string[],
      max: int(body, "max", 1, MAX_CLAIM, 1),
      waitMs: int(body, "waitMs", 0, MAX_WAIT_MS, 0),
      leaseMs: int(body, "leaseMs", 100, 24 * 3600_000, node.leaseMs),
      worker,
      signal: c.req.raw.signal,
    });
    const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
    headers.set("x-kron-run-count", String(runs.length));
    // The per-run headers are ~90 bytes a run, each checked character by character when set
    // (~2 µs a run of the node's CPU at ~220 runs a claim) and parsed again by the worker.
    if (runs.length > 0 && c.req.header("x-kron-run-headers") !== "none") {
      for (const [name, get] of CLAIM_HEADERS) headers.set(name, runs.map(get).join(", "));
    }
    // Each run's JSON comes from the database as it is sent (claims.ts).
    return new Response(`[${runs.map((r) => r.json).join(",")}]`, { headers });
  });

  app.post("/v1/runs/:id/heartbeat", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, ["fencingToken", "leaseMs"]);
    const leaseMs = int(body, "leaseMs", 100, 24 * 3600_000, node.leaseMs);
    return c.json(await heartbeatRun(sql, t, id, token(body), leaseMs));
  });

  app.post("/v1/runs/:id/complete", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, ["fencingToken", "result"]);
    await completeRun(sql, t, id, token(body));
    return c.json({ runId: id });
  });

  app.post("/v1/runs/:id/fail", async (c) => {
    const id = runIdParam(c.req.param("id"));
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, ["fencingToken", "error", "timedOut", "exitCode"]);
    const exitCode = body.exitCode === undefined || body.exitCode === null
      ? null
      : int(body, "exitCode", -1_000_000, 1_000_000);
    const out = await failRun(sql, t, id, token(body), {
      error: typeof body.error === "string" ? body.error : "failed",
      timedOut: body.timedOut === true,
      exitCode,
    });
    node.wake();
    return c.json(out);
  });

  app.post("/v1/complete", async (c) => {
    const body = await jsonBody(c.req.raw);
    onlyKeys(body, ["runs"]);
    const list = body.runs;
    if (!Array.isArray(list) || list.length > MAX_CLAIM) {
      throw new ApiError(400, "bad_request", `"runs" must be a list of {runId, fencingToken}`);
    }
    const items = list.map((x) => {
      const o = (x ?? {}) as Record<string, unknown>;
      return { runId: runIdParam(String(o.runId)), fencingToken: token(o) };
    });
    const { rejected } = await completeRuns(sql, t, items, node.claimSql);
    return c.json({
      accepted: items.filter((i) => !rejected.has(i.runId)).map((i) => i.runId),
      rejected: items.filter((i) => rejected.has(i.runId)).map((i) => i.runId),
    });
  });

  // ------------------------------------------------------------------ events (SSE)

  app.get("/v1/events", (c) => {
    let after = seqParam(c.req.header("last-event-id") ?? c.req.query("lastEventId"));
    const pollMs = options.ssePollMs ?? 500;
    const encoder = new TextEncoder();
    const abort = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => abort.abort(), { once: true });
    node.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        let wake: (() => void) | null = null;
        const off = node.onNotify(() => wake?.());
        try {
          if (after === null) after = await lastEventSeq(sql, t);
          controller.enqueue(encoder.encode(": connected\n\n"));
          let idle = 0;
          while (!abort.signal.aborted) {
            let rows: StreamEvent[] = [];
            try {
              rows = await eventsAfter(sql, t, after);
            } catch {
              // The database is away: keep the stream, try again.
            }
            for (const r of rows) {
              const data = { ...r.data, seq: r.seq };
              controller.enqueue(
                encoder.encode(`id: ${r.seq}\nevent: ${r.type}\ndata: ${JSON.stringify(data)}\n\n`),
              );
              after = r.seq;
            }
            // A window of 1000 positions well filled: there may be more now, read on at once.
            if (rows.length >= 500) continue;
            if (++idle % 30 === 0) controller.enqueue(encoder.encode(": ping\n\n"));
            await new Promise<void>((resolve) => {
              const timer = setTimeout(done, pollMs);
              function done() {
                clearTimeout(timer);
                wake = null;
                abort.signal.removeEventListener("abort", done);
                resolve();
              }
              wake = done;
              abort.signal.addEventListener("abort", done, { once: true });
            });
          }
        } finally {
          off();
          try {
            controller.close();
          } catch {
            // Already closed by the client.
          }
        }
      },
      cancel() {
        abort.abort();
      },
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  });

  return app;
}

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * import type { ServerOptions } from "./server.ts";
 * const o: ServerOptions = { store: "postgres://db/kron", http: "0.0.0.0:7380", token: "…" };
 * ```
 */
export interface ServerOptions extends ClusterNodeOptions {
  /** `host:port` to listen on (default `127.0.0.1:7380`; port 0 picks a free one). */
  http?: string;
  /** The bearer token (default `KRON_TOKEN`); at least 16 characters. */
  token?: string;
  /** SSE poll interval (default 500 ms). */
  ssePollMs?: number;
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import type { ClusterServer } from "./server.ts";
 * const where = (s: ClusterServer) => s.url;
 * ```
 */
export interface ClusterServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  node: ClusterNode;
  /** Stops listening (waiting claims answer empty) and stops the node. */
  close(): Promise<void>;
}

/**
 * Starts a node and serves its API.
 *
 * @example
 * ```ts
 * import { startServer } from "./server.ts";
 * const s = await startServer({ store: Deno.env.get("KRON_STORE")!, http: "127.0.0.1:7380" });
 * await s.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<ClusterServer> {
  const token = options.token ?? envToken();
  if (!token) {
    throw new KronError(
      "invalid_option",
      "kron server needs a token: pass --token or set KRON_TOKEN (try: openssl rand -hex 32)",
    );
  }
  if (token.length < MIN_ENV_TOKEN_LENGTH) {
    throw new KronError(
      "invalid_option",
      `the token must be at least ${MIN_ENV_TOKEN_LENGTH} characters`,
    );
  }
  const addr = parseHostPort(options.http ?? "127.0.0.1:7380");
  const node = new ClusterNode(options);
  await node.start();
  const app = createClusterApp(node, { token, ssePollMs: options.ssePollMs });
  let server: Deno.HttpServer;
  try {
    server = Deno.serve(
      { hostname: addr.hostname, port: addr.port, onListen: () => {} },
      app.fetch,
    );
  } catch (e) {
    await node.stop();
    throw e;
  }
  const bound = server.addr as Deno.NetAddr;
  const host = bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${bound.port}`,
    port: bound.port,
    node,
    close: () =>
      closed ??= (async () => {
        const stopping = node.stop();
        await server.shutdown().catch(() => {});
        await stopping;
      })(),
  };
}
