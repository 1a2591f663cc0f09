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
import { setPriority } from "node:os";

/** The nice value the API's threads run at (the scheduler's thread keeps the process's). */
export const API_THREAD_NICE = 10;

/** Gives the calling thread `nice` (Linux only); false where that cannot be done. */
export function lowerThreadPriority(nice: number = API_THREAD_NICE): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.permissions.querySync({ name: "sys", kind: "setPriority" }).state !== "granted") {
    return false;
  }
  try {
    setPriority(0, nice);
    return true;
  } catch {
    return false; // e.g. a container without the right to change it
  }
}
