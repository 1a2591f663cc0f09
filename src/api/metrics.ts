/**
 * `GET /metrics`: the Prometheus text format, written by kron itself so that a scrape of 10,000
 * jobs costs the scheduler's thread what changed since the last one, not the whole exposition.
 * The scheduler's thread keeps each job's numbers (counted from events) and, at a scrape,
 * re-reads the gauges of the jobs that changed and sends their rows to a render worker
 * (_metrics_worker.ts), which keeps every job's lines as text, joins them, and gzips the body
 * when the scraper asked (Prometheus does: ~1 MB instead of ~12 MB at 10,000 jobs). Concurrent
 * scrapes share one render.
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
 * import { Kron } from "../kron/mod.ts";
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
  labelValue,
  LATENESS_BUCKETS,
  newHistogram,
  observe,
  runtimeFamilies,
} from "./_metrics_text.ts";
import { DURATION_BUCKETS, OUTCOMES, RENDER_BLOCK, ROW } from "./_metrics_render.ts";
import { type JobEntry, newJobEntry, refreshEntry, writeRow } from "./_metrics_jobs.ts";
import type { RenderReply, RenderRequest } from "./_metrics_worker.ts";
import {
  dirBytes,
  localRenderer,
  mtimeSeconds,
  type Renderer,
  RendererClosed,
  workerRenderer,
} from "./_metrics_renderers.ts";
import { perHost } from "./_per_host.ts";

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

/** The `outcome` of each event that ends an attempt (or an occurrence, for `skipped`). */
const END_OUTCOME: Readonly<Record<string, number>> = {
  RUN_SUCCEEDED: 0,
  RUN_FAILED: 1,
  RUN_TIMED_OUT: 2,
  RUN_CANCELLED: 3,
  RUN_ABANDONED: 4,
  RUN_SKIPPED: 5,
};

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

/**
 * Changed jobs from which a render counts as large: a scrape is then answered with the last
 * body, if recent enough, while it goes on (see {@link KronMetrics.body}).
 *
 * @example
 * ```ts
 * import { LARGE_RENDER } from "./metrics.ts";
 * LARGE_RENDER; // 1000
 * ```
 */
export const LARGE_RENDER = 1_000;
/**
 * Jobs in the render worker's changed blocks from which a render counts as large too: with
 * fewer changed jobs scattered over the exposition (a few hundred every-10 s jobs between
 * scrapes, one here and there) the worker still re-joins and re-compresses every block they
 * touch, at 10,000 jobs each of its 20 blocks (~1.2 MB of text each).
 *
 * @example
 * ```ts
 * import { LARGE_BLOCKS_JOBS } from "./metrics.ts";
 * LARGE_BLOCKS_JOBS; // 4096
 * ```
 */
export const LARGE_BLOCKS_JOBS = 4_096;
/**
 * The oldest last body a scrape is answered with (milliseconds since it was collected).
 *
 * @example
 * ```ts
 * import { STALE_MAX_MS } from "./metrics.ts";
 * STALE_MAX_MS; // 60000
 * ```
 */
export const STALE_MAX_MS = 60_000;

/** How long after a scrape answered with the last body its render starts. */
const RENDER_AFTER_MS = 200;

/** Jobs whose status a scrape re-reads besides the changed ones (catches silent changes). */
const RECHECK_PER_SCRAPE = 256;

/**
 * Where a Kron's metrics tell the admin API's front thread (_front.ts) what it needs to answer a
 * scrape itself when this thread would answer it with the last body anyway.
 *
 * @example
 * ```ts
 * import type { MetricsShare } from "./metrics.ts";
 * const share: MetricsShare = { body() {}, withLast() {} };
 * ```
 */
export interface MetricsShare {
  /** The last body of an encoding and when it was collected; null: none any more. */
  body(gzip: boolean, body: Uint8Array<ArrayBuffer> | null, at: number): void;
  /** Per encoding (bit 1 gzip, bit 2 plain): a scrape now gets the last body, if recent. */
  withLast(mask: number): void;
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
  /** {@link STALE_MAX_MS} (tests). */
  staleMaxMs?: number;
}

