/**
 * `GET /metrics`: the Prometheus text format, written by kron itself so that a scrape of 10,000
 * jobs costs the scheduler's thread what changed since the last one, not the whole exposition.
 * Each job keeps its own lines as cached bytes; an event of a job (or a change the rotating
 * re-check finds) re-renders that job only, and a scrape joins the kept blocks into one body.
 * Concurrent scrapes share one render.
 *
 * Per job (label `kron_job`: Prometheus owns `job` and `instance`), every series exists from the
 * job's definition: `kron_runs_total{kron_job,outcome}` (each attempt once under the outcome it
 * ended with; `skipped` counts occurrences that did not run), `kron_dead_occurrences_total`
 * (occurrences whose retries ran out: their last attempt is also in `kron_runs_total`),
 * `kron_job_running`, `kron_job_consecutive_failures`, `kron_job_late` and `kron_job_down` (1
 * while the job is late / down, else 0), `kron_job_last_run_timestamp_seconds`,
 * `kron_job_last_success_timestamp_seconds`, `kron_job_next_run_timestamp_seconds` (0 = never or
 * none); `kron_run_duration_seconds{kron_job}` from a job's first finished attempt (dropped with
 * `jobHistograms: false`). Runtime-wide: `kron_run_lateness_seconds`, `kron_jobs{state}`,
 * `kron_log_bytes`, `kron_last_compaction_timestamp_seconds`, `kron_up`, `kron_build_info`.
 *
 * @example
 * ```ts
 * import { KronMetrics } from "./metrics.ts";
 * import { Kron } from "../kron.ts";
 * const metrics = new KronMetrics(new Kron({ store: "memory" }), { dataDir: null, version: "0.1.0" });
 * const text = await metrics.render(); // "# HELP kron_runs_total …"
 * ```
 * @module
 */
import type { AdminHost } from "./host.ts";
import type { KronEvent } from "../store/mod.ts";
import type { JobStateName } from "../engine/mod.ts";
import {
  header,
  type HistogramData,
  histogramLines,
  labelValue,
  leLabels,
  newHistogram,
  num,
  observe,
} from "./_metrics_text.ts";

const encoder = new TextEncoder();
const STATES: readonly JobStateName[] = [
  "idle",
  "running",
  "paused",
  "failing",
  "stopped",
  "orphaned",
  "done",
  "late",
  "down",
];
/**
 * Durations of scheduled work, 5 ms to 6 h, never more than ×2.5 apart below an hour (a 1.0 s
 * run's p95 is read as ≤ 2 s, not 4.76 s as with a 1 → 5 s gap).
 */
const DURATION_BUCKETS = [
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
/** Lateness is normally a millisecond or two; seconds mean an overloaded loop or a misfire. */
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600];
const DURATION_LE = leLabels(DURATION_BUCKETS);
const LATENESS_LE = leLabels(LATENESS_BUCKETS);

/** The `outcome` of each event that ends an attempt (or an occurrence, for `skipped`). */
const END_OUTCOME: Readonly<Record<string, number>> = {
  RUN_SUCCEEDED: 0,
  RUN_FAILED: 1,
  RUN_TIMED_OUT: 2,
  RUN_CANCELLED: 3,
  RUN_ABANDONED: 4,
  RUN_SKIPPED: 5,
};
const OUTCOMES = ["succeeded", "failed", "timed_out", "cancelled", "abandoned", "skipped"];

/**
 * Series a job costs: {@link SERIES_PER_JOB} always, plus {@link HISTOGRAM_SERIES_PER_JOB} once
 * it has finished an attempt (unless per-job histograms are off).
 *
 * @example
 * ```ts
 * import { SERIES_PER_JOB } from "./metrics.ts";
 * SERIES_PER_JOB; // 14
 * ```
 */
export const SERIES_PER_JOB = OUTCOMES.length + 8;
/**
 * Series of one job's `kron_run_duration_seconds` (buckets, `+Inf`, `_sum`, `_count`).
 *
 * @example
 * ```ts
 * import { HISTOGRAM_SERIES_PER_JOB } from "./metrics.ts";
 * HISTOGRAM_SERIES_PER_JOB; // 25
 * ```
 */
