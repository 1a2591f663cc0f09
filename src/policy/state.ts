/**
 * A job's one `state` by the precedence of DESIGN §3, from the facts both the embedded fold
 * (src/engine/views.ts) and the cluster's tables (src/cluster/jobs.ts) know:
 * orphaned > stopped > paused > down > late > running > failing > done > idle (a stuck run shows
 * `late`: its lateness says more than that it runs).
 *
 * @example
 * ```ts
 * import { jobStateOf } from "./state.ts";
 * jobStateOf({ orphaned: false, stopped: false, paused: true, running: 1, failing: false, done: false });
 * // "paused"
 * ```
 * @module
 */

/**
 * The facts a job's state is decided from.
 *
 * @example
 * ```ts
 * import type { StateFacts } from "./state.ts";
 * const idle: StateFacts = {
 *   orphaned: false, stopped: false, paused: false, running: 0, failing: false, done: false,
 * };
 * ```
 */
export interface StateFacts {
  /** In the history but not defined (embedded mode only). */
  orphaned: boolean;
  stopped: boolean;
  paused: boolean;
  /** Runs in flight. */
  running: number;
  /** Failures in a row, or a retry pending. */
  failing: boolean;
  /** A one-shot job that has run and has nothing left to run. */
  done: boolean;
  /** Its lateness (src/policy/lateness.ts); absent: ok (the cluster has none yet). */
  health?: "ok" | "late" | "down";
}

/**
 * The state names, highest precedence first.
 *
 * @example
 * ```ts
 * import { STATE_PRECEDENCE } from "./state.ts";
 * STATE_PRECEDENCE[0]; // "orphaned"
 * ```
 */
export const STATE_PRECEDENCE = [
  "orphaned",
  "stopped",
  "paused",
  "down",
  "late",
  "running",
  "failing",
  "done",
  "idle",
] as const;

/**
 * One of {@link STATE_PRECEDENCE}.
 *
 * @example
 * ```ts
 * import type { StateName } from "./state.ts";
 * const s: StateName = "failing";
 * ```
 */
export type StateName = typeof STATE_PRECEDENCE[number];

/**
 * The job's state: the first of {@link STATE_PRECEDENCE} its facts make true.
 *
 * @example
 * ```ts
 * import { jobStateOf } from "./state.ts";
 * jobStateOf({ orphaned: false, stopped: false, paused: false, running: 0, failing: true, done: true });
 * // "failing"
 * ```
 */
export function jobStateOf(f: StateFacts): StateName {
  if (f.orphaned) return "orphaned";
  if (f.stopped) return "stopped";
  if (f.paused) return "paused";
  if (f.health === "down") return "down";
  if (f.health === "late") return "late";
  if (f.running > 0) return "running";
  if (f.failing) return "failing";
  if (f.done) return "done";
  return "idle";
}
