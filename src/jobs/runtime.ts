/**
 * Turns a loaded {@link JobFile} into jobs of a running `Kron` (src/kron/): builds each job's
 * executor (command jobs through the command executor, function jobs from `jobs.ts`), checks
 * command jobs against the `--allow-run` grant, applies a file (first load and reload) as a
 * diff, records `RUN_SPAWNED` and fires
 * `on_failure` and `on_late` hooks (a command, or a JSON POST to an http(s) URL; src/jobs/hooks.ts).
 *
 * Everything that can be wrong with a file is checked before the engine is touched, so an
 * invalid file changes nothing (reload keeps the jobs that run, a first start never opens the
 * data dir).
 *
 * @example
 * ```ts
 * import { Kron } from "../kron/mod.ts";
 * import { loadJobFile } from "./job_file.ts";
 * import { JobRuntime, emptyPermissions } from "./runtime.ts";
 * const kron = new Kron({ dataDir: "/tmp/kron-demo" });
 * const runtime = new JobRuntime(kron, {
 *   dataDir: "/tmp/kron-demo",
 *   permissions: { ...emptyPermissions(), run: true },
 * });
 * runtime.apply(await loadJobFile("jobs.toml"));
 * await kron.start();
 * // … later
 * await kron.shutdown({ timeout: "30s" });
 * await runtime.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  DEFAULT_POLICY,
  type Engine,
  type Executor,
  functionExecutor,
  type RunContext,
} from "../engine/mod.ts";
import type { JobKind, KronEvent } from "../events/mod.ts";
import { isLastAttempt } from "../policy/mod.ts";
import { createCommandExecutor, type SpawnInfo } from "./command.ts";
import { deliverHook } from "./hooks.ts";
import type { JobDefinition, JobFile, OnFailure } from "./job_file.ts";
import { effectivePermissions } from "./permissions.ts";
import { isSandboxStub } from "./sandbox.ts";
import { SandboxPools } from "./sandbox_pool.ts";
import type { Permissions } from "./grants.ts";
import { RunLogRetention } from "./run_log_retention.ts";
import { commandSpecOf, verifyJobFile } from "./verify.ts";

export { emptyPermissions, runAllowed } from "./grants.ts";
export {
  checkJobPermissions,
  checkRunPermission,
  commandProgram,
  shellProblem,
  verifyJobFile,
} from "./verify.ts";
export type { Grant, Permissions } from "./grants.ts";

/**
 * Builds the executor of a function (`run`) job loaded in-process (library use); jobs loaded
 * with `loadJobFile(path, { sandbox })` run in their sandbox workers instead.
 *
 * @example
 * ```ts
 * import type { FunctionExecutorFactory } from "./runtime.ts";
 * const logged: FunctionExecutorFactory = (job) => async (ctx) => {
 *   console.log("running", job.name, ctx.runId);
 *   await job.run!(ctx);
 * };
 * ```
 */
export type FunctionExecutorFactory = (job: JobDefinition, permissions: Permissions) => Executor;

/**
 * Runs a `jobs.ts` function in this process: it gets the run context and its result or throw
 * is the outcome.
 *
 * @example
 * ```ts
 * import { inProcessExecutor, emptyPermissions } from "./runtime.ts";
 * // const exec = inProcessExecutor(jobDefinition, emptyPermissions());
 * ```
 */
export const inProcessExecutor: FunctionExecutorFactory = (job) => functionExecutor(job.run!);

/**
 * Options of {@link JobRuntime}.
 *
 * @example
 * ```ts
 * import { emptyPermissions, type JobRuntimeOptions } from "./runtime.ts";
 * const opts: JobRuntimeOptions = { dataDir: "/srv/kron", permissions: emptyPermissions(), killGraceMs: 2000 };
 * ```
 */
export interface JobRuntimeOptions {
  /** The data dir (absolute); run logs go to `<dataDir>/runs`. */
  dataDir: string;
  /** The `--allow-*` grants. */
  permissions: Permissions;
  /** Executor factory of function jobs (default {@link inProcessExecutor}). */
  functionExecutor?: FunctionExecutorFactory;
  /** Output kept per run (default: the command executor's 1 MiB). */
  logCapBytes?: number;
  /** SIGTERM → SIGKILL grace for command jobs (default 5 s). */
  killGraceMs?: number;
  /** How long one attempt of an `on_failure` / `on_late` hook may take (default 30 s). */
  hookTimeoutMs?: number;
  /** Attempts of an `on_late` hook that fails (default 5). */
  lateHookAttempts?: number;
  /** Delay before an `on_late` hook's second attempt, doubling after (default 1 s). */
  lateHookRetryDelayMs?: number;
  /** How long an aborted TS job may take to stop before its worker is terminated (default 2 s). */
  sandboxGraceMs?: number;
  /** Sandbox workers per permission set at most (default: the number of CPU cores). */
  sandboxWorkers?: number;
}

