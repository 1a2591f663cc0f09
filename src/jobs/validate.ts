/**
 * The one validator of job files. Both loaders hand it plain data (a {@link RawJobFile}) plus a
 * way to find each job and field in the source; it returns the validated {@link JobFile} or
 * throws the FIRST problem as a {@link JobFileError}. Stopping at the first problem keeps the
 * output deterministic and short: fix, re-run, see the next one.
 *
 * Field names are checked as the file spells them (snake_case in TOML, camelCase in TS) and
 * always come out camelCase.
 *
 * @example
 * ```ts
 * import { validateJobFile } from "./validate.ts";
 * const file = validateJobFile({
 *   file: "jobs.ts", kind: "ts", settings: null,
 *   jobs: [{ key: "digest", line: null, fieldLine: () => null, data: { every: "1h", run: () => {} } }],
 * });
 * file.jobs[0].options; // { every: "1h" }
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { JobOptions, RunContext } from "../engine/mod.ts";
import { parseDuration } from "../schedule/duration.ts";
import { toScheduleRecord } from "../schedule/mod.ts";
import type {
  CommandSpec,
  JobDefinition,
  JobPermissions,
  OnFailure,
  RuntimeSettings,
  ValidJobFile as JobFile,
} from "./job_types.ts";
import { checkSettings, emptySettings, SETTINGS_FIELDS } from "./settings.ts";
import { isPolicyField } from "../policy/mod.ts";
import { JobFileError } from "./job_errors.ts";
import {
  checkCommand,
  checkDateTime,
  checkEnv,
  checkOnFailure,
  checkPermissions,
  checkPolicyField,
  checkRunnable,
} from "./_field_checks.ts";
import {
  EntryChecker,
  isPlainObject,
  isPrimitive,
  joinFieldProblem,
  type RawEntry,
  type RawJobFile,
  showValue,
} from "./entry_checker.ts";

// Loaders and tests import these from here, the validator's door.
export { PERMISSION_NAMES } from "./_field_checks.ts";
export { firstLine, ioError, JobFileError, type JobFileErrorParts } from "./job_errors.ts";
export {
  DateTimeText,
  EntryChecker,
  isPlainObject,
  isTimeZone,
  type RawEntry,
  type RawJobFile,
  showValue,
  snakeCase,
} from "./entry_checker.ts";

/** Valid job names (DESIGN §3): safe as file names, URL segments and log fields. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The schedule fields, of which a job sets exactly one. */
export const SCHEDULE_FIELDS = ["cron", "every", "after", "at"] as const;

/** Every job field, camelCase, in the order the docs list them. `name` is TOML only, `run` TS only. */
export const JOB_FIELDS = [
  "name",
  "description",
  "cron",
  "every",
  "after",
  "at",
  "startAt",
  "timezone",
  "command",
  "shell",
  "dir",
  "env",
  "run",
  "timeout",
  "retries",
  "retryDelay",
  "retryMaxDelay",
  "onError",
  "maxFailures",
  "overlap",
  "misfire",
  "misfireGrace",
  "jitter",
  "paused",
  "historyLimit",
  "permissions",
  "onFailure",
  "isolate",
  "grace",
  "downAfter",
  "onLate",
  "watch",
] as const;

/**
 * Validates a loaded job file and returns it in its final shape. Throws the first problem as a
 * {@link JobFileError}. Jobs are checked in file order; within a job, the name first, then the
 * fields in the order written, then how fields combine, then the schedule itself.
 *
 * @example
 * ```ts
 * import { validateJobFile } from "./validate.ts";
 * const raw = {
 *   file: "jobs.toml", kind: "toml" as const, settings: null,
 *   jobs: [{ key: null, line: 1, fieldLine: () => null,
 *            data: { name: "backup", cron: "0 2 * * *", command: "bash backup.sh" } }],
 * };
 * validateJobFile(raw).jobs[0].command?.text; // "bash backup.sh"
 * ```
 */
export function validateJobFile(raw: RawJobFile): JobFile {
  const settings = raw.settings === null
    ? emptySettings()
    : checkSettings(settingsChecker(raw, raw.settings));
  const seen = new Map<string, number | null>();
  const jobs = raw.jobs.map((entry, index) => {
    const c: EntryChecker = new EntryChecker(raw.file, raw.kind, entry, null);
    c.scope = `job #${index + 1}`;
    const name = checkName(c, entry);
    c.job = name;
    const nameLine = entry.fieldLine(["name"]) ?? entry.line;
    if (seen.has(name)) {
      const first = seen.get(name);
      c.fail(
        raw.kind === "toml" ? "name" : null,
        `duplicate name${first != null ? ` (already defined at line ${first})` : ""}`,
      );
    }
    seen.set(name, nameLine);
    return checkJob(c, name, entry.data as Record<string, unknown>, settings);
  });
  return { path: raw.file, kind: raw.kind, settings, jobs };
}

