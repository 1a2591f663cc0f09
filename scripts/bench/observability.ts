/**
 * Scenario "observability" of `deno task bench` (issue 16): does watching kron cost it its
 * timing? 10,000 jobs defined (1,000 due every second, 9,000 hourly) with the admin socket served,
 * on two paths side by side in one run, each case in a fresh process and data dir: `kron run
 * jobs.ts` (the real CLI with the kron task's flags, a generated jobs.ts; lateness read from its
 * log afterwards) and the library (`new Kron({ dataDir })` in a process of its own).
 *
 * - `quiet`: nobody asks anything; run lateness (start − scheduled) p99 of the 1,000 jobs;
 * - `watched`: the same, while this process scrapes `/metrics` every 100 ms (gzip asked, as
 *   Prometheus does) and asks a frequent job's history (`GET /v1/jobs/:name/runs`) every 10 ms
 *   over the socket; lateness p99, the ratio to `quiet` (target ≤ 1.5×), scrape and history
 *   latency p50/p99, and (library) the scheduler thread's ms per scrape as KronMetrics times it;
 * - `idle scrape`: 10,000 hourly jobs, nothing due: 40 scrapes one after the other, their median
 *   latency (target ≤ 100 ms) and the scheduler thread's cost per scrape (target ≤ 20 ms): CPU
 *   read from /proc/<pid>/task/<pid>/stat (the thread that runs JavaScript) less its idle rate,
 *   and (library) the time KronMetrics spends preparing it on that thread.
 *
 *   deno run -A scripts/bench/observability.ts [--seconds 20] [--rounds 3] [--json]
 *
 * The ratio is the median of the rounds' ratios, each round running both cases one after the
 * other (the order alternates): one noisy case on this shared machine no longer decides it.
 *
 * @example
 * ```ts
 * import { observability } from "./observability.ts";
 * const { summary } = await observability({ quick: true, rounds: 1, seconds: 3, log: console.error });
 * summary.observability_ratio; // watched p99 ÷ quiet p99
 * ```
 * @module
 */
import { Kron } from "../../src/kron/mod.ts";
import { metricsFor } from "../../src/api/metrics.ts";
import type { RunOptions, ScenarioResult } from "./_scenarios.ts";
import { mdTable } from "./_report.ts";
import { fmt, kronV8Flags, percentile, sleep } from "./_util.ts";
import { kronTaskFlags } from "../../src/cli/self.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Which process runs the jobs. */
type Kind = "cli" | "library";

const JOBS = 10_000;
const FREQUENT = 1_000;
const TICKS_PER_S = 100; // USER_HZ

/** What a subject prints when its window ends. */
interface SubjectResult {
  lateness: number[];
  occurrences: number;
  /** Scrapes rendered and the scheduler thread's ms spent preparing them (KronMetrics). */
  renders: number;
  threadMs: number;
}

/** Subject: the kron app; prints `ready <socket>`, then the result JSON after the window. */
async function subject(idle: boolean, warmup: number, seconds: number): Promise<void> {
  const dataDir = Deno.args[Deno.args.indexOf("--data") + 1];
  const kron = new Kron({ dataDir });
  const noop = () => {};
  for (let i = 0; i < JOBS; i++) {
    const frequent = !idle && i < FREQUENT;
    kron.schedule(`${frequent ? "f" : "h"}${i}`, { every: frequent ? "1s" : "1h" }, noop);
  }
  const lateness: number[] = [];
  let measuring = false;
  kron.onEvent((e) => {
    if (measuring && e.type === "RUN_STARTED" && e.trigger === "schedule") {
      lateness.push(Date.parse(e.time) - Date.parse(e.scheduledAt));
    }
  });
  await kron.start();
  // The instance the admin socket serves (metricsFor keeps one per Kron).
  const metrics = metricsFor(kron, { dataDir, version: "bench" });
  let r0 = 0, ms0 = 0;
  const result = (): SubjectResult => ({
    lateness,
    occurrences: lateness.length,
    renders: metrics.renders - r0,
    threadMs: metrics.threadMs - ms0,
  });
  // The idle case asks for the running totals between its scrapes.
  Deno.addSignalListener("SIGUSR2", () => {
    console.log(JSON.stringify({ renders: metrics.renders, threadMs: metrics.threadMs }));
  });
  console.log(`ready ${dataDir}/kron.sock`);
  await sleep(warmup * 1000);
  measuring = true;
  r0 = metrics.renders;
  ms0 = metrics.threadMs;
  await sleep(seconds * 1000);
  measuring = false;
  console.log(JSON.stringify(result()));
  await kron.shutdown();
}