/**
 * What {@link JobRuntime.apply} changed.
 *
 * @example
 * ```ts
 * import type { ApplyResult } from "./runtime.ts";
 * const none: ApplyResult = { added: [], changed: [], removed: [], unchanged: ["backup"] };
 * ```
 */
export interface ApplyResult {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

/** A job ready for the engine. */
interface Prepared {
  def: JobDefinition;
  executor: Executor;
  kind: JobKind;
  command: string | string[] | null;
  env: Record<string, string> | null;
}

/**
 * What a {@link JobRuntime} drives: a `Kron` (src/kron/) or anything else holding an engine. An
 * interface rather than the class, so that src/jobs/ stays below src/kron/ (which imports it).
 *
 * @example
 * ```ts
 * import { Engine, MemoryStore } from "../../mod.ts";
 * import type { RuntimeHost } from "./runtime.ts";
 * const host: RuntimeHost = { engine: new Engine({ store: new MemoryStore() }) };
 * ```
 */
export interface RuntimeHost {
  /** The engine the runtime defines jobs on and listens to. */
  readonly engine: Engine;
}

/**
 * Applies job files to a `Kron` (any {@link RuntimeHost}) and runs the hooks around them. One
 * per runtime.
 *
 * @example
 * ```ts
 * import { Kron } from "../kron/mod.ts";
 * import { JobRuntime, emptyPermissions } from "./runtime.ts";
 * const kron = new Kron({ dataDir: "/tmp/kron-demo" });
 * const runtime = new JobRuntime(kron, { dataDir: "/tmp/kron-demo", permissions: emptyPermissions() });
 * ```
 */
export class JobRuntime {
  readonly #kron: RuntimeHost;
  readonly #opts: JobRuntimeOptions;
  readonly #log = getLogger(["kron", "runtime"]);
  /** The jobs this runtime defined, by name (their current definitions). */
  readonly #jobs = new Map<string, JobDefinition>();
  /** Command executions and hooks in flight: shutdown waits for their process groups. */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #unsubscribe: () => void;
  /** The sandbox pools of each applied TS file; the last one is current, older ones retire. */
  readonly #generations = new Set<SandboxPools>();
  /** Jobs that forced a shared worker down: they run alone for the rest of the process. */
  readonly #isolated = new Set<string>();
  /** Deletes command jobs' old run logs in the background (each keeps its history_limit). */
  #retention: RunLogRetention | null = null;
  #file: JobFile | null = null;
  /** Aborted by close(): hooks stop retrying. */
  readonly #closing = new AbortController();

  /** Creates the runtime and subscribes to the engine's events (hooks, leftovers). */
  constructor(kron: RuntimeHost, options: JobRuntimeOptions) {
    this.#kron = kron;
    this.#opts = options;
    this.#unsubscribe = kron.engine.onEvent((e) => this.#onEvent(e));
  }

