/**
 * kron's version, in a module of its own at the bottom of `src/`: `kron version` and `kron -V`
 * print it without loading the engine, and every layer names it (src/kron/, above the API and
 * the cluster, passes it down to neither). Recorded in `RUNTIME_STARTED`, shown by the dashboard and
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
