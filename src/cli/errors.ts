/**
 * CLI errors and exit codes: 0 ok, 1 runtime error, 2 usage or configuration error. Every
 * error a user sees is one line without a stack trace, so the mapping lives here in one place.
 *
 * @example
 * ```ts
 * import { CliError, exitCodeOf } from "./errors.ts";
 * exitCodeOf(new CliError(2, "unknown flag --jsn")); // 2
 * ```
 * @module
 */

/**
 * Exit code of a successful command.
 *
 * @example
 * ```ts
 * import { EXIT_OK } from "./errors.ts";
 * EXIT_OK; // 0
 * ```
 */
export const EXIT_OK = 0;
/**
 * Exit code of a runtime error (no live runtime, a refused trigger, an I/O error …).
 *
 * @example
 * ```ts
 * import { EXIT_RUNTIME } from "./errors.ts";
 * EXIT_RUNTIME; // 1
 * ```
 */
export const EXIT_RUNTIME = 1;
/**
 * Exit code of a usage or configuration error (bad flag, invalid job file, permission).
 *
 * @example
 * ```ts
 * import { EXIT_USAGE } from "./errors.ts";
 * EXIT_USAGE; // 2
 * ```
 */
export const EXIT_USAGE = 2;

/**
 * An error the CLI reports as one line and exits with `exitCode`.
 *
 * @example
 * ```ts
 * import { CliError } from "./errors.ts";
 * throw new CliError(1, "no kron runtime is running on .kron");
 * ```
 */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;
  /** Creates the error; `message` must be one line. */
  constructor(exitCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/**
 * A usage error (exit 2): a bad flag, a missing argument.
 *
 * @example
 * ```ts
 * import { usage } from "./errors.ts";
 * throw usage('"kron history" needs a job name');
 * ```
 */
export function usage(message: string): CliError {
  return new CliError(EXIT_USAGE, message);
}

/**
 * A runtime error (exit 1).
 *
 * @example
 * ```ts
 * import { failure } from "./errors.ts";
 * throw failure("the runtime did not answer");
 * ```
 */
export function failure(message: string): CliError {
  return new CliError(EXIT_RUNTIME, message);
}

// Error codes (KronError.code, API error codes) that are the user's input or configuration.
const USAGE_CODES = new Set([
  "invalid_schedule",
  "invalid_option",
  "invalid_name",
  "duplicate_job",
  "unknown_format",
  "bad_request",
  "invalid_job_file",
]);

/**
 * The exit code for any thrown value: a {@link CliError}'s own, 2 for configuration errors
 * (KronError codes such as `invalid_option`, a JobFileError), else 1.
 *
 * @example
 * ```ts
 * import { exitCodeOf } from "./errors.ts";
 * exitCodeOf(new Error("boom")); // 1
 * ```
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && USAGE_CODES.has(code)) return EXIT_USAGE;
  if (error instanceof Error && error.name === "JobFileError") return EXIT_USAGE;
  return EXIT_RUNTIME;
}

/**
 * The first line of an error's message, for the one-line error output.
 *
 * @example
 * ```ts
 * import { errorLine } from "./errors.ts";
 * errorLine(new Error("a\nb")); // "a"
 * ```
 */
export function errorLine(error: unknown): string {
  const text = error instanceof Error ? (error.message || error.name) : String(error);
  return text.split(/\r?\n/)[0].trim();
}