  /** The sandbox pools of the file applied last (a sandboxed TS file), or null. */
  get sandbox(): SandboxPools | null {
    let last: SandboxPools | null = null;
    for (const pools of this.#generations) last = pools;
    return last;
  }

  /** The file applied last, or null. */
  get file(): JobFile | null {
    return this.#file;
  }

  /**
   * Checks a file completely (permissions, commands, definitions) without changing anything.
   * Throws a {@link JobFileError} or `KronError` (exit 2 in the CLI).
   */
  validate(file: JobFile): void {
    this.#prepareAll(file, null);
  }

  /**
   * Applies a file: new jobs are defined, changed ones replaced, missing ones removed. All
   * checks run first, so a file with a problem throws and changes nothing.
   */
  apply(file: JobFile): ApplyResult {
    const pools = isSandboxed(file, this.#opts)
      ? new SandboxPools({
        path: file.path,
        grant: this.#opts.permissions,
        size: this.#opts.sandboxWorkers,
        graceMs: this.#opts.sandboxGraceMs,
        warm: file.warm,
        isolated: this.#isolated,
      })
      : null;
    let prepared: Prepared[];
    try {
      prepared = this.#prepareAll(file, pools);
    } catch (e) {
      pools?.close();
      throw e;
    }
    const engine = this.#kron.engine;
    const result: ApplyResult = { added: [], changed: [], removed: [], unchanged: [] };
    const names = new Set(prepared.map((p) => p.def.name));
    for (const name of [...this.#jobs.keys()]) {
      if (names.has(name)) continue;
      engine.undefine(name);
      this.#jobs.delete(name);
      result.removed.push(name);
    }
    for (const p of prepared) {
      const before = engine.definitionHash(p.def.name);
      engine.define(p.def.name, p.def.options, p.executor, {
        kind: p.kind,
        command: p.command,
        env: p.env,
        replace: true,
      });
      this.#jobs.set(p.def.name, p.def);
      const after = engine.definitionHash(p.def.name);
      if (before === null) result.added.push(p.def.name);
      else if (before !== after) result.changed.push(p.def.name);
      else result.unchanged.push(p.def.name);
    }
    // The old workers finish their runs in flight, then go; the new ones are warm before the
    // first due time.
    for (const old of this.#generations) {
      old.retire();
      // Forgotten once its last worker is gone (a reload a day must not accumulate them).
      if (old.workers === 0) this.#generations.delete(old);
    }
    if (pools) {
      this.#generations.add(pools);
      pools.prewarm();
    }
    this.#file = file;
    return result;
  }

  /**
   * Waits for command processes and hooks still in flight (after `kron.shutdown()`), then
   * terminates the sandbox workers.
   */
  async close(): Promise<void> {
    this.#unsubscribe();
    this.#closing.abort();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#retention?.idle();
    for (const pools of this.#generations) pools.close();
    this.#generations.clear();
  }

  #prepareAll(file: JobFile, pools: SandboxPools | null): Prepared[] {
    verifyJobFile(file, this.#opts.permissions);
    return file.jobs.map((def) => this.#prepare(file, def, pools));
  }

  #prepare(file: JobFile, def: JobDefinition, pools: SandboxPools | null): Prepared {
    if (def.watch) {
      // Never called: the engine does not arm a watched job's occurrences nor trigger it.
      const executor: Executor = () => {
        throw new Error(`job "${def.name}" is watched: kron does not run it`);
      };
      return { def, executor, kind: "watch", command: null, env: null };
    }
    if (def.command) {
      const spec = commandSpecOf(file, def);
      const exec = createCommandExecutor(spec, {
        logDir: `${this.#opts.dataDir}/runs`,
        logCapBytes: this.#opts.logCapBytes,
        killGraceMs: this.#opts.killGraceMs,
        onSpawn: (ctx, info) => this.#spawned(ctx, info),
        keepLogs: def.options.historyLimit ?? DEFAULT_POLICY.historyLimit,
        retention: this.#retention ??= new RunLogRetention(
          `${this.#opts.dataDir}/runs`,
          (job, e) =>
            this.#log.warn("cannot prune old run logs of {job}: {error}", {
              job,
              error: String(e),
            }),
        ),
      });
      return {
        def,
        executor: this.#track(exec),
        kind: "command",
        command: spec.command,
        env: Object.keys(def.command.env).length > 0 ? def.command.env : null,
      };
    }
    const stub = isSandboxStub(def.run);
    if (stub && !this.#opts.functionExecutor) {
      const permissions = effectivePermissions(this.#opts.permissions, def.permissions);
      // validate() prepares without pools: its executor is never called.
      const executor: Executor = pools
        ? pools.executor(stub.key, permissions, def.isolate === true)
        : () => {
          throw new Error(`job "${def.name}" was only validated`);
        };
      return {
        def,
        executor,
        kind: "function",
        command: null,
        env: null,
      };
    }
    const factory = this.#opts.functionExecutor ?? inProcessExecutor;
    return {
      def,
      executor: factory(def, this.#opts.permissions),
      kind: "function",
      command: null,
      env: null,
    };
  }

  /** Tracks an executor's promise so shutdown can wait for its process group to be gone. */
  #track(exec: Executor): Executor {
    return (ctx) => {
      const p = Promise.resolve(exec(ctx));
      this.#hold(p);
      return p;
    };
  }

  #hold(p: Promise<unknown>): void {
    const held = p.catch(() => {}).finally(() => this.#pending.delete(held));
    this.#pending.add(held);
  }

  #spawned(ctx: RunContext, info: SpawnInfo): void {
    this.#log.debug("run {job} {runId} attempt {attempt} spawned pid {pid}", {
      job: ctx.job,
      runId: ctx.runId,
      attempt: ctx.attempt,
      pid: info.pid,
    });
    // RUN_SPAWNED lets a restarted kron stop a leftover tree (Kron's onAbandoned does that).
    this.#kron.engine.recordSpawn(ctx.job, ctx.runId, info);
  }

