/**
 * kron's side of one sandbox worker: a Web Worker that imported a TS job file with exactly one
 * permission set and runs any of its functions. Runs submitted in one turn travel in one
 * message; their ends come back batched (sandbox_protocol.ts). The pool (sandbox_pool.ts)
 * decides which worker runs what and what a worker's death means for the runs on it.
 *
 * The worker's root module is a `data:` module importing the bootstrap and the job file
 * statically: a worker without read permission may load its root's static graph but not
 * `import()` a file. The bootstrap is a static `new URL(…, import.meta.url)`, so `deno compile
 * --include` embeds it.
 *
 * @example
 * ```ts
 * import { SandboxWorker } from "./sandbox_worker.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const worker = new SandboxWorker({
 *   path: "jobs.ts",
 *   permissions: emptyPermissions(),
 *   name: "kron:jobs.ts",
 *   onLog: (run, level, message) => console.log(level, run?.job, message),
 *   onDeath: (_worker, death) => console.error(death.error.message),
 * });
 * await worker.ready;
 * worker.close();
 * ```
 * @module
 */
import type { ExecutionResult, RunContext } from "../engine/mod.ts";
import { fileUrl } from "./ts_loader.ts";
import { workerPermissions } from "./permissions.ts";
import type { Permissions } from "./grants.ts";
import type {
  ErrorData,
  ExitMessage,
  FatalMessage,
  InitMessage,
  LogLevel,
  OutEntry,
  RunTuple,
} from "./sandbox_protocol.ts";

/**
 * The worker bootstrap; static so that `deno compile --include src/jobs/_sandbox_worker.ts`
 * embeds it (scripts/compile.ts passes that flag).
 *
 * @example
 * ```ts
 * import { BOOTSTRAP_URL } from "./sandbox_worker.ts";
 * BOOTSTRAP_URL.pathname.endsWith("/_sandbox_worker.ts"); // true
 * ```
 */
export const BOOTSTRAP_URL = new URL("./_sandbox_worker.ts", import.meta.url);

/** How long loading a job file (or starting a worker) may take before it is an error. */
export const START_TIMEOUT_MS = 30_000;

/** Runs handed over in one turn that are sent at once (later chunks double). */
const FIRST_CHUNK = 32;

/** A batch not acknowledged after this long marks its worker as stuck for new runs. */
const STALL_MS = 20;

/**
 * A run on a worker, waiting for its end.
 *
 * @example
 * ```ts
 * import type { PendingRun } from "./sandbox_worker.ts";
 * const p: Pick<PendingRun, "job"> = { job: "digest" };
 * ```
 */
export interface PendingRun {
  job: string;
  ctx: RunContext;
  resolve(result: ExecutionResult): void;
  reject(error: unknown): void;
  /** The abort grace timer, once the run's signal aborted. */
  grace?: ReturnType<typeof setTimeout>;
}

/**
 * Why a worker stopped: the run (and job) whose code forced it when known, and the error that
 * run ends with.
 *
 * @example
 * ```ts
 * import type { WorkerDeath } from "./sandbox_worker.ts";
 * const d: WorkerDeath = { runId: null, job: "spin", error: new Error("boom"), cause: "crashed it (boom)" };
 * ```
 */
export interface WorkerDeath {
  runId: string | null;
  job: string | null;
  /** What the offending run ends with (and what every run ends with before the worker started). */
  error: Error;
  /** What happened, said of the job: "ignored its abort signal for 2000 ms". */
  cause: string;
  /** The worker never became ready (its top-level code failed). */
  duringStart?: boolean;
}

/**
 * Options of {@link SandboxWorker}.
 *
 * @example
 * ```ts
 * import type { SandboxWorkerOptions } from "./sandbox_worker.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const o: Partial<SandboxWorkerOptions> = { path: "jobs.ts", permissions: emptyPermissions() };
 * ```
 */
export interface SandboxWorkerOptions {
  path: string;
  permissions: Permissions;
  /** The worker's name (shown by Deno in its own messages). */
  name: string;
  /** A worker already booted on this file and permission set (the one that loaded it). */
  adopt?: Worker;
  /** A run's log line, or one from code outside any run (`run` null). */
  onLog(run: PendingRun | null, level: LogLevel, message: string, fields?: unknown): void;
  /** The worker stopped; its pending runs are in `runs` (already taken off the worker). */
  onDeath(worker: SandboxWorker, death: WorkerDeath, runs: Map<string, PendingRun>): void;
  /** The last run in flight ended. */
  onIdle?(worker: SandboxWorker): void;
  /** Turns a run's error (and refusals) into the error its run fails with. */
  runError?(data: ErrorData, denied: string[]): Error;
}

/**
 * The root module of a worker: the same for every worker of one job file, so Deno builds (and
 * under `deno test`, type-checks) the module graph once per file.
 *
 * @example
 * ```ts
 * import { rootModule } from "./sandbox_worker.ts";
 * rootModule("file:///srv/jobs.ts").startsWith("data:application/javascript;base64,"); // true
 * ```
 */
