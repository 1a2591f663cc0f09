/**
 * How the event log reaches the disk, listed once: the store's writer acts on it, the job
 * file's `durability` setting and `Kron`'s option take these values. A light second entry of
 * src/store/ (no imports): the job-file checker reads the values without loading the store.
 *
 * - `fsync`: an append resolves after its batch was written and `syncData()` returned
 *   (survives power loss).
 * - `batch`: the same, but flushes (write + fsync) happen at most every `batchMs`.
 * - `none`: after the write reached the OS (survives a process crash, not a power loss).
 *
 * @example
 * ```ts
 * import { DURABILITIES, type Durability } from "./durability.ts";
 * const d: Durability = "batch";
 * DURABILITIES.includes(d); // true
 * ```
 * @module
 */

/**
 * The accepted durabilities, the default first.
 *
 * @example
 * ```ts
 * import { DURABILITIES } from "./durability.ts";
 * DURABILITIES[0]; // "fsync"
 * ```
 */
export const DURABILITIES = ["fsync", "batch", "none"] as const;

/** One of {@link DURABILITIES}. */
export type Durability = typeof DURABILITIES[number];
