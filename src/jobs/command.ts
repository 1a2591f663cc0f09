/**
 * The command executor (DESIGN §4): runs a job's program with `Deno.Command`, in its own
 * process group, with a minimal environment, its output streamed to a capped per-run log file,
 * and the whole group stopped (SIGTERM, grace, SIGKILL) when the run is aborted.
 *
 * Environment policy (cron-like, nothing of kron's own environment leaks by default): the child
 * gets `options.baseEnv`, or when absent only `PATH`, `HOME`, `USER`, `LOGNAME`, `LANG` and `TZ`
 * copied from kron's environment when set (`PATH` defaults to `/usr/local/bin:/usr/bin:/bin`);
 * then the job's `env`; then `KRON_JOB`, `KRON_RUN_ID`, `KRON_ATTEMPT`, `KRON_SCHEDULED_AT`
 * (ISO, UTC) and `KRON_IDEMPOTENCY_KEY`, which a job's `env` cannot override. The program is
 * looked up on the child's `PATH`.
 *
 * Process lifetime: when the program exits, any process it left behind in its group (a
 * backgrounded `cmd &`) is stopped the same way as on abort, so runs do not accumulate stray
 * processes (like systemd's `KillMode=control-group`); a program that must outlive its run has
 * to leave the group (`setsid`). That cleanup is noted in the run log.
 *
 * The cost of a run's end: a run is over when its program has exited and its pipes are
 * drained. Whether anything is left in the group is asked of the kernel (a signal probe, no
 * process-table read), so an ordinary exit reads no process table and runs no `ps`; the run
 * log is only created by the first byte of output.
 *
 * @example
 * ```ts
 * import { createCommandExecutor } from "./command.ts";
 * const exec = createCommandExecutor(
 *   { command: "pg_dump -Fc mydb -f /backups/mydb.dump", env: { PGHOST: "db" } },
 *   { logDir: ".kron/runs", onSpawn: (ctx, info) => console.log(ctx.runId, info.pid) },
 * );
 * // The engine calls `await exec(ctx)` and gets `{ exitCode }`.
 * ```
 * @module
 */
import type { ExecutionResult, Executor, RunContext } from "../engine/mod.ts";
import { KronError } from "../errors.ts";
import { splitCommand } from "./argv.ts";
import { createRunLog, DEFAULT_LOG_CAP_BYTES, type RunLog } from "./run_log.ts";
import { groupExists, groupGone, terminateGroup } from "./process_tree.ts";
import { listGroup, whenStillRunning } from "./process_table.ts";
import type { RunLogRetention } from "./run_log_retention.ts";

/** What a command job runs. */
export interface CommandSpec {
  /**
   * A command line (split into words by {@link splitCommand}, no shell) or the argv itself.
   * With `shell: true` it must be a string: it is handed to `sh -c` as the script. An array is
   * refused there because joining words with spaces would silently re-split or mis-quote them.
   */
  command: string | string[];
  /** Run through `shellPath -c` (pipes, globs, `$VAR`, `;` …). Default false. */
  shell?: boolean;
  /** Working directory (default: kron's). */
  dir?: string;
  /** Extra environment variables, on top of the base environment. */
  env?: Record<string, string>;
}

/** What {@link CommandExecutorOptions.onSpawn} receives: enough to stop a leftover tree later. */
export interface SpawnInfo {
  pid: number;
  /** The process group id; equals `pid` since the child leads its own group. */
  pgid: number;
  /** Start time in clock ticks since boot (`/proc` or `ps`, see process_tree.ts); `null` when unknown. */
  startTime: number | null;
}

/** Options of {@link createCommandExecutor}. */
export interface CommandExecutorOptions {
  /** `<dataDir>/runs`: logs go to `<logDir>/<job>/<runId>.log`. */
  logDir: string;
  /** Output bytes kept per run (default 1 MiB); the rest is drained and dropped. */
  logCapBytes?: number;
  /** Time between SIGTERM and SIGKILL to the group (default 5000 ms). */
  killGraceMs?: number;
  /** The shell for `shell: true` (default `/bin/sh`). */
  shellPath?: string;
  /**
   * Called once the process's facts are known, for a process that is still running then (the
   * engine records `RUN_SPAWNED`, which lets a restarted kron stop a tree a crash left
   * behind): at once when `/proc` is readable or no process table is, else from one batched
   * `ps` read 50 ms after the spawn (see process_table.ts `whenStillRunning`). A command that
   * is over by then is never reported: nothing of it can outlive its run. If it throws, the
   * error is logged through `ctx.log` and the run goes on.
   */
  onSpawn?: (ctx: RunContext, info: SpawnInfo) => void;
  /**
   * How many run logs the job keeps (its `history_limit`); older ones are deleted in the
   * background by `retention`. Without both, logs are never deleted here.
   */
  keepLogs?: number;
  /** The background pruner of run logs (shared by the jobs of a runtime). */
  retention?: RunLogRetention;
  /** The base environment of every child (default: see the module docs). */
  baseEnv?: Record<string, string>;
}

