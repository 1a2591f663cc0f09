/**
 * The shapes of a validated job file: what a job is ({@link JobDefinition}), the runtime
 * settings of `[kron]` and what a job may do. Types only, so the validator, the settings, the
 * permissions and `defineJobs` share them without importing the loaders.
 *
 * @example
 * ```ts
 * import type { ValidJobFile } from "./job_types.ts";
 * const names = (f: ValidJobFile) => f.jobs.map((j) => j.name);
 * ```
 * @module
 */
import type { JobOptions, RunContext } from "../engine/mod.ts";
import type { Durability } from "../store/mod.ts";

/**
 * What a job may do inside its sandbox (DESIGN §4): each Deno permission is `true` (all),
 * `false` (none) or a list (e.g. hosts for `net`, paths for `read`). Absent = not narrowed.
 * Per-job permissions may narrow the command line's grants, never widen them.
 *
 * @example
 * ```ts
 * import type { JobPermissions } from "./job_types.ts";
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
 * import type { CommandSpec } from "./job_types.ts";
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
 * import type { OnFailure } from "./job_types.ts";
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
 * import type { JobDefinition } from "./job_types.ts";
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
  /**
   * What to tell when the job goes late, down, and back to normal (`on_late`): the same forms
   * as `onFailure`. Absent or null: nothing.
   */
  onLate?: OnFailure | null;
  /** A watched job (`watch = true`): kron does not run it, it hears from it (`kron ping`). */
  watch?: boolean;
  /** A TS job that runs in a sandbox worker of its own (`isolate: true`). */
  isolate?: boolean;
  source: { file: string; line: number | null };
}

/** How the event log reaches the disk (see DESIGN §5; src/store/durability.ts). */
export type { Durability };

/**
 * Runtime settings from the `[kron]` table (TOML) or the `kron` export (TS). `null` = not set:
 * the CLI flag, the environment or the built-in default decides.
 *
 * @example
 * ```ts
 * import type { RuntimeSettings } from "./job_types.ts";
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
  /** Default `grace` of the jobs that set none (`"10m"`), or null. */
  grace?: string | number | null;
  /** Default `down_after` of the jobs with a grace that set none, or null. */
  downAfter?: string | number | null;
}

/**
 * A job file once validated: its settings and jobs.
 *
 * @example
 * ```ts
 * import type { ValidJobFile } from "./job_types.ts";
 * const count = (f: ValidJobFile) => f.jobs.length;
 * ```
 */
export interface ValidJobFile {
  path: string;
  kind: "toml" | "ts";
  settings: RuntimeSettings;
  jobs: JobDefinition[];
}
