/**
 * What the metrics keep of one job (metrics.ts), and the pure steps on it: a new job's entry at
 * 0, re-reading its gauges from the engine, and writing its row for the render worker
 * (_metrics_render.ts's layout).
 *
 * @example
 * ```ts
 * import { newJobEntry, writeRow } from "./_metrics_jobs.ts";
 * import { ROW } from "./_metrics_render.ts";
 * const e = newJobEntry("backup", 0);
 * const rows = new Float64Array(ROW);
 * writeRow(e, rows, 0);
 * ```
 *
 * @module
 */
import type { JobGauges, JobStateName } from "../engine/mod.ts";
import { type HistogramData, labelValue } from "./_metrics_text.ts";
import { OUTCOMES, R } from "./_metrics_render.ts";

/**
 * What the metrics keep of one job.
 *
 * @example
 * ```ts
 * import { type JobEntry, newJobEntry } from "./_metrics_jobs.ts";
 * const e: JobEntry = newJobEntry("backup", 3);
 * e.label; // 'kron_job="backup"'
 * ```
 */
export interface JobEntry {
  name: string;
  /** Position in the exposition. */
  slot: number;
  /** `kron_job="…"`, and whether the renderer has it. */
  label: string;
  labelSent: boolean;
  runs: number[];
  dead: number;
  duration: HistogramData | null;
  state: JobStateName;
  running: number;
  consecutiveFailures: number;
  /** Lateness (late/down of graced jobs). */
  health: "ok" | "late" | "down";
  lastRun: number;
  lastSuccess: number;
  nextRun: number;
  /** Its numbers differ from what the renderer has. */
  changed: boolean;
}

/**
 * A job's entry at 0 (every counter exists from the job's definition), at `slot`.
 *
 * @example
 * ```ts
 * import { newJobEntry } from "./_metrics_jobs.ts";
 * newJobEntry("backup", 0).changed; // true: the renderer has not heard of it
 * ```
 */
export function newJobEntry(name: string, slot: number): JobEntry {
  return {
    name,
    slot,
    label: `kron_job="${labelValue(name)}"`,
    labelSent: false,
    runs: OUTCOMES.map(() => 0),
    dead: 0,
    duration: null,
    state: "idle",
    running: 0,
    consecutiveFailures: 0,
    health: "ok",
    lastRun: 0,
    lastSuccess: 0,
    nextRun: 0,
    changed: true,
  };
}

/**
 * Takes the job's gauges as the engine reads them now; marks the entry changed when one changed.
 *
 * @example
 * ```ts ignore
 * refreshEntry(entry, kron.engine.gauges(entry.name)!);
 * ```
 */
export function refreshEntry(entry: JobEntry, g: JobGauges): void {
  const lastRun = g.lastStartedAt === null ? 0 : g.lastStartedAt / 1000;
  const lastSuccess = g.lastSucceededAt === null
    ? entry.lastSuccess
    : Math.max(entry.lastSuccess, g.lastSucceededAt / 1000);
  const nextRun = g.nextRunAt === null ? 0 : g.nextRunAt / 1000;
  if (
    entry.state !== g.state || entry.running !== g.running ||
    entry.consecutiveFailures !== g.consecutiveFailures || entry.health !== g.health ||
    entry.lastRun < lastRun || entry.lastSuccess !== lastSuccess || entry.nextRun !== nextRun
  ) {
    entry.changed = true;
  }
  entry.state = g.state;
  entry.running = g.running;
  entry.consecutiveFailures = g.consecutiveFailures;
  entry.health = g.health;
  entry.lastRun = Math.max(entry.lastRun, lastRun);
  entry.lastSuccess = lastSuccess;
  entry.nextRun = nextRun;
}

/**
 * Writes the entry's numbers as its row at `at` of `rows` (what the render worker is sent).
 *
 * @example
 * ```ts
 * import { newJobEntry, writeRow } from "./_metrics_jobs.ts";
 * import { R, ROW } from "./_metrics_render.ts";
 * const rows = new Float64Array(ROW);
 * writeRow(newJobEntry("a", 7), rows, 0);
 * rows[R.slot]; // 7
 * ```
 */
export function writeRow(e: JobEntry, rows: Float64Array, at: number): void {
  rows[at + R.slot] = e.slot;
  for (let i = 0; i < OUTCOMES.length; i++) rows[at + R.runs + i] = e.runs[i];
  rows[at + R.dead] = e.dead;
  rows[at + R.running] = e.running;
  rows[at + R.failures] = e.consecutiveFailures;
  rows[at + R.health] = e.health === "late" ? 1 : e.health === "down" ? 2 : 0;
  rows[at + R.lastRun] = e.lastRun;
  rows[at + R.lastSuccess] = e.lastSuccess;
  rows[at + R.nextRun] = e.nextRun;
  if (e.duration) {
    rows[at + R.hasDuration] = 1;
    rows.set(e.duration.counts, at + R.buckets);
    rows[at + R.sum] = e.duration.sum;
    rows[at + R.count] = e.duration.count;
  }
}
