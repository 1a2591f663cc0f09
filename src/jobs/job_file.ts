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
import type { JobOptions } from "../engine/mod.ts";
import type { ValidJobFile } from "./job_types.ts";
import { compileSchedule, toScheduleRecord } from "../schedule/mod.ts";
import { readTomlJobFile } from "./toml_loader.ts";
import { importTsJobFile } from "./ts_loader.ts";
import { loadTsInSandbox } from "./sandbox.ts";
import type { Permissions } from "./grants.ts";
import type { WarmWorker } from "./sandbox_pool.ts";
import type { PrintedLine } from "./sandbox.ts";
import { JobFileError } from "./job_errors.ts";
import { validateJobFile } from "./validate.ts";

export { JobFileError } from "./job_errors.ts";

export type {
  CommandSpec,
  Durability,
  JobDefinition,
  JobPermissions,
  OnFailure,
  RuntimeSettings,
  ValidJobFile,
} from "./job_types.ts";

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
export interface JobFile extends ValidJobFile {
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
