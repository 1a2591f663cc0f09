/**
 * What an executor throws when a run was stopped by something other than its own job: its
 * sandbox worker was terminated because another job sharing it ignored its abort signal or
 * crashed it. The engine records such a run `RUN_CANCELLED` with the reason and the error,
 * and runs the same occurrence again at once (trigger `recovery`, same `scheduledAt`,
 * idempotency key and attempt), at most once per occurrence. It is not the job's failure, so
 * it counts toward neither `retries` nor `max_failures`.
 *
 * @example
 * ```ts
 * import { RunInterruptedError } from "./interrupted.ts";
 * const e = new RunInterruptedError(
 *   'its worker was terminated: job "spin" ignored its abort signal for 2000 ms',
 * );
 * e.reason; // "worker_terminated"
 * ```
 * @module
 */

/** Why a run was interrupted (the `reason` of its `RUN_CANCELLED`). */
export type InterruptReason = "worker_terminated";

/**
 * A run interrupted from outside its job; see the module doc.
 *
 * @example
 * ```ts
 * import { isRunInterrupted, RunInterruptedError } from "./interrupted.ts";
 * isRunInterrupted(new RunInterruptedError("its worker was terminated")); // true
 * isRunInterrupted(new Error("boom")); // false
 * ```
 */
export class RunInterruptedError extends Error {
  /** The `RUN_CANCELLED` reason. */
  readonly reason: InterruptReason;

  /** `message` names what forced it (say, the job that made the worker stop). */
  constructor(message: string, reason: InterruptReason = "worker_terminated") {
    super(message);
    this.name = "RunInterrupted";
    this.reason = reason;
  }
}

/**
 * Whether `e` is a {@link RunInterruptedError}.
 *
 * @example
 * ```ts
 * import { isRunInterrupted } from "./interrupted.ts";
 * isRunInterrupted(null); // false
 * ```
 */
export function isRunInterrupted(e: unknown): e is RunInterruptedError {
  return e instanceof RunInterruptedError;
}
