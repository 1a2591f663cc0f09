/**
 * Retries: when an attempt that ended badly earns another one, and after how long. The engine
 * (src/engine), the reducer's "last attempt" (src/store) and the cluster's claims
 * (src/cluster) all ask here, so a rule changes in one place.
 *
 * @example
 * ```ts
 * import { afterFailedAttempt } from "./retry.ts";
 * const policy = { retries: 2, retryDelayMs: 1_000, retryMaxDelayMs: 60_000 };
 * afterFailedAttempt(policy, 1, () => 0.5); // { retry: { nextAttempt: 2, delayMs: 750 }, dead: false }
 * ```
 * @module
 */

/**
 * The part of a job's policy retries read.
 *
 * @example
 * ```ts
 * import type { RetryPolicy } from "./retry.ts";
 * const p: RetryPolicy = { retries: 3, retryDelayMs: 500, retryMaxDelayMs: 10_000 };
 * ```
 */
export interface RetryPolicy {
  retries: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), capped by
 * `retryMaxDelayMs`: the delay before attempt `attempt + 1`.
 *
 * @example
 * ```ts
 * import { retryDelay } from "./retry.ts";
 * const p = { retries: 3, retryDelayMs: 1_000, retryMaxDelayMs: 3_000 };
 * retryDelay(p, 1, () => 0); // 500
 * retryDelay(p, 3, () => 1); // 3000 (4000 capped)
 * ```
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.retryMaxDelayMs, policy.retryDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * exp / 2);
}

/**
 * True when attempt `attempt` of an occurrence is its last one: no retry follows a failure,
 * so `on_error` acts on it (DESIGN §4).
 *
 * @example
 * ```ts
 * import { isLastAttempt } from "./retry.ts";
 * isLastAttempt({ retries: 2 }, 2); // false
 * isLastAttempt({ retries: 2 }, 3); // true
 * ```
 */
export function isLastAttempt(policy: { retries: number }, attempt: number): boolean {
  return attempt > policy.retries;
}

/**
 * What follows an attempt that failed, timed out or (`abandoned`) lost its runner: another
 * attempt after `delayMs`, or the end of the occurrence (`dead` when retries were allowed and
 * are used up). An abandonment always earns one re-run, at once when the job has no retries
 * (as single-node recovery does), and is otherwise retried like a failure.
 *
 * @example
 * ```ts
 * import { afterFailedAttempt } from "./retry.ts";
 * const p = { retries: 0, retryDelayMs: 1_000, retryMaxDelayMs: 60_000 };
 * afterFailedAttempt(p, 1, Math.random); // { retry: null, dead: false }
 * afterFailedAttempt(p, 1, Math.random, true); // { retry: { nextAttempt: 2, delayMs: 0 }, dead: false }
 * ```
 */
export function afterFailedAttempt(
  policy: RetryPolicy,
  attempt: number,
  random: () => number,
  abandoned = false,
): { retry: { nextAttempt: number; delayMs: number } | null; dead: boolean } {
  const allowed = abandoned ? Math.max(policy.retries, 1) : policy.retries;
  if (attempt <= allowed) {
    const delayMs = abandoned && policy.retries === 0 ? 0 : retryDelay(policy, attempt, random);
    return { retry: { nextAttempt: attempt + 1, delayMs }, dead: false };
  }
  return { retry: null, dead: allowed > 0 };
}
