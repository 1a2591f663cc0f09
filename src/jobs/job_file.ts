/**
 * Job files: `jobs.toml` and `jobs.ts`, loaded into one validated shape, {@link JobFile}.
 *
 * `loadJobFile(path)` picks the loader by extension (`.toml`, or `.ts`/`.mts`/`.js`/`.mjs`),
 * turns the file into plain data and sends both kinds through the same validator, so a job means
 * the same thing whichever way it is written. The first problem found stops loading and is thrown
 * as a {@link JobFileError} whose message is one line naming the file, the line (TOML) or the
 * job (TS), the field and what is wrong.
 *
 * @example
 * ```ts
 * import { loadJobFile } from "./job_file.ts";
 * const file = await loadJobFile("examples/jobs.toml");
 * for (const job of file.jobs) console.log(job.name, job.options);
 * ```
 * @module
 */
import type { JobOptions, RunContext } from "../engine/types.ts";
import { compileSchedule, toScheduleRecord } from "../schedule/mod.ts";
import { readTomlJobFile } from "./toml_loader.ts";
import { importTsJobFile } from "./ts_loader.ts";
import { loadTsInSandbox } from "./sandbox.ts";
import type { Permissions } from "./grants.ts";
import type { WarmWorker } from "./sandbox_pool.ts";
import type { PrintedLine } from "./sandbox.ts";
import { JobFileError, validateJobFile } from "./validate.ts";

export { JobFileError } from "./validate.ts";

/**
 * What a job may do inside its sandbox (DESIGN §4): each Deno permission is `true` (all),
 * `false` (none) or a list (e.g. hosts for `net`, paths for `read`). Absent = not narrowed.
 * Per-job permissions may narrow the command line's grants, never widen them.
 *
 * @example
 * ```ts
 * import type { JobPermissions } from "./job_file.ts";
 * const p: JobPermissions = { net: ["api.example.com"], read: false };
 * ```
 */
export interface JobPermissions {
  read?: boolean | string[];
  write?: boolean | string[];
  net?: boolean | string[];
  env?: boolean | string[];
  run?: boolean | string[];
  sys?: boolean | string[];
}

/**
 * How a command job runs. Exactly one of `argv` (the command was written as an array) and
 * `text` (written as a string: split into words by the executor, or given to `/bin/sh -c` when
 * `shell` is true) is set. (Not the executor's `CommandSpec` of command.ts, which takes
 * `{ command: argv ?? text, shell, dir, env }`.)
 *
 * @example
 * ```ts
 * import type { CommandSpec } from "./job_file.ts";
 * const c: CommandSpec = { argv: null, text: "bash backup.sh", shell: false, dir: null, env: {} };
 * ```
 */
export interface CommandSpec {
  argv: string[] | null;
  text: string | null;
  shell: boolean;
  /** Working directory as written (relative paths are the executor's to resolve). */
  dir: string | null;
  env: Record<string, string>;
}

/**
 * What to do when an occurrence's last attempt failed: run a command, or POST to a URL.
 *
 * @example
 * ```ts
 * import type { OnFailure } from "./job_file.ts";
 * const hook: OnFailure = { url: "https://hooks.example.com/kron" };
 * ```
 */
export type OnFailure = { command: string | string[] } | { url: string };

/**
 * One validated job from a job file.
 *
 * - `options`: schedule and policy options, camelCase, exactly as `kron.schedule()` takes them.
 *   Durations stay as written (`"30m"`); `overlap = true/false` (koku) becomes `"allow"/"skip"`;
 *   a TOML date-time for `at`/`start_at` becomes its ISO text (`"2026-03-01T09:00:00Z"`; a
 *   local date-time keeps no offset and means the machine's local time, as `Date` reads it).
 * - `command` for command jobs, `run` for function jobs (TS only); exactly one is set.
 * - `source`: where it was defined; `line` is the `[[job]]` header line (TOML) or `null` (TS).
 *
 * @example
 * ```ts
 * import type { JobDefinition } from "./job_file.ts";
 * const job: JobDefinition = {
 *   name: "backup", options: { cron: "0 2 * * *" },
 *   command: { argv: null, text: "bash backup.sh", shell: false, dir: null, env: {} },
 *   run: null, permissions: null, onFailure: null, source: { file: "jobs.toml", line: 1 },
 * };
 * ```
 */
export interface JobDefinition {
  name: string;
  options: JobOptions;
  command: CommandSpec | null;
  run: ((ctx: RunContext) => unknown) | null;
  permissions: JobPermissions | null;
  onFailure: OnFailure | null;
  /** A TS job that runs in a sandbox worker of its own (`isolate: true`). */
  isolate?: boolean;
  source: { file: string; line: number | null };
}

/** How the event log reaches the disk (see DESIGN §5). */
export type Durability = "fsync" | "batch" | "none";

/**
 * Runtime settings from the `[kron]` table (TOML) or the `kron` export (TS). `null` = not set:
 * the CLI flag, the environment or the built-in default decides.
 *
 * @example
 * ```ts
 * import type { RuntimeSettings } from "./job_file.ts";
 * const s: RuntimeSettings = {
 *   dataDir: ".kron", timezone: "Europe/Rome", http: null, logFormat: "json",
 *   durability: null, shutdownTimeout: "30s", sandboxWorkers: null,
 * };
 * ```
 */
