/**
 * The `Kron` class: the library face of the engine with durable storage by default.
 *
 * @example
 * ```ts
 * import { Kron } from "./kron.ts";
 * const kron = new Kron({ dataDir: ".kron" });
 * kron.schedule("cleanup", { every: "30m", retries: 3, timeout: "5m" }, async (ctx) => {
 *   console.log("cleaning", ctx.runId);
 * });
 * await kron.start();
 * console.log(kron.list());
 * await kron.shutdown({ timeout: "5s" });
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import {
  type DefinitionExtras,
  Engine,
  type Executor,
  functionExecutor,
  type HistoryOptions,
  type JobFunction,
  type JobOptions,
  type JobStatus,
  type JobSummary,
  type PauseOptions,
  type Ping,
  type RunRecord,
  type ShutdownOptions,
} from "../engine/mod.ts";
import type { JobKind, KronEvent } from "../events/mod.ts";
import { FileStore, MemoryStore, resolveDataDir, type Store } from "../store/mod.ts";
import type { KronReplica } from "../cluster/mod.ts";
import type { AdminServer } from "../api/mod.ts";
import { reportCompactionFailure, stopLeftoverProcess } from "./cleanup.ts";
import type { KronAdminOptions, KronOptions } from "./options.ts";
import { parseDuration } from "../schedule/duration.ts";
import { VERSION } from "../version.ts";

type Replica = KronReplica;

export { VERSION };

/**
 * A scheduler: define jobs, start it, observe and steer it.
 *
 * @example
 * ```ts
 * import { Kron } from "./kron.ts";
 * await using kron = new Kron({ store: "memory" });
 * kron.schedule("digest", { cron: "0 8 * * *", timezone: "Europe/Rome" }, () => {});
 * await kron.start();
 * kron.status("digest").state; // "idle"
 * ```
 */
export class Kron implements AsyncDisposable {
  readonly #engine: Engine | null = null;
  readonly #dataDir: string | null = null;
  /** Cluster mode (`store: "postgres://…"`): every verb goes to a KronReplica, created by
   * `start()` (imported then, so that single-node users never load the PostgreSQL driver). */
  #replica: Replica | null = null;
  readonly #replicaOptions:
    | KronOptions["cluster"] & { store: string; random?: () => number }
    | null = null;
  readonly #replicaJobs: Array<[string, JobOptions, JobFunction]> = [];
  readonly #adminOptions: KronAdminOptions | false;
  #compactWhenRunning = false;
  #admin: AdminServer | null = null;

