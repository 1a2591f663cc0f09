/**
 * Typed errors thrown by kron. Every error has a stable `code` so callers (the CLI, the admin
 * API) can map it to an exit code or an HTTP status without parsing messages.
 *
 * @example
 * ```ts
 * import { KronError } from "./errors.ts";
 * try {
 *   throw new KronError("unknown_job", 'no job named "x"');
 * } catch (e) {
 *   if (e instanceof KronError) console.log(e.code); // "unknown_job"
 * }
 * ```
 * @module
 */

/** Machine-readable error codes. */
export type KronErrorCode =
  | "invalid_schedule"
  | "invalid_option"
  | "invalid_name"
  | "duplicate_job"
  | "unknown_job"
  | "unknown_run"
  | "conflict"
  | "not_started"
  | "already_started"
  | "shut_down"
  | "locked"
  | "corrupt_log"
  | "unknown_format"
  | "io"
  // Admin API errors a client can receive.
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "bad_request"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_implemented"
  | "internal";

/**
 * Base class of every error kron throws on purpose.
 *
 * @example
 * ```ts
 * import { KronError } from "./errors.ts";
 * const e = new KronError("conflict", "job is running");
 * console.log(e.message); // "job is running"
 * ```
 */
export class KronError extends Error {
  /** Stable machine-readable code. */
  readonly code: KronErrorCode;
  /** Creates an error with a code and a one-line message. */
  constructor(code: KronErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "KronError";
  }
}

/**
 * A schedule (cron, every, after, at, jitter, durations) is malformed. The message names the
 * field and what is wrong, e.g. `cron: 6th field 'foo' is not a weekday`.
 *
 * @example
 * ```ts
 * import { ScheduleError } from "./errors.ts";
 * const e = new ScheduleError("every", "'5x' is not a duration (try \"5m\")");
 * console.log(e.message); // every: '5x' is not a duration (try "5m")
 * ```
 */
export class ScheduleError extends KronError {
  /** The field that is wrong (`cron`, `every`, `after`, `at`, `timezone`, `jitter`, …). */
  readonly field: string;
  /** Creates the error; `problem` is the part after `field: `. */
  constructor(field: string, problem: string) {
    super("invalid_schedule", `${field}: ${problem}`);
    this.field = field;
    this.name = "ScheduleError";
  }
}

/**
 * A manual trigger was refused (overlap `skip` while a run is in flight, orphaned job, …).
 *
 * @example
 * ```ts
 * import { TriggerRefusedError } from "./errors.ts";
 * const e = new TriggerRefusedError('job "a" is already running (overlap = "skip")');
 * console.log(e.code); // "conflict"
 * ```
 */
export class TriggerRefusedError extends KronError {
  /** Creates the error with the reason as message. */
  constructor(message: string) {
    super("conflict", message);
    this.name = "TriggerRefusedError";
  }
}
