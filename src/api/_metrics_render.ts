/**
 * The per-job part of `/metrics` as text, shared by the scheduler's thread (which keeps the
 * numbers) and the render worker (which keeps the text): the per-job families, their order and
 * help, the duration buckets, and the row of numbers a job is sent to the worker as.
 *
 * A row is {@link ROW} numbers in a `Float64Array` (many rows in one buffer, transferred, not
 * copied): slot, runs by outcome, dead occurrences, running, consecutive failures, late/down, last run,
 * last success, next run (Unix seconds), whether it has a duration histogram, its bucket counts,
 * sum and count.
 *
 * @example
 * ```ts
 * import { jobLines, ROW } from "./_metrics_render.ts";
 * const row = new Float64Array(ROW);
 * jobLines('kron_job="a"', row, 0, true)[0].startsWith('kron_runs_total{kron_job="a",'); // true
 * ```
 * @module
 */
import { header, histogramLines, leLabels, num } from "./_metrics_text.ts";

/**
 * Jobs per kept block of the render worker's text (_metrics_worker.ts): a change re-joins and
 * re-compresses its block only. Each piece is one deflate call (~0.2 ms of fixed cost in Deno's
 * node:zlib), so blocks are large: 20 blocks × 9 families at 10,000 jobs.
 *
 * @example
 * ```ts
 * import { RENDER_BLOCK } from "./_metrics_render.ts";
 * Math.ceil(10_000 / RENDER_BLOCK); // 20
 * ```
 */
export const RENDER_BLOCK = 512;

/** `outcome` label values, in row order. */
export const OUTCOMES = ["succeeded", "failed", "timed_out", "cancelled", "abandoned", "skipped"];

/**
 * Durations of scheduled work, 5 ms to 6 h, never more than ×2.5 apart below an hour (a 1.0 s
 * run's p95 is read as ≤ 2 s, not 4.76 s as with a 1 → 5 s gap).
 */
export const DURATION_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2,
  5,
  10,
  20,
  30,
  60,
  120,
  300,
  600,
  1200,
  1800,
  3600,
  7200,
  21600,
];
const DURATION_LE = leLabels(DURATION_BUCKETS);

/** Offsets in a row. */
export const R = {
  slot: 0,
  runs: 1,
  dead: 1 + OUTCOMES.length,
  running: 2 + OUTCOMES.length,
  failures: 3 + OUTCOMES.length,
  /** 0 ok, 1 late, 2 down. */
  health: 4 + OUTCOMES.length,
  lastRun: 5 + OUTCOMES.length,
  lastSuccess: 6 + OUTCOMES.length,
  nextRun: 7 + OUTCOMES.length,
  hasDuration: 8 + OUTCOMES.length,
  buckets: 9 + OUTCOMES.length,
  sum: 9 + OUTCOMES.length + DURATION_BUCKETS.length + 1,
  count: 10 + OUTCOMES.length + DURATION_BUCKETS.length + 1,
} as const;
/** Numbers per row. */
export const ROW = R.count + 1;

/** Per-job families, in exposition order. */
export const JOB_FAMILIES: readonly [string, "counter" | "gauge" | "histogram", string][] = [
  [
    "kron_runs_total",
    "counter",
    "Run attempts that ended, each once under its outcome (skipped: occurrences that did not run).",
  ],
  [
    "kron_dead_occurrences_total",
    "counter",
    "Occurrences whose retries ran out (their last attempt is also counted in kron_runs_total).",
  ],
  ["kron_job_running", "gauge", "Attempts of the job in flight."],
  ["kron_job_consecutive_failures", "gauge", "Failed occurrences in a row (0 after a success)."],
  [
    "kron_job_late",
    "gauge",
    "1 while the job is late (an occurrence not succeeded by its due time + grace), else 0.",
  ],
  [
    "kron_job_down",
    "gauge",
    "1 while the job is down (late, and the next occurrence too or for down_after), else 0.",
  ],
  [
    "kron_job_last_run_timestamp_seconds",
    "gauge",
    "When the job's last attempt started (Unix time; 0 = never).",
  ],
  [
    "kron_job_last_success_timestamp_seconds",
    "gauge",
    "When the job's last successful attempt ended (Unix time; 0 = none known).",
  ],
  [
    "kron_job_next_run_timestamp_seconds",
    "gauge",
    "When the job runs next (Unix time; 0 = no next run: paused, stopped or done).",
  ],
  ["kron_run_duration_seconds", "histogram", "Duration of finished run attempts."],
];

/**
 * The `# HELP`/`# TYPE` lines of each per-job family.
 *
 * @example
 * ```ts
 * import { FAMILY_HEADERS } from "./_metrics_render.ts";
 * FAMILY_HEADERS[0].startsWith("# HELP kron_runs_total"); // true
 * ```
 */
export const FAMILY_HEADERS: readonly string[] = JOB_FAMILIES.map(([name, type, help]) =>
  header(name, type, help)
);

/**
 * One job's lines of each per-job family, from its row at `at` of `rows`; `label` is
 * `kron_job="…"` (escaped).
 *
 * @example
 * ```ts
 * import { jobLines, R, ROW } from "./_metrics_render.ts";
 * const row = new Float64Array(ROW);
 * row[R.running] = 1;
 * jobLines('kron_job="a"', row, 0, true)[2]; // 'kron_job_running{kron_job="a"} 1\n'
 * ```
 */
export function jobLines(
  label: string,
  rows: Float64Array,
  at: number,
  histograms: boolean,
): string[] {
  const l = label;
  let runs = "";
  for (let i = 0; i < OUTCOMES.length; i++) {
    runs += `kron_runs_total{${l},outcome="${OUTCOMES[i]}"} ${rows[at + R.runs + i]}\n`;
  }
  let duration = "";
  if (histograms && rows[at + R.hasDuration] === 1) {
    const h = {
      counts: rows.subarray(at + R.buckets, at + R.sum),
      sum: rows[at + R.sum],
      count: rows[at + R.count],
    };
    duration = histogramLines("kron_run_duration_seconds", `${l},`, DURATION_LE, h);
  }
  return [
    runs,
    `kron_dead_occurrences_total{${l}} ${rows[at + R.dead]}\n`,
    `kron_job_running{${l}} ${rows[at + R.running]}\n`,
    `kron_job_consecutive_failures{${l}} ${rows[at + R.failures]}\n`,
    `kron_job_late{${l}} ${rows[at + R.health] === 1 ? 1 : 0}\n`,
    `kron_job_down{${l}} ${rows[at + R.health] === 2 ? 1 : 0}\n`,
    `kron_job_last_run_timestamp_seconds{${l}} ${num(rows[at + R.lastRun])}\n`,
    `kron_job_last_success_timestamp_seconds{${l}} ${num(rows[at + R.lastSuccess])}\n`,
    `kron_job_next_run_timestamp_seconds{${l}} ${num(rows[at + R.nextRun])}\n`,
    duration,
  ];
}