  #onEvent(event: KronEvent): void {
    switch (event.type) {
      case "RUN_FAILED":
      case "RUN_TIMED_OUT": {
        const def = this.#jobs.get(event.job);
        // Only the occurrence's last attempt: earlier ones are retried.
        if (!def?.onFailure) return;
        if (!isLastAttempt({ retries: def.options.retries ?? 0 }, event.attempt)) return;
        this.#hold(this.#fireFailureHook(def, def.onFailure, event));
        break;
      }
      case "JOB_LATE":
      case "JOB_DOWN":
      case "JOB_RECOVERED": {
        const def = this.#jobs.get(event.job);
        if (!def?.onLate) return;
        this.#hold(this.#fireLateHook(def.onLate, event));
        break;
      }
    }
  }

  async #fireFailureHook(
    def: JobDefinition,
    hook: OnFailure,
    event: Extract<KronEvent, { type: "RUN_FAILED" | "RUN_TIMED_OUT" }>,
  ): Promise<void> {
    const outcome = event.type === "RUN_FAILED" ? "failed" : "timed_out";
    const run = this.#kron.engine.state.jobs.get(def.name)?.recent.find((r) =>
      r.id === event.runId
    );
    const scheduledAt = run ? new Date(run.scheduledAt).toISOString() : null;
    const payload = {
      job: event.job,
      runId: event.runId,
      attempt: event.attempt,
      outcome,
      exitCode: event.exitCode,
      error: event.error,
      scheduledAt,
      idempotencyKey: run?.idempotencyKey ?? null,
      time: event.time,
    };
    const env = {
      KRON_JOB: event.job,
      KRON_RUN_ID: event.runId,
      KRON_ATTEMPT: String(event.attempt),
      KRON_OUTCOME: outcome,
      KRON_EXIT_CODE: event.exitCode === null ? "" : String(event.exitCode),
      KRON_ERROR: event.error,
      KRON_SCHEDULED_AT: scheduledAt ?? "",
      KRON_IDEMPOTENCY_KEY: run?.idempotencyKey ?? "",
    };
    const fields = {
      job: event.job,
      runId: event.runId,
      attempt: event.attempt,
      outcome,
      exitCode: event.exitCode,
    };
    const result = await deliverHook(hook, { json: payload, env }, {
      timeoutMs: this.#opts.hookTimeoutMs ?? 30_000,
    });
    if (result.delivered) {
      if ("url" in hook) {
        this.#log.info("on_failure hook of {job} {runId} posted to {url}", {
          ...fields,
          url: hook.url,
        });
      } else {
        this.#log.info("on_failure hook of {job} {runId} ran", fields);
      }
      return;
    }
    this.#log.error("on_failure hook of {job} {runId} failed: {hookError}", {
      ...fields,
      hookError: result.error,
    });
  }

  /** `on_late`: once per transition to late, to down and back to normal; retried with backoff. */
  async #fireLateHook(
    hook: OnFailure,
    event: Extract<KronEvent, { type: "JOB_LATE" | "JOB_DOWN" | "JOB_RECOVERED" }>,
  ): Promise<void> {
    const kind = event.type === "JOB_LATE"
      ? "late"
      : event.type === "JOB_DOWN"
      ? "down"
      : "recovered";
    const payload = {
      kind,
      job: event.job,
      scheduledAt: event.scheduledAt,
      lastSuccessAt: event.lastSuccessAt,
    };
    const env = {
      KRON_JOB: event.job,
      KRON_KIND: kind,
      KRON_SCHEDULED_AT: event.scheduledAt ?? "",
      KRON_LAST_SUCCESS_AT: event.lastSuccessAt ?? "",
    };
    const fields = { job: event.job, kind };
    const result = await deliverHook(hook, { json: payload, env }, {
      timeoutMs: this.#opts.hookTimeoutMs ?? 30_000,
      attempts: this.#opts.lateHookAttempts ?? 5,
      retryDelayMs: this.#opts.lateHookRetryDelayMs ?? 1_000,
      signal: this.#closing.signal,
      onAttemptFailed: (attempt, hookError, willRetry) =>
        this.#log.warn(
          `on_late hook of {job} ({kind}) failed, attempt {attempt}: {hookError}${
            willRetry ? "; retrying" : ""
          }`,
          { ...fields, attempt, hookError },
        ),
    });
    if (result.delivered) {
      this.#log.info("on_late hook of {job} ({kind}) delivered", {
        ...fields,
        attempts: result.attempts,
      });
    } else {
      this.#log.error("on_late hook of {job} ({kind}) gave up after {attempts} attempts", {
        ...fields,
        attempts: result.attempts,
      });
    }
  }
}

/** Whether the file's function jobs run in sandbox workers (a TS file loaded sandboxed). */
function isSandboxed(file: JobFile, opts: JobRuntimeOptions): boolean {
  return !opts.functionExecutor && file.jobs.some((j) => isSandboxStub(j.run) !== null);
}
