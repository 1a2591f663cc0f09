/**
 * The TS job sandbox (DESIGN §4): `jobs.ts` never runs in kron's own isolate. It is loaded in a
 * Web Worker whose Deno permissions are only the `kron run --allow-*` grants, and its
 * definitions come back as data (functions as markers); each function job then runs in its own
 * persistent worker with the grants narrowed by its `permissions`.
 *
 * - Loading: {@link loadTsInSandbox} → a {@link RawJobFile} for the validator, whose `run`
 *   values are stubs ({@link isSandboxStub}) naming the file and job.
 * - Running: {@link JobSandbox} keeps one worker per job (started at its first run, ~15 ms;
 *   a run then costs a message round trip). Terminating it touches no other job. When a run
 *   is aborted (timeout, replace, shutdown) the job gets its `ctx.signal`; if it has not
 *   finished `graceMs` later, its worker is terminated (the only way to stop `while (true) {}`)
 *   and a fresh one is started.
 * - Refusals: every `NotCapable` the job meets is recorded (even one it catches) and returned
 *   as `deniedPermissions`; a run that fails on one gets a one-line error naming the
 *   permission and the flag that grants it.
 *
 * The worker's root module is a `data:` module importing the bootstrap and the job file
 * statically: a worker without read permission may load its root's static graph but not
 * `import()` a file. The bootstrap is a static `new URL(…, import.meta.url)`, so `deno compile
 * --include` embeds it.
 *
 * @example
 * ```ts
 * import { JobSandbox, loadTsInSandbox } from "./sandbox.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const raw = await loadTsInSandbox("jobs.ts", emptyPermissions());
 * const sandbox = new JobSandbox({ path: "jobs.ts", key: raw.jobs[0].key!, permissions: emptyPermissions() });
 * // engine: kron.engine.define(name, options, sandbox.executor(), { kind: "function" })
 * sandbox.close();
 * ```
 * @module
 */
import type { ExecutionResult, Executor, RunContext } from "../engine/types.ts";
import type { ServeConfig } from "./_sandbox_worker.ts";
import { checkCompiledImports, rewriteCompiledError } from "./compiled.ts";
import { deniedMessage, parseDenied, workerPermissions } from "./permissions.ts";
import type { Permissions } from "./runtime.ts";
import { fileUrl, importError } from "./ts_loader.ts";
import { ioError, JobFileError, type RawEntry, type RawJobFile } from "./validate.ts";

/**
 * The worker bootstrap; static so that `deno compile --include src/jobs/_sandbox_worker.ts`
 * embeds it (scripts/compile.ts passes that flag).
 *
 * @example
 * ```ts
 * import { BOOTSTRAP_URL } from "./sandbox.ts";
 * BOOTSTRAP_URL.pathname.endsWith("/_sandbox_worker.ts"); // true
 * ```
 */
export const BOOTSTRAP_URL = new URL("./_sandbox_worker.ts", import.meta.url);

/** How long loading a job file (or starting a job's worker) may take before it is an error. */
const START_TIMEOUT_MS = 30_000;

const SANDBOX_STUB = Symbol.for("kron.sandboxStub");

/**
 * Where a stub's job lives: the file and the default-export key.
 *
 * @example
 * ```ts
 * import type { StubTarget } from "./sandbox.ts";
 * const t: StubTarget = { path: "/srv/jobs.ts", key: "digest" };
 * ```
 */
export interface StubTarget {
  path: string;
  key: string;
}

/**
 * The sandbox stub behind a loaded job's `run`, or null for a real function. A stub throws if
 * called: its code lives in the worker.
 *
 * @example
 * ```ts
 * import { isSandboxStub } from "./sandbox.ts";
 * isSandboxStub(() => {}); // null
 * ```
 */
export function isSandboxStub(fn: unknown): StubTarget | null {
  if (typeof fn !== "function") return null;
  return (fn as unknown as { [SANDBOX_STUB]?: StubTarget })[SANDBOX_STUB] ?? null;
}

function makeStub(target: StubTarget): (ctx: RunContext) => never {
  const stub = () => {
    throw new Error(`job "${target.key}" runs in its sandbox worker, not in kron's isolate`);
  };
  Object.defineProperty(stub, SANDBOX_STUB, { value: target });
  return stub;
}

/**
 * The data: root module of a worker: the same for every worker of one job file (the mode and
 * job come in the `init` message), so Deno builds (and, under `deno test`, type-checks) the
 * module graph once per file rather than once per job.
 */
