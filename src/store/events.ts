/**
 * The event types moved to src/events/ (below the store, the engine and the cluster, which all
 * record them). This path stays as an alias for code written against it.
 *
 * @example
 * ```ts
 * import type { KronEvent } from "./events.ts";
 * const isRun = (e: KronEvent) => e.type.startsWith("RUN_");
 * ```
 * @module
 */
export * from "../events/mod.ts";
