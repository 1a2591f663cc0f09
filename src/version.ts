/**
 * kron's version, in a module of its own: `kron version` and `kron -V` print it without loading
 * the engine.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`kron ${VERSION}`);
 * ```
 * @module
 */

/** Build version, recorded in RUNTIME_STARTED and shown by `kron version`. */
export const VERSION = "0.1.0";
