/**
 * The library face: the `Kron` class (an engine with a durable store and the admin socket by
 * default, or embedded replicas on PostgreSQL) and its options. Above src/jobs/, src/api/ and
 * src/cluster/ (it starts the admin API and the replicas, importing them when first needed);
 * only src/cli/ and the repository's mod.ts import it.
 *
 * @example
 * ```ts
 * import { Kron } from "./mod.ts";
 * await using kron = new Kron({ store: "memory" });
 * kron.schedule("tick", { every: "1m" }, () => {});
 * await kron.start();
 * ```
 * @module
 */
export { functionExecutor, Kron, VERSION } from "./kron.ts";
export type { KronAdminOptions, KronOptions } from "./options.ts";
