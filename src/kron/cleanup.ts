/**
 * What a `Kron` does when something goes wrong behind the caller's back: a crash left a command
 * run's processes behind, or an automatic compaction failed.
 *
 * @module
 */
import { getConfig, getLogger } from "@logtape/logtape";
import type { JobKind } from "../events/mod.ts";
import type { RunEntry } from "../store/mod.ts";
import { killLeftoverGroup, killMarkedLeftovers } from "../jobs/process_tree.ts";

/**
 * One line for a failed automatic compaction: a record of the configured log (JSON under
 * `log_format = "json"`), or stderr for an app that never configured logging (LogTape would
 * drop the record). The log keeps growing meanwhile; the next threshold tries again.
 */
export function reportCompactionFailure(e: unknown): void {
  const error = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  if (getConfig() === null) console.error(`kron: compaction failed: ${error}`);
  else getLogger(["kron", "store"]).error("compaction failed: {error}", { error });
}

/** Stops what a crashed runtime's command run left behind (no-op for function runs). */
export async function stopLeftoverProcess(run: RunEntry, kind: JobKind): Promise<void> {
  if (kind !== "command") return;
  if (run.pid === null || run.pgid === null) {
    // kron died before it recorded the group (RUN_SPAWNED comes ~50 ms after the spawn, with
    // the start time one `ps` reads for every spawn of that moment): the run-id marker finds it.
    await killMarkedLeftovers(run.id);
    return;
  }
  await killLeftoverGroup({
    pid: run.pid,
    pgid: run.pgid,
    startTime: run.procStartTime,
    runId: run.id,
  });
}
