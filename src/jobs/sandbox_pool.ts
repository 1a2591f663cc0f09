/**
 * The sandbox workers of one loaded TS job file (DESIGN §4): jobs whose effective permissions
 * (the `kron run` grant narrowed by their `permissions`) are equal share a pool of workers, each
 * of which imported the file once and holds every function of it.
 *
 * - **Sizing.** A pool starts one worker and grows, while every live worker has runs in flight,
 *   up to `size` (default: the number of CPU cores). A run goes to the least loaded ready worker
 *   (a cold one only when none is ready), so a burst never waits for a worker to start.
 * - **Warm start.** The worker that loaded the file for validation has the grant's permissions:
 *   the pool of that permission set adopts it instead of importing the file again, and
 *   {@link SandboxPools.prewarm} starts the first worker of every other pool before the first due
 *   time.
 * - **Isolation, honestly kept.** A job that ignores its abort signal past the grace, crashes
 *   its worker (an uncaught error or rejection from its stray async work) or ends it
 *   (`Deno.exit`) gets that worker terminated. Its own run fails as it would alone; every other
 *   run in flight there fails with a {@link RunInterruptedError} naming the job, which the engine
 *   records `RUN_CANCELLED` (`worker_terminated`) and runs again at once on another worker.
 *   The offender then runs in a worker of its own for the rest of the process's life (a WARN
 *   says so), as does a job defined with `isolate: true` from the start.
 * - **Reload.** A new file gets new pools; the old ones finish their runs, then go.
 *
 * @example
 * ```ts
 * import { SandboxPools } from "./sandbox_pool.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const pools = new SandboxPools({ path: "jobs.ts", grant: emptyPermissions() });
 * const exec = pools.executor("digest", emptyPermissions(), false);
 * // engine: kron.engine.define("digest", options, exec, { kind: "function" })
 * pools.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type ExecutionResult,
  type Executor,
  type RunContext,
  RunInterruptedError,
} from "../engine/mod.ts";
import { deniedMessage, parseDenied } from "./permissions.ts";
import type { Permissions } from "./grants.ts";
import type { ErrorData } from "./sandbox_protocol.ts";
import { type PendingRun, SandboxWorker, toError, type WorkerDeath } from "./sandbox_worker.ts";

/**
 * What a run's error or result carries besides its outcome: the permissions Deno refused it.
 *
 * @example
 * ```ts
 * import type { DeniedCarrier } from "./sandbox_pool.ts";
 * const e = Object.assign(new Error("permission denied: …"), { deniedPermissions: ["env:HOME"] });
 * const d: DeniedCarrier = e;
 * ```
 */
export interface DeniedCarrier {
  deniedPermissions?: string[];
}

/**
 * A worker that loaded the file and stays up to serve runs, with the permissions it has.
 *
 * @example
 * ```ts
 * import type { WarmWorker } from "./sandbox_pool.ts";
 * const none: WarmWorker | null = null;
 * ```
 */
export interface WarmWorker {
  worker: Worker;
  permissions: Permissions;
}

/**
 * Options of {@link SandboxPools}.
 *
 * @example
 * ```ts
 * import type { SandboxPoolsOptions } from "./sandbox_pool.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const o: SandboxPoolsOptions = { path: "jobs.ts", grant: emptyPermissions(), size: 2, graceMs: 2000 };
 * ```
 */
export interface SandboxPoolsOptions {
  /** The job file. */
  path: string;
  /** The `kron run` grant, to tell "not granted" from "narrowed away" in messages. */
  grant: Permissions;
  /** Workers per permission set at most (default: the number of CPU cores). */
  size?: number;
  /** How long an aborted run may take to stop before its worker is terminated (default 2 s). */
  graceMs?: number;
  /** The worker that loaded the file, to adopt (else closed by {@link SandboxPools.prewarm}). */
  warm?: WarmWorker | null;
  /** Jobs that run alone; shared with the next generation so a reload keeps them apart. */
  isolated?: Set<string>;
}

/** Where a job's runs go. */
interface Route {
  permissions: Permissions;
  key: string;
  isolate: boolean;
  /** The pool its runs go to, once known (dropped when the job is isolated). */
  pool: Pool | null;
}

