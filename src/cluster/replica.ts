/**
 * `KronReplica`: embedded cluster mode. Several processes of one application each create a
 * replica on the same PostgreSQL and register the same function jobs; together they run
 * every occurrence once (at-least-once, one accepted completion per occurrence), with the
 * leases and fencing tokens of server mode: a replica that dies mid-run loses its lease, and
 * another replica runs the occurrence again once the lease has expired.
 *
 * Each replica is a full cluster node without HTTP: it ticks schedules, reaps expired leases
 * and claims runs of the jobs it registered straight from the database, woken by
 * LISTEN/NOTIFY. `status()` and `list()` are synchronous reads of a local cache that NOTIFY
 * and a periodic refresh keep current; `history()` reads the database.
 *
 * Why a class of its own rather than a branch in `Kron`: `Kron` is the single-node engine
 * (file store, timer heap, reload, compaction, the socket admin API all hang off it), none of
 * which applies here; sharing its verbs, not its insides, keeps both small. `new Kron({ store:
 * "postgres://…" })` throws an error that points here.
 *
 * @example
 * ```ts
 * import { KronReplica, type ReplicaRunContext } from "./replica.ts";
 * const kron = new KronReplica({ store: "postgres://app@db/app" });
 * kron.schedule("digest", { every: "30m" }, async (ctx) => {
 *   console.log("digest", ctx.idempotencyKey, (ctx as ReplicaRunContext).fencingToken);
 * });
 * await kron.start();
 * console.log(kron.status("digest").nextRunAt);
 * await kron.shutdown();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import {
  buildDefinition,
  type JobFunction,
  type JobOptions,
  type JobStatus,
  type PauseOptions,
  type RunContext,
  runLogger,
  type RunRecord,
} from "../engine/mod.ts";
import { isTransient } from "./_sql.ts";
import { backoffMs, sleep } from "../sleep.ts";
import { type ClaimedRun, completeRun, failRun, heartbeatRun } from "./claims.ts";
import { type ClusterJobStatus, defineJob, pauseJob, resumeJob, triggerJob } from "./jobs.ts";
import { jobHistory, jobStatuses } from "./views.ts";
import { ClusterNode, type ClusterNodeOptions } from "./node.ts";

const log = getLogger(["kron", "cluster", "replica"]);

/**
 * Options of {@link KronReplica}.
 *
 * @example
 * ```ts
 * import type { KronReplicaOptions } from "./replica.ts";
 * const o: KronReplicaOptions = { store: "postgres://app@db/app", leaseMs: 30_000 };
 * ```
 */
export interface KronReplicaOptions extends ClusterNodeOptions {
  /** Runs of this replica at once (default 10). */
  concurrency?: number;
  /** Cache refresh interval when no NOTIFY arrives (default 1 s). */
  refreshMs?: number;
}

/**
 * What a replica's job function receives: the single-node context plus the fencing token.
 *
 * @example
 * ```ts
 * import type { ReplicaRunContext } from "./replica.ts";
 * const fence = (ctx: ReplicaRunContext) => ctx.fencingToken;
 * ```
 */
export interface ReplicaRunContext extends RunContext {
  fencingToken: number;
}

interface Registered {
  options: JobOptions;
  fn: JobFunction;
}

/**
 * An embedded replica (see the module doc).
 *
 * @example
 * ```ts
 * import { KronReplica } from "./replica.ts";
 * await using kron = new KronReplica({ store: "postgres://app@db/app", schema: "app_kron" });
 * kron.schedule("tick", { every: "1s" }, (ctx) => console.log(ctx.runId));
 * await kron.start();
 * ```
 */
export class KronReplica implements AsyncDisposable {
  /** The node underneath (pool, schema, loops). */
  readonly node: ClusterNode;
  readonly #jobs = new Map<string, Registered>();
  readonly #cache = new Map<string, ClusterJobStatus>();
  readonly #concurrency: number;
  readonly #refreshMs: number;
  readonly #inFlight = new Map<string, { controller: AbortController; lost: boolean }>();
  #phase: "new" | "running" | "stopped" = "new";
  #loops: Promise<void>[] = [];
  #refreshQueued = false;
  #claimAbort = new AbortController();

