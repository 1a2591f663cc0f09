/**
 * The one sleep of kron's own code: waits `ms`, or less when `signal` aborts (at once when it
 * has already aborted). Retry loops, hooks and the CLI's polls share it so none of them waits out
 * a shutdown; the reconnect and retry loops share one backoff, {@link backoffMs}.
 *
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * stop.abort();
 * await sleep(60_000, stop.signal); // returns at once
 * ```
 *
 * @module
 */

/**
 * Sleeps `ms`, or less when `signal` aborts.
 *
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * await sleep(10);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Exponential backoff with jitter for reconnect and retry loops: 100 ms doubling up to `capMs`,
 * each delay drawn from its upper half so that many clients do not retry in step.
 *
 * @example
 * ```ts
 * import { backoffMs } from "./sleep.ts";
 * backoffMs(0); // 50..100
 * backoffMs(10, 1000); // 500..1000
 * ```
 */
export function backoffMs(failures: number, capMs = 5_000): number {
  const exp = Math.min(capMs, 100 * 2 ** Math.min(failures, 16));
  return Math.round(exp / 2 + Math.random() * exp / 2);
}
