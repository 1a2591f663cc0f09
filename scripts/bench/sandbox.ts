/**
 * TS jobs on the product path: the real CLI (`deno run <kron task flags> main.ts run jobs.ts`,
 * exactly the task's flags) with N function jobs, beside library mode (the same jobs.ts imported
 * by `new Kron({ dataDir })`, subjects/sandbox_library.ts) in the same run. Measured from the
 * jobs themselves: each run records `now − ctx.scheduledAt` in a module-level buffer, appended
 * to a granted file at most once a second per isolate.
 *
 * - `due`: N jobs `cron: "* * * * * *"` for `seconds`: lateness p50/p99 after the warm-up,
 *   occurrences missing (skipped) per second, RSS at the end, process CPU per run (every
 *   thread's schedstat, sampled between bursts: the median burst ÷ N).
 * - `trigger`: 200 jobs `after: "1h"`, 32 triggers in flight for `seconds`, each acknowledged once
 *   its RUN_STARTED is durable: runs/s over the admin socket (kron's own client, as `kron
 *   trigger` uses it) beside `kron.trigger()` in library mode.
 * - `defined`: M jobs `every: "1h"`: start-up (spawn → kron.pid written, which kron does once
 *   the jobs are armed and the socket serves; library: its "armed" line) and RSS 3 s later.
 *
 * Run: `deno run -A scripts/bench/sandbox.ts [--jobs 1000] [--seconds 12] [--defined 10000]
 * [--json]` (`--json`: one JSON line for the harness in main.ts). `--cli-only [--kron-root DIR]`
 * runs only the CLI's `due` case, of another checkout when given (before/after in one run).
 *
 * @example
 * ```sh
 * deno run -A scripts/bench/sandbox.ts --jobs 200 --seconds 6 --defined 1000
 * ```
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";
import { AdminClient } from "../../src/api/client.ts";
import { median, summarize } from "./_util.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const args = Deno.args;
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const JOBS = opt("jobs", 1000);
/** `--kron-root DIR`: run the CLI of another checkout (an older commit) for before/after. */
const KRON_ROOT = (() => {
  const i = args.indexOf("--kron-root");
  return i === -1 ? ROOT : `${args[i + 1].replace(/\/+$/, "")}/`;
})();
const ONLY_CLI = args.includes("--cli-only");
const SECONDS = opt("seconds", 12);
const DEFINED = opt("defined", 10_000);
const WARMUP_S = 2;
const flags = kronTaskFlags();

/** One subject's run (scripts/bench/_sandbox_section.ts reads it from --json). */
export interface Run {
  startMs: number;
  rssMb: number;
  cpuMsPerRun: number;
  lateness: { n: number; p50: number; p99: number; max: number };
  /** Occurrences due in the measured window that no job recorded. */
  missing: number;
  expected: number;
}