/**
 * The pools of one loaded job file; see the module doc.
 *
 * @example
 * ```ts
 * import { SandboxPools } from "./sandbox_pool.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const pools = new SandboxPools({ path: "jobs.ts", grant: emptyPermissions(), size: 1 });
 * pools.workers; // 0: nothing starts before prewarm() or a run
 * pools.close();
 * ```
 */
export class SandboxPools {
  readonly #opts: SandboxPoolsOptions;
  readonly #size: number;
  readonly #isolated: Set<string>;
  readonly #routes = new Map<string, Route>();
  readonly #pools = new Map<string, Pool>();
  readonly #log = getLogger(["kron", "sandbox"]);
  #warm: WarmWorker | null;
  #state: "open" | "retired" | "closed" = "open";

  /** Creates the pools; no worker starts before {@link prewarm} or the first run. */
  constructor(options: SandboxPoolsOptions) {
    this.#opts = options;
    this.#size = Math.max(1, options.size ?? navigator.hardwareConcurrency ?? 1);
    this.#isolated = options.isolated ?? new Set();
    this.#warm = options.warm ?? null;
  }

  /**
   * The executor of `job`, whose effective permissions are `permissions`. Its `flush` hook sends
   * the runs the engine handed over at one instant, together; its `abort` hook tells a run's
   * worker that its signal aborted.
   */
  executor(job: string, permissions: Permissions, isolate: boolean): Executor {
    this.#routes.set(job, { permissions, key: permissionsKey(permissions), isolate, pool: null });
    return Object.assign((ctx: RunContext) => this.run(job, ctx), {
      flush: this.#flush,
      abort: this.#abort,
    });
  }

  /** Sends every batch waiting (the engine's `flush` hook: one instant's calls are over). */
  readonly #flush = (): void => {
    for (const pool of this.#pools.values()) pool.flush();
  };

  /** A run's signal aborted (the engine's `abort` hook). */
  readonly #abort = (runId: string, reason: unknown): void => {
    for (const pool of this.#pools.values()) if (pool.aborted(runId, reason)) return;
  };