  /** Creates a scheduler; nothing is read or written before {@link Kron.start}. */
  constructor(options: KronOptions = {}) {
    this.#adminOptions = options.admin ?? {};
    let store: Store;
    if (options.store === "memory") {
      store = new MemoryStore();
      this.#dataDir = null;
    } else if (typeof options.store === "string") {
      if (!/^postgres(ql)?:\/\//.test(options.store)) {
        throw new KronError(
          "invalid_option",
          `store must be "memory", a postgres:// URL or a Store, not ${
            JSON.stringify(options.store)
          }`,
        );
      }
      // Embedded replicas: several processes of one app share one PostgreSQL database and
      // complete every occurrence once across them (src/cluster/replica.ts).
      this.#replicaOptions = { ...options.cluster, store: options.store, random: options.random };
      return;
    } else if (options.store) {
      store = options.store;
      this.#dataDir = null;
    } else {
      this.#dataDir = resolveDataDir(options.dataDir);
      store = new FileStore({
        dataDir: this.#dataDir,
        durability: options.durability,
        // The log is compacted (snapshot + drop covered segments) once it passes its threshold,
        // through the engine: it refuses while the log cannot be written, when its state holds
        // events the log does not have yet (a snapshot of that would be wrong).
        // Crossed while start() records the definitions: compacted once it is running (the
        // store asks once per threshold crossed, and the engine refuses before).
        onCompactNeeded: () => {
          if (!this.#core.running) this.#compactWhenRunning = true;
          else this.#autoCompact();
        },
      });
    }
    this.#engine = new Engine({
      store,
      clock: options.clock,
      defaultTimezone: options.timezone,
      random: options.random,
      version: VERSION,
      onAbandoned: options.onAbandoned ?? stopLeftoverProcess,
      leadMs: options.leadMs,
    });
  }

  /** The data directory in use (null with a memory or custom store). */
  get dataDir(): string | null {
    return this.#dataDir;
  }

  /** What {@link Kron.start} serves of the admin API (socket path, TCP address), or null. */
  get admin(): AdminServer | null {
    return this.#admin;
  }

  /** The engine underneath (for the CLI, the API server and tests). */
  get engine(): Engine {
    return this.#core;
  }

  /** The single-node engine; cluster mode has none (its state lives in PostgreSQL). */
  get #core(): Engine {
    if (this.#replicaOptions && !this.#replica) {
      throw new KronError("not_started", "kron (cluster mode) is not started: call start() first");
    }
    if (!this.#engine) {
      throw new KronError(
        "invalid_option",
        "this kron runs in cluster mode (postgres store): the single-node engine, custom executors, compaction and local events do not apply",
      );
    }
    return this.#engine;
  }

  /**
   * Defines a job: a name, exactly one of `cron`/`every`/`after`/`at`, policies, and the
   * function to run (it may take no argument or the run context). Throws and changes nothing on
   * invalid input or a duplicate name.
   *
   * @example
   * ```ts
   * import { Kron } from "./kron.ts";
   * const kron = new Kron({ store: "memory" });
   * kron.schedule("report", { at: "2030-01-01T09:00:00Z" }, (ctx) => console.log(ctx.idempotencyKey));
   * ```
   */
  schedule(name: string, options: JobOptions, fn: JobFunction): this {
    if (typeof fn !== "function") {
      throw new KronError(
        "invalid_option",
        `job "${name}": the third argument must be the job function`,
      );
    }
    if (this.#replica) this.#replica.schedule(name, options, fn);
    else if (this.#replicaOptions) this.#replicaJobs.push([name, options, fn]);
    else this.#core.define(name, options, functionExecutor(fn));
    return this;
  }

  /**
   * Defines a watched job: external work kron does not run but expects on `options`' schedule
   * (give it a `grace` to be told when it is late), told of by {@link Kron.ping} (or `kron ping`,
   * `POST /v1/jobs/:name/ping`).
   *
   * @example
   * ```ts
   * import { Kron } from "./kron.ts";
   * const kron = new Kron({ store: "memory" });
   * kron.watch("backup", { cron: "0 2 * * *", grace: "30m" });
   * ```
   */
  watch(name: string, options: JobOptions): this {
    if (this.#replica || this.#replicaOptions) {
      throw new KronError("invalid_option", "watched jobs are not supported in cluster mode yet");
    }
    this.#core.define(name, options, () => {
      throw new KronError("conflict", `job "${name}" is watched: kron does not run it`);
    }, { kind: "watch" });
    return this;
  }

  /** Defines a job with a custom executor (command jobs, sandboxed workers). */
  scheduleWith(
    name: string,
    options: JobOptions,
    executor: Executor,
    extras: DefinitionExtras & { kind?: JobKind } = {},
  ): this {
    this.#core.define(name, options, executor, extras);
    return this;
  }

  /**
   * Removes a defined job: it stops being scheduled (its runs in flight finish) and is
   * `orphaned` from then on, its state and history kept, until {@link Kron.forget}.
   */
  unschedule(name: string): void {
    this.#core.undefine(name);
  }

  /**
   * Recovers from the data dir, starts scheduling and serves the admin API (see
   * {@link KronOptions.admin}); resolves once running.
   */
  async start(): Promise<void> {
    if (!this.#replicaOptions) {
      await this.#core.start();
      if (this.#compactWhenRunning) {
        this.#compactWhenRunning = false;
        this.#autoCompact();
      }
      return this.#serveAdmin();
    }
    if (this.#replica) return this.#replica.start();
    const { KronReplica } = await import("../cluster/mod.ts");
    const replica = new KronReplica(this.#replicaOptions);
    for (const [name, options, fn] of this.#replicaJobs) replica.schedule(name, options, fn);
    this.#replica = replica;
    await replica.start();
  }

  #autoCompact(): void {
    if (this.#core.ioError !== null) return;
    this.#core.compact().catch(reportCompactionFailure);
  }

  async #serveAdmin(): Promise<void> {
    const options = this.#adminOptions;
    if (options === false || (this.#dataDir === null && options.http === undefined)) return;
    // Imported here: an app that serves nothing never loads Hono.
    const { serveAdmin } = await import("../api/mod.ts");
    try {
      this.#admin = await serveAdmin(this, {
        ...options,
        dataDir: this.#dataDir,
        socketOptional: options.socketOptional ?? true,
      });
    } catch (e) {
      await this.#core.shutdown({ timeout: 0 });
      throw e;
    }
  }

  /**
   * Waits for running jobs (up to `timeout`, default 30s), cancels the rest, stops cleanly; the
   * admin API answers until the engine has stopped.
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    if (this.#replicaOptions && !this.#replica) return;
    if (!this.#replica) {
      try {
        await this.#core.shutdown(options);
      } finally {
        const admin = this.#admin;
        this.#admin = null;
        await admin?.close();
      }
      return;
    }
    const timeout = options?.timeout === undefined ? undefined : parseDuration(options.timeout);
    return this.#replica.shutdown({ timeout });
  }

  /** Status of one job (synchronous). */
  status(name: string): JobStatus {
    return this.#replica ? this.#replica.status(name) : this.#core.status(name);
  }

  /**
   * {@link Kron.status} without `recentRuns`: what lists show (cheaper for thousands of jobs).
   *
   * @example
   * ```ts
   * import { Kron } from "./kron.ts";
   * const kron = new Kron({ store: "memory" }).schedule("tick", { every: "1m" }, () => {});
   * kron.summary("tick").lastRun; // null: never ran
   * ```
   */
  summary(name: string): JobSummary {
    // A replica's status is a summary plus its recent runs.
    return this.#replica ? this.#replica.status(name) : this.#core.summary(name);
  }

  /** Status of every job, orphans included (synchronous). */
  list(): JobStatus[] {
    return this.#replica ? this.#replica.list() : this.#core.list();
  }

  /** Past attempts of a job, most recent first (`before`: older than a page's cursor). */
  history(name: string, options?: HistoryOptions): Promise<RunRecord[]> {
    return this.#replica ? this.#replica.history(name, options) : this.#core.history(name, options);
  }

  /**
   * A page of past attempts and the cursor of the next, older page (null when none).
   *
   * @example
   * ```ts
   * import { Kron } from "./kron.ts";
   * const kron = new Kron({ store: "memory" });
   * kron.schedule("a", { every: "1h" }, () => {});
   * await kron.start();
   * const first = await kron.historyPage("a", { limit: 10 });
   * if (first.next) await kron.historyPage("a", { limit: 10, before: first.next });
   * await kron.shutdown();
   * ```
   */
  historyPage(
    name: string,
    options?: HistoryOptions,
  ): Promise<{ runs: RunRecord[]; next: string | null }> {
    return this.#replica
      ? this.#replica.historyPage(name, options)
      : this.#core.historyPage(name, options);
  }

  /** Starts a run now; resolves to its id once `RUN_STARTED` is durable. */
  trigger(name: string): Promise<string> {
    return this.#replica ? this.#replica.trigger(name) : this.#core.trigger(name);
  }

  /**
   * Records a ping of a watched job (`watch = true`): `{ kind: "start" }`, `"success"` or
   * `"fail"` (with an `exitCode`). Resolves to the run id once durable. Refused (409) for a
   * job kron runs itself; not available in cluster mode yet.
   */
  ping(name: string, ping: Ping): Promise<string> {
    if (this.#replica) {
      return Promise.reject(
        new KronError(
          "invalid_option",
          "watched jobs (ping) are not supported in cluster mode yet",
        ),
      );
    }
    return this.#core.ping(name, ping);
  }

  /**
   * Pauses a job, optionally `{ for: "2h" }` or `{ until: date }`. Synchronous on one node; in
   * cluster mode it returns the promise of the database update.
   */
  pause(name: string, options?: PauseOptions): void | Promise<void> {
    if (this.#replica) return this.#replica.pause(name, options);
    this.#core.pause(name, options);
  }

  /** Resumes a paused (or stopped) job (cluster mode: returns a promise, as `pause`). */
  resume(name: string): void | Promise<void> {
    if (this.#replica) return this.#replica.resume(name);
    this.#core.resume(name);
  }

  /** Forgets an orphaned job. */
  forget(name: string): void {
    this.#core.forget(name);
  }

  /**
   * Writes a snapshot and drops covered log segments. With many jobs it first waits for a quiet
   * moment (no timer due for twice as long as serialising the state takes; at most 30 s), so
   * that no run starts late behind it.
   */
  compact(): Promise<void> {
    return this.#core.compact();
  }

  /** Subscribes to committed events; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void {
    return this.#core.onEvent(listener);
  }

  /** `await using kron = new Kron()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

export { functionExecutor };
