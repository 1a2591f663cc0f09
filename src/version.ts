/**
 * kron's version, in a module of its own at the bottom of `src/`: `kron version` and `kron -V`
 * print it without loading the engine, and the API and the cluster name it without importing
 * `kron.ts` (which imports them). Recorded in `RUNTIME_STARTED`, shown by the dashboard and
 * `kron_build_info`.
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
