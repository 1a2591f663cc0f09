/**
 * Lowers the calling thread's CPU priority, for the admin API's threads (the front, the metrics
 * render worker): when the machine's cores are all busy, the thread that starts runs on time
 * gets them first. On Linux the nice value is a thread's own (`setpriority(PRIO_PROCESS, 0)`
 * changes the calling thread only); elsewhere it would lower the whole process, so nothing is
 * done there, nor without `--allow-sys` (asked, never requested: a request would prompt at a
 * terminal).
 *
 * @example
 * ```ts
 * import { lowerThreadPriority } from "./_thread_priority.ts";
 * lowerThreadPriority(); // true where this thread's nice value went up
 * ```
 * @module
 */
import { getPriority, setPriority } from "node:os";

/** How much nicer than the scheduler's thread the API's threads run (capped at 19). */
export const API_THREAD_NICENESS = 10;

/**
 * Makes the calling thread `by` nicer than it is (Linux only; a thread starts with its creator's
 * nice value, so relative to the scheduler's even under `nice -n`); false where that cannot be
 * done.
 */
export function lowerThreadPriority(by: number = API_THREAD_NICENESS): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.permissions.querySync({ name: "sys", kind: "setPriority" }).state !== "granted") {
    return false;
  }
  try {
    setPriority(0, Math.min(19, getPriority(0) + by));
    return true;
  } catch {
    return false; // e.g. a container without the right to change it
  }
}
