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
import { KronError } from "./errors.ts";
import { Engine, type PauseOptions, type ShutdownOptions } from "./engine/engine.ts";
import type { Clock } from "./engine/clock.ts";
import type { DefinitionExtras } from "./engine/definition.ts";
import type { Executor, JobFunction, JobOptions, JobStatus, RunRecord } from "./engine/types.ts";
import type { JobKind, KronEvent } from "./store/events.ts";
import { FileStore, MemoryStore, resolveDataDir } from "./store/mod.ts";
import type { Store } from "./store/types.ts";
import type { RunEntry } from "./store/state.ts";
import { killLeftoverGroup } from "./jobs/process_tree.ts";

/** Build version, recorded in RUNTIME_STARTED and shown by `kron version`. */
export const VERSION = "0.1.0";

/** Options of {@link Kron}. */
export interface KronOptions {
  /** Data directory (default `KRON_DATA_DIR`, else `.kron` in the working directory). */
  dataDir?: string;
  /**
   * `"fsync"` (default): every event durable before it is acknowledged. `"batch"`: fsync at
   * most every few ms (a crash may lose the last few ms of events). `"none"`: no fsync (a
   * power loss may lose anything the OS had not written yet).
   */
  durability?: "fsync" | "batch" | "none";
  /** A store of your own, or `"memory"` for an ephemeral scheduler that persists nothing. */
  store?: Store | "memory";
  /** Default IANA time zone for cron jobs without their own. */
  timezone?: string;
  /** Time source (tests use a FakeClock). */
  clock?: Clock;
  /** Randomness for jitter and retry backoff. */
  random?: () => number;
  /**
   * Called for each run found unfinished after a crash. The default stops a command run's
   * leftover process tree (guarded against pid reuse by the process start time).
   */
  onAbandoned?: (run: RunEntry) => void | Promise<void>;
}

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
  readonly #engine: Engine;
  readonly #dataDir: string | null;

  /** Creates a scheduler; nothing is read or written before {@link Kron.start}. */
  constructor(options: KronOptions = {}) {
    let store: Store;
    if (options.store === "memory") {
      store = new MemoryStore();
      this.#dataDir = null;
    } else if (typeof options.store === "string") {
      // A postgres:// URL means cluster mode, which is its own class (see src/cluster/replica.ts).
      throw new KronError(
        "invalid_option",
        /^postgres(ql)?:\/\//.test(options.store)
          ? 'for several processes sharing PostgreSQL use new KronReplica({ store: "postgres://…" })'
          : `store must be "memory" or a Store, not ${JSON.stringify(options.store)}`,
      );
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
        onCompactNeeded: () => {
          if (this.#engine.ioError !== null) return;
          this.#engine.compact().catch((e) => console.error("kron: compaction failed:", e));
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
    });
  }

  /** The data directory in use (null with a memory or custom store). */
  get dataDir(): string | null {
    return this.#dataDir;
  }

  /** The engine underneath (for the CLI, the API server and tests). */
  get engine(): Engine {
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
    this.#engine.define(name, options, functionExecutor(fn));
    return this;
  }

  /** Defines a job with a custom executor (command jobs, sandboxed workers). */
  scheduleWith(
    name: string,
    options: JobOptions,
    executor: Executor,
    extras: DefinitionExtras & { kind?: JobKind } = {},
  ): this {
    this.#engine.define(name, options, executor, extras);
    return this;
  }

  /** Removes a defined job; it stops being scheduled (its runs in flight finish). */
  unschedule(name: string): void {
    this.#engine.undefine(name);
  }

  /** Recovers from the data dir and starts scheduling; resolves once running. */
  start(): Promise<void> {
    return this.#engine.start();
  }

  /** Waits for running jobs (up to `timeout`, default 30s), cancels the rest, stops cleanly. */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#engine.shutdown(options);
  }

  /** Status of one job (synchronous). */
  status(name: string): JobStatus {
    return this.#engine.status(name);
  }

  /** Status of every job, orphans included (synchronous). */
  list(): JobStatus[] {
    return this.#engine.list();
  }

  /** Past attempts of a job, most recent first. */
  history(name: string, options?: { limit?: number }): Promise<RunRecord[]> {
    return this.#engine.history(name, options);
  }

  /** Starts a run now; resolves to its id once `RUN_STARTED` is durable. */
  trigger(name: string): Promise<string> {
    return this.#engine.trigger(name);
  }

  /** Pauses a job, optionally `{ for: "2h" }` or `{ until: date }`. */
  pause(name: string, options?: PauseOptions): void {
    this.#engine.pause(name, options);
  }

  /** Resumes a paused (or stopped) job. */
  resume(name: string): void {
    this.#engine.resume(name);
  }

  /** Forgets an orphaned job. */
  forget(name: string): void {
    this.#engine.forget(name);
  }

  /** Writes a snapshot and drops covered log segments. */
  compact(): Promise<void> {
    return this.#engine.compact();
  }

  /** Subscribes to committed events; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void {
    return this.#engine.onEvent(listener);
  }

  /** `await using kron = new Kron()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/**
 * Wraps a job function as an executor: sync throws and rejections are failures.
 *
 * @example
 * ```ts
 * import { functionExecutor } from "./kron.ts";
 * const exec = functionExecutor(() => 42);
 * ```
 */
export function functionExecutor(fn: JobFunction): Executor {
  // Not an async wrapper: one promise and one continuation less per run. A function job's
  // result is ignored (only its throw or rejection counts); a sync throw reaches the engine.
  return (ctx) => {
    const r = fn(ctx) as unknown;
    if (r === null || (typeof r !== "object" && typeof r !== "function")) return undefined;
    if (typeof (r as PromiseLike<unknown>).then !== "function") return undefined;
    return Promise.resolve(r).then(ignore);
  };
}

function ignore(): void {}

/** Stops what a crashed runtime's command run left behind (no-op for function runs). */
async function stopLeftoverProcess(run: RunEntry): Promise<void> {
  if (run.pid === null || run.pgid === null) return;
  await killLeftoverGroup({
    pid: run.pid,
    pgid: run.pgid,
    startTime: run.procStartTime,
    runId: run.id,
  });
}
