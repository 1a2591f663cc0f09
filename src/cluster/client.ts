/**
 * `KronClient`: the TypeScript client of a kron cluster. It schedules jobs (stored in the
 * database, visible on every node) and reads and steers them: any node's URL will do, and
 * several (a list, or one comma-separated string) let it fail over: every call moves on to
 * another node when one fails. `schedule` and `trigger` carry an `Idempotency-Key` (the same
 * on every node they go to), which the cluster honours: a retried trigger never starts two
 * runs, even when the first request reached a node whose answer was lost.
 * Reads come back shaped like single-node mode's (`Date` fields, run records with every
 * field present).
 *
 * @example
 * ```ts
 * import { KronClient } from "./client.ts";
 * const client = new KronClient("http://127.0.0.1:7380,http://127.0.0.1:7381", {
 *   token: Deno.env.get("KRON_TOKEN"),
 * });
 * await client.schedule("email_digest", { every: "30m", task: "send_digest", payload: { list: "daily" } });
 * console.log((await client.status("email_digest")).nextRunAt);
 * console.log(await client.history("email_digest", { limit: 5 }));
 * ```
 * @module
 */
import { AdminApiError } from "../http/client.ts";
import type { PauseOptions, RunRecord } from "../engine/mod.ts";
import type { ClusterJobOptions, ClusterJobStatus } from "./jobs.ts";
import { NodeSet } from "../http/client.ts";
import { getLogger } from "@logtape/logtape";

const log = getLogger(["kron", "cluster", "client"]);

export type { ClusterJobOptions, ClusterJobStatus };

/**
 * Options of {@link KronClient}.
 *
 * @example
 * ```ts
 * import type { KronClientOptions } from "./client.ts";
 * const o: KronClientOptions = { token: "0123456789abcdef0123456789abcdef" };
 * ```
 */
export interface KronClientOptions {
  /** Bearer token (default `KRON_TOKEN`). */
  token?: string;
  /** A node that has not answered a call after this long is passed over (default 30 s). */
  timeoutMs?: number;
}

/**
 * Reads `KRON_TOKEN` (undefined when unset or not permitted).
 *
 * @example
 * ```ts
 * import { tokenFromEnv } from "./client.ts";
 * tokenFromEnv(); // undefined unless KRON_TOKEN is set
 * ```
 */
export function tokenFromEnv(): string | undefined {
  try {
    return Deno.env.get("KRON_TOKEN") || undefined;
  } catch {
    return undefined;
  }
}

const date = (v: unknown): Date | null => typeof v === "string" ? new Date(v) : null;

/**
 * A run record from its JSON (ISO strings become `Date`s).
 *
 * @example
 * ```ts
 * import { reviveRun } from "./client.ts";
 * // reviveRun(json).startedAt instanceof Date
 * ```
 */
export function reviveRun(r: Record<string, unknown>): RunRecord {
  return {
    ...(r as unknown as RunRecord),
    scheduledAt: new Date(r.scheduledAt as string),
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
  };
}

/**
 * A job status from its JSON.
 *
 * @example
 * ```ts
 * import { reviveStatus } from "./client.ts";
 * // reviveStatus(json).nextRunAt
 * ```
 */
export function reviveStatus(s: Record<string, unknown>): ClusterJobStatus {
  const out = { ...s } as Record<string, unknown>;
  delete out.scheduleText;
  return {
    ...(out as unknown as ClusterJobStatus),
    nextRunAt: date(s.nextRunAt),
    pausedUntil: date(s.pausedUntil),
    lastRun: s.lastRun ? reviveRun(s.lastRun as Record<string, unknown>) : null,
    recentRuns: ((s.recentRuns as Record<string, unknown>[]) ?? []).map(reviveRun),
  };
}

/**
 * The cluster client (see the module doc).
 *
 * @example
 * ```ts
 * import { KronClient } from "./client.ts";
 * const client = new KronClient("http://127.0.0.1:7380", { token: "0123456789abcdef0123456789abcdef" });
 * await client.trigger("email_digest");
 * ```
 */
