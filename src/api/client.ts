/**
 * The admin API client the CLI uses: over the data dir's Unix socket (`connect`), or over
 * HTTP with a token (`http`). Server errors become {@link KronError}s carrying the server's
 * code and message. Kept free of heavy imports: `kron status` pays for this module on every
 * start.
 *
 * @example
 * ```ts
 * import { AdminClient } from "./client.ts";
 * const client = await AdminClient.connect(".kron");
 * if (client) {
 *   const { jobs } = await client.jobs();
 *   console.log(jobs.map((j) => `${j.name} ${j.state}`).join("\n"));
 *   client.close();
 * } else {
 *   // no runtime: read the data dir offline
 * }
 * ```
 * @module
 */
import { SseParser } from "./sse_parser.ts";
import { type Answer, unixRequest } from "./_unix_http.ts";
import { AdminApiError, NodeSet } from "../http/client.ts";
export { AdminApiError };
import type {
  CompactJson,
  ForgetJson,
  GapJson,
  HealthJson,
  JobDetailJson,
  JobListJson,
  ReloadJson,
  RunJson,
  RunListJson,
  ServerEvent,
  TriggerJson,
} from "../http/client.ts";
import type { KronEvent } from "../events/mod.ts";

/**
 * A client of one kron runtime's admin API.
 *
 * @example
 * ```ts
 * import { AdminClient } from "./client.ts";
 * const c = AdminClient.http("http://127.0.0.1:8080", Deno.env.get("KRON_TOKEN")!);
 * const runId = (await c.trigger("backup")).runId;
 * ```
 */
export class AdminClient {
  readonly #headers: Record<string, string>;
  readonly #send: Send;

  private constructor(headers: Record<string, string>, send: Send) {
    this.#headers = headers;
    this.#send = send;
  }

