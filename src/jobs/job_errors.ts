/**
 * The error of a bad job file: one line naming the file, the line (TOML) or the job (TS), the
 * field and what is wrong, built from its parts so every loader and the validator say it alike.
 *
 * @example
 * ```ts
 * import { JobFileError } from "./job_errors.ts";
 * new JobFileError({ file: "jobs.toml", line: 3, job: "a", problem: "no schedule" }).message;
 * // 'jobs.toml:3: job "a": no schedule'
 * ```
 * @module
 */
import { KronError, type KronErrorCode } from "../errors.ts";

/**
 * The parts of a {@link JobFileError}; the message is built from them.
 *
 * @example
 * ```ts
 * import type { JobFileErrorParts } from "./job_errors.ts";
 * const p: JobFileErrorParts = { file: "jobs.toml", line: 3, job: "a", problem: "no schedule" };
 * ```
 */
export interface JobFileErrorParts {
  file: string;
  line?: number | null;
  column?: number | null;
  job?: string | null;
  /** Label of what is wrong when it is not a named job: `job #2`, `[kron]`, `kron`. */
  scope?: string | null;
  /** The field as written (`retry_delay`, `env.PORT`). */
  field?: string | null;
  problem: string;
  code?: Extract<KronErrorCode, "invalid_option" | "io">;
}

/**
 * A job file is invalid or unreadable. The message is one line:
 * `<file>[:<line>[:<column>]]: [job "<name>": ]<problem>`, e.g.
 * `jobs.toml:14: job "backup": timeout "30x" is not a duration (try "30m"; …)`.
 *
 * @example
 * ```ts
 * import { JobFileError } from "./job_errors.ts";
 * const e = new JobFileError({ file: "jobs.ts", job: "a", field: "retries", problem: "retries -1 must be an integer ≥ 0" });
 * e.message; // 'jobs.ts: job "a": retries -1 must be an integer ≥ 0'
 * ```
 */
export class JobFileError extends KronError {
  /** The file, as the user gave its path. */
  readonly file: string;
  /** 1-based line in a TOML file (or of a TS syntax error), else `null`. */
  readonly line: number | null;
  /** 1-based column, for syntax errors only. */
  readonly column: number | null;
  /** The job's name when the problem is in a named job. */
  readonly job: string | null;
  /** The field as written, when one field is at fault. */
  readonly field: string | null;
  /** Builds the one-line message from its parts. */
  constructor(parts: JobFileErrorParts) {
    super(parts.code ?? "invalid_option", formatMessage(parts));
    this.name = "JobFileError";
    this.file = parts.file;
    this.line = parts.line ?? null;
    this.column = parts.column ?? null;
    this.job = parts.job ?? null;
    this.field = parts.field ?? null;
  }
}

/**
 * The {@link JobFileError} (code `io`) for a job file that cannot be read.
 *
 * @example
 * ```ts
 * import { ioError } from "./job_errors.ts";
 * ioError("jobs.toml", new Deno.errors.NotFound("x")).message; // "jobs.toml: file not found"
 * ```
 */
export function ioError(file: string, error: unknown): JobFileError {
  let problem: string;
  if (error instanceof Deno.errors.NotFound) problem = "file not found";
  else if (error instanceof Deno.errors.PermissionDenied) problem = "permission denied";
  else if (error instanceof Deno.errors.IsADirectory) problem = "is a directory, not a file";
  else problem = `cannot read: ${firstLine(error)}`;
  return new JobFileError({ file, problem, code: "io" });
}

/**
 * First line of an error's text, prefixed with its kind (`Error: boom`); for messages that
 * must stay one line.
 *
 * @example
 * ```ts
 * import { firstLine } from "./job_errors.ts";
 * firstLine(new TypeError("bad\nmore")); // "TypeError: bad"
 * ```
 */
export function firstLine(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    // Deno wraps some errors (`TypeError: SyntaxError: …`): keep the inner, telling kind.
    text = /^[A-Za-z]*Error: /.test(error.message)
      ? error.message
      : `${error.name}: ${error.message}`;
  } else {
    text = String(error);
  }
  return text.split(/\r?\n/)[0].trim();
}

function formatMessage(p: JobFileErrorParts): string {
  let where = p.file;
  if (p.line != null) where += `:${p.line}`;
  if (p.line != null && p.column != null) where += `:${p.column}`;
  const scope = p.job != null ? `job ${JSON.stringify(p.job)}` : p.scope ?? null;
  const text = `${where}: ${scope ? `${scope}: ` : ""}${p.problem}`;
  // Messages must stay one line whatever a user's value or a runtime error contains.
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}
