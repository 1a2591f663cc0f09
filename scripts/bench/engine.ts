/**
 * Engine benchmark: registration time, memory per job and idle CPU for 1k / 10k / 100k jobs,
 * and fire lateness for 1,000 jobs due at the same instants (`every: "1s"`).
 *
 *   deno run -A --v8-flags=--expose-gc,--max-semi-space-size=8 scripts/bench/engine.ts [--quick] [--json]
 *
 * (`--max-semi-space-size=8` is the V8 flag kron ships with: deno.json's kron task.)
 *
 * Jobs are registered through the real engine into a real FileStore (durability "fsync") in a
 * temporary data dir, so JOB_DEFINED events are written and fsync'd as in production.
 */
import process from "node:process";
import { Engine } from "../../src/engine/engine.ts";
import { FileStore } from "../../src/store/mod.ts";
import { farHour } from "./subjects/scale.ts";

const quick = Deno.args.includes("--quick");
const asJson = Deno.args.includes("--json");
const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (gc) { for (let i = 0; i < 3; i++) gc(); }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function tempStore(
  durability: "fsync" | "none" = "fsync",
): Promise<{ store: FileStore; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-" });
  return { store: new FileStore({ dataDir: dir, durability }), dir };
}

interface ScaleResult {
  jobs: number;
  registerMs: number;
  startMs: number;
  heapPerJobBytes: number;
  rssPerJobBytes: number;
  idleCpuPercent: number;
  idleCpuMedianSlice: number;
  nextDueUs: number;
}

async function scale(n: number, idleMs: number): Promise<ScaleResult> {
  collect();
  const heap0 = Deno.memoryUsage().heapUsed;
  const rss0 = Deno.memoryUsage().rss;
  const { store, dir } = await tempStore();
  const engine = new Engine({ store });
  const noop = () => Promise.resolve();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    // Daily crons 6–17 h ahead and every 1–5 h: nothing fires during the idle window.
    engine.define(
      `job-${i}`,
      i % 2 ? { every: `${1 + (i % 5)}h` } : { cron: `${i % 60} ${farHour(i)} * * *` },
      noop,
    );
  }
  const registerMs = performance.now() - t0;
  const t1 = performance.now();
  await engine.start();
  const startMs = performance.now() - t1;
  collect();
  const heap1 = Deno.memoryUsage().heapUsed;
  const rss1 = Deno.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  // One-second slices too: V8's memory reducer runs once, ~8 s after the definitions, for
  // ~200 ms of CPU (it gives back ~20 MB of RSS at 100k jobs); the median slice is the
  // steady state, the total includes that one-off when the window catches it.
  const slices: number[] = [];
  for (let k = 0; k < idleMs / 1000; k++) {
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1000));
    const c = process.cpuUsage(c0);
    slices.push((c.user + c.system) / 10_000);
  }
  slices.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  const t2 = performance.now();
  const reps = 1000;
  for (let i = 0; i < reps; i++) engine.status(`job-${i % n}`).nextRunAt;
  const nextDueUs = (performance.now() - t2) * 1000 / reps;
  await engine.shutdown();
  await Deno.remove(dir, { recursive: true });
  return {
    jobs: n,
    registerMs: Math.round(registerMs),
    startMs: Math.round(startMs),
    heapPerJobBytes: Math.round((heap1 - heap0) / n),
    rssPerJobBytes: Math.round((rss1 - rss0) / n),
    idleCpuPercent: Number(((cpu.user + cpu.system) / 1000 / wall * 100).toFixed(3)),
    idleCpuMedianSlice: Number(slices[slices.length >> 1].toFixed(3)),
    nextDueUs: Number(nextDueUs.toFixed(2)),
  };
}

interface LatenessResult {
  jobs: number;
  seconds: number;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function lateness(jobs: number, seconds: number): Promise<LatenessResult> {
  const { store, dir } = await tempStore();
  const engine = new Engine({ store });
  const late: number[] = [];
  // All jobs share the anchor, so all 1,000 are due at the same instants.
  const startAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
  // The first firing (startAt + 1 s) warms the JIT up and is left out, as in `deno task bench`;
  // lateness is read with a sub-millisecond clock.
  const from = startAt.getTime() + 2000;
  for (let i = 0; i < jobs; i++) {
    engine.define(`tick-${i}`, { every: "1s", startAt }, (ctx) => {
      const due = ctx.scheduledAt.getTime();
      if (due >= from) late.push(performance.timeOrigin + performance.now() - due);
    });
  }
  await engine.start();
  await new Promise((r) => setTimeout(r, from + (seconds - 1) * 1000 + 300 - Date.now()));
  await engine.shutdown();
  await Deno.remove(dir, { recursive: true });
  late.sort((a, b) => a - b);
  return {
    jobs,
    seconds,
    runs: late.length,
    p50Ms: Number(percentile(late, 0.5).toFixed(2)),
    p99Ms: Number(percentile(late, 0.99).toFixed(2)),
    maxMs: Number(late[late.length - 1].toFixed(2)),
  };
}

const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
const idleMs = quick ? 2_000 : 10_000;
// Lateness first, in a process that has not built 111k jobs' worth of garbage yet.
const late = await lateness(1_000, quick ? 5 : 30);
const scaleResults: ScaleResult[] = [];
for (const n of sizes) scaleResults.push(await scale(n, idleMs));

if (asJson) {
  console.log(JSON.stringify({ scale: scaleResults, lateness: late }, null, 2));
} else {
  console.log(
    `## engine (${
      new Date().toISOString().slice(0, 10)
    }, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno})\n`,
  );
  console.log(
    "| jobs | register ms | start ms | heap/job B | RSS/job B | idle CPU % (over " + idleMs / 1000 +
      " s) | idle CPU %, median 1 s | status() µs |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of scaleResults) {
    console.log(
      `| ${r.jobs} | ${r.registerMs} | ${r.startMs} | ${r.heapPerJobBytes} | ${r.rssPerJobBytes} | ${r.idleCpuPercent} | ${r.idleCpuMedianSlice} | ${r.nextDueUs} |`,
    );
  }
  console.log(
    `\nfire lateness, ${late.jobs} jobs every 1s for ${late.seconds}s, durable log (fsync): ${late.runs} runs, p50 ${late.p50Ms} ms, p99 ${late.p99Ms} ms, max ${late.maxMs} ms`,
  );
}