function rootModule(jobUrl: string): string {
  const src = `import { serve } from ${JSON.stringify(BOOTSTRAP_URL.href)};\n` +
    `import * as job from ${JSON.stringify(jobUrl)};\n` +
    `serve(job);\n`;
  return `data:application/javascript;base64,${btoa(unescape(encodeURIComponent(src)))}`;
}

interface ErrorData {
  name: string;
  message: string;
  stack: string;
}

function toError(data: ErrorData): Error {
  const e = new Error(data.message);
  e.name = data.name;
  e.stack = data.stack || `${data.name}: ${data.message}`;
  return e;
}

/** Starts a worker on the job file; it is told `config` once it has booted. */
function startWorker(path: string, config: ServeConfig, permissions: Permissions): Worker {
  const worker = new Worker(rootModule(fileUrl(path)), {
    type: "module",
    name: `kron:${config.key ?? "load"}`,
    deno: { permissions: workerPermissions(permissions) },
  } as WorkerOptions);
  worker.addEventListener("message", (e) => {
    if ((e as MessageEvent).data?.t === "booted") worker.postMessage({ t: "init", ...config });
  });
  return worker;
}

/**
 * Loads a TS job file inside a worker that has exactly `permissions`, and returns its
 * definitions as data for the validator (each `run` a stub). A file that cannot be imported
 * (syntax error, top-level throw, a refused permission at top level) becomes a one-line
 * {@link JobFileError} with the position when Deno gives one. Under a compiled kron, npm:,
 * jsr: and https: imports are refused first with a message saying why (see compiled.ts).
 *
 * @example
 * ```ts
 * import { loadTsInSandbox } from "./sandbox.ts";
 * import { validateJobFile } from "./validate.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const file = validateJobFile(await loadTsInSandbox("jobs.ts", emptyPermissions()));
 * ```
 */
export async function loadTsInSandbox(path: string, permissions: Permissions): Promise<RawJobFile> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
  } catch (e) {
    throw ioError(path, e);
  }
  await checkCompiledImports(path);
  const url = fileUrl(path);
  const worker = startWorker(path, { mode: "load" }, permissions);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // deno-lint-ignore no-explicit-any
    const msg = await new Promise<any>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new JobFileError({
              file: path,
              problem: `did not finish loading within ${START_TIMEOUT_MS / 1000}s ` +
                "(a top-level await that never settles?)",
            }),
          ),
        START_TIMEOUT_MS,
      );
      worker.onmessage = (e) => {
        if (e.data?.t === "defs" || e.data?.t === "fatal") resolve(e.data);
        else if (e.data?.t === "exit") {
          reject(
            new JobFileError({ file: path, problem: "the file called Deno.exit() or close()" }),
          );
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        // A module that cannot be loaded (syntax error, missing import): Deno's text has the
        // position in its message.
        resolve({ t: "fatal", error: { name: "Error", message: e.message, stack: e.message } });
      };
    });
    if (msg.t === "fatal") throw loadError(path, url, msg.error, permissions);
    return rawFile(path, msg);
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

function loadError(
  path: string,
  url: string,
  data: ErrorData,
  permissions: Permissions,
): JobFileError {
  const denied = parseDenied(data.message);
  const rewritten = rewriteCompiledError(path, data.message);
  if (rewritten) return rewritten;
  const base = importError(path, url, toError(data));
  if (!denied) return base;
  // Keep the position, say which permission and flag.
  const at = /^(.*?): cannot import: /.exec(base.message)?.[1] ?? path;
  const e = new JobFileError({
    file: path,
    problem: `cannot import: ${deniedMessage(denied, permissions)}`,
  });
  e.message = `${at}: cannot import: ${deniedMessage(denied, permissions)}`;
  return e;
}

/** A marker object standing for a value the worker could not send (shown by its type). */
function markerValue(text: string): unknown {
  const name = /^an instance of (.+)$/.exec(text)?.[1] ?? "Value";
  const ctor = { [name]: class {} }[name];
  return new ctor();
}

/** Turns the worker's markers back into values the validator understands. */
function fromData(value: unknown, target: StubTarget | null): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => fromData(v, target));
  if (value instanceof Date) return value;
  const rec = value as Record<string, unknown>;
  if (typeof rec.__kronFunction === "string" && Object.keys(rec).length === 1) {
    return target ? makeStub(target) : () => {};
  }
  if (typeof rec.__kronValue === "string" && Object.keys(rec).length === 1) {
    return markerValue(rec.__kronValue);
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    // Only `run` is called later; another function (say in onFailure) just has to look like one.
    out[k] = fromData(v, k === "run" ? target : null);
  }
  return out;
}