function settingsChecker(raw: RawJobFile, entry: RawEntry): EntryChecker {
  const c: EntryChecker = new EntryChecker(raw.file, raw.kind, entry, null);
  c.scope = raw.kind === "toml" ? "[kron]" : "kron";
  if (!isPlainObject(entry.data)) {
    // The TOML loader already rejects a non-table [kron]; only a TS export can get here.
    throw new JobFileError({
      file: raw.file,
      line: entry.line,
      problem: `the "kron" export must be an object of settings, not ${c.typeName(entry.data)}`,
    });
  }
  for (const key of Object.keys(entry.data)) {
    if (!SETTINGS_FIELDS.some((f) => c.written(f) === key)) {
      c.unknownField(key, SETTINGS_FIELDS);
    }
  }
  return c;
}

function checkName(c: EntryChecker, entry: RawEntry): string {
  const data = entry.data;
  if (c.kind === "ts") {
    // The object key is the name: check it before the definition so messages can name the job.
    const key = entry.key ?? "";
    if (!JOB_NAME_PATTERN.test(key)) {
      c.fail(null, `invalid job name ${showValue(key)}: ${NAME_RULE}`);
    }
    c.job = key;
    if (!isPlainObject(data)) {
      if (isPrimitive(data) && data !== null && data !== undefined) {
        c.fail(null, `definition ${showValue(data)} must be an object with a schedule and run`);
      }
      c.fail(null, `definition must be an object with a schedule and run, not ${c.typeName(data)}`);
    }
    return key;
  }
  if (!isPlainObject(data)) c.fail(null, `must be a table, not ${c.typeName(data)}`);
  if (!("name" in data)) c.fail(null, `missing field "name"`);
  const name = data.name;
  if (typeof name !== "string") c.mustBe("name", name, "a string");
  if (!JOB_NAME_PATTERN.test(name)) {
    c.fail("name", `invalid job name ${showValue(name)}: ${NAME_RULE}`);
  }
  return name;
}

const NAME_RULE = "use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit";

/** Fields that belong to command jobs only. */
const COMMAND_ONLY = ["shell", "dir", "env"] as const;

function checkJob(
  c: EntryChecker,
  name: string,
  data: Record<string, unknown>,
  settings: RuntimeSettings,
): JobDefinition {
  const toml = c.kind === "toml";
  const allowed = JOB_FIELDS.filter((f) => (toml ? f !== "run" : f !== "name"));
  const options: JobOptions = {};
  const written = new Map<string, string>(); // camel -> as written, for the fields present
  let command: string | string[] | null = null;
  let shell: boolean | null = null;
  let dir: string | null = null;
  let env: Record<string, string> | null = null;
  let run: ((ctx: RunContext) => unknown) | null = null;
  let permissions: JobPermissions | null = null;
  let onFailure: OnFailure | null = null;
  let onLate: OnFailure | null = null;
  let watch = false;
  let isolate = false;

  for (const [key, value] of Object.entries(data)) {
    if (toml && key === "name") continue;
    const field = allowed.find((f) => c.written(f) === key);
    if (field === undefined) {
      const hint = toml && key === "run"
        ? ' (TOML jobs run a command: command = "…")'
        : !toml && key === "name"
        ? " (the job's name is its key in the default export)"
        : "";
      c.unknownField(key, allowed, hint);
    }
    if (value === undefined) continue; // TS: `{ timeout: undefined }` means not set
    written.set(field, key);
    switch (field) {
      case "cron":
        options.cron = c.string(field, value);
        break;
      case "every":
        options.every = c.duration(field, value, true);
        break;
      case "after":
        options.after = c.duration(field, value);
        break;
      case "at":
        options.at = checkDateTime(c, field, value, true);
        break;
      case "startAt":
        options.startAt = checkDateTime(c, field, value, false) as string | Date;
        break;
      case "timezone":
        options.timezone = c.timezone(field, value);
        break;
      case "command":
        command = checkCommand(c, field, value);
        break;
      case "shell":
        shell = c.boolean(field, value);
        break;
      case "dir":
        dir = c.string(field, value);
        break;
      case "env":
        env = checkEnv(c, field, value);
        break;
      case "run":
        if (typeof value !== "function") c.mustBe(field, value, "a function");
        run = value as (ctx: RunContext) => unknown;
        break;
      case "paused":
        options.paused = c.boolean(field, value);
        break;
      case "description":
        options.description = c.string(field, value, false);
        break;
      default:
        // The policy fields, as POLICY_FIELDS (src/policy/fields.ts) says.
        if (isPolicyField(field)) {
          (options as Record<string, unknown>)[field] = checkPolicyField(c, field, value);
        }
        break;
      case "permissions":
        permissions = checkPermissions(c, field, value);
        break;
      case "onFailure":
        onFailure = checkOnFailure(c, field, value);
        break;
      case "onLate":
        onLate = checkOnFailure(c, field, value);
        break;
      case "watch":
        watch = c.boolean(field, value);
        break;
      case "isolate":
        if (toml) {
          c.fail(
            field,
            "isolate is for TS jobs (a worker of their own); a command job is its own process already",
          );
        }
        isolate = c.boolean(field, value);
        break;
    }
  }

  checkCombinations(c, written, { command, shell, run, options, watch });
  // [kron] defaults: grace for every job that sets none, down_after for those with a grace.
  if (options.grace === undefined && settings.grace != null) options.grace = settings.grace;
  if (
    options.downAfter === undefined && options.grace !== undefined && settings.downAfter != null
  ) {
    options.downAfter = settings.downAfter;
  }
  if (options.downAfter !== undefined && options.grace === undefined) {
    c.fail(
      "downAfter",
      `${c.written("downAfter")} needs a grace: set ${c.written("grace")} (or a default in ${
        c.kind === "toml" ? "[kron]" : "the kron export"
      })`,
    );
  }
  if (onLate !== null && options.grace === undefined) {
    c.fail(
      "onLate",
      `${c.written("onLate")} needs a grace: without one the job is never late`,
    );
  }
  if (isolate && command !== null) {
    c.fail(
      "isolate",
      "isolate is for run jobs (a worker of their own); a command job is its own process already",
    );
  }
  checkSchedule(c, options);

  return {
    name,
    options,
    command: command === null ? null : commandSpec(command, shell, dir, env),
    run,
    permissions,
    onFailure,
    ...(onLate !== null ? { onLate } : {}),
    ...(watch ? { watch } : {}),
    ...(isolate ? { isolate } : {}),
    source: { file: c.file, line: c.entry.line },
  };
}

