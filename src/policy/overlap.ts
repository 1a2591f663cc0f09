/**
 * Overlap: what an occurrence does when its job is busy (a run in flight, a retry backing off,
 * an earlier occurrence pending), DESIGN §3.
 *
 * @example
 * ```ts
 * import { decideOverlap } from "./overlap.ts";
 * decideOverlap("skip", true); // "skip"
 * decideOverlap("replace", true); // "replace"
 * decideOverlap("skip", false); // "start"
 * ```
 * @module
 */
import type { OVERLAP_VALUES } from "./fields.ts";

/**
 * A job's `overlap` policy.
 *
 * @example
 * ```ts
 * import type { OverlapPolicy } from "./overlap.ts";
 * const o: OverlapPolicy = "allow";
 * ```
 */
export type OverlapPolicy = typeof OVERLAP_VALUES[number];

/**
 * `start` the occurrence, `skip` it (recorded `RUN_SKIPPED` reason `overlap`), or `replace`
 * (cancel what the job has in flight or pending, then start).
 *
 * @example
 * ```ts
 * import { decideOverlap } from "./overlap.ts";
 * decideOverlap("allow", true); // "start"
 * ```
 */
export function decideOverlap(overlap: OverlapPolicy, busy: boolean): "start" | "skip" | "replace" {
  if (!busy || overlap === "allow") return "start";
  return overlap;
}
