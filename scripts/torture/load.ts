/**
 * Load: 10,000 function jobs firing (half `every = "10s"`, all due in one burst each period;
 * half `*\/15 * * * * *`) in a kron started with the binary's flags, while ≥ 200 concurrent
 * clients hammer the admin API over the Unix socket (bounded: each client loops until the time
 * is up) and a scraper reads `/metrics` over TCP every 5 s. Clients and scraper stand for machines of
 * their own: each is a process at nice 10 (_load_clients.ts, _load_scraper.ts), on keep-alive
 * connections of a lean HTTP client (_load_client.ts). The full run alternates 15 s windows without
 * and with the clients (6 of each, {@link Phases}): run lateness p99 of the occurrences due in
 * either, and their ratio. Checked from the data dir afterwards: every occurrence of every job
 * ran exactly once (none missed, none twice). Reported: API latency p50/p99/max, requests,
 * `/metrics` latency (scraped by a process of its own, _load_scraper.ts), run lateness p99 with
 * and without clients.
 *
 * For diagnosis: `KRON_LOAD_FLAGS` adds deno flags to the app's (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`); `KRON_LOAD_OUT=file` keeps the app's stdout (V8's `--trace-gc` lines
 * go there); `KRON_LOAD_BURSTS=1` logs the lateness of the occurrences due in each 100 ms that
 * held 100 or more of them or one 20 ms late (side, count, mean, max, how many ≥ 20 ms), and
 * each scrape's latency with when it was sent.
 *
 * @module
 */
import { readDataDir } from "../../src/store/mod.ts";
import { compileSchedule } from "../../src/schedule/mod.ts";
import {
  type CaseContext,
  kronFlags,
  quantile,
  type Result,
  sleep,
  type TortureCase,
} from "./_common.ts";
import { clientSwarm, cpuSeconds } from "./_load_clients.ts";

const APP = new URL("./_load_app.ts", import.meta.url).pathname;
const SCRAPER = new URL("./_load_scraper.ts", import.meta.url).pathname;

interface Scrape {
  first: boolean;
  headersMs: number;
  kronMs: number | null;
  /** When it was sent (epoch ms). */
  at: number;
  bodyMs: number;
  inflateMs: number;
  bytes: number;
  inflated: number;
}

/** The scraper's lines (_load_scraper.ts); its failures are counted in `errors`. */
function scrapes(out: string, errors: Map<string, number>): Scrape[] {
  const got: Scrape[] = [];
  for (const line of out.split("\n").filter(Boolean)) {
    const x = JSON.parse(line);
    const failure = x.error ?? (x.status !== 200 ? `status ${x.status}` : null);
    if (failure !== null) {
      const k = `GET /metrics ${failure}`;
      errors.set(k, (errors.get(k) ?? 0) + 1);
    } else got.push(x);
  }
  return got;
}

interface RunRow {
  id: string;
  job: string;
  scheduledAt: number;
  startedAt: number;
  trigger: string;
  attempt: number;
}

/** Every run of the data dir: the snapshot's history plus RUN_STARTED records after it. */
function allRuns(dataDir: string): RunRow[] {
  const byId = new Map<string, RunRow>();
  let snapSeq = 0;
  try {
    const snap = JSON.parse(Deno.readTextFileSync(`${dataDir}/snapshot.json`));
    snapSeq = snap.seq;
    for (const runs of Object.values(snap.history ?? {}) as Record<string, unknown>[][]) {
      for (const r of runs) {
        byId.set(r.id as string, {
          id: r.id as string,
          job: r.job as string,
          scheduledAt: r.scheduledAt as number,
          startedAt: r.startedAt as number,
          trigger: r.trigger as string,
          attempt: r.attempt as number,
        });
      }
    }
  } catch {
    // no snapshot
  }
  for (const name of [...Deno.readDirSync(`${dataDir}/log`)].map((e) => e.name).sort()) {
    const text = Deno.readTextFileSync(`${dataDir}/log/${name}`);
    for (const line of text.split("\n")) {
      if (!line.includes('"type":"RUN_STARTED"')) continue;
      const e = JSON.parse(line);
      if (e.seq <= snapSeq) continue;
      byId.set(e.runId, {
        id: e.runId,
        job: e.job,
        scheduledAt: Date.parse(e.scheduledAt),
        startedAt: Date.parse(e.time),
        trigger: e.trigger,
        attempt: e.attempt,
      });
    }
  }
  return [...byId.values()];
}