export interface RuntimeSettings {
  dataDir: string | null;
  /** Default time zone for cron jobs that do not set their own. */
  timezone: string | null;
  /** `"host:port"` of the admin TCP listener. */
  http: string | null;
  logFormat: "text" | "json" | null;
  durability: Durability | null;
  /** How long shutdown waits for running jobs, as written (`"30s"`). */
  shutdownTimeout: string | null;
  /** TS jobs: sandbox workers per permission set at most (default: the number of CPU cores). */
  sandboxWorkers: number | null;
}

/**
 * A loaded, validated job file. `path` is the path as the caller gave it.
 *
 * @example
 * ```ts
 * import type { JobFile } from "./job_file.ts";
 * function names(f: JobFile): string[] {
 *   return f.jobs.map((j) => j.name);
 * }
 * ```
 */
export interface JobFile {
  path: string;
  kind: "toml" | "ts";
  settings: RuntimeSettings;
  jobs: JobDefinition[];
  /** The sandbox worker that loaded a TS file, kept up ({@link LoadOptions.keepWarm}). */
  warm?: WarmWorker | null;
  /** What a sandboxed TS file's top-level code printed while it loaded (see `logLoadOutput`). */
  printed?: PrintedLine[];
}

/** Extensions loaded as TS modules: the import machinery handles JS too. */
const MODULE_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];

/**
 * Which loader a path needs, from its extension, or `null` for an unsupported one.
 *
 * @example
 * ```ts
 * import { jobFileKind } from "./job_file.ts";
 * jobFileKind("jobs.toml"); // "toml"
 * jobFileKind("jobs.ts"); // "ts"
 * jobFileKind("jobs.yaml"); // null
 * ```
 */
export function jobFileKind(path: string): "toml" | "ts" | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".toml")) return "toml";
  return MODULE_EXTENSIONS.some((ext) => lower.endsWith(ext)) ? "ts" : null;
}

/**
 * Options of {@link loadJobFile}.
 *
 * @example
 * ```ts
 * import type { LoadOptions } from "./job_file.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const opts: LoadOptions = { sandbox: { ...emptyPermissions(), env: ["SMTP_URL"] } };
 * ```
 */
export interface LoadOptions {
  /**
   * Load a TS file inside a sandbox worker with exactly these permissions (what `kron run`
   * does): its top-level code never runs in this isolate, and each function job's `run` is a
   * stub that `JobRuntime` (runtime.ts) turns into a sandboxed executor. Absent: import it here.
   */
  sandbox?: Permissions;
  /**
   * With `sandbox`: keep the loading worker up in {@link JobFile.warm}, for the runtime to run
   * the jobs of the grant's permission set in (`kron run` does; the runtime owns it then).
   */
  keepWarm?: boolean;
}

/**
 * Loads and validates a job file. Throws a {@link JobFileError} (code `invalid_option`, or `io`
 * when the file cannot be read) with a one-line message such as
 * `jobs.toml:14: job "backup": timeout "30x" is not a duration (try "30m"; …)`.
 *
 * A TS file is imported once per call: reloading the same path imports a fresh copy of the file.
 * Without `options.sandbox` it is imported in this process (its top-level code runs here, as
 * the library's own jobs do); with it, in a sandbox worker (see sandbox.ts).
 *
 * @example
 * ```ts
 * import { loadJobFile } from "./job_file.ts";
 * const { settings, jobs } = await loadJobFile("jobs.toml");
 * console.log(settings.timezone, jobs.length);
 * ```
 */
export async function loadJobFile(path: string, options: LoadOptions = {}): Promise<JobFile> {
  const kind = jobFileKind(path);
  if (kind === null) {
    throw new JobFileError({
      file: path,
      problem: "unsupported file type (use .toml, or .ts for a TypeScript module)",
    });
  }
  if (kind === "ts" && options.sandbox) {
    const loaded = await loadTsInSandbox(path, options.sandbox, { keepWarm: options.keepWarm });
    try {
      return { ...validateJobFile(loaded), warm: loaded.warm, printed: loaded.printed };
    } catch (e) {
      loaded.warm?.worker.terminate();
      throw e;
    }
  }
  const raw = kind === "toml" ? await readTomlJobFile(path) : await importTsJobFile(path);
  return validateJobFile(raw);
}

/**
 * A job's schedule in words, for `kron check` and `kron status`, as the schedule module says it
 * (cronstrue for cron, 24-hour clock, time zone appended). `defaultTimezone` is the `[kron]`
 * one, used by cron jobs without their own. Never throws: a schedule the module rejects is
 * shown as written.
 *
 * @example
 * ```ts
 * import { describeSchedule } from "./job_file.ts";
 * describeSchedule({ cron: "0 9 * * MON-FRI", timezone: "Europe/Rome" });
 * // "At 09:00, Monday through Friday (Europe/Rome)"
 * describeSchedule({ every: "30m" }); // "every 30 minutes"
 * ```
 */
export function describeSchedule(
  options: JobOptions,
  defaultTimezone: string | null = null,
): string {
  try {
    const record = toScheduleRecord(options);
    return compileSchedule(record, { defaultTimezone: defaultTimezone ?? undefined }).describe();
  } catch {
    const kind = (["cron", "every", "after", "at"] as const).find((k) => options[k] != null);
    return kind ? `${kind} ${JSON.stringify(String(options[kind]))}` : "no schedule";
  }
}
