/**
 * The values each enumerated policy field takes, listed once: the TOML/TS validator
 * (src/jobs/validate.ts) and the library's normalisation (src/engine/definition.ts) both check
 * against these lists, and the policy types derive from them.
 *
 * @example
 * ```ts
 * import { ON_ERROR_VALUES } from "./values.ts";
 * ON_ERROR_VALUES.includes("backoff"); // true
 * ```
 * @module
 */

/**
 * `overlap`: what a due occurrence does while its job is busy (koku's `true`/`false` mean
 * `allow`/`skip`, normalised by both checkers).
 *
 * @example
 * ```ts
 * import { OVERLAP_VALUES } from "./values.ts";
 * OVERLAP_VALUES[0]; // "skip", the default
 * ```
 */
export const OVERLAP_VALUES = ["skip", "allow", "replace"] as const;

/**
 * `on_error`: what a failed occurrence does to its job.
 *
 * @example
 * ```ts
 * import { ON_ERROR_VALUES } from "./values.ts";
 * ON_ERROR_VALUES[0]; // "continue", the default
 * ```
 */
export const ON_ERROR_VALUES = ["continue", "backoff", "stop"] as const;

/**
 * `misfire`: what happens to occurrences missed while kron was down.
 *
 * @example
 * ```ts
 * import { MISFIRE_VALUES } from "./values.ts";
 * MISFIRE_VALUES[0]; // "run_once", the default
 * ```
 */
export const MISFIRE_VALUES = ["run_once", "skip"] as const;
