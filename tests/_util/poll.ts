/**
 * Waiting helpers shared by the tests and the torture suite: a sleep, and polling until a
 * condition holds (with the last error in the timeout message).
 *
 * @example
 * ```ts
 * import { until } from "./poll.ts";
 * await until(() => Deno.statSync("/tmp").isDirectory, "/tmp");
 * ```
 * @module
 */

/**
 * Sleeps.
 *
 * @example
 * ```ts
 * import { sleep } from "./poll.ts";
 * await sleep(10);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `fn` every `everyMs` until it returns something truthy; throws after `timeoutMs`, naming
 * `what` and the last error `fn` threw.
 *
 * @example
 * ```ts
 * import { until } from "./poll.ts";
 * const v = await until(() => 42, "the answer", 1000, 10); // 42
 * ```
 */
export async function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}