  /**
   * A client over `<dataDir>/kron.sock`, or null when no runtime is listening there (no
   * socket file, or a stale one nobody answers).
   *
   * @example
   * ```ts
   * import { AdminClient } from "./client.ts";
   * await AdminClient.connect(Deno.makeTempDirSync()); // null
   * ```
   */
  static async connect(dataDir: string): Promise<AdminClient | null> {
    const path = `${dataDir.replace(/\/+$/, "")}/kron.sock`;
    try {
      // One cheap probe: connect() fails at once with ENOENT or ECONNREFUSED.
      const conn = await Deno.connect({ transport: "unix", path });
      conn.close();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.ConnectionRefused) {
        return null;
      }
      throw e;
    }
    // Not fetch: its set-up would cost every `kron status` ~10 ms (_unix_http.ts).
    return new AdminClient(
      {},
      (method, p, headers, body) => unixRequest(path, method, p, headers, body),
    );
  }

  /**
   * A client over HTTP(S) with a bearer token. `url` may list several cluster nodes,
   * comma-separated: requests fail over between them (a trigger or a job's PUT carries an
   * `Idempotency-Key` the nodes honour, so it never acts twice).
   *
   * @example
   * ```ts
   * import { AdminClient } from "./client.ts";
   * const c = AdminClient.http("https://kron.example.com", "0123…");
   * ```
   */
  static http(url: string, token: string): AdminClient {
    return new AdminClient({ authorization: `Bearer ${token}` }, fetchSend(url));
  }

  /** Releases the client (each request has its own connection, closed with its answer). */
  close(): void {}

  async #request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await this.#send(
      method,
      path,
      {
        ...this.#headers,
        ...headers,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
    if (res.status >= 400) throw await AdminApiError.from(res);
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return JSON.parse(await (await this.#request(method, path, body)).text()) as T;
  }

  /** `GET /healthz` (a 503 answer is returned, not thrown). */
  async health(): Promise<HealthJson> {
    const res = await this.#send("GET", "/healthz", this.#headers);
    return JSON.parse(await res.text()) as HealthJson;
  }

  /** One page of jobs: `GET /v1/jobs`. */
  jobs(options: { limit?: number; cursor?: string } = {}): Promise<JobListJson> {
    const q = new URLSearchParams();
    if (options.limit !== undefined) q.set("limit", String(options.limit));
    if (options.cursor !== undefined) q.set("cursor", options.cursor);
    const qs = q.size ? `?${q}` : "";
    return this.#json("GET", `/v1/jobs${qs}`);
  }

  /** Full status of a job: `GET /v1/jobs/:name`. */
  job(name: string): Promise<JobDetailJson> {
    return this.#json("GET", `/v1/jobs/${encodeURIComponent(name)}`);
  }

  /** A job's recent runs, newest first: `GET /v1/jobs/:name/runs`. */
  runs(name: string, limit?: number): Promise<RunListJson> {
    return this.#json(
      "GET",
      `/v1/jobs/${encodeURIComponent(name)}/runs${limit === undefined ? "" : `?limit=${limit}`}`,
    );
  }

  /**
   * A page of a job's runs and the cursor of the next (its `X-Next-Cursor` header):
   * `GET /v1/jobs/:name/runs?limit=&before=`.
   */
  async runsPage(
    name: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<RunListJson & { next: string | null }> {
    const q = new URLSearchParams();
    if (options.limit !== undefined) q.set("limit", String(options.limit));
    if (options.before !== undefined) q.set("before", options.before);
    const qs = q.size ? `?${q}` : "";
    const res = await this.#request("GET", `/v1/jobs/${encodeURIComponent(name)}/runs${qs}`);
    const next = res.header("x-next-cursor");
    return { ...(JSON.parse(await res.text()) as RunListJson), next };
  }

  /** One run: `GET /v1/runs/:id`. */
  run(id: string): Promise<RunJson> {
    return this.#json("GET", `/v1/runs/${encodeURIComponent(id)}`);
  }

  /** A run's captured output: `GET /v1/runs/:id/log`. */
  async runLog(id: string): Promise<string> {
    return await (await this.#request("GET", `/v1/runs/${encodeURIComponent(id)}/log`)).text();
  }

  /** Starts a run now: `POST /v1/jobs/:name/trigger`. */
  trigger(name: string): Promise<TriggerJson> {
    return this.#json("POST", `/v1/jobs/${encodeURIComponent(name)}/trigger`);
  }

  /**
   * Pings a watched job: `POST /v1/jobs/:name/ping` with `{ kind, exitCode }` (a success by
   * default).
   */
  ping(
    name: string,
    body: { kind?: "start" | "success" | "fail"; exitCode?: number } = {},
  ): Promise<TriggerJson> {
    return this.#json("POST", `/v1/jobs/${encodeURIComponent(name)}/ping`, body);
  }

  /** Pauses a job, optionally for a while (`"2h"`): `POST /v1/jobs/:name/pause`. */
  pause(name: string, forDuration?: string): Promise<JobDetailJson> {
    return this.#json(
      "POST",
      `/v1/jobs/${encodeURIComponent(name)}/pause`,
      forDuration === undefined ? {} : { for: forDuration },
    );
  }

  /** Resumes a job: `POST /v1/jobs/:name/resume`. */
  resume(name: string): Promise<JobDetailJson> {
    return this.#json("POST", `/v1/jobs/${encodeURIComponent(name)}/resume`);
  }

  /** Forgets an orphaned job: `DELETE /v1/jobs/:name`. */
  forget(name: string): Promise<ForgetJson> {
    return this.#json("DELETE", `/v1/jobs/${encodeURIComponent(name)}`);
  }

  /** Re-reads the job file: `POST /v1/reload`. */
  reload(): Promise<ReloadJson> {
    return this.#json("POST", "/v1/reload");
  }

  /** Writes a snapshot and drops covered log segments: `POST /v1/compact`. */
  compact(): Promise<CompactJson> {
    return this.#json("POST", "/v1/compact");
  }

  /**
   * Live events (`GET /v1/events`), after `lastEventId` when given. Ends when the server
   * closes the stream; breaking out of the loop closes it.
   *
   * @example
   * ```ts
   * import { AdminClient } from "./client.ts";
   * const c = (await AdminClient.connect(".kron"))!;
   * for await (const e of c.events()) console.log(e.id, e.type);
   * ```
   */
  async *events(lastEventId?: number): AsyncGenerator<ServerEvent> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
    const res = await this.#request("GET", "/v1/events", undefined, headers);
    const parser = new SseParser();
    try {
      for await (const text of res.chunks()) {
        for (const m of parser.push(text)) {
          const data = JSON.parse(m.data) as KronEvent | GapJson;
          const id = m.event === "gap" ? (data as GapJson).resumedAt - 1 : Number(m.id);
          yield { id, type: m.event, data };
        }
      }
    } finally {
      res.cancel();
    }
  }
}

/** Sends one request (method, path with query, headers, body) and resolves to its answer. */
type Send = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) => Promise<Answer>;

/** {@link Send} over fetch, to the server(s) at `base` (comma-separated cluster nodes). */
function fetchSend(base: string): Send {
  const nodes = new NodeSet(base);
  return async (method, path, headers, body) => {
    // A trigger or a job's PUT to a cluster (several nodes) carries an Idempotency-Key, which
    // cluster nodes honour: it may then go to another node even after reaching one. A single
    // server does not keep keys, so there it moves on only when it never reached a node.
    let idempotent = method !== "PUT" && !/\/(trigger|ping)(\?|$)/.test(path);
    if (!idempotent && nodes.urls.length > 1) {
      headers = { ...headers, "idempotency-key": crypto.randomUUID() };
      idempotent = true;
    }
    const res = await nodes.fetch(path, { method, headers, body }, { idempotent });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      text: () => res.text(),
      async *chunks() {
        if (!res.body) return;
        for await (const text of res.body.pipeThrough(new TextDecoderStream())) yield text;
      },
      cancel: () => {
        res.body?.cancel().catch(() => {});
      },
    };
  };
}