function rawFile(
  path: string,
  msg: {
    hasDefault: boolean;
    defaultType: string | null;
    jobs: [string, unknown][];
    hasSettings: boolean;
    settings: unknown;
  },
): RawJobFile {
  if (!msg.hasDefault) {
    throw new JobFileError({
      file: path,
      problem: "no default export: export default { jobName: { cron: …, run: (ctx) => … } }",
    });
  }
  if (msg.defaultType !== null) {
    throw new JobFileError({
      file: path,
      problem:
        `the default export must be an object mapping job names to definitions, not ${msg.defaultType}`,
    });
  }
  const entry = (data: unknown, key: string | null): RawEntry => ({
    data,
    key,
    line: null,
    fieldLine: () => null,
  });
  return {
    file: path,
    kind: "ts",
    settings: msg.hasSettings ? entry(fromData(msg.settings, null), null) : null,
    jobs: msg.jobs.map(([key, data]) => entry(fromData(data, { path, key }), key)),
  };
}

/**
 * What a run's error or result carries besides its outcome: the permissions Deno refused it.
 *
 * @example
 * ```ts
 * import type { DeniedCarrier } from "./sandbox.ts";
 * const e = Object.assign(new Error("permission denied: …"), { deniedPermissions: ["env:HOME"] });
 * const d: DeniedCarrier = e;
 * ```
 */
export interface DeniedCarrier {
  deniedPermissions?: string[];
}

