/**
 * The measurements of the command benchmark (scripts/bench/command.ts): the bare-spawn floor
 * and kron's CLI running command jobs, read back from its event log.
 *
 * @example
 * ```ts
 * import { measureFloor } from "./_command.ts";
 * const f = await measureFloor(20, 5);
 * console.log(f.p99);
 * ```
 * @module
 */
import { percentile } from "./_util.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Latency quantiles in ms. */
export interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** The floor's latencies, and its own CPU (user + system) per process spawned, µs. */
export interface Floor extends Quantiles {
  cpuUsPerSpawn: number;
}

function quantiles(values: number[]): Quantiles {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: s.length ? percentile(s, 0.5) : NaN,
    p99: s.length ? percentile(s, 0.99) : NaN,
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/**
 * The floor: `n` `sh -c "echo … >> file"` spawned at once (detached, output piped, each
 * awaited to its exit and EOF), `bursts` times, 200 ms apart; ms from a burst's start to each
 * process's end.
 *
 * @example
 * ```ts
 * import { measureFloor } from "./_command.ts";
 * (await measureFloor(20, 3)).p50;
 * ```
 */
export async function measureFloor(n: number, bursts: number): Promise<Floor> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-floor-" });
  const ends: number[] = [];
  let cpuFrom = NaN;
  try {
    for (let b = 0; b < bursts; b++) {
      if (b === 1) cpuFrom = cpuMs(Deno.pid);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const child = new Deno.Command("sh", {
            args: ["-c", `echo ${b}-${i} >> ${dir}/w.txt`],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
            detached: true,
          }).spawn();
          await child.output();
          ends.push(performance.now() - t0);
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const cpu = cpuMs(Deno.pid) - cpuFrom;
  // The first burst pays for loading `sh` and warming the spawn path: left out.
  return { ...quantiles(ends.slice(n)), cpuUsPerSpawn: (cpu * 1000) / (n * (bursts - 1)) };
}

/** Options of {@link measureKron}. */
export interface KronOptions {
  jobs: number;
  /** The jobs' `every` ("200ms", "1s"). */
  every: string;
  /** The measured window, after the warm-up. */
  seconds: number;
  /** Seconds from the first run to the window. */
  warmup: number;
  /** `deno run` flags of the kron task. */
  flags: string[];
  /** The checkout whose main.ts runs (default: this one), e.g. an older commit's for "before". */
  root?: string;
}

/** What {@link measureKron} found in the window. */
export interface KronResult {
  jobs: number;
  every: string;
  seconds: number;
  /** Occurrences due in the window (from each job's anchor and period). */
  due: number;
  /** Occurrences with a RUN_STARTED. */
  run: number;
  /** RUN_SKIPPED records of occurrences due in the window, by reason. */
  skipped: number;
  skippedBy: Record<string, number>;
  /** Occurrences with a RUN_SUCCEEDED. */
  succeeded: number;
  /** Due → RUN_SUCCEEDED line seen in the log (5 ms tail), ms. */
  dueToSeen: Quantiles;
  /** Due → RUN_SUCCEEDED record's `time`, ms. */
  dueToRecord: Quantiles;
  /** RUN_STARTED `time` → RUN_SUCCEEDED `time`, ms. */
  startToSuccess: Quantiles;
  /** kron's CPU (user + system) over the window per run started in it, µs. */
  cpuUsPerRun: number;
  /** kron's CPU over the window, % of one core. */
  cpuPercent: number;
  /** Run-log files left under runs/ at the end. */
  runLogFiles: number;
  /** Events written per run, over the whole life. */
  eventsPerRun: number;
}

interface Rec {
  seq: number;
  type: string;
  time: string;
  job?: string;
  runId?: string;
  scheduledAt?: string;
  trigger?: string;
  reason?: string;
}

/** Follows the segment files of a data dir, stamping each complete line when first seen. */
class LogTail {
  readonly seen: { rec: Rec; at: number }[] = [];
  #offsets = new Map<string, number>();
  #partial = new Map<string, string>();
  #decoder = new TextDecoder();
  constructor(private readonly dir: string) {}

  poll(): void {
    let names: string[];
    try {
      names = [...Deno.readDirSync(this.dir)].map((e) => e.name).filter((n) =>
        n.endsWith(".ndjson")
      ).sort();
    } catch {
      return;
    }
    const at = Date.now();
    for (const name of names) {
      const path = `${this.dir}/${name}`;
      const off = this.#offsets.get(name) ?? 0;
      let size: number;
      try {
        size = Deno.statSync(path).size;
      } catch {
        continue;
      }
      if (size <= off) continue;
      const f = Deno.openSync(path, { read: true });
      try {
        f.seekSync(off, Deno.SeekMode.Start);
        const buf = new Uint8Array(size - off);
        let got = 0;
        while (got < buf.length) {
          const n = f.readSync(buf.subarray(got));
          if (n === null) break;
          got += n;
        }
        this.#offsets.set(name, off + got);
        const text = (this.#partial.get(name) ?? "") +
          this.#decoder.decode(buf.subarray(0, got));
        const end = text.lastIndexOf("\n");
        this.#partial.set(name, text.slice(end + 1));
        for (const line of text.slice(0, end).split("\n")) {
          if (!line) continue;
          try {
            this.seen.push({ rec: JSON.parse(line), at });
          } catch {
            // A torn line is recovery's business.
          }
        }
      } finally {
        f.close();
      }
    }
  }
}

function durationMs(every: string): number {
  const m = /^(\d+)(ms|s)$/.exec(every);
  if (!m) throw new Error(`unsupported every ${every}`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** utime + stime of a process, in ms (Linux, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs kron's CLI on `jobs` command jobs every `every` and measures a window of `seconds`
 * after `warmup` seconds from the first run.
 *
 * @example
 * ```ts
 * import { measureKron } from "./_command.ts";
 * import { kronTaskFlags } from "../../src/cli/self.ts";
 * const r = await measureKron({ jobs: 5, every: "1s", seconds: 3, warmup: 1, flags: kronTaskFlags() });
 * console.log(r.due, r.run);
 * ```
 */
export async function measureKron(o: KronOptions): Promise<KronResult> {
  const period = durationMs(o.every);
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-command-" });
  let toml = "";
  for (let i = 0; i < o.jobs; i++) {
    toml += `[[job]]\nname = "echo-${i}"\nevery = "${o.every}"\n` +
      `command = ["sh", "-c", "echo $KRON_RUN_ID >> w.txt"]\n\n`;
  }
  await Deno.writeTextFile(`${dir}/jobs.toml`, toml);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...o.flags, `${o.root ?? ROOT}main.ts`, "run", "jobs.toml", "--allow-run=sh"],
    cwd: dir,
    env: { NO_COLOR: "1", KRON_DATA_DIR: `${dir}/.kron` },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const tail = new LogTail(`${dir}/.kron/log`);
  try {
    const deadline = Date.now() + 60_000;
    while (!tail.seen.some((s) => s.rec.type === "RUN_STARTED")) {
      if (Date.now() > deadline) throw new Error(`kron ran nothing: ${await stopped()}`);
      tail.poll();
      await sleep(5);
    }
    const windowStart = Date.now() + o.warmup * 1000;
    const windowEnd = windowStart + o.seconds * 1000;
    let cpuStart = NaN;
    let cpuEnd = NaN;
    // 1.5 s past the window for the successes of its last occurrences.
    while (Date.now() < windowEnd + 1500) {
      if (Number.isNaN(cpuStart) && Date.now() >= windowStart) cpuStart = cpuMs(child.pid);
      if (Number.isNaN(cpuEnd) && Date.now() >= windowEnd) cpuEnd = cpuMs(child.pid);
      tail.poll();
      await sleep(5);
    }
    child.kill("SIGTERM");
    const status = await child.status;
    tail.poll();
    if (status.code !== 0) {
      throw new Error(`kron exited ${status.code}: ${(await stderr).slice(-800)}`);
    }
    return analyse(o, period, tail, windowStart, windowEnd, cpuEnd - cpuStart, dir);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  async function stopped(): Promise<string> {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    return (await stderr).slice(-800);
  }
}

function analyse(
  o: KronOptions,
  period: number,
  tail: LogTail,
  ws: number,
  we: number,
  cpuMsWindow: number,
  dir: string,
): KronResult {
  const anchor = new Map<string, number>();
  const started = new Map<string, { at: number; time: number; runId: string }>();
  const runOf = new Map<string, string>();
  const successSeen = new Map<string, { seen: number; time: number }>();
  const skippedBy: Record<string, number> = {};
  let skipped = 0;
  let runs = 0;
  for (const { rec, at } of tail.seen) {
    if (rec.scheduledAt && rec.job) {
      const t = Date.parse(rec.scheduledAt);
      anchor.set(rec.job, Math.min(anchor.get(rec.job) ?? Infinity, t));
    }
    if (rec.type === "RUN_STARTED" && rec.runId) runs++;
    const inWindow = rec.scheduledAt !== undefined &&
      Date.parse(rec.scheduledAt) >= ws && Date.parse(rec.scheduledAt) < we;
    if (!inWindow) {
      if (rec.type === "RUN_SUCCEEDED" && rec.runId) {
        successSeen.set(rec.runId, { seen: at, time: Date.parse(rec.time) });
      }
      continue;
    }
    const key = `${rec.job}@${rec.scheduledAt}`;
    if (rec.type === "RUN_STARTED" && rec.trigger === "schedule" && !started.has(key)) {
      started.set(key, { at, time: Date.parse(rec.time), runId: rec.runId! });
      runOf.set(rec.runId!, key);
    } else if (rec.type === "RUN_SKIPPED") {
      skipped++;
      skippedBy[rec.reason ?? "?"] = (skippedBy[rec.reason ?? "?"] ?? 0) + 1;
    }
  }
  let due = 0;
  for (const a of anchor.values()) {
    const first = Math.ceil((ws - a) / period);
    const last = Math.ceil((we - a) / period) - 1;
    due += Math.max(0, last - first + 1);
  }
  const dueToSeen: number[] = [];
  const dueToRecord: number[] = [];
  const startToSuccess: number[] = [];
  let succeeded = 0;
  for (const [key, s] of started) {
    const ok = successSeen.get(s.runId);
    if (!ok) continue;
    succeeded++;
    const dueAt = Date.parse(key.slice(key.indexOf("@") + 1));
    dueToSeen.push(ok.seen - dueAt);
    dueToRecord.push(ok.time - dueAt);
    startToSuccess.push(ok.time - s.time);
  }
  let runLogFiles = 0;
  try {
    for (const d of Deno.readDirSync(`${dir}/.kron/runs`)) {
      runLogFiles += [...Deno.readDirSync(`${dir}/.kron/runs/${d.name}`)].length;
    }
  } catch { /* no runs dir */ }
  return {
    jobs: o.jobs,
    every: o.every,
    seconds: o.seconds,
    due,
    run: started.size,
    skipped,
    skippedBy,
    succeeded,
    dueToSeen: quantiles(dueToSeen),
    dueToRecord: quantiles(dueToRecord),
    startToSuccess: quantiles(startToSuccess),
    cpuUsPerRun: (cpuMsWindow * 1000) / Math.max(1, started.size),
    cpuPercent: (cpuMsWindow / (we - ws)) * 100,
    runLogFiles,
    eventsPerRun: tail.seen.length / Math.max(1, runs),
  };
}
