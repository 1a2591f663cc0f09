/**
 * `on_error`: what an occurrence whose last attempt failed does to its job (DESIGN §3):
 * `continue` counts it, `stop` disables the job after `max_failures` in a row, `backoff`
 * delays the next scheduled occurrences exponentially, in units of the job's own period,
 * until a success.
 *
 * @example
 * ```ts
 * import { afterLastFailure } from "./on_error.ts";
 * afterLastFailure({ onError: "stop", maxFailures: 2 }, 1); // { consecutiveFailures: 2, stop: true }
 * ```
 * @module
 */
import type { CompiledSchedule } from "../schedule/mod.ts";

/**
 * The part of a job's policy `on_error` reads.
 *
 * @example
 * ```ts
 * import type { OnErrorPolicy } from "./on_error.ts";
 * const p: OnErrorPolicy = { onError: "backoff", maxFailures: 3 };
 * ```
 */
export interface OnErrorPolicy {
  onError: "continue" | "backoff" | "stop";
  maxFailures: number;
}

/**
 * The job's failure count after an occurrence's last attempt failed, and whether the job
 * stops now.
 *
 * @example
 * ```ts
 * import { afterLastFailure } from "./on_error.ts";
 * afterLastFailure({ onError: "continue", maxFailures: 1 }, 4); // { consecutiveFailures: 5, stop: false }
 * ```
 */
export function afterLastFailure(
  policy: OnErrorPolicy,
  consecutiveFailures: number,
): { consecutiveFailures: number; stop: boolean } {
  const n = consecutiveFailures + 1;
  return { consecutiveFailures: n, stop: policy.onError === "stop" && n >= policy.maxFailures };
}

/**
 * What {@link backoffDue} needs to know of a job.
 *
 * @example
 * ```ts
 * import type { BackoffInput } from "./on_error.ts";
 * const input: Partial<BackoffInput> = { consecutiveFailures: 2, lastFinishedAt: 0 };
 * ```
 */
export interface BackoffInput {
  policy: OnErrorPolicy & { retryMaxDelayMs: number };
  schedule: CompiledSchedule;
  anchorAt: number;
  /** The next nominal occurrence without backoff (null: none). */
  next: number | null;
  consecutiveFailures: number;
  /** When the job's last run finished (null: never). */
  lastFinishedAt: number | null;
}

/**
 * The next occurrence to run, delayed by `on_error = "backoff"` while the job is failing:
 * the first slot at or after the last finish plus one period × 2^(failures − 1), capped by
 * `retry_max_delay` (a daily job is never pushed by days, a per-second job backs off to
 * minutes). Slots passed over are not runs (nothing is recorded for them).
 *
 * @example
 * ```ts
 * import { backoffDue } from "./on_error.ts";
 * import { compileSchedule } from "../schedule/mod.ts";
 * const schedule = compileSchedule({ every: "1m", startAt: null });
 * const input = {
 *   policy: { onError: "backoff" as const, maxFailures: 1, retryMaxDelayMs: 3_600_000 },
 *   schedule,
 *   anchorAt: 0,
 *   next: 60_000,
 *   consecutiveFailures: 2,
 *   lastFinishedAt: 1_000,
 * };
 * backoffDue(input); // 180000: two periods after the last finish
 * ```
 */
export function backoffDue(input: BackoffInput): number | null {
  const { policy, schedule, anchorAt, next, consecutiveFailures } = input;
  if (next === null || policy.onError !== "backoff" || consecutiveFailures === 0) return next;
  const from = input.lastFinishedAt ?? next;
  const first = schedule.next(from, anchorAt);
  const second = first === null ? null : schedule.next(first, anchorAt);
  if (first === null || second === null) return next;
  const delay = Math.min(policy.retryMaxDelayMs, (second - first) * 2 ** (consecutiveFailures - 1));
  const notBefore = from + delay;
  return notBefore <= next ? next : schedule.next(notBefore - 1, anchorAt);
}