export function rootModule(jobUrl: string): string {
  // A literal import() is part of the static graph (so a worker without read permission may
  // load it) but fails as a rejection the bootstrap reports, where a static import's failure
  // would be printed by Deno itself as a multi-line, coloured "Uncaught (in worker)" error.
  const src = `import { serve } from ${JSON.stringify(BOOTSTRAP_URL.href)};\n` +
    `serve(() => import(${JSON.stringify(jobUrl)}));\n`;
  return `data:application/javascript;base64,${btoa(unescape(encodeURIComponent(src)))}`;
}

/**
 * Starts a worker on the job file with `permissions`; it is told `mode` once it has booted.
 *
 * @example
 * ```ts
 * import { startWorker } from "./sandbox_worker.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const w = startWorker("jobs.ts", "serve", emptyPermissions(), "kron:jobs.ts");
 * w.terminate();
 * ```
 */
export function startWorker(
  path: string,
  mode: InitMessage["mode"],
  permissions: Permissions,
  name: string,
): Worker {
  const worker = new Worker(rootModule(fileUrl(path)), {
    type: "module",
    name,
    deno: { permissions: workerPermissions(permissions) },
  } as WorkerOptions);
  const onBoot = (e: Event) => {
    if ((e as MessageEvent).data?.t !== "booted") return;
    worker.removeEventListener("message", onBoot);
    const init: InitMessage = { t: "init", mode };
    worker.postMessage(init);
  };
  worker.addEventListener("message", onBoot);
  return worker;
}

/**
 * An error from its data.
 *
 * @example
 * ```ts
 * import { toError } from "./sandbox_worker.ts";
 * toError({ name: "TypeError", message: "bad", stack: "" }).name; // "TypeError"
 * ```
 */
export function toError(data: ErrorData): Error {
  const e = new Error(data.message);
  e.name = data.name;
  e.stack = data.stack || `${data.name}: ${data.message}`;
  return e;
}

/**
 * One sandbox worker; see the module doc.
 *
 * @example
 * ```ts
 * import { SandboxWorker } from "./sandbox_worker.ts";
 * import { emptyPermissions } from "./grants.ts";
 * const w = new SandboxWorker({
 *   path: "jobs.ts", permissions: emptyPermissions(), name: "kron:jobs.ts",
 *   onLog: () => {}, onDeath: () => {},
 * });
 * w.load; // 0 runs in flight
 * w.close();
 * ```
 */
export class SandboxWorker {
  /** Resolves once the worker can run (its file imported); rejects if it never can. */
  readonly ready: Promise<void>;
  readonly #opts: SandboxWorkerOptions;
  readonly #worker: Worker;
  readonly #pending = new Map<string, PendingRun>();
  #outbox: RunTuple[] = [];
  /** Runs that make the next chunk of this turn's hand-over go at once. */
  #chunk = FIRST_CHUNK;
  /** Send times of the `runs` batches not acknowledged yet, oldest first. */
  #unacked: number[] = [];
  #sent = 0;
  #flushQueued = false;
  #isReady = false;
  #dead = false;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #failStart: (e: Error) => void = () => {};