/** The 1-minute load average (the machine is shared: figures are read beside it). */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

/** Main-thread CPU seconds of a process (utime + stime of the thread whose id is the pid). */
function threadCpu(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
}

interface Subject {
  pid: number;
  socket: string;
  client: Deno.HttpClient;
  /** The subject's next line of output (library). */
  next: () => Promise<string | null>;
  /** Its window's result (the CLI: once the window is over, stopped and read from its log). */
  result: () => Promise<SubjectResult | null>;
  exited: Promise<void>;
  dir: string;
}

/** A jobs.ts of 10,000 no-op jobs (`idle`: all hourly). */
function jobsFile(dir: string, idle: boolean): string {
  const lines = [`// @ts-nocheck: generated`, `const run = () => {};`, `export default {`];
  for (let i = 0; i < JOBS; i++) {
    const frequent = !idle && i < FREQUENT;
    lines.push(`  ${frequent ? "f" : "h"}${i}: { every: "${frequent ? "1s" : "1h"}", run },`);
  }
  lines.push(`};`);
  Deno.writeTextFileSync(`${dir}/jobs.ts`, lines.join("\n") + "\n");
  return `${dir}/jobs.ts`;
}

/** Lateness (ms) of the scheduled first attempts due in [from, to], from a data dir's log. */
function latenessFromLog(dataDir: string, from: number, to: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync(`${dataDir}/log`)) {
    const text = Deno.readTextFileSync(`${dataDir}/log/${e.name}`);
    for (const line of text.split("\n")) {
      if (!line.includes('"type":"RUN_STARTED"') || !line.includes('"trigger":"schedule"')) {
        continue;
      }
      const r = JSON.parse(line);
      const at = Date.parse(r.scheduledAt);
      if (r.attempt === 1 && at >= from && at <= to) out.push(Date.parse(r.time) - at);
    }
  }
  return out;
}