/** Options of {@link JobSandbox}. */
export interface JobSandboxOptions {
  /** The job file. */
  path: string;
  /** The job's key in the default export (its name). */
  key: string;
  /** The job's effective permissions (the grant narrowed by its `permissions`). */
  permissions: Permissions;
  /** The `kron run` grant, to tell "not granted" from "narrowed away" in messages. */
  grant?: Permissions;
  /** How long an aborted run may take to stop before its worker is terminated (default 2 s). */
  graceMs?: number;
  /** Receives a job's log lines (default: the run context's logger). */
  onLog?: (
    ctx: RunContext,
    level: "info" | "warn" | "error",
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

interface Pending {
  ctx: RunContext;
  resolve: (r: ExecutionResult) => void;
  reject: (e: unknown) => void;
}

interface Live {
  worker: Worker;
  ready: Promise<void>;
  runs: Map<string, Pending>;
  dead: boolean;
}

/**
 * One function job's persistent sandbox worker and its executor.
 *
 * @example
 * ```ts
 * import { JobSandbox } from "./sandbox.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const sandbox = new JobSandbox({ path: "jobs.ts", key: "digest", permissions: emptyPermissions() });
 * const exec = sandbox.executor();
 * // await exec(ctx) → {} or { deniedPermissions: ["net:mail.example.com:443"] }
 * sandbox.close();
 * ```
 */
export class JobSandbox {
  readonly #opts: JobSandboxOptions;
  #live: Live | null = null;
  #closed = false;
  #retired = false;

  /** Creates the sandbox; no worker starts before the first run. */
  constructor(options: JobSandboxOptions) {
    this.#opts = options;
  }

  /** The executor the engine calls for each run of the job. */
  executor(): Executor {
    return (ctx) => this.run(ctx);
  }

  /** Runs the job once in its worker (starting the worker if needed). */
  async run(ctx: RunContext): Promise<ExecutionResult> {
    ctx.signal.throwIfAborted();
    if (this.#closed || this.#retired) {
      throw new Error(`the sandbox of job "${this.#opts.key}" is closed`);
    }
    const live = this.#ensure();
    try {
      await raceAbort(live.ready, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw this.#runError(
        {
          name: "Error",
          message: `the sandbox of job "${this.#opts.key}" did not start: ${
            (e as Error).message.split("\n")[0]
          }`,
          stack: "",
        },
        // The start's own refusals (top-level code touching what the job may not).
        (e as DeniedCarrier).deniedPermissions ?? [],
      );
    }
    return await new Promise<ExecutionResult>((resolve, reject) => {
      live.runs.set(ctx.runId, { ctx, resolve, reject });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        const reason = ctx.signal.reason;
        live.worker.postMessage({
          t: "abort",
          runId: ctx.runId,
          reason: {
            name: reason instanceof Error || reason instanceof DOMException
              ? reason.name
              : "AbortError",
            message: reason instanceof Error || reason instanceof DOMException
              ? reason.message
              : String(reason),
          },
        });
        const graceMs = this.#opts.graceMs ?? 2000;
        timer = setTimeout(() => {
          if (!live.runs.has(ctx.runId)) return;
          const err = new Error(
            `stopped: the job ignored its abort signal for ${graceMs} ms, so its worker was ` +
              "terminated",
            { cause: reason },
          );
          err.name = "AbortError";
          this.#kill(live, (p) =>
            p.ctx.runId === ctx.runId ? err : new Error(
              `its worker was terminated (run ${ctx.runId} of the same job ignored its abort signal)`,
            ));
        }, graceMs);
      };
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        ctx.signal.removeEventListener("abort", onAbort);
      };
      const pending = live.runs.get(ctx.runId)!;
      pending.resolve = (r) => {
        done();
        resolve(r);
      };
      pending.reject = (e) => {
        done();
        reject(e);
      };
      live.worker.postMessage({
        t: "run",
        runId: ctx.runId,
        job: ctx.job,
        attempt: ctx.attempt,
        scheduledAt: ctx.scheduledAt.getTime(),
        idempotencyKey: ctx.idempotencyKey,
      });
    });
  }

  /**
   * Lets the runs in flight finish, then terminates the worker (a reload replaced or removed
   * the job). Later runs are refused.
   */
  retire(): void {
    this.#retired = true;
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (this.#retired && (this.#live === null || this.#live.runs.size === 0)) this.close();
  }

  /** Terminates the worker (runs in flight fail) and refuses further runs. */
  close(): void {
    this.#closed = true;
    if (this.#live) this.#kill(this.#live, () => new Error("the sandbox was closed"), false);
  }

  /** Whether a worker is running now (for tests and diagnostics). */
  get running(): boolean {
    return this.#live !== null && !this.#live.dead;
  }

  #ensure(): Live {
    if (this.#live && !this.#live.dead) return this.#live;
    const { path, key, permissions } = this.#opts;
    const worker = startWorker(path, { mode: "run", key }, permissions);
    const runs = new Map<string, Pending>();
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const live: Live = {
      worker,
      runs,
      dead: false,
      ready: new Promise<void>((res, rej) => {
        ready = res;
        failed = rej;
      }),
    };
    live.ready.catch(() => {});
    const timer = setTimeout(
      () => failed(new Error(`not ready within ${START_TIMEOUT_MS / 1000}s`)),
      START_TIMEOUT_MS,
    );
    live.ready.finally(() => clearTimeout(timer)).catch(() => {});
    worker.onmessage = (e) => {
      const msg = e.data;
      switch (msg?.t) {
        case "ready":
          ready();
          break;
        case "log": {
          const p = runs.get(msg.runId);
          if (!p) break;
          const level = msg.level as "info" | "warn" | "error";
          if (this.#opts.onLog) this.#opts.onLog(p.ctx, level, msg.message, msg.fields);
          else p.ctx.log[level](msg.message, msg.fields);
          break;
        }
        case "done": {
          const p = runs.get(msg.runId);
          if (!p) break;
          runs.delete(msg.runId);
          const denied: string[] = msg.denied ?? [];
          if (msg.ok) p.resolve(denied.length > 0 ? { deniedPermissions: denied } : {});
          else p.reject(this.#runError(msg.error, denied));
          this.#closeIfIdle();
          break;
        }
        case "fatal": {
          const err = this.#runError(msg.error, msg.denied ?? []);
          failed(err);
          this.#kill(live, () => err);
          break;
        }
        case "exit": {
          const err = new Error(`the job ended its worker (Deno.exit or close, code ${msg.code})`);
          failed(err);
          this.#kill(live, () => err);
          break;
        }
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      const err = this.#runError({ name: "Error", message: e.message, stack: e.message }, []);
      failed(err);
      this.#kill(live, () => err);
    };
    this.#live = live;
    return live;
  }

  /** Terminates a worker, fails its runs, and starts a replacement unless closing. */
  #kill(live: Live, errorFor: (p: Pending) => unknown, replace = true): void {
    if (live.dead) return;
    live.dead = true;
    live.worker.terminate();
    for (const p of live.runs.values()) p.reject(errorFor(p));
    live.runs.clear();
    if (this.#live === live) this.#live = null;
    // Warm again for the next run; a start that fails is reported by that run.
    if (replace && !this.#closed && !this.#retired) this.#ensure();
    this.#closeIfIdle();
  }

  /** A run's error: a permission refusal becomes one line naming the permission and flag. */
  #runError(data: ErrorData, deniedList: string[]): Error & DeniedCarrier {
    const denied = parseDenied(data.message);
    const err: Error & DeniedCarrier = denied
      ? new Error(deniedMessage(denied, this.#opts.grant ?? this.#opts.permissions))
      : toError(data);
    if (denied) err.name = "PermissionDenied";
    const all = new Set(deniedList);
    if (denied) all.add(`${denied.kind}:${denied.target}`);
    if (all.size > 0) err.deniedPermissions = [...all];
    return err;
  }
}

/** Resolves with `p`, or rejects with the signal's reason once it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