/** The RUN_SKIPPED records of a job at a time still in the live log (for the report). */
function skips(dataDir: string, job: string, iso: string): string[] {
  const out: string[] = [];
  for (const name of [...Deno.readDirSync(`${dataDir}/log`)].map((e) => e.name).sort()) {
    for (const line of Deno.readTextFileSync(`${dataDir}/log/${name}`).split("\n")) {
      if (line.includes(`"job":"${job}"`) && line.includes('"RUN_SKIPPED"')) {
        const e = JSON.parse(line);
        if (e.scheduledAt <= iso && (e.until ?? e.scheduledAt) >= iso) {
          out.push(`${e.reason} at ${e.time}`);
        }
      }
    }
  }
  return out;
}

/** The 1-minute load average (the figures are read beside it). */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

/** How long after a switch an occurrence is not counted for either side (requests in flight). */
const SETTLE_MS = 1_000;

/**
 * The run's windows, one after the other, the API clients (and the scraper) on in every other
 * one: with and without clients in the same process and the same minutes, so that the shared
 * machine's load weighs on both sides alike (a baseline run before the loaded one measured the
 * machine as much as kron: ratios of 0.97× to 4.57× as its load moved).
 *
 * @example
 * ```ts
 * import { Phases } from "./load.ts";
 * const p = new Phases(0, 15_000, 4, false); // off, on, off, on
 * p.waitForOn(1_000); // 14000
 * p.side(16_000); // "on"
 * p.side(15_500); // null: settling after the switch
 * ```
 */
export class Phases {
  /** `count` windows of `windowMs` from `start`; the first is on when `firstOn`. */
  constructor(
    readonly start: number,
    readonly windowMs: number,
    readonly count: number,
    readonly firstOn: boolean,
  ) {}

  /** As arguments of a process of its own ({@link Phases.fromArgs} reads them back). */
  toArgs(): string[] {
    return [this.start, this.windowMs, this.count, this.firstOn].map(String);
  }

  /** The phases of {@link Phases.toArgs}' arguments. */
  static fromArgs([start, windowMs, count, firstOn]: string[]): Phases {
    return new Phases(Number(start), Number(windowMs), Number(count), firstOn === "true");
  }

  /** When the last window ends. */
  get end(): number {
    return this.start + this.windowMs * this.count;
  }

  /** Whether window `i` has the clients on. */
  isOn(i: number): boolean {
    return (i % 2 === 0) === this.firstOn;
  }

  /** Milliseconds until clients may run (0: now; Infinity: no on window is left). */
  waitForOn(t: number): number {
    for (let i = Math.max(0, Math.floor((t - this.start) / this.windowMs)); i < this.count; i++) {
      if (this.isOn(i)) return Math.max(0, this.start + i * this.windowMs - t);
    }
    return Infinity;
  }

  /** Sleeps until clients may run; false once no on window is left. */
  async untilOn(): Promise<boolean> {
    for (let wait = this.waitForOn(Date.now()); wait > 0; wait = this.waitForOn(Date.now())) {
      if (wait === Infinity) return false;
      await sleep(wait);
    }
    return true;
  }

  /** Which side an occurrence due at `at` counts for, or null (settling, or outside). */
  side(at: number): "on" | "off" | null {
    const i = Math.floor((at - this.start) / this.windowMs);
    if (i < 0 || i >= this.count) return null;
    if (at - (this.start + i * this.windowMs) < SETTLE_MS) return null;
    return this.isOn(i) ? "on" : "off";
  }
}