function commandSpec(
  command: string | string[],
  shell: boolean | null,
  dir: string | null,
  env: Record<string, string> | null,
): CommandSpec {
  return {
    argv: Array.isArray(command) ? command : null,
    text: Array.isArray(command) ? null : command,
    shell: shell ?? false,
    dir,
    env: env ?? {},
  };
}

function checkCombinations(
  c: EntryChecker,
  written: Map<string, string>,
  job: {
    command: string | string[] | null;
    shell: boolean | null;
    run: unknown;
    options: JobOptions;
    watch: boolean;
  },
): void {
  const schedules = SCHEDULE_FIELDS.filter((f) => written.has(f));
  const list = SCHEDULE_FIELDS.join(", ");
  if (job.watch) {
    // A watched job is external work kron only expects: a schedule, and nothing to run.
    const watchField = c.written("watch");
    if (schedules.length === 0) {
      c.fail(
        "watch",
        `${watchField} = true needs a schedule (when to expect it): set one of ${list}`,
      );
    }
    if (job.command !== null) {
      c.fail("command", `${watchField} = true: kron does not run a watched job, remove command`);
    }
    if (job.run !== null) {
      c.fail("run", `${watchField}: true: kron does not run a watched job, remove run`);
    }
  }
  if (schedules.length === 0) c.fail(null, `no schedule: set one of ${list}`);
  if (schedules.length > 1) {
    const [first, second] = schedules;
    c.fail(
      second,
      `both ${c.written(first)} and ${c.written(second)} are set: set exactly one of ${list}`,
    );
  }
  if (written.has("startAt") && schedules[0] !== "every") {
    c.fail("startAt", `${c.written("startAt")} applies only to every jobs`);
  }
  if (job.watch) {
    // Nothing to run: the command-and-run checks below do not apply.
  } else if (c.kind === "toml") {
    if (job.command === null) c.fail(null, `missing field "command"`);
  } else {
    if (job.command === null && job.run === null) {
      c.fail(null, `no run function or command: set run: (ctx) => … or command`);
    }
    if (job.command !== null && job.run !== null) {
      c.fail("command", `both run and command are set: set one`);
    }
  }
  if (job.command === null) {
    const stray = COMMAND_ONLY.find((f) => written.has(f));
    if (stray) c.fail(stray, `${c.written(stray)} applies only to command jobs`);
  }
  if (job.shell === true && Array.isArray(job.command)) {
    c.fail("shell", `${c.written("shell")} = true needs command as a string, not an array`);
  }
  if (job.command !== null) checkRunnable(c, "command", job.command, job.shell ?? false);
  const { retryDelay, retryMaxDelay } = job.options;
  if (retryDelay !== undefined && retryMaxDelay !== undefined) {
    if (parseDuration(retryMaxDelay) < parseDuration(retryDelay)) {
      c.fail(
        "retryMaxDelay",
        `${c.written("retryMaxDelay")} ${showValue(retryMaxDelay)} is shorter than ${
          c.written("retryDelay")
        } ${showValue(retryDelay)}`,
      );
    }
  }
}

/** Deeper schedule checks (cron syntax, time zones, dates) belong to the schedule module. */
function checkSchedule(c: EntryChecker, options: JobOptions): void {
  try {
    toScheduleRecord(options);
  } catch (e) {
    if (!(e instanceof KronError)) throw e;
    const field = typeof (e as { field?: unknown }).field === "string"
      ? (e as unknown as { field: string }).field
      : null;
    if (field === null) c.fail(null, e.message);
    const camel = field.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
    const message = e.message.startsWith(`${field}: `)
      ? `${c.written(camel)}: ${e.message.slice(field.length + 2)}`
      : e.message;
    c.fail(camel, joinFieldProblem(c.written(camel), message));
  }
}
