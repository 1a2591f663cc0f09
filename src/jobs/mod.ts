/**
 * The door to `src/jobs`: job files (TOML and TS loaders, validation), `defineJobs` for
 * `jobs.ts`, the command executor, and the runtime that turns a job file into engine jobs.
 *
 * @example
 * ```ts
 * import { loadJobFile, describeSchedule } from "./mod.ts";
 * const file = await loadJobFile("jobs.toml");
 * for (const job of file.jobs) console.log(job.name, describeSchedule(job.options));
 * ```
 * @module
 */
export { describeSchedule, JobFileError, jobFileKind, loadJobFile } from "./job_file.ts";
export type {
  CommandSpec as JobCommandSpec,
  Durability,
  JobDefinition,
  JobFile,
  JobPermissions,
  LoadOptions,
  OnFailure,
  RuntimeSettings,
} from "./job_file.ts";
export { defineJobs } from "./define.ts";
export type { JobSpec, JobSpecs, KronSettings } from "./define.ts";
export {
  CommandAbortedError,
  commandArgv,
  CommandSpawnError,
  createCommandExecutor,
  defaultBaseEnv,
} from "./command.ts";
export type { CommandExecutorOptions, CommandSpec, SpawnInfo } from "./command.ts";
export { splitCommand } from "./argv.ts";
export { killLeftoverGroup } from "./process_tree.ts";
export { runLogPath } from "./run_log.ts";
export {
  checkJobPermissions,
  checkRunPermission,
  commandProgram,
  emptyPermissions,
  inProcessExecutor,
  JobRuntime,
  runAllowed,
  shellProblem,
  verifyJobFile,
} from "./runtime.ts";
export {
  describePermissions,
  effectivePermissions,
  findWidening,
  parseDenied,
  PERMISSION_KINDS,
} from "./permissions.ts";
export type { DeniedAccess, PermissionKind, Widening } from "./permissions.ts";
export { isSandboxStub, loadTsInSandbox, logLoadOutput } from "./sandbox.ts";
export type { LoadedTs, PrintedLine } from "./sandbox.ts";
export { permissionsKey, SandboxPools } from "./sandbox_pool.ts";
export type { DeniedCarrier, SandboxPoolsOptions, WarmWorker } from "./sandbox_pool.ts";
export { BOOTSTRAP_URL } from "./sandbox_worker.ts";
export { checkCompiledImports, isCompiled } from "./compiled.ts";
export { groupExists, processStartTime, processTableKind } from "./process_tree.ts";
export type {
  ApplyResult,
  FunctionExecutorFactory,
  Grant,
  JobRuntimeOptions,
  Permissions,
  RuntimeHost,
} from "./runtime.ts";