/** How a run that was aborted ended. */
export type AbortedBy = "SIGTERM" | "SIGKILL";

/**
 * Thrown by a command executor when its run was aborted (timeout, replace, shutdown). `name`
 * is `"AbortError"`, `cause` is the signal's reason, and `message` says what kron did:
 * `terminated (SIGTERM)` or `killed (SIGKILL after 5s)`.
 *
 * @example
 * ```ts
 * import { CommandAbortedError } from "./command.ts";
 * const e = new CommandAbortedError("SIGKILL", 5000, "timeout");
 * console.log(e.message); // "killed (SIGKILL after 5s)"
 * ```
 */
export class CommandAbortedError extends Error {
  /** The last signal kron had to send. */
  readonly by: AbortedBy;
  /** Creates the error; `reason` becomes `cause`. */
  constructor(by: AbortedBy, graceMs: number, reason?: unknown) {
    super(
      by === "SIGTERM" ? "terminated (SIGTERM)" : `killed (SIGKILL after ${formatMs(graceMs)})`,
      { cause: reason },
    );
    this.name = "AbortError";
    this.by = by;
  }
}

/**
 * Thrown when the program could not be started. The message is one line naming the program or
 * the directory, e.g. `command "nosuchprog" not found`.
 *
 * @example
 * ```ts
 * import { CommandSpawnError } from "./command.ts";
 * const e = new CommandSpawnError('command "nosuchprog" not found');
 * console.log(e.name); // "CommandSpawnError"
 * ```
 */
export class CommandSpawnError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandSpawnError";
  }
}

/** Variables copied from kron's environment into the default base environment. */
const INHERITED_VARS = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ"];
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
/** How long pipes may stay open after the group is gone (held by a process that left it). */
const DRAIN_MS = 1000;
/** How long members found at the leader's exit get to turn out to be reaped zombies. */
const STRAGGLER_PATIENCE_MS = 20;

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/**
 * Builds the environment kron's children start from when no `baseEnv` is given: `PATH`,
 * `HOME`, `USER`, `LOGNAME`, `LANG`, `TZ` from kron's environment when present and readable,
 * and a default `PATH`.
 *
 * @example
 * ```ts
 * import { defaultBaseEnv } from "./command.ts";
 * console.log(Object.keys(defaultBaseEnv())); // e.g. ["PATH", "HOME", "USER", "LANG"]
 * ```
 */
export function defaultBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARS) {
    try {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    } catch {
      // Not allowed by --allow-env: the child simply does not get it.
    }
  }
  env.PATH ??= DEFAULT_PATH;
  return env;
}

/**
 * Resolves a spec to the argv to execute; throws `KronError("invalid_option")` for an empty
 * command, an unterminated quote, or an array command with `shell: true`.
 *
 * @example
 * ```ts
 * import { commandArgv } from "./command.ts";
 * commandArgv({ command: "ls -l 'my dir'" }); // ["ls", "-l", "my dir"]
 * commandArgv({ command: "ls | wc -l", shell: true }); // ["/bin/sh", "-c", "ls | wc -l"]
 * ```
 */
export function commandArgv(spec: CommandSpec, shellPath = "/bin/sh"): string[] {
  let argv: string[];
  if (spec.shell) {
    if (typeof spec.command !== "string") {
      throw new KronError(
        "invalid_option",
        "command: with shell = true the command must be a string (the shell script)",
      );
    }
    if (spec.command.trim() === "") throw new KronError("invalid_option", "command: empty");
    argv = [shellPath, "-c", spec.command];
  } else if (typeof spec.command === "string") {
    argv = splitCommand(spec.command);
  } else {
    if (!Array.isArray(spec.command) || spec.command.some((w) => typeof w !== "string")) {
      throw new KronError("invalid_option", "command: must be a string or an array of strings");
    }
    argv = [...spec.command];
  }
  if (argv.length === 0 || argv[0] === "") {
    throw new KronError("invalid_option", "command: empty");
  }
  if (argv.some((w) => w.includes("\0"))) {
    throw new KronError("invalid_option", "command: contains a NUL character");
  }
  return argv;
}

