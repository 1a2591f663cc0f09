/**
 * The store: kron's event model, the reducer that folds it into state, and the stores that
 * persist it (durable {@link FileStore}, in-memory {@link MemoryStore}), plus the offline
 * reader and `repair`. Other folders import from here only.
 *
 * @example
 * ```ts
 * import { FileStore, resolveDataDir } from "./mod.ts";
 * const store = new FileStore({ dataDir: resolveDataDir() });
 * const { state, report } = await store.open();
 * ```
 * @module
 */
/**
 * Event model, state and reducer (see their modules).
 *
 * @example
 * ```ts
 * import { apply, emptyState } from "./mod.ts";
 * const state = apply(emptyState(), { type: "RUNTIME_STOPPED", time: new Date().toISOString(), seq: 1 });
 * ```
 */
export * from "../events/mod.ts";
export * from "./state.ts";
export { apply, renumbered } from "./reducer.ts";
export { DURABILITIES } from "./durability.ts";
export type { HistoryPage, HistoryQuery, RecoveryReport, Store } from "./types.ts";
export {
  type CompactionReport,
  corruptLogError,
  DEFAULT_HISTORY_LIMIT,
  type Durability,
  type FileRecoveryReport,
  FileStore,
  type FileStoreOptions,
  type LogFile,
  type WriterStats,
} from "./file_store.ts";
export { MemoryStore, type MemoryStoreOptions } from "./memory_store.ts";
export { type DataDirView, readDataDir, type ReadReport } from "./reader.ts";
export { repair, type RepairReport } from "./repair.ts";
export { DEFAULT_DATA_DIR, FORMAT_VERSION, READABLE_FORMATS, resolveDataDir } from "./data_dir.ts";
export { type LogRead, readEventsAfter } from "./events_after.ts";