  /** Runs `job` once in a worker of its pool. */
  run(job: string, ctx: RunContext): Promise<ExecutionResult> {
    const route = this.#routes.get(job);
    if (this.#state !== "open" || !route) {
      return Promise.reject(new Error(`the sandbox of job "${job}" is closed`));
    }
    return (route.pool ?? this.#poolOf(job, route)).run(job, ctx);
  }

  /** Starts the first worker of every pool now (adopting the loading worker where it fits). */
  prewarm(): void {
    for (const [job, route] of this.#routes) this.#poolOf(job, route).prewarm();
    this.#dropWarm();
  }

  /** Workers alive now, over all pools (for tests and diagnostics). */
  get workers(): number {
    let n = 0;
    for (const pool of this.#pools.values()) n += pool.live;
    return n;
  }

  /** `runs` messages sent to workers so far, over all pools (runs travel in batches). */
  get batches(): number {
    let n = 0;
    for (const pool of this.#pools.values()) n += pool.batches;
    return n;
  }

  /** Whether `job` runs in a worker of its own. */
  isIsolated(job: string): boolean {
    return this.#routes.get(job)?.isolate === true || this.#isolated.has(job);
  }

  /** Lets the runs in flight finish, then terminates the workers; later runs are refused. */
  retire(): void {
    if (this.#state !== "open") return;
    this.#state = "retired";
    this.#dropWarm();
    for (const pool of this.#pools.values()) pool.retire();
  }

  /** Terminates every worker now (runs in flight fail) and refuses further runs. */
  close(): void {
    this.#state = "closed";
    this.#dropWarm();
    for (const pool of this.#pools.values()) pool.close();
  }

  #poolOf(job: string, route: Route): Pool {
    route.pool = this.#poolFor(job, route);
    return route.pool;
  }

  #poolFor(job: string, route: Route): Pool {
    const solo = route.isolate || this.#isolated.has(job);
    const id = solo ? `job:${job}` : route.key;
    let pool = this.#pools.get(id);
    if (!pool) {
      pool = new Pool({
        path: this.#opts.path,
        permissions: route.permissions,
        grant: this.#opts.grant,
        size: solo ? 1 : this.#size,
        graceMs: this.#opts.graceMs ?? 2000,
        name: solo ? `kron:${job}` : `kron:${basename(this.#opts.path)}`,
        solo,
        onOffender: (offender, cause) => this.#isolate(offender, cause),
      });
      if (!solo && this.#warm && permissionsKey(this.#warm.permissions) === route.key) {
        pool.adopt(this.#warm.worker);
        this.#warm = null;
      }
      this.#pools.set(id, pool);
    }
    return pool;
  }

  #isolate(job: string, cause: string): void {
    if (this.#isolated.has(job)) return;
    this.#isolated.add(job);
    const route = this.#routes.get(job);
    if (route) route.pool = null;
    this.#log.warn(
      "job {job} {cause}: it runs in a worker of its own from now on (set isolate: true to " +
        "start it that way)",
      { job, cause },
    );
  }

  #dropWarm(): void {
    this.#warm?.worker.terminate();
    this.#warm = null;
  }
}

interface PoolOptions {
  path: string;
  permissions: Permissions;
  grant: Permissions;
  size: number;
  graceMs: number;
  name: string;
  solo: boolean;
  onOffender(job: string, cause: string): void;
}

/** The workers of one permission set (or of one isolated job). */
class Pool {
  readonly #opts: PoolOptions;
  #workers: SandboxWorker[] = [];
  #batchesOfGone = 0;
  #state: "open" | "retired" | "closed" = "open";
  readonly #log = getLogger(["kron", "sandbox"]);

  constructor(options: PoolOptions) {
    this.#opts = options;
  }

  get live(): number {
    return this.#workers.length;
  }

  get batches(): number {
    return this.#batchesOfGone + this.#workers.reduce((n, w) => n + w.batches, 0);
  }

  adopt(worker: Worker): void {
    this.#workers.push(this.#newWorker(worker));
  }

  prewarm(): void {
    if (this.#workers.length === 0) this.#workers.push(this.#newWorker());
  }

  run(job: string, ctx: RunContext): Promise<ExecutionResult> {
    if (this.#state !== "open") {
      return Promise.reject(new Error(`the sandbox of job "${job}" is closed`));
    }
    const worker = this.#pick();
    // The run's signal is not looked at (making it costs each run): the engine's abort hook
    // tells the pool instead.
    return new Promise<ExecutionResult>((resolve, reject) => {
      worker.submit(ctx.runId, { job, ctx, resolve, reject });
    });
  }

  flush(): void {
    for (const w of this.#workers) w.flush();
  }

  /** Whether `runId` runs here; if so its worker is told, and stopped if it does not end in time. */
  aborted(runId: string, reason: unknown): boolean {
    for (const worker of this.#workers) {
      const run = worker.get(runId);
      if (run) {
        this.#aborted(worker, runId, run, reason);
        return true;
      }
    }
    return false;
  }

  retire(): void {
    this.#state = "retired";
    for (const w of [...this.#workers]) if (w.load === 0) this.#remove(w, true);
  }

  close(): void {
    this.#state = "closed";
    for (const w of [...this.#workers]) {
      this.#remove(w, true);
      // Runs still in flight (a shutdown that stopped waiting) end as failed.
    }
  }

  /**
   * The least loaded ready worker; a starting one when none is ready or every ready one is
   * stuck in a synchronous job; grows while every worker is busy.
   */
  #pick(): SandboxWorker {
    const now = performance.now();
    const rank = (w: SandboxWorker) => !w.isReady ? 1 : w.stalled(now) ? 2 : 0;
    let best: SandboxWorker | null = null;
    let bestRank = 3;
    for (const w of this.#workers) {
      const r = rank(w);
      if (best === null || r < bestRank || (r === bestRank && w.load < best.load)) {
        best = w;
        bestRank = r;
      }
    }
    if (best === null || (bestRank === 2 && this.#workers.length < this.#opts.size)) {
      best = this.#newWorker();
      this.#workers.push(best);
    } else if (best.load > 0 && this.#workers.length < this.#opts.size) {
      this.#workers.push(this.#newWorker());
    }
    return best;
  }

  #newWorker(adopt?: Worker): SandboxWorker {
    return new SandboxWorker({
      path: this.#opts.path,
      permissions: this.#opts.permissions,
      name: this.#opts.name,
      adopt,
      onLog: (run, level, message, fields) => {
        if (run) run.ctx.log[level](message, fields as Record<string, unknown> | undefined);
        else {
          // Code outside any run (a stray callback): kron's log, as JSON records when so set.
          this.#log[level === "warn" ? "warning" : level]("{file}: {message}", {
            file: this.#opts.path,
            message,
          });
        }
      },
      onDeath: (worker, death, runs) => this.#died(worker, death, runs),
      onIdle: (worker) => {
        if (this.#state === "retired") this.#remove(worker, true);
      },
      runError: (data, denied) => this.#runError(data, denied),
    });
  }

  #remove(worker: SandboxWorker, close: boolean): void {
    if (this.#workers.includes(worker)) this.#batchesOfGone += worker.batches;
    this.#workers = this.#workers.filter((w) => w !== worker);
    if (close) worker.close();
  }

  /** A run's signal aborted: tell the job, and stop its worker if it has not ended in time. */
  #aborted(worker: SandboxWorker, runId: string, run: PendingRun, reason: unknown): void {
    worker.abort(runId, reason);
    const graceMs = this.#opts.graceMs;
    run.grace = setTimeout(() => {
      if (!worker.has(runId)) return;
      const error = new Error(
        `stopped: the job ignored its abort signal for ${graceMs} ms, so its worker was ` +
          "terminated",
        { cause: reason },
      );
      error.name = "AbortError";
      worker.kill({
        runId,
        job: run.job,
        error,
        cause: `ignored its abort signal for ${graceMs} ms`,
      });
    }, graceMs);
  }

  /** What a worker's end means for the runs that were on it; see the module doc. */
  #died(worker: SandboxWorker, death: WorkerDeath, runs: Map<string, PendingRun>): void {
    this.#remove(worker, false);
    if (death.duringStart) {
      // The file's top level failed under these permissions: every run fails, saying why.
      for (const run of runs.values()) run.reject(this.#startError(run.job, death.error));
      return;
    }
    let offender = death.job;
    if (offender === null) {
      const jobs = new Set([...runs.values()].map((r) => r.job));
      if (jobs.size === 1) offender = [...jobs][0];
    }
    if (offender !== null && !this.#opts.solo) this.#opts.onOffender(offender, death.cause);
    if (offender === null && runs.size > 0) {
      this.#log.warn(
        "a sandbox worker of {file} stopped ({error}) and no job could be named for it: its " +
          "{count} runs in flight run again",
        { file: this.#opts.path, error: death.error.message.split("\n")[0], count: runs.size },
      );
    }
    const interrupted = offender === null
      ? `its worker stopped (${death.error.message.split("\n")[0]})`
      : `its worker was terminated: job "${offender}" ${death.cause}`;
    for (const [runId, run] of runs) {
      if (runId === death.runId) run.reject(death.error);
      else run.reject(new RunInterruptedError(interrupted));
    }
    // Warm again for the re-runs that follow at once.
    if (this.#state === "open" && this.#workers.length === 0 && runs.size > 0) this.prewarm();
  }

  #startError(job: string, error: Error): Error & DeniedCarrier {
    const e: Error & DeniedCarrier = new Error(
      `the sandbox of job "${job}" did not start: ${error.message.split("\n")[0]}`,
    );
    const denied = (error as DeniedCarrier).deniedPermissions;
    if (denied) e.deniedPermissions = denied;
    return e;
  }

  /** A run's error: a permission refusal becomes one line naming the permission and flag. */
  #runError(data: ErrorData, deniedList: string[]): Error & DeniedCarrier {
    const denied = parseDenied(data.message);
    const err: Error & DeniedCarrier = denied
      ? new Error(deniedMessage(denied, this.#opts.grant))
      : toError(data);
    if (denied) err.name = "PermissionDenied";
    const all = new Set(deniedList);
    if (denied) all.add(`${denied.kind}:${denied.target}`);
    if (all.size > 0) err.deniedPermissions = [...all];
    return err;
  }
}

/**
 * A permission set as a key: equal sets share a pool.
 *
 * @example
 * ```ts
 * import { permissionsKey } from "./sandbox_pool.ts";
 * import { emptyPermissions } from "./grants.ts";
 * permissionsKey(emptyPermissions()) === permissionsKey(emptyPermissions()); // true
 * ```
 */
export function permissionsKey(p: Permissions): string {
  const norm = (g: boolean | string[]) => Array.isArray(g) ? [...new Set(g)].sort() : g;
  return JSON.stringify([
    norm(p.read),
    norm(p.write),
    norm(p.net),
    norm(p.env),
    norm(p.run),
    norm(p.sys),
  ]);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