/**
 * Creates the executor of a command job. The spec is validated now, so a bad command fails
 * when the job is defined rather than at its first run.
 *
 * Each run: spawns the program detached (its own process group), stdin `/dev/null`, stdout
 * and stderr streamed into `<logDir>/<job>/<runId>.log` (arrival order, capped; the file is
 * created by the first byte), calls `onSpawn` once the process's facts are known (see the
 * option), and resolves `{ exitCode }` when the program has exited, its group is empty and its
 * pipes are drained (`128 + signo` when a signal killed it). When `ctx.signal` aborts it SIGTERMs the group, SIGKILLs it after
 * `killGraceMs` if any member is still alive, and rejects with {@link CommandAbortedError}.
 * A spawn failure rejects with {@link CommandSpawnError}.
 *
 * @example
 * ```ts
 * import { createCommandExecutor } from "./command.ts";
 * const exec = createCommandExecutor(
 *   { command: "du -sh /var/log | sort -h", shell: true },
 *   { logDir: "/tmp/kron-demo/runs", logCapBytes: 64 * 1024, killGraceMs: 2000 },
 * );
 * const ac = new AbortController();
 * const result = await exec({
 *   job: "disk-usage",
 *   runId: "01J0000000000000000000000",
 *   attempt: 1,
 *   scheduledAt: new Date(),
 *   idempotencyKey: "disk-usage:2025-01-01T00:00:00.000Z",
 *   signal: ac.signal,
 *   log: console,
 * });
 * console.log(result); // { exitCode: 0 }
 * ```
 */
export function createCommandExecutor(
  spec: CommandSpec,
  options: CommandExecutorOptions,
): Executor {
  const argv = commandArgv(spec, options.shellPath);
  const capBytes = options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES;
  const graceMs = options.killGraceMs ?? 5000;
  const baseEnv = options.baseEnv ?? defaultBaseEnv();
  return (ctx) => runCommand(ctx, { spec, argv, capBytes, graceMs, baseEnv, options });
}

interface Prepared {
  spec: CommandSpec;
  argv: string[];
  capBytes: number;
  graceMs: number;
  baseEnv: Record<string, string>;
  options: CommandExecutorOptions;
}

async function runCommand(ctx: RunContext, p: Prepared): Promise<ExecutionResult> {
  ctx.signal.throwIfAborted();
  let warned = false;
  const { keepLogs, retention } = p.options;
  // Throws for an unsafe job or run id. Creates nothing: the file comes with the first byte.
  const log: RunLog = createRunLog(p.options.logDir, ctx.job, ctx.runId, p.capBytes, {
    onError: (e) => {
      if (warned) return;
      warned = true;
      ctx.log.warn("cannot write the run log; output is dropped", { error: String(e) });
    },
    onCreated: keepLogs && retention ? () => retention.created(ctx.job, keepLogs) : undefined,
  });

  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(p.argv[0], {
      args: p.argv.slice(1),
      cwd: p.spec.dir,
      clearEnv: true,
      env: childEnv(ctx, p),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Leads its own process group (pgid = pid), so the whole tree can be signalled at once.
      detached: true,
    }).spawn();
  } catch (e) {
    const error = await spawnError(e, p.argv[0], p.spec.dir);
    await log.note(`spawn failed: ${error.message}`);
    await log.close();
    throw error;
  }

  const pid = child.pid;
  const pgid = pid;
  const status = child.status;
  const pumps = [pump(child.stdout, log), pump(child.stderr, log)];
  // The start time is what makes the pid recognisable after a crash; it is read off the run's
  // path, in a batch, and only for a process still running a moment after its spawn.
  whenStillRunning(pid, status, (startTime) => {
    try {
      p.options.onSpawn?.(ctx, { pid, pgid, startTime });
    } catch (e) {
      ctx.log.error("onSpawn failed", { error: String(e), pid });
    }
  });

  const first = await Promise.race([
    status.then((s) => ({ kind: "exit" as const, s })),
    aborted(ctx.signal).then(() => ({ kind: "abort" as const })),
  ]);

  if (first.kind === "abort") {
    // Not awaited: the signal must not wait behind pending output; the log keeps the order.
    void log.note(
      `run aborted (${describe(ctx.signal.reason)}): sending SIGTERM to process group ${pgid}`,
    );
    const how = await terminateGroup(pgid, { graceMs: p.graceMs, leaderExited: status });
    await log.note(
      how === "killed"
        ? `process group ${pgid} still alive after ${formatMs(p.graceMs)}: sent SIGKILL`
        : `process group ${pgid} exited after SIGTERM`,
    );
    await status;
    await finish(pumps, log);
    throw new CommandAbortedError(
      how === "killed" ? "SIGKILL" : "SIGTERM",
      p.graceMs,
      ctx.signal.reason,
    );
  }

  // Deno already reports 128 + signo as the code of a signalled process; the table makes
  // that explicit rather than relying on it.
  const signo = first.s.signal === null ? undefined : SIGNAL_NUMBERS[first.s.signal];
  const exitCode = signo === undefined ? first.s.code : 128 + signo;
  // The leader is reaped: the signal probe answers the common case (nothing left) at once. A
  // member that exited just after it may still be a zombie for a few ms: groupGone waits for
  // that with a few probes before it reads the process table.
  if (groupExists(pgid) && !(await groupGone(pgid, Date.now() + STRAGGLER_PATIENCE_MS))) {
    const stragglers = await listGroup(pgid);
    const count = stragglers === null ? "" : `${stragglers.length} `;
    void log.note(
      `command exited (${exitCode}) leaving ${count}process(es) in group ${pgid}: ` +
        "sending SIGTERM",
    );
    const how = await terminateGroup(pgid, { graceMs: p.graceMs });
    if (how === "killed") {
      await log.note(
        `process group ${pgid} still alive after ${formatMs(p.graceMs)}: sent SIGKILL`,
      );
    }
  }
  await finish(pumps, log);
  return { exitCode };
}