/** The case. */
export const load: TortureCase = {
  name: "load",
  title: "10,000 jobs firing while 200+ clients hammer the admin API over the socket",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const jobs = ctx.quick ? 2_000 : 10_000;
    const clients = ctx.quick ? 100 : 200;
    // Seconds with clients: the full run alternates 15 s windows without and with them (6 of
    // each); the CI slice has one window with them and no baseline.
    const seconds = ctx.quick ? 15 : 90;
    const windows = ctx.quick ? 1 : 12;
    const dataDir = `${ctx.tmp}/.kron`;
    const app = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...kronFlags(),
        ...(Deno.env.get("KRON_LOAD_FLAGS")?.split(" ").filter(Boolean) ?? []),
        APP,
        dataDir,
        String(jobs),
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", KRON_LOG_LEVEL: "warning" },
    }).spawn();
    let out = "";
    let err = "";
    const pumps = [
      (async () => {
        for await (const c of app.stdout.pipeThrough(new TextDecoderStream())) out += c;
      })(),
      (async () => {
        for await (const c of app.stderr.pipeThrough(new TextDecoderStream())) {
          err = (err + c).slice(-20_000);
        }
      })(),
    ];
    const t0 = Date.now();
    while (!out.includes("ready") && Date.now() - t0 < 120_000) await sleep(50);
    if (!out.includes("ready")) {
      result.fail(`the load app did not start: ${err.slice(-1000)}`);
      app.kill("SIGKILL");
      await app.status;
      return;
    }
    const startedAt = Date.now();
    const phases = new Phases(startedAt, 15_000, windows, ctx.quick);
    ctx.log(
      `${jobs} jobs up in ${startedAt - t0} ms; ${clients} clients for ${seconds} s` +
        (ctx.quick ? "" : ", in 15 s windows every other 15 s"),
    );
    const loadAt = [loadAverage()];
    // Prometheus' part, over TCP with the bearer token as Prometheus scrapes, in a process of its
    // own at nice 10 as the clients (_load_scraper.ts): one
    // scrape at once (the first render, reported apart), then one every 5 s while the clients are
    // on. Timed to its answer's headers, to the last byte of the answer (kron's part), and with
    // its own inflating of the gzipped body (Prometheus' part) beside it.
    const scraper = new Deno.Command("nice", {
      args: [
        "-n",
        "10",
        Deno.execPath(),
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        SCRAPER,
        `tcp://127.0.0.1:${/^tcp (\d+)$/m.exec(out)?.[1]}`,
        `${dataDir}/admin.token`,
        ...phases.toArgs(),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const kronCpuAt = cpuSeconds(app.pid);
    const swarm = await clientSwarm(`${dataDir}/kron.sock`, jobs, clients, ctx.rng.u32(), phases);
    const kronCpu = cpuSeconds(app.pid) - kronCpuAt;
    const { lat, errors, byRoute, kronByRoute } = swarm;
    const scraped = scrapes(new TextDecoder().decode((await scraper).stdout), errors);
    await sleep(Math.max(0, phases.end - Date.now())); // a last window without clients
    const stopAt = Date.now();
    loadAt.push(loadAverage());
    // Let the backlog drain without API load: every occurrence due while the API was hammered
    // must then have run (a shutdown never starts what is overdue: that would be the next
    // start's catch-up).
    await sleep(ctx.quick ? 5_000 : 15_000);
    app.kill("SIGTERM");
    const status = await app.status;
    await Promise.all(pumps);
    const keep = Deno.env.get("KRON_LOAD_OUT");
    if (keep) await Deno.writeTextFile(keep, out);
    result.count();
    result.check(
      status.code === 0 && out.includes("stopped"),
      `the load app exited ${status.code}: ${err.slice(-1000)}`,
    );
    const requests = swarm.requests;
    result.count(requests);
    const failed = [...errors.values()].reduce((a, b) => a + b, 0);
    result.check(
      failed === 0,
      `${failed} API requests failed: ${
        [...errors].slice(0, 5).map(([k, v]) => `${k} ×${v}`).join(", ")
      }`,
    );

    // Every occurrence of every job exactly once, from the data dir.
    const view = await readDataDir(dataDir);
    const every = allRuns(dataDir);
    const allManual = every.filter((r) => r.trigger === "manual");
    const runs = every.filter((r) => r.trigger !== "manual");
    const byJob = new Map<string, RunRow[]>();
    for (const r of runs) (byJob.get(r.job) ?? byJob.set(r.job, []).get(r.job)!).push(r);
    const checkUntil = stopAt;
    let expectedTotal = 0, missed = 0, twice = 0, extra = 0, overlapSkips = 0;
    // Lateness of the occurrences due in windows with clients on, and in those without.
    const late: number[] = [];
    const bursts = new Map<
      number,
      { side: string; n: number; max: number; sum: number; late: number }
    >();
    const quietLate: number[] = [];
    const burstsWanted = Boolean(Deno.env.get("KRON_LOAD_BURSTS"));
    for (const [name, st] of view.state.jobs) {
      result.count();
      const sched = compileSchedule(st.def.schedule);
      const got = new Map<number, number>();
      for (const r of byJob.get(name) ?? []) {
        if (r.attempt !== 1) continue;
        got.set(r.scheduledAt, (got.get(r.scheduledAt) ?? 0) + 1);
        const side = phases.side(r.scheduledAt);
        if (side !== null) (side === "on" ? late : quietLate).push(r.startedAt - r.scheduledAt);
        if (side !== null && burstsWanted) {
          // Per 100 ms of due time: groups a few ms apart are one stretch of the thread's work.
          const key = Math.floor(r.scheduledAt / 100) * 100;
          const b = bursts.get(key) ?? { side, n: 0, max: 0, sum: 0, late: 0 };
          if (r.startedAt - r.scheduledAt >= 20) b.late++;
          b.n++;
          b.max = Math.max(b.max, r.startedAt - r.scheduledAt);
          b.sum += r.startedAt - r.scheduledAt;
          bursts.set(key, b);
        }
      }
      const want = new Set<number>();
      for (
        let t = sched.next(null, st.anchorAt);
        t !== null && t <= checkUntil;
        t = sched.next(t, st.anchorAt)
      ) {
        if (t < startedAt - 60_000) continue;
        want.add(t);
      }
      expectedTotal += want.size;
      for (const t of want) {
        const n = got.get(t) ?? 0;
        if (n === 0) {
          // A manual trigger's run still in flight (its RUN_STARTED being fsynced) when the
          // occurrence came: skipped under overlap = "skip", by design.
          const manual = allManual.some((r) =>
            r.job === name && Math.abs(t - r.startedAt) < 10_000
          );
          if (manual) overlapSkips++;
          else {
            missed++;
            if (missed <= 5) {
              const iso = new Date(t).toISOString();
              const why = skips(dataDir, name, iso);
              ctx.log(
                `missed ${name} @ ${iso}: ${why.join(" | ") || "no RUN_SKIPPED in the live log"}`,
              );
            }
          }
        }
        if (n > 1) twice++;
      }
      for (const [t, n] of got) if (!want.has(t) && t <= checkUntil && n > 0) extra++;
    }
    for (const [at, b] of [...bursts].sort((a, b) => a[0] - b[0])) {
      if (b.n < 100 && b.max < 20) continue;
      ctx.log(
        `burst +${((at - startedAt) / 1000).toFixed(1)}s @${at} ${b.side} n=${b.n} mean ${
          Math.round(b.sum / b.n)
        } max ${b.max} (${b.late} ≥ 20 ms)`,
      );
    }
    if (burstsWanted) {
      for (const x of scraped.filter((x) => !x.first)) {
        ctx.log(
          `scrape +${((x.at - startedAt) / 1000).toFixed(1)}s @${x.at} headers ${
            Math.round(x.headersMs)
          } ms, body ${Math.round(x.bodyMs)} ms`,
        );
      }
    }
    result.check(missed === 0, `${missed} occurrences missed (of ${expectedTotal})`);
    result.check(twice === 0, `${twice} occurrences ran more than once`);
    result.check(extra === 0, `${extra} runs at times that are not occurrences`);
    result.figure("jobs", jobs);
    result.figure("clients", clients);
    result.figure("seconds", seconds);
    result.figure("occurrences", expectedTotal);
    result.figure("missed", missed);
    result.figure("twice", twice);
    result.figure("skipped: manual run in flight", overlapSkips);
    result.figure("requests", requests);
    result.figure("req/s", Math.round(requests / seconds));
    result.figure("API p50 ms", quantile(lat, 0.5).toFixed(1));
    result.figure("API p99 ms", quantile(lat, 0.99).toFixed(1));
    result.figure("API max ms", Math.round(lat.reduce((a, b) => Math.max(a, b), 0)));
    // Run history reads the log and queues (4 at a time); everything else answers from memory.
    const history = byRoute.get("GET /v1/jobs/:job/runs") ?? [];
    const rest = [...byRoute].filter(([k]) => k !== "GET /v1/jobs/:job/runs").flatMap(([, v]) => v);
    result.figure("p99 history ms", Math.round(quantile(history, 0.99)));
    const kronAll = [...kronByRoute.values()].flat();
    result.figure("kron handler p99 ms", quantile(kronAll, 0.99).toFixed(1));
    result.figure(
      "kron handler p99 history ms",
      quantile(kronByRoute.get("GET /v1/jobs/:job/runs") ?? [], 0.99).toFixed(1),
    );
    result.figure("p99 other routes ms", Math.round(quantile(rest, 0.99)));
    result.figure("run lateness p99 ms", Math.round(quantile(late, 0.99)));
    if (!ctx.quick) {
      const quiet = quantile(quietLate, 0.99);
      result.figure("run lateness p99 ms, no API clients", Math.round(quiet));
      result.figure(
        "lateness ratio (clients / none)",
        (quantile(late, 0.99) / Math.max(quiet, 1)).toFixed(2),
      );
    }
    result.figure("load average at start / end", loadAt.join(" / "));
    // From the clients' start to their end (the full run: windows without clients too).
    result.figure(
      "harness CPU s / kron CPU s",
      `${swarm.cpu.toFixed(1)} / ${kronCpu.toFixed(1)}`,
    );
    // The first scrape finds no body to reuse: it waits for the whole first render.
    const [first, inWindows] = [scraped.filter((x) => x.first), scraped.filter((x) => !x.first)];
    result.figure("/metrics scrapes", inWindows.length);
    result.figure("/metrics first scrape ms", Math.round(first[0]?.bodyMs ?? NaN));
    result.figure("/metrics p50 ms", Math.round(quantile(inWindows.map((x) => x.bodyMs), 0.5)));
    result.figure("/metrics p99 ms", Math.round(quantile(inWindows.map((x) => x.bodyMs), 0.99)));
    result.figure(
      "/metrics p99 ms with the scraper's inflating",
      Math.round(quantile(inWindows.map((x) => x.bodyMs + x.inflateMs), 0.99)),
    );
    const last = scraped.at(-1);
    result.figure(
      "/metrics MB gzipped / inflated",
      last === undefined
        ? "?"
        : `${(last.bytes / 1e6).toFixed(1)} / ${(last.inflated / 1e6).toFixed(1)}`,
    );
    const headers = inWindows.map((x) => x.headersMs);
    result.figure("/metrics answer (headers) p50 ms", Math.round(quantile(headers, 0.5)));
    const kronMetrics = inWindows.flatMap((x) => x.kronMs === null ? [] : [x.kronMs]);
    result.figure(
      "/metrics kron handler p50 / p99 ms",
      `${quantile(kronMetrics, 0.5).toFixed(1)} / ${quantile(kronMetrics, 0.99).toFixed(1)}`,
    );
    result.figure("/metrics answer (headers) p99 ms", Math.round(quantile(headers, 0.99)));
    result.figure(
      "max event-loop lag ms",
      Number(/max event-loop lag (\d+)/.exec(out)?.[1] ?? NaN),
    );
    for (const [route, ms] of [...byRoute].sort()) {
      const own = kronByRoute.get(route) ?? [];
      ctx.log(
        `${route}: ${ms.length} requests, p50 ${quantile(ms, 0.5).toFixed(1)} ms, p99 ${
          quantile(ms, 0.99).toFixed(1)
        } ms; kron handler p50 ${quantile(own, 0.5).toFixed(1)} ms, p99 ${
          quantile(own, 0.99).toFixed(1)
        } ms`,
      );
    }
  },
};
