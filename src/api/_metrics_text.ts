/**
 * The Prometheus text format (0.0.4) pieces `/metrics` is built from: escaping, numbers, family
 * headers and histograms.
 *
 * @example
 * ```ts
 * import { header, labelValue } from "./_metrics_text.ts";
 * header("kron_up", "gauge", "1 while up."); // "# HELP kron_up 1 while up.\n# TYPE kron_up gauge\n"
 * labelValue('a"b'); // 'a\\"b'
 * ```
 * @module
 */

/**
 * A label value escaped for the text format (backslash, double quote, newline).
 *
 * @example
 * ```ts
 * import { labelValue } from "./_metrics_text.ts";
 * labelValue("x\ny"); // "x\\ny"
 * ```
 */
export function labelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    : value;
}

/**
 * A sample value as Prometheus parses it (`+Inf`, `-Inf`, `NaN`, else JavaScript's number text).
 *
 * @example
 * ```ts
 * import { num } from "./_metrics_text.ts";
 * num(Infinity); // "+Inf"
 * ```
 */
export function num(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return Number.isNaN(n) ? "NaN" : String(n);
}

/**
 * `# HELP` and `# TYPE` lines of a family.
 *
 * @example
 * ```ts
 * import { header } from "./_metrics_text.ts";
 * header("kron_runs_total", "counter", "Runs.").endsWith("counter\n"); // true
 * ```
 */
export function header(name: string, type: "counter" | "gauge" | "histogram", help: string) {
  const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return `# HELP ${name} ${escaped}\n# TYPE ${name} ${type}\n`;
}

/** Cumulative bucket counts, sum and count of one histogram series. */
export interface HistogramData {
  /** Observations per bucket (not cumulative), one per upper bound, the last for `+Inf`. */
  counts: Float64Array;
  /** Sum of the observations. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/**
 * A fresh histogram for `bounds` (upper bounds without `+Inf`).
 *
 * @example
 * ```ts
 * import { newHistogram } from "./_metrics_text.ts";
 * newHistogram([1, 2]).counts.length; // 3
 * ```
 */
export function newHistogram(bounds: readonly number[]): HistogramData {
  return { counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
}

/**
 * Adds one observation.
 *
 * @example
 * ```ts
 * import { newHistogram, observe } from "./_metrics_text.ts";
 * const h = newHistogram([1]);
 * observe(h, [1], 0.5);
 * h.count; // 1
 * ```
 */
export function observe(h: HistogramData, bounds: readonly number[], value: number): void {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  h.counts[i]++;
  h.sum += value;
  h.count++;
}

/**
 * The `le` label text of each bound, `+Inf` last, computed once per bucket layout.
 *
 * @example
 * ```ts
 * import { leLabels } from "./_metrics_text.ts";
 * leLabels([0.5]); // ["0.5", "+Inf"]
 * ```
 */
export function leLabels(bounds: readonly number[]): string[] {
  return [...bounds.map(num), "+Inf"];
}

/**
 * The sample lines of one histogram series; `labels` is the label text before `le`, ending with
 * a comma when not empty (`kron_job="x",`).
 *
 * @example
 * ```ts
 * import { histogramLines, leLabels, newHistogram, observe } from "./_metrics_text.ts";
 * const h = newHistogram([1]);
 * observe(h, [1], 2);
 * histogramLines("d", "", leLabels([1]), h).split("\n")[1]; // 'd_bucket{le="+Inf"} 1'
 * ```
 */
export function histogramLines(
  name: string,
  labels: string,
  le: readonly string[],
  h: HistogramData,
): string {
  let out = "";
  let cumulative = 0;
  const bucket = `${name}_bucket{${labels}le="`;
  for (let i = 0; i < le.length; i++) {
    cumulative += h.counts[i];
    out += bucket + le[i] + '"} ' + cumulative + "\n";
  }
  const bare = labels === "" ? "" : `{${labels.slice(0, -1)}}`;
  return out + `${name}_sum${bare} ${num(h.sum)}\n${name}_count${bare} ${h.count}\n`;
}

/**
 * Bounds of `kron_run_lateness_seconds`: lateness is normally a millisecond or two; seconds
 * mean an overloaded loop or a misfire.
 *
 * @example
 * ```ts
 * import { LATENESS_BUCKETS } from "./_metrics_text.ts";
 * LATENESS_BUCKETS[0]; // 0.001
 * ```
 */
export const LATENESS_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
  10,
  60,
  300,
  3600,
];
const LATENESS_LE = leLabels(LATENESS_BUCKETS);

/**
 * The runtime-wide families but the build info (small: rendered at every scrape): jobs by state,
 * the lateness histogram, the log's size, the last compaction, and whether kron is up.
 *
 * @example
 * ```ts
 * import { LATENESS_BUCKETS, newHistogram, runtimeFamilies } from "./_metrics_text.ts";
 * const text = runtimeFamilies(new Map([["idle", 2]]), newHistogram(LATENESS_BUCKETS), 0, 0, 1);
 * text.includes('kron_jobs{state="idle"} 2'); // true
 * ```
 */
export function runtimeFamilies(
  jobsByState: Map<string, number>,
  lateness: HistogramData,
  logBytes: number,
  compactedAt: number,
  up: 0 | 1,
): string {
  let jobs = header("kron_jobs", "gauge", "Jobs by state.");
  for (const [state, n] of jobsByState) jobs += `kron_jobs{state="${state}"} ${n}\n`;
  return jobs +
    header(
      "kron_run_lateness_seconds",
      "histogram",
      "Start time minus nominal scheduled time of scheduled first attempts (jitter included).",
    ) + histogramLines("kron_run_lateness_seconds", "", LATENESS_LE, lateness) +
    header("kron_log_bytes", "gauge", "Bytes in the data dir's event log segments (log/).") +
    `kron_log_bytes ${logBytes}\n` +
    header(
      "kron_last_compaction_timestamp_seconds",
      "gauge",
      "When the snapshot was last written (Unix time; 0 = never).",
    ) + `kron_last_compaction_timestamp_seconds ${num(compactedAt)}\n` +
    header("kron_up", "gauge", "1 while the scheduler runs and its log is writable, else 0.") +
    `kron_up ${up}\n`;
}