function jobsFile(dir: string, n: number, schedule: string): string {
  const lines = [
    `let buf = [];`,
    `const file = ${JSON.stringify(`${dir}/lat`)} + "/" + crypto.randomUUID() + ".txt";`,
    `setInterval(() => {`,
    `  if (buf.length === 0) return;`,
    `  Deno.writeTextFileSync(file, buf.join("\\n") + "\\n", { append: true });`,
    `  buf = [];`,
    `}, 1000);`,
    `const run = (ctx) => {`,
    `  const at = ctx.scheduledAt.getTime();`,
    `  buf.push(at + " " + (performance.timeOrigin + performance.now() - at).toFixed(3));`,
    `};`,
    `export default {`,
  ];
  for (let i = 0; i < n; i++) lines.push(`  j${i}: { ${schedule}, run },`);
  lines.push(`};`);
  const path = `${dir}/jobs.ts`;
  Deno.writeTextFileSync(path, `// @ts-nocheck: generated\n${lines.join("\n")}\n`);
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `deno run` arguments of a subject, with the kron task's flags: the CLI running `path` with its
 * output dir granted, or the library subject with `libraryArgs` after its data dir.
 */
function subjectArgs(
  kind: "cli" | "library",
  dir: string,
  path: string,
  libraryArgs: string[],
): string[] {
  return kind === "cli"
    ? [
      "run",
      ...flags,
      `${KRON_ROOT}main.ts`,
      "run",
      path,
      `--allow-write=${dir}/lat`,
      "--data-dir",
      `${dir}/.kron`,
    ]
    : [
      "run",
      ...flags,
      `${ROOT}scripts/bench/subjects/sandbox_library.ts`,
      path,
      `${dir}/.kron`,
      ...libraryArgs,
    ];
}

/** CPU time of every thread of a process (the workers included), ms, from schedstat (ns). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).split(" ")[0]);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return ns / 1e6;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitForLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`ended before ${re}: ${text.slice(-400)}`);
    text += value;
    if (re.test(text)) break;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
}

async function subject(
  kind: "cli" | "library",
  n: number,
  schedule: string,
  seconds: number,
): Promise<Run> {
  const dir = await Deno.makeTempDir({ prefix: `kron-bench-sandbox-${kind}-` });
  await Deno.mkdir(`${dir}/lat`);
  const path = jobsFile(dir, n, schedule);
  const cmd = subjectArgs(kind, dir, path, [String(seconds + 5)]);
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: cmd,
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    if (kind === "cli") {
      // kron.pid is written once the jobs are armed and the socket is up (log-level independent).
      child.stderr.pipeTo(new WritableStream()).catch(() => {});
      while (!(await exists(`${dir}/.kron/kron.pid`))) {
        if (performance.now() - t0 > 120_000) throw new Error("kron did not start in 120 s");
        await new Promise((res) => setTimeout(res, 5));
      }
    } else await waitForLine(child.stderr, /armed/);
    const startMs = performance.now() - t0;
    const armedAt = Date.now();
    await new Promise((res) => setTimeout(res, WARMUP_S * 1000));
    const from = Date.now();
    // CPU per burst: sampled half-way between due instants, so each delta holds one burst.
    const bursts: number[] = [];
    const end = from + (seconds - WARMUP_S) * 1000;
    await new Promise((res) => setTimeout(res, 1500 - (Date.now() % 1000)));
    let cpuBefore = cpuMs(child.pid);
    while (Date.now() + 1000 < end) {
      await new Promise((res) => setTimeout(res, 1500 - (Date.now() % 1000)));
      const cpuNow = cpuMs(child.pid);
      bursts.push(cpuNow - cpuBefore);
      cpuBefore = cpuNow;
    }
    await new Promise((res) => setTimeout(res, Math.max(0, end - Date.now())));
    const to = Date.now();
    const rss = rssMb(child.pid);
    // Let the last buffers reach their files.
    await new Promise((res) => setTimeout(res, 1500));
    const samples: number[] = [];
    // Whole seconds fully inside the window: each must have n occurrences.
    const firstSecond = Math.ceil(Math.max(from, armedAt + 1000) / 1000) * 1000;
    const lastSecond = Math.floor(to / 1000) * 1000 - 1000;
    let inSeconds = 0;
    for await (const e of Deno.readDir(`${dir}/lat`)) {
      for (const line of Deno.readTextFileSync(`${dir}/lat/${e.name}`).split("\n")) {
        if (!line) continue;
        const [at, late] = line.split(" ").map(Number);
        if (at >= from && at < to) {
          samples.push(late);
        }
        if (at >= firstSecond && at <= lastSecond) inSeconds++;
      }
    }
    const expected = schedule.includes("* * * * * *")
      ? ((lastSecond - firstSecond) / 1000 + 1) * n
      : 0;
    return {
      startMs,
      rssMb: rss,
      // Median burst (idle seconds of the `defined` case have no runs: NaN).
      cpuMsPerRun: expected > 0 ? median(bursts) / n : NaN,
      lateness: summarize(samples),
      missing: Math.max(0, expected - inSeconds),
      expected,
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Durable runs/s through trigger: over the socket (CLI), in-process (library). */
async function triggers(kind: "cli" | "library", seconds: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: `kron-bench-trigger-${kind}-` });
  await Deno.mkdir(`${dir}/lat`);
  const path = jobsFile(dir, 200, `after: "1h"`);
  const args = subjectArgs(kind, dir, path, [String(seconds), String(CONCURRENCY)]);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    if (kind === "library") {
      const out = new TextDecoder().decode((await child.output()).stdout);
      return (JSON.parse(out.trim().split("\n").at(-1)!) as { runsPerS: number }).runsPerS;
    }
    let client: AdminClient | null = null;
    while (client === null) {
      await new Promise((res) => setTimeout(res, 20));
      if (await exists(`${dir}/.kron/kron.pid`)) client = await AdminClient.connect(`${dir}/.kron`);
    }
    const c = client;
    const until = performance.now() + seconds * 1000;
    let next = 0;
    let done = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        try {
          await c.trigger(`j${next++ % 200}`);
          done++;
        } catch { /* refused: counted out */ }
      }
    }));
    return done / ((performance.now() - t0) / 1000);
  } finally {
    if (kind === "cli") {
      child.kill("SIGTERM");
      await child.output();
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const CONCURRENCY = 32;

if (ONLY_CLI) {
  // Only the CLI's `due` case (with --kron-root: an older checkout's, for before/after).
  const r = await subject("cli", JOBS, `cron: "* * * * * *"`, SECONDS);
  console.log(JSON.stringify({ root: KRON_ROOT, jobs: JOBS, ...r }));
  Deno.exit(0);
}

const due = {
  cli: await subject("cli", JOBS, `cron: "* * * * * *"`, SECONDS),
  library: await subject("library", JOBS, `cron: "* * * * * *"`, SECONDS),
};
const defined = {
  cli: await subject("cli", DEFINED, `every: "1h"`, 3 + WARMUP_S),
  library: await subject("library", DEFINED, `every: "1h"`, 3 + WARMUP_S),
};
const trigger = {
  cli: await triggers("cli", Math.min(SECONDS, 8)),
  library: await triggers("library", Math.min(SECONDS, 8)),
};
const result = {
  trigger,
  jobs: JOBS,
  seconds: SECONDS,
  defined: DEFINED,
  due,
  definedRuns: defined,
  overheadUsPerRun: (due.cli.cpuMsPerRun - due.library.cpuMsPerRun) * 1000,
};
if (args.includes("--json")) console.log(JSON.stringify(result));
else {
  const f = (x: number, d = 2) => Number.isFinite(x) ? x.toFixed(d) : "NA";
  for (const [name, r] of Object.entries(due)) {
    console.log(
      `${name}: ${JOBS} jobs every second: lateness p50 ${f(r.lateness.p50)} ms, p99 ${
        f(r.lateness.p99)
      } ms (n=${r.lateness.n}); missing ${r.missing}/${r.expected}; RSS ${f(r.rssMb, 0)} MB; ` +
        `CPU ${f(r.cpuMsPerRun * 1000, 1)} µs/run; start ${f(r.startMs, 0)} ms`,
    );
  }
  for (const [name, r] of Object.entries(defined)) {
    console.log(
      `${name}: ${DEFINED} jobs defined: start ${f(r.startMs, 0)} ms, RSS ${f(r.rssMb, 0)} MB`,
    );
  }
  console.log(`sandbox overhead: ${f(result.overheadUsPerRun, 1)} µs CPU per run`);
  console.log(
    `trigger (${CONCURRENCY} in flight): cli over the socket ${f(trigger.cli, 0)} runs/s, ` +
      `library ${f(trigger.library, 0)} runs/s`,
  );
}