function childEnv(ctx: RunContext, p: Prepared): Record<string, string> {
  return {
    ...p.baseEnv,
    ...p.spec.env,
    // Last, so a job's env cannot make a run lie about its identity.
    KRON_JOB: ctx.job,
    KRON_RUN_ID: ctx.runId,
    KRON_ATTEMPT: String(ctx.attempt),
    KRON_SCHEDULED_AT: ctx.scheduledAt.toISOString(),
    KRON_IDEMPOTENCY_KEY: ctx.idempotencyKey,
  };
}

/** A running copy of one pipe into the log. */
interface Pump {
  done: Promise<void>;
  cancel(): void;
}

/**
 * Copies a pipe into the log chunk by chunk. Each chunk is awaited before the next read, so at
 * most one chunk per pipe is in memory; past the cap the log drops chunks but the pipe is still
 * read to the end, so the child never blocks on a full pipe.
 */
function pump(stream: ReadableStream<Uint8Array>, log: RunLog): Pump {
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        await log.write(value);
      }
    } catch {
      // Read error or cancelled: the pipe is finished either way.
    } finally {
      reader.releaseLock();
    }
  })();
  return { done, cancel: () => void reader.cancel().catch(() => {}) };
}

/**
 * Waits for both pipes to reach EOF, then closes the log. A process that left the group (or a
 * daemon that kept the pipe) could hold a pipe open forever, so after {@link DRAIN_MS} the
 * reads are cancelled.
 */
async function finish(pumps: Pump[], log: RunLog): Promise<void> {
  const all = Promise.all(pumps.map((p) => p.done));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    all.then(() => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), DRAIN_MS)),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    for (const p of pumps) p.cancel();
    await all;
    await log.note("output pipe still held open by a process outside the group; stopped reading");
  }
  await log.close();
}

/** Resolves when `signal` aborts (at once if it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** One line describing an abort reason. */
function describe(reason: unknown): string {
  const text = reason instanceof Error ? reason.message || reason.name : String(reason);
  return text.split("\n")[0];
}

/** `5000` → `"5s"`, `1500` → `"1.5s"`, `200` → `"200ms"`. */
function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

/** Turns a spawn exception into a one-line error naming the program or directory. */
async function spawnError(e: unknown, program: string, dir?: string): Promise<CommandSpawnError> {
  const name = JSON.stringify(program);
  if (e instanceof Deno.errors.NotFound) {
    if (dir !== undefined && !(await isDirectory(dir))) {
      return new CommandSpawnError(`command ${name}: directory ${JSON.stringify(dir)} not found`, {
        cause: e,
      });
    }
    return new CommandSpawnError(`command ${name} not found`, { cause: e });
  }
  if (e instanceof Deno.errors.NotCapable) {
    return new CommandSpawnError(`command ${name} is not allowed (see --allow-run)`, { cause: e });
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new CommandSpawnError(`command ${name}: permission denied`, { cause: e });
  }
  const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
  return new CommandSpawnError(`command ${name} failed to start: ${detail}`, { cause: e });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
