/**
 * kron: a Deno-native job scheduler whose every run is an event in a durable, checksummed log.
 *
 * Use a {@link Kron} instance, or the same verbs on a default instance as named exports.
 *
 * @example
 * ```ts
 * import { Kron } from "./mod.ts";
 * const kron = new Kron({ dataDir: ".kron" });
 * kron.schedule("digest", { cron: "0 8 * * *", timezone: "Europe/Rome" }, async (ctx) => {
 *   console.log("digest", ctx.runId, ctx.idempotencyKey);
 * });
 * await kron.start();
 * console.log(kron.status("digest").nextRunAt);
 * await kron.shutdown({ timeout: "5s" });
 * ```
 *
 * @example Default instance
 * ```ts
 * import { schedule, start, list, shutdown } from "./mod.ts";
 * schedule("cleanup", { every: "30m" }, () => {});
 * await start();
 * console.log(list());
 * await shutdown();
 * ```
 * @module
 */
import { Kron } from "./src/kron/mod.ts";
import type {
  JobFunction,
  JobOptions,
  JobStatus,
  PauseOptions,
  RunRecord,
  ShutdownOptions,
} from "./src/engine/mod.ts";

export { functionExecutor, Kron, VERSION } from "./src/kron/mod.ts";
export { defineJobs, type JobSpec, type JobSpecs, type KronSettings } from "./define.ts";
export type { KronAdminOptions, KronOptions } from "./src/kron/mod.ts";
export type { AdminServer, ServeAdminOptions } from "./src/api/serve.ts";
export type { ReloadJson } from "./src/http/types.ts";
export { Engine, FakeClock, systemClock } from "./src/engine/mod.ts";
export type {
  Clock,
  EngineOptions,
  PauseOptions,
  Ping,
  ShutdownOptions,
} from "./src/engine/mod.ts";
export { formatDuration, nextRuns, parseDuration } from "./src/schedule/mod.ts";
export type { Duration, ScheduleSpec } from "./src/schedule/mod.ts";
export { KronError, ScheduleError, TriggerRefusedError } from "./src/errors.ts";
export { FileStore, MemoryStore } from "./src/store/mod.ts";
export type { HistoryQuery, RecoveryReport, Store } from "./src/store/types.ts";
export type {
  CompactionReport,
  Durability,
  FileRecoveryReport,
  FileStoreOptions,
  MemoryStoreOptions,
  WriterStats,
} from "./src/store/mod.ts";
export type { JobState, KronState, PendingDue, PendingRetry, RunEntry } from "./src/store/state.ts";
export type { DefinitionExtras } from "./src/engine/definition.ts";
export type { KronErrorCode } from "./src/errors.ts";
export type * from "./src/engine/types.ts";
export type * from "./src/events/mod.ts";
export { KronClient, KronReplica, KronWorker } from "./src/cluster/mod.ts";
export type {
  ClusterJobOptions,
  ClusterJobStatus,
  KronClientOptions,
  KronReplicaOptions,
  KronWorkerOptions,
  ReplicaRunContext,
  TaskContext,
  TaskHandler,
} from "./src/cluster/mod.ts";

let defaultKron: Kron | null = null;

/**
 * The default instance behind the named-export verbs (created on first use with default
 * options: data dir from `KRON_DATA_DIR` or `.kron`).
 *
 * @example
 * ```ts
 * import { defaultInstance } from "./mod.ts";
 * defaultInstance().dataDir; // ".kron" (absolute)
 * ```
 */
export function defaultInstance(): Kron {
  return defaultKron ??= new Kron();
}

/**
 * Defines a job on the default instance.
 *
 * @example
 * ```ts
 * import { schedule } from "./mod.ts";
 * schedule("tick", { every: "1m" }, (ctx) => console.log(ctx.runId));
 * ```
 */
export function schedule(name: string, options: JobOptions, fn: JobFunction): Kron {
  return defaultInstance().schedule(name, options, fn);
}

/**
 * Starts the default instance.
 *
 * @example
 * ```ts
 * import { start } from "./mod.ts";
 * await start();
 * ```
 */
export function start(): Promise<void> {
  return defaultInstance().start();
}

/**
 * Status of a job on the default instance.
 *
 * @example
 * ```ts
 * import { status } from "./mod.ts";
 * status("tick").nextRunAt;
 * ```
 */
export function status(name: string): JobStatus {
  return defaultInstance().status(name);
}

/**
 * Status of every job on the default instance.
 *
 * @example
 * ```ts
 * import { list } from "./mod.ts";
 * list().map((j) => j.name);
 * ```
 */
export function list(): JobStatus[] {
  return defaultInstance().list();
}

/**
 * History of a job on the default instance.
 *
 * @example
 * ```ts
 * import { history } from "./mod.ts";
 * await history("tick", { limit: 5 });
 * ```
 */
export function history(name: string, options?: { limit?: number }): Promise<RunRecord[]> {
  return defaultInstance().history(name, options);
}

/**
 * Triggers a run on the default instance; resolves to the run id.
 *
 * @example
 * ```ts
 * import { trigger } from "./mod.ts";
 * const runId = await trigger("tick");
 * ```
 */
export function trigger(name: string): Promise<string> {
  return defaultInstance().trigger(name);
}

/**
 * Pauses a job on the default instance.
 *
 * @example
 * ```ts
 * import { pause } from "./mod.ts";
 * pause("tick", { for: "2h" });
 * ```
 */
export function pause(name: string, options?: PauseOptions): void {
  defaultInstance().pause(name, options);
}

/**
 * Resumes a job on the default instance.
 *
 * @example
 * ```ts
 * import { resume } from "./mod.ts";
 * resume("tick");
 * ```
 */
export function resume(name: string): void {
  defaultInstance().resume(name);
}

/**
 * Shuts the default instance down (a later `schedule` creates a fresh one).
 *
 * @example
 * ```ts
 * import { shutdown } from "./mod.ts";
 * await shutdown({ timeout: "5s" });
 * ```
 */
export async function shutdown(options?: ShutdownOptions): Promise<void> {
  const kron = defaultKron;
  defaultKron = null;
  await kron?.shutdown(options);
}
