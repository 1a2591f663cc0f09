/**
 * The logger a run's job gets as `ctx.log`: LogTape's category `kron.job.<name>` with the job,
 * run id and attempt on every record. One place for the engine and the cluster's replicas, so a
 * job logs alike wherever it runs.
 *
 * @example
 * ```ts
 * import { runLogger } from "./run_logger.ts";
 * runLogger("backup", "01J00000000000000000000000", 1).info("copied {n} files", { n: 3 });
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RunLogger } from "./types.ts";

/**
 * A run's logger (see the module doc).
 *
 * @example
 * ```ts
 * import { runLogger } from "./run_logger.ts";
 * runLogger("report", "01J00000000000000000000000", 2).warn("slow upstream");
 * ```
 */
export function runLogger(job: string, runId: string, attempt: number): RunLogger {
  const logger = getLogger(["kron", "job", job]).with({ job, runId, attempt });
  return {
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}