/**
 * The metrics of one Kron.
 *
 * @example
 * ```ts
 * import { KronMetrics } from "./metrics.ts";
 * import { Kron } from "../kron/mod.ts";
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
  readonly #dirty = new Set<JobEntry>();
  /** The render blocks ({@link RENDER_BLOCK} slots each) of the changed jobs. */
  readonly #dirtyBlocks = new Set<number>();
  #epoch = -1;
  #membershipChanged = true;
  /** The slots were renumbered since the renderer last heard. */
  #reset = true;
  #recheckAt = 0;
  readonly #lateness = newHistogram(LATENESS_BUCKETS);
  readonly #rendering = new Map<
    boolean,
    { body: Promise<Uint8Array<ArrayBuffer>>; large: boolean }
  >();
  #staleAnswers = 0;
  /** Renders to start shortly (after an answer with the last body), per encoding. */
  readonly #soon = new Map<boolean, ReturnType<typeof setTimeout>>();
  readonly #staleMaxMs: number;
  #renders = 0;
  #renderer: Renderer | null = null;
  /** Bumped whenever the renderer is sent a change; the last body of each encoding, kept. */
  #generation = 0;
  readonly #last = new Map<
    boolean,
    { generation: number; tail: string; body: Uint8Array<ArrayBuffer>; at: number }
  >();
  #local = false;
  #share: MetricsShare | null = null;
  #withLast = 0;
  #ids = 0;
  #threadMs = 0;

  /** Subscribes to `kron`'s events; nothing is rendered before the first scrape. */
  constructor(kron: AdminHost, options: MetricsOptions) {
    this.#kron = kron;
    this.#dataDir = options.dataDir;
    this.#jobHistograms = options.jobHistograms ?? true;
    this.#staleMaxMs = options.staleMaxMs ?? STALE_MAX_MS;
    this.#buildInfo = header("kron_build_info", "gauge", "The running kron's version.") +
      `kron_build_info{version="${labelValue(options.version)}"} 1\n`;
    kron.onEvent((e) => this.observe(e));
  }

  /** Scrapes rendered so far (concurrent scrapes share one). */
  get renders(): number {
    return this.#renders;
  }

  /**
   * Milliseconds of the scheduler's thread spent preparing scrapes so far (re-reading changed
   * jobs and building what the worker is sent): what a scrape costs the engine's timers.
   */
  get threadMs(): number {
    return this.#threadMs;
  }

  /** Counts one committed event (called for every event; cheap for the uninteresting ones). */
  observe(event: KronEvent): void {
    if (event.type === "RUNTIME_STOPPED") {
      this.#closeRenderer();
      return;
    }
    if (!("job" in event)) return;
    const entry = this.#jobs.get(event.job) ?? this.#add(event.job);
    this.#dirty.add(entry);
    const blocks = this.#dirtyBlocks.size;
    this.#dirtyBlocks.add((entry.slot / RENDER_BLOCK) | 0);
    if (this.#dirty.size === LARGE_RENDER || this.#dirtyBlocks.size > blocks) {
      this.#tellWithLast();
    }
    entry.changed = true;
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
   * import { Kron } from "../kron/mod.ts";
   * const m = new KronMetrics(new Kron({ store: "memory" }), { dataDir: null, version: "dev" });
   * (await m.render()).includes("kron_up 0"); // true: not started
   * ```
   */
  async render(): Promise<string> {
    return new TextDecoder().decode(await this.#flight(false).body); // always fresh
  }

  /**
   * The exposition as one buffer, gzipped when `gzip` (then sent with `Content-Encoding:
   * gzip`). One write, not a stream of pieces: each piece of a stream waits its turn in the
   * event loop, which a busy API fills (8 MB in 130 pieces took 17 s under the load torture).
   *
   * A render of {@link LARGE_RENDER} or more changed jobs (every job ran since the last scrape),
   * or of changed jobs in blocks of the exposition holding {@link LARGE_BLOCKS_JOBS} jobs or more,
   * takes the worker hundreds of milliseconds. Such a scrape is answered at once with the last
   * body when that was collected less than {@link STALE_MAX_MS} ago, and the render goes on (or
   * starts 200 ms after this answer) for the next scrape. Smaller renders are always waited for.
   */
  body(gzip = false): Promise<Uint8Array<ArrayBuffer>> {
    const last = this.#last.get(gzip);
    const recent = last !== undefined && Date.now() - last.at <= this.#staleMaxMs;
    const flight = this.#rendering.get(gzip);
    // The changed jobs are known before they are re-read: the collection need not delay this.
    if (recent && (flight ? flight.large : this.#large())) {
      this.answeredWithLast(gzip);
      return Promise.resolve(last.body);
    }
    return this.#flight(gzip).body;
  }

  /**
   * Counts a scrape answered with the last body of its encoding (here, or by the front thread
   * from what {@link KronMetrics.share} told it) and starts the render it did not wait for.
   */
  answeredWithLast(gzip: boolean): void {
    // Started a moment later: re-reading thousands of jobs on this thread would otherwise hold
    // up the sending of this very answer (the sockets are served by this thread too).
    if (!this.#rendering.has(gzip) && !this.#soon.has(gzip)) {
      this.#soon.set(
        gzip,
        setTimeout(() => {
          this.#soon.delete(gzip);
          if (this.#kron.engine.running) this.#flight(gzip).body.catch(() => {});
        }, RENDER_AFTER_MS),
      );
    }
    this.#staleAnswers++;
  }

  /**
   * Tells `share` every last body from now on, and when a scrape would be answered with it, so
   * that another thread can answer such scrapes without this one.
   */
  share(share: MetricsShare): void {
    this.#share = share;
    for (const [gzip, last] of this.#last) share.body(gzip, last.body, last.at);
    this.#withLast = -1;
    this.#tellWithLast();
  }

  /** Whether rendering what changed would take the worker long (see {@link body}). */
  #large(): boolean {
    if (this.#dirty.size >= LARGE_RENDER) return true;
    return Math.min(this.#dirtyBlocks.size * RENDER_BLOCK, this.#slots.length) >= LARGE_BLOCKS_JOBS;
  }

  /** Publishes which encodings a scrape would now get the last body of ({@link body}'s rule). */
  #tellWithLast(): void {
    if (this.#share === null) return;
    let mask = 0;
    for (const [gzip, bit] of [[true, 1], [false, 2]] as const) {
      const flight = this.#rendering.get(gzip);
      if (flight ? flight.large : this.#large()) mask |= bit;
    }
    if (mask !== this.#withLast) this.#share.withLast(this.#withLast = mask);
  }

  /** The render in flight for `gzip`, or a new one (concurrent scrapes share it). */
  #flight(gzip: boolean): { body: Promise<Uint8Array<ArrayBuffer>>; large: boolean } {
    let flight = this.#rendering.get(gzip);
    if (!flight) {
      clearTimeout(this.#soon.get(gzip));
      this.#soon.delete(gzip);
      const started = this.#render(gzip);
      flight = {
        body: started.body.finally(() => {
          this.#rendering.delete(gzip);
          this.#tellWithLast();
        }),
        large: started.large,
      };
      this.#rendering.set(gzip, flight);
      this.#tellWithLast();
    }
    return flight;
  }

  /** The oldest last body a scrape is answered with, in milliseconds ({@link STALE_MAX_MS}). */
  get staleMaxMs(): number {
    return this.#staleMaxMs;
  }

  /** Scrapes answered with the last body while a large render went on. */
  get staleAnswers(): number {
    return this.#staleAnswers;
  }

  /** Starts a render: collected now (synchronously), rendered by the worker. */
  #render(gzip: boolean): { body: Promise<Uint8Array<ArrayBuffer>>; large: boolean } {
    this.#renders++;
    const at = Date.now();
    const large = this.#large();
    const req = this.#collect(gzip);
    return { body: this.#finish(gzip, req, at), large };
  }

  async #finish(
    gzip: boolean,
    req: RenderRequest,
    at: number,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const unchanged = !req.reset && req.rows.length === 0 && req.labels.length === 0;
    if (unchanged) {
      // Nothing the renderer keeps changed: the last body of this encoding is still right.
      const last = this.#last.get(gzip);
      if (last && last.generation === this.#generation && last.tail === req.tail) {
        last.at = at;
        this.#share?.body(gzip, last.body, at);
        return last.body;
      }
    } else this.#generation++;
    const generation = this.#generation;
    let reply: RenderReply;
    try {
      reply = await this.#rendererFor().render(req);
    } catch (e) {
      // Closed under this scrape (the runtime stopped): a new one. No worker can start here (or
      // it died): render on this thread from now on. Either way from scratch.
      this.#closeRenderer();
      if (!(e instanceof RendererClosed)) this.#local = true;
      reply = await this.#rendererFor().render(this.#collect(gzip));
    }
    if (!this.#kron.engine.running) this.#closeRenderer(); // no worker outlives the runtime
    const last = this.#last.get(gzip);
    // Keep the body of the latest collection (renders of the two encodings may overlap).
    if (!last || last.at <= at) {
      this.#last.set(gzip, { generation, tail: req.tail, body: reply.body, at });
      this.#share?.body(gzip, reply.body, at);
    }
    return reply.body;
  }

  /** What the renderer needs to hear: the rows of the jobs that changed, the runtime tail. */
  #collect(gzip: boolean): RenderRequest {
    const t0 = performance.now();
    const logBytes = this.#dataDir === null ? 0 : dirBytes(`${this.#dataDir}/log`);
    const compactedAt = this.#dataDir === null ? 0 : mtimeSeconds(`${this.#dataDir}/snapshot.json`);
    this.#sync();
    const reset = this.#reset;
    this.#reset = false;
    if (reset) {
      for (const e of this.#slots) {
        this.#dirty.add(e);
        e.changed = true;
        e.labelSent = false;
      }
    }
    this.#recheck();
    // In one go, not in slices: a yield waits behind every queued request of a busy API (8
    // yields made a scrape under the load torture take seconds), and re-reading 10,000 jobs
    // costs ~10–30 ms.
    const dirty = [...this.#dirty];
    this.#dirtyBlocks.clear();
    const rows = new Float64Array(dirty.length * ROW);
    const labels: [number, string][] = [];
    let n = 0;
    for (let i = 0; i < dirty.length; i++) {
      const entry = dirty[i];
      if (!this.#dirty.delete(entry)) continue; // dropped by a sync meanwhile
      const g = this.#kron.engine.gauges(entry.name);
      if (g) refreshEntry(entry, g); // else forgotten since: the next sync drops it
      if (!entry.changed) continue;
      entry.changed = false;
      if (!entry.labelSent) {
        labels.push([entry.slot, entry.label]);
        entry.labelSent = true;
      }
      writeRow(entry, rows, n++ * ROW);
    }
    const req: RenderRequest = {
      id: ++this.#ids,
      gzip,
      slots: this.#slots.length,
      reset,
      labels,
      rows: rows.subarray(0, n * ROW),
      histograms: this.#jobHistograms,
      tail: this.#runtime(logBytes, compactedAt),
    };
    this.#threadMs += performance.now() - t0;
    return req;
  }

  #rendererFor(): Renderer {
    return this.#renderer ??= this.#local ? localRenderer() : workerRenderer();
  }

  /** Stops the worker; the next scrape starts one and sends it every job. */
  #closeRenderer(): void {
    for (const timer of this.#soon.values()) clearTimeout(timer);
    this.#soon.clear();
    this.#renderer?.close();
    this.#renderer = null;
    this.#reset = true;
    this.#last.clear();
    this.#share?.body(true, null, 0);
    this.#share?.body(false, null, 0);
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
      // Rare (forget, reload): renumber the slots, send every job again.
      this.#slots = [...this.#jobs.values()];
      this.#slots.forEach((e, i) => e.slot = i);
      this.#reset = true;
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
    const entry = newJobEntry(name, this.#slots.length);
    this.#jobs.set(name, entry);
    this.#slots.push(entry);
    this.#dirty.add(entry);
    this.#membershipChanged = true;
    return entry;
  }

  /** The runtime-wide families (small: rendered at every scrape). */
  #runtime(logBytes: number, compactedAt: number): string {
    const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
    for (const e of this.#jobs.values()) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    const engine = this.#kron.engine;
    const up = engine.running && engine.ioError === null ? 1 : 0;
    return runtimeFamilies(counts, this.#lateness, logBytes, compactedAt, up) + this.#buildInfo;
  }
}

/**
 * The metrics of a Kron, created on first use (shared by its socket and TCP apps).
 *
 * @example
 * ```ts
 * import { metricsFor } from "./metrics.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * metricsFor(kron, { dataDir: null, version: "dev" }) === metricsFor(kron, { dataDir: null, version: "dev" }); // true
 * ```
 */
export const metricsFor: (kron: AdminHost, options: MetricsOptions) => KronMetrics = perHost((
  kron,
  options: MetricsOptions,
) => new KronMetrics(kron, options));