export class KronClient {
  readonly #nodes: NodeSet;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  /** A client of the nodes at `urls` (one URL, a comma-separated string, or a list). */
  constructor(urls: string | readonly string[], options: KronClientOptions = {}) {
    this.#nodes = new NodeSet(urls, (message) => log.warn("{message}", { message }));
    const token = options.token ?? tokenFromEnv();
    this.#headers = token ? { authorization: `Bearer ${token}` } : {};
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * One call, moved on to another node when one fails. A call that is not idempotent by
   * nature (`keyed`) carries a fresh `Idempotency-Key`, the same on every node it goes to:
   * the cluster acts on it once, so it may go elsewhere even after reaching a node.
   */
  async #call<T>(method: string, path: string, body?: unknown, keyed = false): Promise<T> {
    const headers: Record<string, string> = { ...this.#headers };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (keyed) headers["idempotency-key"] = crypto.randomUUID();
    const res = await this.#nodes.fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }, { idempotent: true, timeoutMs: this.#timeoutMs });
    if (!res.ok) throw await AdminApiError.from(res);
    return await res.json() as T;
  }

  /**
   * Creates or updates a job: exactly one of `every`/`cron`/`after`/`at`, the `task` workers
   * run (default: the job name), a JSON `payload`, and the single-node policies (`retries`,
   * `timeout`, `overlap`, `misfire`, `jitter`, …). An unchanged definition keeps its state.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * const c = new KronClient("http://127.0.0.1:7380");
   * await c.schedule("nightly", { cron: "0 3 * * *", timezone: "Europe/Rome", task: "backup", retries: 3 });
   * ```
   */
  async schedule(name: string, options: ClusterJobOptions): Promise<ClusterJobStatus> {
    return reviveStatus(
      await this.#call("PUT", `/v1/jobs/${encodeURIComponent(name)}`, options, true),
    );
  }

  /**
   * Every job's status, sorted by name.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * (await new KronClient("http://127.0.0.1:7380").list()).map((j) => j.name);
   * ```
   */
  async list(): Promise<ClusterJobStatus[]> {
    const out: ClusterJobStatus[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `?view=full&limit=1000${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
      }`;
      const page = await this.#call<{ jobs: Record<string, unknown>[]; nextCursor: string | null }>(
        "GET",
        `/v1/jobs${q}`,
      );
      out.push(...page.jobs.map(reviveStatus));
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /**
   * One job's status.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * (await new KronClient("http://127.0.0.1:7380").status("nightly")).state;
   * ```
   */
  async status(name: string): Promise<ClusterJobStatus> {
    return reviveStatus(await this.#call("GET", `/v1/jobs/${encodeURIComponent(name)}`));
  }

  /**
   * Past attempts, most recent first (default 20).
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * await new KronClient("http://127.0.0.1:7380").history("nightly", { limit: 5 });
   * ```
   */
  async history(name: string, options: { limit?: number } = {}): Promise<RunRecord[]> {
    const q = options.limit === undefined ? "" : `?limit=${options.limit}`;
    const { runs } = await this.#call<{ runs: Record<string, unknown>[] }>(
      "GET",
      `/v1/jobs/${encodeURIComponent(name)}/runs${q}`,
    );
    return runs.map(reviveRun);
  }

  /**
   * One run attempt.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * // await new KronClient(url).run(runId)
   * ```
   */
  async run(runId: string): Promise<RunRecord> {
    return reviveRun(await this.#call("GET", `/v1/runs/${encodeURIComponent(runId)}`));
  }

  /**
   * Queues a run now; resolves to its run id. Refused (409) under `overlap: "skip"` while the
   * job has a run pending or in flight.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * const runId = await new KronClient("http://127.0.0.1:7380").trigger("nightly");
   * ```
   */
  async trigger(name: string): Promise<string> {
    return (await this.#call<{ runId: string }>(
      "POST",
      `/v1/jobs/${encodeURIComponent(name)}/trigger`,
      undefined,
      true,
    )).runId;
  }

  /**
   * Pauses a job, optionally `{ for: "2h" }` or `{ until }`.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * await new KronClient("http://127.0.0.1:7380").pause("nightly", { for: "2h" });
   * ```
   */
  async pause(name: string, options: PauseOptions = {}): Promise<ClusterJobStatus> {
    const body: Record<string, unknown> = {};
    if (options.for !== undefined) body.for = options.for;
    if (options.until !== undefined) body.until = new Date(options.until).toISOString();
    return reviveStatus(
      await this.#call("POST", `/v1/jobs/${encodeURIComponent(name)}/pause`, body),
    );
  }

  /**
   * Resumes a paused (or stopped) job.
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * await new KronClient("http://127.0.0.1:7380").resume("nightly");
   * ```
   */
  async resume(name: string): Promise<ClusterJobStatus> {
    return reviveStatus(await this.#call("POST", `/v1/jobs/${encodeURIComponent(name)}/resume`));
  }

  /**
   * Deletes a job (its pending runs go; attempts in flight may still complete).
   *
   * @example
   * ```ts
   * import { KronClient } from "./client.ts";
   * await new KronClient("http://127.0.0.1:7380").remove("nightly");
   * ```
   */
  async remove(name: string): Promise<void> {
    await this.#call("DELETE", `/v1/jobs/${encodeURIComponent(name)}`);
  }
}