export const HISTOGRAM_SERIES_PER_JOB = DURATION_BUCKETS.length + 3;

/** Per-job families, in exposition order. */
const JOB_FAMILIES: readonly [string, "counter" | "gauge" | "histogram", string][] = [
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
const HEADERS = JOB_FAMILIES.map(([name, type, help]) => bytes(header(name, type, help)));
/** Jobs whose status a scrape re-reads besides the changed ones (catches silent changes). */
const RECHECK_PER_SCRAPE = 256;
/**
 * Shortest stretch of rendering between two yields to the scheduler's timers (ms): a burst of
 * due runs waits little behind a scrape.
 */
const SLICE_MS = 3;
/**
 * Most yields of one scrape: each can wait behind a busy API's whole queue of requests, so a
 * scrape of 10,000 changed jobs (~30 µs each) takes longer slices rather than 100 waits.
 */
const MAX_YIELDS = 16;
/** Rendering cost of one changed job, for sizing the slices (ms; measured ~0.03 at 10k jobs). */
const JOB_MS = 0.03;
/** Jobs per kept block of bytes: a change re-joins its block, a scrape sends the blocks. */
const BLOCK = 64;

/** What the metrics keep of one job. */
interface JobEntry {
  name: string;
  /** Position in the exposition (its block is `slot / BLOCK`). */
  slot: number;
  /** `kron_job="…"` */
  label: string;
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
  /** Rendered lines of each per-job family, or null when they must be rendered again. */
  parts: string[] | null;
}

/** Options of {@link KronMetrics}. */
export interface MetricsOptions {
  /** Data dir whose log size and snapshot time are reported (null: none). */
  dataDir: string | null;
  /** Version reported by `kron_build_info`. */
  version: string;
  /**
   * Per-job `kron_run_duration_seconds` (25 series a job); `false` drops them (counters and
   * gauges stay) for large installations. Default true.
   */
  jobHistograms?: boolean;
}

/**
 * The metrics of one Kron.
 *
 * @example
 * ```ts
 * import { KronMetrics } from "./metrics.ts";
 * import { Kron } from "../kron.ts";
 * const m = new KronMetrics(new Kron({ store: "memory" }), { dataDir: null, version: "dev" });
 * m.contentType; // "text/plain; version=0.0.4; charset=utf-8"
 * ```
 */
export class KronMetrics {
  /** The content type of the exposition. */
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  readonly #kron: AdminHost;
  readonly #dataDir: string | null;
  readonly #buildInfo: string;
  readonly #jobHistograms: boolean;
  readonly #jobs = new Map<string, JobEntry>();
  /** The jobs in exposition order. */
  #slots: JobEntry[] = [];
  /** Per block of {@link BLOCK} slots, the joined bytes of each per-job family, or null. */
  #blocks: (Uint8Array[] | null)[] = [];
  readonly #dirty = new Set<JobEntry>();
  #epoch = -1;
  #membershipChanged = true;
  #recheckAt = 0;
  readonly #lateness = newHistogram(LATENESS_BUCKETS);
  #rendering: Promise<Uint8Array<ArrayBuffer>> | null = null;
  #renders = 0;

  /** Subscribes to `kron`'s events; nothing is rendered before the first scrape. */
  constructor(kron: AdminHost, options: MetricsOptions) {
    this.#kron = kron;
    this.#dataDir = options.dataDir;
    this.#jobHistograms = options.jobHistograms ?? true;
    this.#buildInfo = header("kron_build_info", "gauge", "The running kron's version.") +
      `kron_build_info{version="${labelValue(options.version)}"} 1\n`;
    kron.onEvent((e) => this.observe(e));
  }

  /** Scrapes rendered so far (concurrent scrapes share one). */
  get renders(): number {
    return this.#renders;
  }

  /** Counts one committed event (called for every event; cheap for the uninteresting ones). */
  observe(event: KronEvent): void {
    if (!("job" in event)) return;
    const entry = this.#jobs.get(event.job) ?? this.#add(event.job);
    this.#dirty.add(entry);
    this.#changed(entry);
    const outcome = END_OUTCOME[event.type];
    if (outcome !== undefined) {
      entry.runs[outcome]++;
      if (outcome === 0) entry.lastSuccess = Date.parse(event.time) / 1000;
      if (this.#jobHistograms && "durationMs" in event && typeof event.durationMs === "number") {
        entry.duration ??= newHistogram(DURATION_BUCKETS);
        observe(entry.duration, DURATION_BUCKETS, event.durationMs / 1000);
      }
    } else if (event.type === "RUN_DEAD") {
      entry.dead++;
    } else if (event.type === "RUN_STARTED") {
      entry.lastRun = Date.parse(event.time) / 1000;
      if (event.attempt === 1 && (event.trigger === "schedule" || event.trigger === "catchup")) {
        const late = (Date.parse(event.time) - Date.parse(event.scheduledAt)) / 1000;
        if (Number.isFinite(late)) observe(this.#lateness, LATENESS_BUCKETS, Math.max(0, late));
      }
    } else if (event.type === "JOB_DEFINED" || event.type === "JOB_REMOVED") {
      this.#membershipChanged = true;
    }
  }

  /**
   * The exposition as text (tests, embedding apps); the route sends {@link KronMetrics.body}.
   *
   * @example
   * ```ts
   * import { KronMetrics } from "./metrics.ts";
   * import { Kron } from "../kron.ts";
   * const m = new KronMetrics(new Kron({ store: "memory" }), { dataDir: null, version: "dev" });
   * (await m.render()).includes("kron_up 0"); // true: not started
   * ```
   */
  async render(): Promise<string> {
    return new TextDecoder().decode(await this.body());
  }

  /**
   * The exposition as one buffer: the response body of a scrape. One write, not a stream of
   * pieces, because each piece of a stream waits its turn in the event loop, which a busy API
   * fills (8 MB in 130 pieces took 17 s under the load torture).
   */
  body(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#rendering ??= this.#render().finally(() => this.#rendering = null);
  }

  async #render(): Promise<Uint8Array<ArrayBuffer>> {
    this.#renders++;
    const logBytes = this.#dataDir === null ? 0 : dirBytes(`${this.#dataDir}/log`);
    const compactedAt = this.#dataDir === null ? 0 : mtimeSeconds(`${this.#dataDir}/snapshot.json`);
    this.#sync();
    this.#recheck();
    // Changed jobs are re-read and re-rendered in slices, yielding to the scheduler's timers in
    // between: a scrape after a burst of 1,000 runs never holds the thread for the whole burst.
    const dirty = [...this.#dirty];
    const slice = Math.max(SLICE_MS, dirty.length * JOB_MS / MAX_YIELDS);
    let sliceEnd = performance.now() + slice;
    for (let i = 0; i < dirty.length; i++) {
      const entry = dirty[i];
      if (!this.#dirty.delete(entry)) continue; // dropped by a sync meanwhile
      this.#refresh(entry);
      entry.parts ??= this.#renderJob(entry);
      if ((i & 63) === 63 && performance.now() > sliceEnd) {
        await yieldToTimers();
        sliceEnd = performance.now() + slice;
      }
    }
    for (let b = 0; b < Math.ceil(this.#slots.length / BLOCK); b++) {
      if (this.#blocks[b]) continue;
      this.#blocks[b] = this.#joinBlock(b);
      if (performance.now() > sliceEnd) {
        await yieldToTimers();
        sliceEnd = performance.now() + slice;
      }
    }
    // From here on synchronous: one consistent exposition (a block changed meanwhile is joined
    // again here; its jobs keep their last read gauges until the next scrape).
    const blocks = Math.ceil(this.#slots.length / BLOCK);
    for (let b = 0; b < blocks; b++) this.#blocks[b] ??= this.#joinBlock(b);
    const out: Uint8Array[] = [];
    for (let f = 0; f < JOB_FAMILIES.length; f++) {
      if (f === JOB_FAMILIES.length - 1 && !this.#jobHistograms) break;
      out.push(HEADERS[f]);
      for (let b = 0; b < blocks; b++) {
        const part = this.#blocks[b]![f];
        if (part.length > 0) out.push(part);
      }
    }
    out.push(bytes(this.#runtime(logBytes, compactedAt)));
    let size = 0;
    for (const p of out) size += p.length;
    const body = new Uint8Array(size);
    let at = 0;
    for (const p of out) {
      body.set(p, at);
      at += p.length;
    }
    return body;
  }

  /** A job's lines changed: its block is joined again at the next scrape. */
  #changed(entry: JobEntry): void {
    entry.parts = null;
    this.#blocks[(entry.slot / BLOCK) | 0] = null;
  }

  /** Each per-job family's lines of block `b`, joined. */
  #joinBlock(b: number): Uint8Array[] {
    const entries = this.#slots.slice(b * BLOCK, (b + 1) * BLOCK);
    const parts = entries.map((e) => e.parts ??= this.#renderJob(e));
    return JOB_FAMILIES.map((_, f) => {
      let text = "";
      for (const p of parts) text += p[f];
      return bytes(text);
    });
  }

  /** Follows the job set: new jobs appear at 0, forgotten ones go. */
  #sync(): void {
    const engine = this.#kron.engine;
    if (!this.#membershipChanged && this.#epoch === engine.definitionEpoch) return;
    this.#epoch = engine.definitionEpoch;
    const names = new Set(engine.definedJobs());
    for (const name of engine.state.jobs.keys()) names.add(name);
    let removed = false;
    for (const [name, entry] of this.#jobs) {
      if (!names.has(name)) {
        this.#jobs.delete(name);
        this.#dirty.delete(entry);
        removed = true;
      } else this.#dirty.add(entry); // its state may be orphaned now
    }
    for (const name of names) if (!this.#jobs.has(name)) this.#add(name);
    this.#membershipChanged = false;
    if (removed) {
      // Rare (forget, reload): renumber the slots, join every block again.
      this.#slots = [...this.#jobs.values()];
      this.#slots.forEach((e, i) => e.slot = i);
      this.#blocks = [];
    }
  }

  /** Re-reads a rotating slice of jobs: a state or next run time can change without an event. */
  #recheck(): void {
    const entries = this.#slots;
    if (entries.length === 0) return;
    const n = Math.min(RECHECK_PER_SCRAPE, entries.length);
    for (let i = 0; i < n; i++) {
      this.#dirty.add(entries[(this.#recheckAt + i) % entries.length]);
    }
    this.#recheckAt = (this.#recheckAt + n) % entries.length;
  }

  #add(name: string): JobEntry {
    const entry: JobEntry = {
      name,
      slot: this.#slots.length,
      label: `kron_job="${labelValue(name)}"`,
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
      parts: null,
    };
    this.#jobs.set(name, entry);
    this.#slots.push(entry);
    this.#changed(entry);
    this.#dirty.add(entry);
    this.#membershipChanged = true;
    return entry;
  }

  /** Reads the job's gauges from the engine; re-renders its lines only when one changed. */
  #refresh(entry: JobEntry): void {
    let s;
    try {
      s = this.#kron.status(entry.name);
    } catch {
      return; // forgotten since: the next sync drops it
    }
    const lastRun = s.lastRun?.startedAt ? s.lastRun.startedAt.getTime() / 1000 : 0;
    let lastSuccess = entry.lastSuccess;
    for (const r of s.recentRuns) {
      if (r.outcome === "succeeded" && r.finishedAt) {
        lastSuccess = Math.max(lastSuccess, r.finishedAt.getTime() / 1000);
      }
    }
    const nextRun = s.nextRunAt ? s.nextRunAt.getTime() / 1000 : 0;
    if (
      entry.state !== s.state || entry.running !== s.running ||
      entry.consecutiveFailures !== s.consecutiveFailures || entry.health !== s.health ||
      entry.lastRun < lastRun || entry.lastSuccess !== lastSuccess || entry.nextRun !== nextRun
    ) {
      this.#changed(entry);
    }
    entry.state = s.state;
    entry.running = s.running;
    entry.consecutiveFailures = s.consecutiveFailures;
    entry.health = s.health;
    entry.lastRun = Math.max(entry.lastRun, lastRun);
    entry.lastSuccess = lastSuccess;
    entry.nextRun = nextRun;
  }

  #renderJob(e: JobEntry): string[] {
    const l = e.label;
    let runs = "";
    for (let i = 0; i < OUTCOMES.length; i++) {
      runs += `kron_runs_total{${l},outcome="${OUTCOMES[i]}"} ${e.runs[i]}\n`;
    }
    return [
      runs,
      `kron_dead_occurrences_total{${l}} ${e.dead}\n`,
      `kron_job_running{${l}} ${e.running}\n`,
      `kron_job_consecutive_failures{${l}} ${e.consecutiveFailures}\n`,
      `kron_job_late{${l}} ${e.health === "late" ? 1 : 0}\n`,
      `kron_job_down{${l}} ${e.health === "down" ? 1 : 0}\n`,
      `kron_job_last_run_timestamp_seconds{${l}} ${num(e.lastRun)}\n`,
      `kron_job_last_success_timestamp_seconds{${l}} ${num(e.lastSuccess)}\n`,
      `kron_job_next_run_timestamp_seconds{${l}} ${num(e.nextRun)}\n`,
      e.duration && this.#jobHistograms
        ? histogramLines("kron_run_duration_seconds", `${l},`, DURATION_LE, e.duration)
        : "",
    ];
  }

  /** The runtime-wide families (small: rendered at every scrape). */
  #runtime(logBytes: number, compactedAt: number): string {
    const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
    for (const e of this.#jobs.values()) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    let jobs = header("kron_jobs", "gauge", "Jobs by state.");
    for (const [state, n] of counts) jobs += `kron_jobs{state="${state}"} ${n}\n`;
    const engine = this.#kron.engine;
    const up = engine.running && engine.ioError === null ? 1 : 0;
    return jobs +
      header(
        "kron_run_lateness_seconds",
        "histogram",
        "Start time minus nominal scheduled time of scheduled first attempts (jitter included).",
      ) + histogramLines("kron_run_lateness_seconds", "", LATENESS_LE, this.#lateness) +
      header("kron_log_bytes", "gauge", "Bytes in the data dir's event log segments (log/).") +
      `kron_log_bytes ${logBytes}\n` +
      header(
        "kron_last_compaction_timestamp_seconds",
        "gauge",
        "When the snapshot was last written (Unix time; 0 = never).",
      ) + `kron_last_compaction_timestamp_seconds ${num(compactedAt)}\n` +
      header("kron_up", "gauge", "1 while the scheduler runs and its log is writable, else 0.") +
      `kron_up ${up}\n` + this.#buildInfo;
  }
}

function yieldToTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

// Synchronous on purpose: a few stat calls of a small directory cost microseconds, while each
// await of an async call waits a turn of an event loop that a busy API keeps full.
function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile) continue;
      try {
        total += Deno.statSync(`${dir}/${e.name}`).size;
      } catch {
        // Deleted by a compaction between readDir and stat.
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return total;
}

function mtimeSeconds(path: string): number {
  try {
    return (Deno.statSync(path).mtime?.getTime() ?? 0) / 1000;
  } catch {
    return 0;
  }
}

const metricsByKron = new WeakMap<AdminHost, KronMetrics>();

/**
 * The metrics of a Kron, created on first use (shared by its socket and TCP apps).
 *
 * @example
 * ```ts
 * import { metricsFor } from "./metrics.ts";
 * import { Kron } from "../kron.ts";
 * const kron = new Kron({ store: "memory" });
 * metricsFor(kron, { dataDir: null, version: "dev" }) === metricsFor(kron, { dataDir: null, version: "dev" }); // true
 * ```
 */
export function metricsFor(kron: AdminHost, options: MetricsOptions): KronMetrics {
  let m = metricsByKron.get(kron);
  if (!m) {
    m = new KronMetrics(kron, options);
    metricsByKron.set(kron, m);
  }
  return m;
}
