/**
 * Jitter: a random delay added to a run so that many jobs due at the same moment spread out. The
 * run keeps its nominal time as identity; only its start moves.
 *
 * @example
 * ```ts
 * import { jitterDelay } from "./jitter.ts";
 * const delay = jitterDelay(30_000); // 0 ≤ delay < 30_000, a whole number of ms
 * ```
 * @module
 */

/**
 * A random whole number of ms in `[0, maxMs)`; 0 when `maxMs` is 0 or less. `random` (default
 * `Math.random`) is injectable so tests can pin it.
 *
 * @example
 * ```ts
 * import { jitterDelay } from "./jitter.ts";
 * jitterDelay(1000, () => 0.5); // 500
 * jitterDelay(1000, () => 0.9999999); // 999
 * jitterDelay(0); // 0
 * ```
 */
export function jitterDelay(maxMs: number, random: () => number = Math.random): number {
  if (!(maxMs > 0)) return 0;
  const r = random();
  const delay = Math.floor((r >= 0 && r < 1 ? r : 0) * maxMs);
  // Never reach maxMs itself, even when maxMs is not a whole number.
  return Math.min(delay, Math.ceil(maxMs) - 1);
}
