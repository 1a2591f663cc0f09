/**
 * The one sleep of kron's own code: waits `ms`, or less when `signal` aborts (at once when it
 * has already aborted). Retry loops, hooks and the CLI's polls share it so none of them waits out
 * a shutdown.
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