async function startSubject(
  kind: Kind,
  idle: boolean,
  warmup: number,
  seconds: number,
): Promise<Subject> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "kobs-" });
  const dataDir = kind === "cli" ? `${dir}/.kron` : dir;
  const child = new Deno.Command(Deno.execPath(), {
    args: kind === "cli"
      ? [
        "run",
        ...kronTaskFlags(),
        `${ROOT}main.ts`,
        "run",
        jobsFile(dir, idle),
        "--data-dir",
        dataDir,
      ]
      : [
        "run",
        "-A",
        ...kronV8Flags(),
        new URL(import.meta.url).pathname,
        "--subject",
        idle ? "idle" : "busy",
        "--warmup",
        String(warmup),
        "--seconds",
        String(seconds),
        "--data",
        dir,
      ],
    cwd: dir,
    env: { NO_COLOR: "1", KRON_LOG_LEVEL: "warning" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async (): Promise<string | null> => {
    for (;;) {
      const nl = buffer.indexOf("\n");
      if (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) return null;
      buffer += value;
    }
  };
  let result: () => Promise<SubjectResult | null>;
  if (kind === "cli") {
    // kron.pid is written once the jobs are armed and the socket is up.
    (async () => {
      while ((await next()) !== null) { /* drain */ }
    })();
    const t0 = performance.now();
    for (;;) {
      try {
        await Deno.stat(`${dataDir}/kron.pid`);
        break;
      } catch {
        if (performance.now() - t0 > 180_000) throw new Error("kron run did not start in 180 s");
        await sleep(20);
      }
    }
    const from = Date.now() + warmup * 1000;
    const to = from + seconds * 1000;
    result = async () => {
      await sleep(Math.max(0, to - Date.now()) + 500);
      child.kill("SIGTERM");
      await child.status;
      const lateness = latenessFromLog(dataDir, from, to);
      return { lateness, occurrences: lateness.length, renders: NaN, threadMs: NaN };
    };
  } else {
    const ready = await next();
    if (!ready?.startsWith("ready ")) throw new Error(`subject did not start: ${ready}`);
    result = async () => {
      const line = await next();
      return line ? JSON.parse(line) as SubjectResult : null;
    };
  }
  const socket = `${dataDir}/kron.sock`;
  const exited = child.status.then(() => {});
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  return { pid: child.pid, socket, client, next, result, exited, dir };
}

async function get(s: Subject, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`http://kron${path}`, { client: s.client });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return performance.now() - t0;
}

async function finish(s: Subject, stop = () => {}): Promise<SubjectResult> {
  const r = await s.result();
  stop();
  await s.exited;
  s.client.close();
  await Deno.remove(s.dir, { recursive: true }).catch(() => {});
  if (!r) throw new Error("subject printed no result");
  return r;
}

/** One quiet or watched case. */
async function lateCase(kind: Kind, watched: boolean, warmup: number, seconds: number) {
  const s = await startSubject(kind, false, warmup, seconds);
  const scrapes: number[] = [];
  const history: number[] = [];
  let running = true;
  const loops: Promise<void>[] = [];
  const measureFrom = performance.now() + warmup * 1000; // latencies of the window only
  // The watchers stop with the window (the CLI subject is stopped right after it).
  const stopAt = setTimeout(() => running = false, (warmup + seconds) * 1000);
  const record = (into: number[], ms: number) => {
    if (performance.now() - ms >= measureFrom) into.push(ms);
  };
  if (watched) {
    const every = (ms: number, fn: () => Promise<void>) =>
      loops.push((async () => {
        while (running) {
          const t0 = performance.now();
          await fn().catch((e) => running && console.error(`observability: ${e}`));
          await sleep(Math.max(0, ms - (performance.now() - t0)));
        }
      })());
    const watch = Deno.env.get("KRON_BENCH_WATCH") ?? "both"; // diagnosis: metrics | history
    if (watch !== "history") every(100, async () => record(scrapes, await get(s, "/metrics")));
    let i = 0;
    if (watch !== "metrics") {
      every(10, async () => {
        record(history, await get(s, `/v1/jobs/f${i++ % FREQUENT}/runs?limit=20`));
      });
    }
  }
  const r = await finish(s, () => running = false);
  clearTimeout(stopAt);
  await Promise.all(loops);
  const sorted = r.lateness.sort((a, b) => a - b);
  scrapes.sort((a, b) => a - b);
  history.sort((a, b) => a - b);
  return {
    occurrences: r.occurrences,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    scrapes: scrapes.length,
    scrapeP50: percentile(scrapes, 0.5),
    scrapeP99: percentile(scrapes, 0.99),
    queries: history.length,
    historyP50: percentile(history, 0.5),
    historyP99: percentile(history, 0.99),
    threadMsPerScrape: r.threadMs / Math.max(1, r.renders),
  };
}

/** Bytes of a response body as sent (raw HTTP over the socket: nothing decompresses it). */
async function bodyBytes(socket: string, path: string, encoding: string): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nhost: kron\r\nconnection: close\r\naccept-encoding: ${encoding}\r\n\r\n`,
    ),
  );
  const all = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  const head = new TextDecoder().decode(all.subarray(0, 4096));
  const length = /content-length: *(\d+)/i.exec(head);
  return length ? Number(length[1]) : all.length - head.indexOf("\r\n\r\n") - 4;
}

/** The subject's running totals of scrapes rendered and scheduler-thread ms spent on them. */
async function totals(s: Subject): Promise<{ renders: number; threadMs: number }> {
  Deno.kill(s.pid, "SIGUSR2");
  return JSON.parse((await s.next())!);
}

/**
 * 10,000 idle jobs: scrape latency (gzip, as Prometheus asks) and the scheduler thread's cost
 * per scrape, both as KronMetrics counts it (time preparing the scrape on that thread) and as
 * the kernel does (the thread's CPU less its idle rate: includes serving the response).
 */
async function idleScrape(kind: Kind, n: number) {
  const s = await startSubject(kind, true, 2, 3 + n * 0.3 + 10);
  await sleep(1000);
  await get(s, "/metrics"); // the first render: every job's lines
  const first = kind === "library" ? await totals(s) : { renders: NaN, threadMs: NaN };
  const firstCpu = threadCpu(s.pid);
  await sleep(1000);
  const idleRate = threadCpu(s.pid) - firstCpu; // CPU per second doing nothing
  const latencies: number[] = [];
  const c0 = threadCpu(s.pid);
  const before = kind === "library" ? await totals(s) : first;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) latencies.push(await get(s, "/metrics"));
  const cpu = threadCpu(s.pid) - c0 - idleRate * (performance.now() - t0) / 1000;
  const after = kind === "library" ? await totals(s) : first;
  const gzBytes = await bodyBytes(s.socket, "/metrics", "gzip");
  const plain = await fetch("http://kron/metrics", {
    client: s.client,
    headers: { "accept-encoding": "identity" },
  });
  const bytes = (await plain.arrayBuffer()).byteLength;
  Deno.kill(s.pid, "SIGTERM");
  await s.exited;
  s.client.close();
  await Deno.remove(s.dir, { recursive: true }).catch(() => {});
  latencies.sort((a, b) => a - b);
  return {
    scrapes: n,
    bytes,
    gzBytes,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    firstThreadMs: first.threadMs,
    threadMsPerScrape: (after.threadMs - before.threadMs) /
      Math.max(1, after.renders - before.renders),
    cpuMsPerScrape: Math.max(0, cpu * 1000 / n),
  };
}

/**
 * Runs the scenario (quiet and watched alternate per round; the idle scrape once).
 *
 * @example
 * ```ts
 * import { observability } from "./observability.ts";
 * await observability({ quick: true, rounds: 1, seconds: 3, log: console.error });
 * ```
 */
export async function observability(o: RunOptions): Promise<ScenarioResult> {
  const seconds = o.quick ? 5 : Math.min(o.seconds, 20);
  const warmup = 3;
  const rounds = o.quick ? 1 : Math.min(o.rounds, 7);
  const kinds: Kind[] = ["cli", "library"];
  const label = (k: Kind) => (k === "cli" ? "`kron run jobs.ts`" : "library");
  type Idle = Awaited<ReturnType<typeof idleScrape>>;
  type Case = Awaited<ReturnType<typeof lateCase>>;
  const idle = new Map<Kind, Idle>();
  for (const k of kinds) {
    const r = await idleScrape(k, 40);
    idle.set(k, r);
    o.log(
      `  ${k} idle scrape: p50 ${fmt(r.p50, 1)} ms, thread ${fmt(r.threadMsPerScrape, 2)} ms, ` +
        `CPU ${fmt(r.cpuMsPerScrape, 1)} ms/scrape`,
    );
  }
  const quiet = new Map<Kind, Case[]>(kinds.map((k) => [k, []]));
  const watched = new Map<Kind, Case[]>(kinds.map((k) => [k, []]));
  // Rounds interleave the two cases and alternate which goes first, so that a drift of the shared
  // machine's load weighs on both alike; each round gives a ratio, and the figure is their median.
  for (let r = 0; r < rounds; r++) {
    for (const k of kinds) {
      for (const isWatched of r % 2 === 0 ? [false, true] : [true, false]) {
        (isWatched ? watched : quiet).get(k)!.push(await lateCase(k, isWatched, warmup, seconds));
      }
      o.log(
        `  ${k} round ${r + 1}: quiet p99 ${fmt(quiet.get(k)!.at(-1)!.p99, 1)} ms, watched p99 ${
          fmt(watched.get(k)!.at(-1)!.p99, 1)
        } ms (load average ${loadAverage()})`,
      );
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  /** The round whose p99 is the median of the rounds' (the lower middle one for an even count). */
  const middle = (xs: Case[]) => [...xs].sort((a, b) => a.p99 - b.p99)[(xs.length - 1) >> 1];
  const ratios = new Map<Kind, number>();
  const roundRatios = new Map<Kind, number[]>();
  for (const k of kinds) {
    const q = quiet.get(k)!, w = watched.get(k)!;
    roundRatios.set(k, q.map((qr, r) => w[r].p99 / Math.max(qr.p99, 1)));
    ratios.set(k, median(roundRatios.get(k)!));
  }
  const rows: string[][] = [];
  for (const k of kinds) {
    const q = middle(quiet.get(k)!), w = middle(watched.get(k)!);
    rows.push([`${label(k)}, quiet`, fmt(q.occurrences), fmt(q.p50, 1), fmt(q.p99, 1), "–", "–"]);
    rows.push([
      `${label(k)}, watched`,
      fmt(w.occurrences),
      fmt(w.p50, 1),
      fmt(w.p99, 1),
      `${fmt(w.scrapes)}: p50 ${fmt(w.scrapeP50, 1)}, p99 ${fmt(w.scrapeP99, 1)}` +
      (k === "library" ? `; thread ${fmt(w.threadMsPerScrape, 2)} ms each` : ""),
      `${fmt(w.queries)}: p50 ${fmt(w.historyP50, 1)}, p99 ${fmt(w.historyP99, 1)}`,
    ]);
  }
  const idleRows = kinds.map((k) => {
    const r = idle.get(k)!;
    return [
      label(k),
      `${fmt(r.bytes / 1e6, 1)} MB / ${fmt(r.gzBytes / 1e6, 2)} MB`,
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      k === "library" ? `${fmt(r.threadMsPerScrape, 2)} (first: ${fmt(r.firstThreadMs, 1)})` : "–",
      fmt(r.cpuMsPerScrape, 1),
    ];
  });
  const markdown = [
    `10,000 jobs defined, 1,000 due every second, ${seconds} s windows after a ${warmup} s ` +
    `warm-up, each case a fresh process; ${rounds} round(s), the two cases interleaved (which ` +
    "goes first alternates), the table shows the median round of each. Watched: /metrics every " +
    "100 ms (gzip asked, as Prometheus does) and a history query every 10 ms over the socket. " +
    "Lateness = start − scheduled (ms).",
    mdTable(
      ["case", "occurrences", "lateness p50", "lateness p99", "scrapes (ms)", "history (ms)"],
      rows,
    ),
    `Ratio watched ÷ quiet p99, the median of the rounds' ratios (target ≤ 1.5×; a quiet p99 ` +
    `under 1 ms counts as 1 ms): ${
      kinds.map((k) =>
        `${label(k)} **${fmt(ratios.get(k)!, 2)}×** (rounds: ${
          roundRatios.get(k)!.map((x) => fmt(x, 2)).join(", ")
        })`
      ).join(", ")
    }. Per round (quiet / watched p99 ms): ${
      kinds.map((k) =>
        `${k} ` +
        quiet.get(k)!.map((q, r) => `${fmt(q.p99)} / ${fmt(watched.get(k)![r].p99)}`).join(", ")
      ).join("; ")
    }.`,
    "Idle scrape: 10,000 hourly jobs, nothing due, 40 scrapes in a row (gzip asked). Scheduler " +
    "thread per scrape: the time KronMetrics spends preparing it on that thread (library), and " +
    "that thread's CPU from /proc less its idle rate, serving included (targets: median ≤ 100 ms, " +
    "≤ 20 ms of the scheduler thread).",
    mdTable(
      ["path", "body (plain / gzip)", "median ms", "p99 ms", "thread ms", "thread CPU ms"],
      idleRows,
    ),
  ].join("\n\n");
  const lib = idle.get("library")!;
  return {
    section: {
      id: "observability",
      title: "Observability at 10,000 jobs",
      markdown,
      svg: null,
      data: {
        seconds,
        rounds,
        quiet: Object.fromEntries(quiet),
        watched: Object.fromEntries(watched),
        idle: Object.fromEntries(idle),
      },
    },
    summary: {
      observability_ratio: Math.max(...ratios.values()),
      idle_scrape_ms: Math.max(...[...idle.values()].map((r) => r.p50)),
      scrape_thread_ms: lib.threadMsPerScrape,
      scrape_cpu_ms: Math.max(...[...idle.values()].map((r) => r.cpuMsPerScrape)),
    },
  };
}

if (import.meta.main) {
  const arg = (name: string, fallback: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Deno.args[i + 1] : fallback;
  };
  if (Deno.args.includes("--subject")) {
    await subject(
      arg("subject", "busy") === "idle",
      Number(arg("warmup", "3")),
      Number(arg("seconds", "10")),
    );
  } else {
    const r = await observability({
      quick: false,
      rounds: Number(arg("rounds", "3")),
      seconds: Number(arg("seconds", "20")),
      log: (line) => console.error(line),
    });
    console.log(Deno.args.includes("--json") ? JSON.stringify(r.section.data) : r.section.markdown);
  }
}
