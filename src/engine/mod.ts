/**
 * The engine folder's door: the `Engine` (embedded scheduling: timer queue, journal, dispatch,
 * runs; docs/architecture.md), its clocks, the job definition record, the run interruption
 * error, and the public types (job options, run context, status, run records). Other folders
 * import the engine through this module; src/engine/views.ts (the read models) is the light
 * second entry the CLI's offline reads load without the engine.
 *
 * @example
 * ```ts
 * import { Engine, FakeClock } from "./mod.ts";
 * import { MemoryStore } from "../store/mod.ts";
 * const clock = new FakeClock("2026-01-01T00:00:00Z");
 * const engine = new Engine({ store: new MemoryStore(), clock });
 * engine.define("tick", { every: "1s" }, () => Promise.resolve());
 * await engine.start();
 * await clock.advance(1000);
 * engine.status("tick").lastRun?.outcome; // "succeeded"
 * await engine.shutdown();
 * ```
 * @module
 */
export { Engine } from "./engine.ts";
export { functionExecutor } from "./function_executor.ts";
export { runLogger } from "./run_logger.ts";
export { type Clock, FakeClock, settle, systemClock } from "./clock.ts";
export {
  buildDefinition,
  DEFAULT_POLICY,
  type DefinitionExtras,
  hash,
  JOB_NAME,
  normalizePolicy,
  validateJobName,
} from "./definition.ts";
export { type InterruptReason, isRunInterrupted, RunInterruptedError } from "./interrupted.ts";
export { jobStateName, offlineLateness, toJobStatus, toJobSummary, toRunRecord } from "./views.ts";
export { LatenessWatcher } from "./lateness.ts";
export { type Ping, pingEvents } from "./ping.ts";
export type {
  EngineOptions,
  ExecutionResult,
  Executor,
  ExecutorHooks,
  HistoryOptions,
  JobFunction,
  JobGauges,
  JobOptions,
  JobStateName,
  JobStatus,
  JobSummary,
  PauseOptions,
  PolicyOptions,
  RunContext,
  RunLogger,
  RunRecord,
  ScheduleOptions,
  ShutdownOptions,
} from "./types.ts";