  /** Creates a replica; nothing connects before {@link KronReplica.start}. */
  constructor(options: KronReplicaOptions) {
    this.node = new ClusterNode(options);
    this.#concurrency = Math.max(1, options.concurrency ?? 10);
    this.#refreshMs = options.refreshMs ?? 1000;
  }

  /**
   * Registers a function job (validated now). Every replica should register the same jobs
   * with the same options: the definition in the database is shared.
   */
  schedule(name: string, options: JobOptions, fn: JobFunction): this {
    if (typeof fn !== "function") {
      throw new KronError(
        "invalid_option",
        `job "${name}": the third argument must be the job function`,
      );
    }
    buildDefinition(name, options, "function");
    if (this.#jobs.has(name)) {
      throw new KronError("duplicate_job", `a job named "${name}" is already scheduled`);
    }
    this.#jobs.set(name, { options, fn });
    if (this.#phase === "running") {
      defineJob(this.node.sql, this.node.t, name, options, "function")
        .then(() => this.#refresh())
        .catch((e) => log.error("defining {job} failed: {error}", { job: name, error: String(e) }));
    }
    return this;
  }

  /** Migrates, writes the definitions, fills the cache and starts claiming. */
  async start(): Promise<void> {
    if (this.#phase !== "new") {
      throw new KronError("already_started", "the replica was started already");
    }
    await this.node.start();
    for (const [name, job] of this.#jobs) {
      await defineJob(this.node.sql, this.node.t, name, job.options, "function");
    }
    await this.#refresh();
    this.#phase = "running";
    this.node.onNotify(() => this.#queueRefresh());
    this.#loops.push(this.#claimLoop(), this.#refreshLoop());
  }

  /** Stops claiming, waits up to `timeout` ms (default 30 s) for runs in flight, stops. */
  async shutdown(options: { timeout?: number } = {}): Promise<void> {
    if (this.#phase !== "running") {
      this.#phase = "stopped";
      return;
    }
    this.#phase = "stopped";
    this.#claimAbort.abort();
    const deadline = Date.now() + (options.timeout ?? 30_000);
    while (this.#inFlight.size > 0 && Date.now() < deadline) await sleep(20);
    for (const f of this.#inFlight.values()) {
      f.controller.abort(new DOMException("shutdown", "AbortError"));
    }
    await Promise.all(this.#loops);
    await this.node.stop();
  }

  /** Status of one job from the local cache (synchronous). */
  status(name: string): JobStatus {
    const s = this.#cache.get(name);
    if (!s) throw new KronError("unknown_job", `no job named "${name}"`);
    return s;
  }

  /** Status of every job in the database, from the local cache (synchronous). */
  list(): JobStatus[] {
    return [...this.#cache.values()];
  }

  /** Past attempts, most recent first (reads the database; `before`: older run ids only). */
  history(name: string, options: { limit?: number; before?: string } = {}): Promise<RunRecord[]> {
    return jobHistory(this.node.sql, this.node.t, name, options.limit ?? 20, options.before);
  }

  /** {@link Replica.history} with the next page's cursor (the last run's id). */
  async historyPage(
    name: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<{ runs: RunRecord[]; next: string | null }> {
    const limit = options.limit ?? 20;
    const runs = await this.history(name, { ...options, limit });
    return { runs, next: runs.length === limit ? runs[runs.length - 1].id : null };
  }

  /** Queues a run now; resolves to its run id (any replica may run it). */
  async trigger(name: string): Promise<string> {
    const id = await triggerJob(this.node.sql, this.node.t, name);
    this.node.wake();
    return id;
  }

  /** Pauses a job for every replica. */
  async pause(name: string, options?: PauseOptions): Promise<void> {
    await pauseJob(this.node.sql, this.node.t, name, options);
    await this.#refresh();
  }

  /** Resumes a job for every replica. */
  async resume(name: string): Promise<void> {
    await resumeJob(this.node.sql, this.node.t, name);
    await this.#refresh();
  }

  /** `await using` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #queueRefresh(): void {
    if (this.#refreshQueued) return;
    this.#refreshQueued = true;
    setTimeout(() => {
      this.#refreshQueued = false;
      this.#refresh().catch(() => {});
    }, 50);
  }

  async #refresh(): Promise<void> {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await jobStatuses(this.node.sql, this.node.t, { cursor, limit: 1000 });
      for (const s of page.jobs) {
        this.#cache.set(s.name, s);
        seen.add(s.name);
      }
      cursor = page.nextCursor;
    } while (cursor);
    for (const name of [...this.#cache.keys()]) if (!seen.has(name)) this.#cache.delete(name);
  }

  async #refreshLoop(): Promise<void> {
    while (this.#phase === "running") {
      await sleep(this.#refreshMs, this.#claimAbort.signal);
      await this.#refresh().catch(() => {});
    }
  }

  async #claimLoop(): Promise<void> {
    let failures = 0;
    while (this.#phase === "running") {
      const free = this.#concurrency - this.#inFlight.size;
      if (free <= 0) {
        await sleep(10, this.#claimAbort.signal);
        continue;
      }
      let runs: ClaimedRun[];
      try {
        runs = await this.node.claim({
          tasks: [...this.#jobs.keys()],
          max: free,
          waitMs: 5_000,
          worker: this.node.nodeId,
          signal: this.#claimAbort.signal,
        });
        failures = 0;
      } catch (e) {
        if (!isTransient(e)) log.error("claim failed: {error}", { error: String(e) });
        await sleep(backoffMs(failures++), this.#claimAbort.signal);
        continue;
      }
      for (const run of runs) this.#execute(run);
    }
  }

  #execute(run: ClaimedRun): void {
    const { sql, t } = this.node;
    const job = this.#jobs.get(run.task);
    const controller = new AbortController();
    const f = { controller, lost: false };
    this.#inFlight.set(run.runId, f);
    let leaseUntil = Date.parse(run.leaseUntil);
    const leaseMs = this.node.leaseMs;
    const heartbeat = setInterval(async () => {
      try {
        leaseUntil = Date.parse(
          (await heartbeatRun(sql, t, run.runId, run.fencingToken, leaseMs)).leaseUntil,
        );
      } catch (e) {
        if (!isTransient(e) || Date.now() > leaseUntil) {
          f.lost = true;
          controller.abort(new DOMException(`lease lost: ${(e as Error).message}`, "AbortError"));
        }
      }
    }, Math.max(50, Math.floor(leaseMs / 3)));
    const timeout = run.timeoutMs === null ? undefined : setTimeout(
      () =>
        controller.abort(new DOMException(`timed out after ${run.timeoutMs}ms`, "TimeoutError")),
      run.timeoutMs,
    );
    const ctx: ReplicaRunContext = {
      job: run.job,
      runId: run.runId,
      attempt: run.attempt,
      scheduledAt: new Date(run.scheduledAt),
      idempotencyKey: run.idempotencyKey,
      fencingToken: run.fencingToken,
      signal: controller.signal,
      log: runLogger(run.job, run.runId, run.attempt),
    };
    (async () => {
      let error: string | null = null;
      try {
        if (!job) throw new Error(`job "${run.task}" is not registered in this replica`);
        await job.fn(ctx);
      } catch (e) {
        error = e instanceof Error ? (e.message || e.name) : String(e);
      }
      clearInterval(heartbeat);
      clearTimeout(timeout);
      const timedOut =
        (controller.signal.reason as DOMException | undefined)?.name === "TimeoutError";
      // Report until the database answers definitely; a 409 means the run moved on.
      for (let failures = 0; !f.lost; failures++) {
        try {
          if (error === null) await completeRun(sql, t, run.runId, run.fencingToken);
          else await failRun(sql, t, run.runId, run.fencingToken, { error, timedOut });
          break;
        } catch (e) {
          if (!isTransient(e)) {
            log.warn("outcome of {runId} refused: {error}", { runId: run.runId, error: String(e) });
            break;
          }
          await sleep(backoffMs(failures));
        }
      }
      clearInterval(heartbeat);
      this.#inFlight.delete(run.runId);
      this.#queueRefresh();
    })();
  }
}