  /** Starts the worker (or adopts the one given). */
  constructor(options: SandboxWorkerOptions) {
    this.#opts = options;
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    this.ready.catch(() => {});
    const markReady = () => {
      this.#isReady = true;
      clearTimeout(this.#startTimer);
      ready();
      this.#flush();
    };
    this.#failStart = failed;
    if (options.adopt) {
      this.#worker = options.adopt;
    } else {
      this.#worker = startWorker(options.path, "serve", options.permissions, options.name);
      this.#startTimer = setTimeout(
        () =>
          this.#die({
            runId: null,
            job: null,
            error: new Error(`not ready within ${START_TIMEOUT_MS / 1000}s`),
            cause: "did not start",
            duringStart: true,
          }),
        START_TIMEOUT_MS,
      );
    }
    this.#worker.onmessage = (e) => this.#onMessage(e.data, markReady);
    this.#worker.onerror = (e) => {
      e.preventDefault();
      // A module that cannot be loaded (syntax error, missing import) or a crash Deno reports
      // itself: its text has the position.
      this.#crashed({ name: "Error", message: e.message, stack: e.message }, [], null, null);
    };
    if (options.adopt) markReady();
  }

  /** Runs in flight on this worker. */
  get load(): number {
    return this.#pending.size;
  }

  /** `runs` messages sent so far. */
  get batches(): number {
    return this.#sent;
  }

  /** Whether the worker has imported its file and can run. */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** Whether the worker has stopped (terminated, crashed or closed). */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Whether the worker has sat on a batch for over `ms` without running its synchronous part
   * (busy with a long synchronous job, or a `while (true)`).
   */
  stalled(now: number, ms = STALL_MS): boolean {
    return this.#unacked.length > 0 && now - this.#unacked[0] > ms;
  }

  /** Whether `runId` is in flight here. */
  has(runId: string): boolean {
    return this.#pending.has(runId);
  }

  /** The run `runId` in flight here, if it is. */
  get(runId: string): PendingRun | undefined {
    return this.#pending.get(runId);
  }

  /** Sends the runs submitted so far now (else they go at the end of this turn). */
  flush(): void {
    if (this.#isReady) this.#flush();
  }

  /**
   * Sends a run. The runs submitted in one turn travel together: the first {@link FIRST_CHUNK}
   * at once (the worker starts on them while kron hands over the rest), then in chunks twice
   * as large each time, the last one at the engine's `flush` (or at the end of the turn). A
   * thousand runs due together make five or six messages, and the first starts after ~32
   * hand-overs instead of after all of them.
   */
  submit(runId: string, run: PendingRun): void {
    this.#pending.set(runId, run);
    const ctx = run.ctx;
    this.#outbox.push([runId, run.job, ctx.attempt, ctx.scheduledAt.getTime(), ctx.idempotencyKey]);
    if (!this.#isReady) return;
    if (this.#outbox.length >= this.#chunk) {
      this.#chunk *= 2;
      this.#flush(false);
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Tells the run its signal aborted (the job sees `ctx.signal` abort with `reason`). */
  abort(runId: string, reason: unknown): void {
    if (this.#dead || !this.#pending.has(runId)) return;
    const error = reason instanceof Error || reason instanceof DOMException;
    this.#worker.postMessage({
      t: "abort",
      runId,
      reason: {
        name: error ? (reason as Error).name : "AbortError",
        message: error ? (reason as Error).message : String(reason),
        stack: "",
      },
    });
  }

  /**
   * Terminates the worker because of `death` (a run ignoring its abort signal); the pool hears
   * of it through `onDeath` with the runs that were in flight.
   */
  kill(death: WorkerDeath): void {
    this.#die(death);
  }

  /** Terminates the worker quietly; runs in flight are left to the caller (none, normally). */
  close(): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#startTimer);
    this.#worker.terminate();
    this.#failStart(new Error("the sandbox was closed"));
  }

  #flush(endOfTurn = true): void {
    if (endOfTurn) {
      this.#flushQueued = false;
      this.#chunk = FIRST_CHUNK;
    }
    if (this.#dead || this.#outbox.length === 0) return;
    const runs = this.#outbox;
    this.#outbox = [];
    this.#sent++;
    this.#unacked.push(performance.now());
    // As one JSON string: cloning a thousand small arrays costs several times more.
    this.#worker.postMessage({ t: "runs", runs: JSON.stringify(runs) });
  }

  // deno-lint-ignore no-explicit-any
  #onMessage(msg: any, markReady: () => void): void {
    switch (msg?.t) {
      case "out":
        if (typeof msg.entries === "string") msg.entries = JSON.parse(msg.entries);
        // Acknowledged batches: drop their send times (ack counts every batch so far).
        this.#unacked.splice(0, this.#unacked.length - (this.#sent - (msg.ack as number)));
        this.#takeOut(msg.entries as OutEntry[]);
        break;
      case "ready":
        if (!this.#isReady) markReady();
        break;
      case "fatal": {
        const m = msg as FatalMessage;
        this.#crashed(m.error, m.denied, m.runId, m.job);
        break;
      }
      case "exit": {
        const m = msg as ExitMessage;
        const error = new Error(`the job ended its worker (Deno.exit or close, code ${m.code})`);
        this.#die({
          runId: m.runId,
          job: m.job,
          error,
          cause: `ended its worker (Deno.exit or close, code ${m.code})`,
          duringStart: !this.#isReady,
        });
        break;
      }
    }
  }

  #takeOut(entries: OutEntry[]): void {
    for (const entry of entries) {
      if (typeof entry === "string") {
        const run = this.#pending.get(entry);
        if (!run) continue;
        this.#pending.delete(entry);
        if (run.grace !== undefined) clearTimeout(run.grace);
        run.resolve({});
        continue;
      }
      if (entry[0] === "l") {
        const run = entry[1] === null ? null : this.#pending.get(entry[1]) ?? null;
        this.#opts.onLog(run, entry[2], entry[3], entry[4]);
        continue;
      }
      const [, runId, ok, error, denied] = entry;
      const run = this.#pending.get(runId);
      if (!run) continue;
      this.#pending.delete(runId);
      clearTimeout(run.grace);
      if (ok) run.resolve(denied ? { deniedPermissions: denied } : {});
      else run.reject(this.#runError(error!, denied ?? []));
    }
    if (this.#pending.size === 0) this.#opts.onIdle?.(this);
  }

  #crashed(error: ErrorData, denied: string[], runId: string | null, job: string | null): void {
    const err = this.#runError(error, denied);
    this.#die({
      runId,
      job,
      error: err,
      cause: `crashed its worker (${err.message.split("\n")[0]})`,
      duringStart: !this.#isReady,
    });
  }

  #runError(data: ErrorData, denied: string[]): Error {
    if (this.#opts.runError) return this.#opts.runError(data, denied);
    return toError(data);
  }

  #die(death: WorkerDeath): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#startTimer);
    this.#worker.terminate();
    this.#failStart(death.error);
    const runs = new Map(this.#pending);
    this.#pending.clear();
    for (const run of runs.values()) clearTimeout(run.grace);
    this.#opts.onDeath(this, death, runs);
  }
}
