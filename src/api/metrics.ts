/**
 * `GET /metrics`: Prometheus text format from prom-client with a Registry of our own (never
 * the global one, so an app embedding kron keeps its own metrics apart). Counters and
 * histograms are fed from committed events; gauges are read from the engine at scrape time.
 *
 * Metrics: `kron_runs_total{job,outcome}`, `kron_run_duration_seconds{job}`,
 * `kron_run_lateness_seconds` (first attempt start − scheduled time, scheduled runs only),
 * `kron_jobs{state}`, `kron_job_next_run_timestamp_seconds{job}`, `kron_log_bytes`,
 * `kron_last_compaction_timestamp_seconds`, `kron_up`, `kron_build_info{version}`.
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
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AdminHost } from "./host.ts";
import type { KronEvent } from "../store/mod.ts";
import type { JobStateName } from "../engine/types.ts";

const STATES: readonly JobStateName[] = [
  "idle",
  "running",
  "paused",
  "failing",
  "stopped",
  "orphaned",
  "done",
];
/** Job durations span milliseconds to hours. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200];
/** Lateness is normally a millisecond or two; seconds mean an overloaded loop or a misfire. */
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600];

const END_OUTCOME: Readonly<Record<string, string>> = {
  RUN_SUCCEEDED: "succeeded",
  RUN_FAILED: "failed",
  RUN_TIMED_OUT: "timed_out",
  RUN_CANCELLED: "cancelled",
  RUN_SKIPPED: "skipped",
  RUN_ABANDONED: "abandoned",
  RUN_DEAD: "dead",
};

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
  /** The registry (exposed so an embedding app can merge it with its own). */
  readonly registry: Registry = new Registry();
  readonly #runs: Counter<"job" | "outcome">;
  readonly #duration: Histogram<"job">;
  readonly #lateness: Histogram;
  #rendering: Promise<string> | null = null;

  /** Registers every metric and subscribes to `kron`'s events. */
  constructor(kron: AdminHost, options: { dataDir: string | null; version: string }) {
    const registers = [this.registry];
    const { dataDir } = options;
    this.#runs = new Counter({
      name: "kron_runs_total",
      help: "Run attempts that ended (or occurrences skipped), by job and outcome.",
      labelNames: ["job", "outcome"] as const,
      registers,
    });
    this.#duration = new Histogram({
      name: "kron_run_duration_seconds",
      help: "Duration of finished run attempts.",
      labelNames: ["job"] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#lateness = new Histogram({
      name: "kron_run_lateness_seconds",
      help:
        "Start time minus nominal scheduled time of scheduled first attempts (jitter included).",
      buckets: LATENESS_BUCKETS,
      registers,
    });
    new Gauge({
      name: "kron_jobs",
      help: "Jobs by state.",
      labelNames: ["state"] as const,
      registers,
      collect() {
        const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const j of kron.list()) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "kron_job_next_run_timestamp_seconds",
      help: "When each job runs next (Unix time); absent when it has no next run.",
      labelNames: ["job"] as const,
      registers,
      collect() {
        this.reset();
        for (const j of kron.list()) {
          if (j.nextRunAt !== null) this.set({ job: j.name }, j.nextRunAt.getTime() / 1000);
        }
      },
    });
    new Gauge({
      name: "kron_log_bytes",
      help: "Bytes in the data dir's event log segments (log/).",
      registers,
      async collect() {
        this.set(dataDir === null ? 0 : await dirBytes(`${dataDir}/log`));
      },
    });
    new Gauge({
      name: "kron_last_compaction_timestamp_seconds",
      help: "When the snapshot was last written (Unix time; 0 = never).",
      registers,
      async collect() {
        this.set(dataDir === null ? 0 : await mtimeSeconds(`${dataDir}/snapshot.json`));
      },
    });
    new Gauge({
      name: "kron_up",
      help: "1 while the scheduler runs and its log is writable, else 0.",
      registers,
      collect() {
        this.set(kron.engine.running && kron.engine.ioError === null ? 1 : 0);
      },
    });
    new Gauge({
      name: "kron_build_info",
      help: "The running kron's version.",
      labelNames: ["version"] as const,
      registers,
    })
      .set({ version: options.version }, 1);
    kron.onEvent((e) => this.observe(e));
  }

  /** Counts one committed event (called for every event; cheap for the uninteresting ones). */
  observe(event: KronEvent): void {
    const outcome = END_OUTCOME[event.type];
    if (outcome !== undefined && "job" in event) {
      this.#runs.inc({ job: event.job, outcome });
      if ("durationMs" in event && typeof event.durationMs === "number") {
        this.#duration.observe({ job: event.job }, event.durationMs / 1000);
      }
    } else if (
      event.type === "RUN_STARTED" && event.attempt === 1 &&
      (event.trigger === "schedule" || event.trigger === "catchup")
    ) {
      const late = (Date.parse(event.time) - Date.parse(event.scheduledAt)) / 1000;
      if (Number.isFinite(late)) this.#lateness.observe(Math.max(0, late));
    }
  }

  /** The content type of {@link KronMetrics.render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition text. Concurrent scrapes share one render: at 10k jobs a render is ~0.5 s of
   * CPU on the thread the scheduler runs on, and a pile of them starved it (load torture).
   */
  render(): Promise<string> {
    return this.#rendering ??= this.registry.metrics().finally(() => this.#rendering = null);
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile) continue;
      try {
        total += (await Deno.stat(`${dir}/${e.name}`)).size;
      } catch {
        // Deleted by a compaction between readDir and stat.
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return total;
}

async function mtimeSeconds(path: string): Promise<number> {
  try {
    return ((await Deno.stat(path)).mtime?.getTime() ?? 0) / 1000;
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
export function metricsFor(
  kron: AdminHost,
  options: { dataDir: string | null; version: string },
): KronMetrics {
  let m = metricsByKron.get(kron);
  if (!m) {
    m = new KronMetrics(kron, options);
    metricsByKron.set(kron, m);
  }
  return m;
}
