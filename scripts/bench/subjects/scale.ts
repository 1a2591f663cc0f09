/**
 * Scenario 2, scale: register `jobs` jobs, then measure registration time, RSS and heap over
 * the process's baseline (after a full GC, `--expose-gc`), idle CPU over `idleMs`, and the time
 * to compute the next due time.
 *
 * Jobs are a mix of daily crons at hours 6–17 h ahead and `every` 1–5 h, none due during the
 * idle window ({@link farHour}).
 *
 * @example
 * ```ts
 * import { kronScale } from "./scale.ts";
 * await kronScale({ jobs: 1000, idleMs: 1000 });
 * ```
 * @module
 */
import process from "node:process";
import { Engine } from "../../../src/engine/engine.ts";
import { FileStore } from "../../../src/store/mod.ts";
import { Cron } from "croner";
// Pinned peers live only in the benchmark, not in deno.json imports.
// deno-lint-ignore no-import-prefix
import nodeCron from "npm:node-cron@4.6.0";
import { settledMemory, sleep } from "../_util.ts";

/** Parameters of a scale run. */
export interface ScaleParams {
  jobs: number;
  idleMs: number;
}

/** What one scale run measured. */
export interface ScaleResult {
  jobs: number;
  registerMs: number;
  rssPerJob: number;
  heapPerJob: number;
  rssMiB: number;
  idleCpuPercent: number;
  nextDueUs: number;
  [extra: string]: unknown;
}

async function idleCpu(idleMs: number): Promise<number> {
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await sleep(idleMs);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  return Number(((cpu.user + cpu.system) / 1000 / wall * 100).toFixed(3));
}

/**
 * An hour of the day 6–17 hours from now (local time, as cron reads it), spread by `i`: cron jobs
 * at such hours never fire during an idle window. (`m h * * *` with `h = i % 24` put ~800 of
 * 100k jobs on some minutes of the current hour, and an idle window crossing one measured them.)
 *
 * @example
 * ```ts
 * import { farHour } from "./scale.ts";
 * farHour(3) >= 0 && farHour(3) < 24; // true
 * ```
 */
export function farHour(i: number): number {
  return (new Date().getHours() + 6 + (i % 12)) % 24;
}

function perJob(after: number, before: number, n: number): number {
  return Math.round((after - before) / n);
}

/**
 * kron: the real engine on a durable FileStore (every JOB_DEFINED fsync'd at start).
 *
 * @example
 * ```ts
 * await kronScale({ jobs: 100_000, idleMs: 10_000 });
 * ```
 */
export async function kronScale(p: ScaleParams): Promise<ScaleResult> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-scale-" });
  const store = new FileStore({ dataDir: dir, durability: "fsync" });
  const base = settledMemory();
  const engine = new Engine({ store });
  const noop = () => Promise.resolve();
  const t0 = performance.now();
  for (let i = 0; i < p.jobs; i++) {
    engine.define(
      `job-${i}`,
      i % 2 ? { every: `${1 + (i % 5)}h` } : { cron: `${i % 60} ${farHour(i)} * * *` },
      noop,
    );
  }
  const defineMs = performance.now() - t0;
  await engine.start(); // writes and fsyncs the JOB_DEFINED events, arms the timer
  const registerMs = performance.now() - t0;
  const mem = settledMemory();
  const idle = await idleCpu(p.idleMs);
  const reps = 10_000;
  const t2 = performance.now();
  let sink = 0;
  for (let i = 0; i < reps; i++) {
    sink += engine.status(`job-${(i * 7919) % p.jobs}`).nextRunAt ? 1 : 0;
  }
  const nextDueUs = (performance.now() - t2) * 1000 / reps;
  await engine.shutdown();
  await Deno.remove(dir, { recursive: true });
  return {
    jobs: p.jobs,
    registerMs: Math.round(registerMs),
    defineMs: Math.round(defineMs),
    rssPerJob: perJob(mem.rss, base.rss, p.jobs),
    heapPerJob: perJob(mem.heapUsed, base.heapUsed, p.jobs),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    idleCpuPercent: idle,
    nextDueUs: Number(nextDueUs.toFixed(3)),
    sink,
  };
}

function cronPattern(i: number): string {
  // croner and node-cron have no "every": daily and weekly patterns at far hours instead.
  return i % 2 ? `0 ${i % 60} ${farHour(i)} * * ${i % 7}` : `0 ${i % 60} ${farHour(i)} * * *`;
}

/**
 * croner: one `Cron` object per job (its own timer each), in memory.
 *
 * @example
 * ```ts
 * await cronerScale({ jobs: 1000, idleMs: 1000 });
 * ```
 */
export async function cronerScale(p: ScaleParams): Promise<ScaleResult> {
  const base = settledMemory();
  const noop = () => {};
  const t0 = performance.now();
  const jobs: Cron[] = [];
  for (let i = 0; i < p.jobs; i++) jobs.push(new Cron(cronPattern(i), { name: `job-${i}` }, noop));
  const registerMs = performance.now() - t0;
  const mem = settledMemory();
  const idle = await idleCpu(p.idleMs);
  const reps = 10_000;
  const t2 = performance.now();
  let sink = 0;
  for (let i = 0; i < reps; i++) sink += jobs[(i * 7919) % p.jobs].nextRun() ? 1 : 0;
  const nextDueUs = (performance.now() - t2) * 1000 / reps;
  for (const j of jobs) j.stop();
  return {
    jobs: p.jobs,
    registerMs: Math.round(registerMs),
    rssPerJob: perJob(mem.rss, base.rss, p.jobs),
    heapPerJob: perJob(mem.heapUsed, base.heapUsed, p.jobs),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    idleCpuPercent: idle,
    nextDueUs: Number(nextDueUs.toFixed(3)),
    sink,
  };
}

/**
 * node-cron: one scheduled task per job, in memory. node-cron has no next-run query, so that
 * column stays empty.
 *
 * @example
 * ```ts
 * await nodeCronScale({ jobs: 1000, idleMs: 1000 });
 * ```
 */
export async function nodeCronScale(p: ScaleParams): Promise<ScaleResult> {
  const base = settledMemory();
  const noop = () => {};
  const t0 = performance.now();
  const tasks = [];
  for (let i = 0; i < p.jobs; i++) {
    tasks.push(nodeCron.schedule(cronPattern(i), noop, { name: `job-${i}` }));
  }
  const registerMs = performance.now() - t0;
  const mem = settledMemory();
  const idle = await idleCpu(p.idleMs);
  for (const t of tasks) await t.stop();
  return {
    jobs: p.jobs,
    registerMs: Math.round(registerMs),
    rssPerJob: perJob(mem.rss, base.rss, p.jobs),
    heapPerJob: perJob(mem.heapUsed, base.heapUsed, p.jobs),
    rssMiB: Math.round(mem.rss / 2 ** 20),
    idleCpuPercent: idle,
    nextDueUs: NaN,
  };
}
