/**
 * Scenario 1, fire lateness: `jobs` callbacks due at the same instants, once a second, for
 * `seconds`; lateness = callback start − nominal due time, in ms (sub-ms precision).
 *
 * Subjects: kron (real engine + durable FileStore), the ideal durable loop (the floor), the
 * ideal recorded-ahead loop (the floor of kron's own design), croner (one `Cron` per job, in
 * memory), node-cron, and `Deno.cron` (minute resolution).
 *
 * @example
 * ```ts
 * import { kronLateness } from "./lateness.ts";
 * const r = await kronLateness({ jobs: 100, seconds: 2 });
 * r.p99;
 * ```
 * @module
 */
import { Engine } from "../../../src/engine/engine.ts";
import { ulid } from "../../../src/ulid.ts";
import { FileStore } from "../../../src/store/mod.ts";
import { encodeRecord } from "../../../src/store/_record.ts";
import type { KronEvent } from "../../../src/events/mod.ts";
import { Cron } from "croner";
// Pinned peers live only in the benchmark, not in deno.json imports.
// deno-lint-ignore no-import-prefix
import nodeCron from "npm:node-cron@4.6.0";
import { percentile, preciseNow, sleep, summarize } from "../_util.ts";

/** Parameters of a lateness run. */
export interface LatenessParams {
  jobs: number;
  seconds: number;
}

/** A lateness sample summarised: percentiles and a 101-point quantile curve for the chart. */
export interface LatenessResult {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** quantiles[k] = the k-th percentile (k = 0..100), ms. */
  quantiles: number[];
  [extra: string]: unknown;
}

function result(late: number[], extra: Record<string, unknown> = {}): LatenessResult {
  const s = [...late].sort((a, b) => a - b);
  const quantiles = Array.from(
    { length: 101 },
    (_, k) => Math.round((k === 0 ? s[0] : percentile(s, k / 100)) * 1000) / 1000,
  );
  return { ...summarize(s), quantiles, ...extra };
}

/** The next whole second at least `leadMs` from now: every subject starts on a boundary. */
function nextSecond(leadMs: number): number {
  return Math.ceil((Date.now() + leadMs) / 1000) * 1000;
}

/**
 * kron: `jobs` jobs on `every: "1s"` sharing one anchor, through the real engine into a
 * FileStore with `durability: "fsync"` (each occurrence's RUN_DUE is durable before it is due).
 *
 * @example
 * ```ts
 * await kronLateness({ jobs: 1000, seconds: 10 });
 * ```
 */
export async function kronLateness(p: LatenessParams): Promise<LatenessResult> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-late-" });
  const store = new FileStore({ dataDir: dir, durability: "fsync" });
  const engine = new Engine({ store });
  const late: number[] = [];
  const startAt = new Date(nextSecond(1500));
  // The first firing (startAt + 1s) warms the JIT up and is left out, as for every subject.
  const from = startAt.getTime() + 2000;
  for (let i = 0; i < p.jobs; i++) {
    engine.define(`tick-${i}`, { every: "1s", startAt }, (ctx) => {
      const due = ctx.scheduledAt.getTime();
      if (due >= from) late.push(preciseNow() - due);
    });
  }
  await engine.start();
  // First due time is startAt + 1s (one interval after the anchor).
  await sleep(from + (p.seconds - 1) * 1000 + 300 - Date.now());
  await engine.shutdown();
  const stats = store.stats;
  await Deno.remove(dir, { recursive: true });
  return result(late, { fsyncs: stats.syncs, batches: stats.batches });
}

/**
 * The ideal durable loop: one timer per second; on each wake-up the same `jobs` RUN_STARTED
 * records made with kron's own serializer, written with one write + one fdatasync, then the
 * callbacks. Nothing else: no state, no policies, no promises per run.
 *
 * @example
 * ```ts
 * await floorLateness({ jobs: 1000, seconds: 10 });
 * ```
 */
export async function floorLateness(p: LatenessParams): Promise<LatenessResult> {
  const loop = await idealLoop(p, "kron-bench-floor-");
  let due = loop.first;
  await new Promise<void>((resolve) => {
    const arm = () => setTimeout(wake, Math.max(0, due - Date.now()));
    const wake = async () => {
      // Timers may fire a little early: re-arm rather than fire before the due time.
      if (Date.now() < due) return arm();
      const nowIso = new Date().toISOString();
      const dueIso = new Date(due).toISOString();
      await loop.writeOnePerJob((job, seq) => ({
        type: "RUN_STARTED",
        time: nowIso,
        job,
        runId: ulid(due),
        attempt: 1,
        scheduledAt: dueIso,
        idempotencyKey: `${job}:${dueIso}`,
        trigger: "schedule",
        jitterMs: 0,
        seq,
      }));
      loop.call(due);
      due += 1000;
      if (due < loop.end) arm();
      else resolve();
    };
    arm();
  });
  return await loop.finish();
}

/**
 * The ideal recorded-ahead loop, the floor of kron's own design: 50 ms before each due time,
 * the same `jobs` RUN_DUE records made with kron's serializer, written with one write + one
 * fdatasync; a timer 3 ms before the due time and `Atomics.wait` for the rest; then the
 * callbacks. Nothing else: no state, no policies, no run records.
 *
 * @example
 * ```ts
 * await aheadFloorLateness({ jobs: 1000, seconds: 10 });
 * ```
 */
export async function aheadFloorLateness(p: LatenessParams): Promise<LatenessResult> {
  const loop = await idealLoop(p, "kron-bench-ahead-");
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let due = loop.first;
  await new Promise<void>((resolve) => {
    const record = async () => {
      const nowIso = new Date().toISOString();
      const dueIso = new Date(due).toISOString();
      await loop.writeOnePerJob((job, seq) => ({
        type: "RUN_DUE",
        time: nowIso,
        job,
        scheduledAt: dueIso,
        jitterMs: 0,
        ahead: true,
        seq,
      }));
      setTimeout(fire, Math.max(0, due - 3 - Date.now()));
    };
    const fire = () => {
      while (Date.now() < due) Atomics.wait(cell, 0, 0, 0.05);
      loop.call(due);
      due += 1000;
      if (due < loop.end) setTimeout(record, Math.max(0, due - 50 - Date.now()));
      else resolve();
    };
    setTimeout(record, Math.max(0, due - 50 - Date.now()));
  });
  return await loop.finish();
}

/**
 * What the two ideal loops share: a log file, `jobs` callbacks that record their lateness, and
 * the firings (the first one, the JIT warm-up, is not counted).
 */
async function idealLoop(p: LatenessParams, prefix: string) {
  const dir = await Deno.makeTempDir({ prefix });
  const file = await Deno.open(`${dir}/log.ndjson`, { create: true, write: true, append: true });
  const encoder = new TextEncoder();
  const late: number[] = [];
  const names = Array.from({ length: p.jobs }, (_, i) => `tick-${i}`);
  const callbacks = names.map(() => (due: number) => late.push(preciseNow() - due));
  const first = nextSecond(1500) + 1000;
  const from = first + 1000;
  let seq = 0;
  return {
    first,
    end: from + p.seconds * 1000,
    /** One record per job made by kron's serializer, then one write and one fdatasync. */
    async writeOnePerJob(make: (job: string, seq: number) => KronEvent): Promise<void> {
      const lines: string[] = new Array(names.length);
      for (let i = 0; i < names.length; i++) lines[i] = encodeRecord(make(names[i], ++seq));
      const data = encoder.encode(lines.join("\n") + "\n");
      let off = 0;
      while (off < data.length) off += await file.write(data.subarray(off));
      await file.syncData();
    },
    /** The callbacks of the firing due at `due`. */
    call(due: number): void {
      if (due >= from) { for (const cb of callbacks) cb(due); }
    },
    async finish(): Promise<LatenessResult> {
      file.close();
      await Deno.remove(dir, { recursive: true });
      return result(late);
    },
  };
}

/** Nominal due time of a callback that fired at `t` for a schedule of period `periodMs`. */
function nominal(t: number, periodMs: number): number {
  // Nearest boundary: a peer that fires a little early shows a small negative lateness.
  return Math.round(t / periodMs) * periodMs;
}

/**
 * croner: one `new Cron("* * * * * *")` per job, in memory (its own timer per job).
 *
 * @example
 * ```ts
 * await cronerLateness({ jobs: 1000, seconds: 10 });
 * ```
 */
export async function cronerLateness(p: LatenessParams): Promise<LatenessResult> {
  const late: number[] = [];
  const start = nextSecond(1500);
  await sleep(start - Date.now() - 200);
  const jobs: Cron[] = [];
  for (let i = 0; i < p.jobs; i++) {
    jobs.push(
      new Cron("* * * * * *", { name: `tick-${i}` }, () => {
        const t = preciseNow();
        if (t >= start + 1500) late.push(t - nominal(t, 1000));
      }),
    );
  }
  await sleep(start + (p.seconds + 1) * 1000 + 300 - Date.now());
  for (const j of jobs) j.stop();
  return result(late);
}

/**
 * node-cron: one `cron.schedule("* * * * * *")` per job, in memory.
 *
 * @example
 * ```ts
 * await nodeCronLateness({ jobs: 1000, seconds: 10 });
 * ```
 */
export async function nodeCronLateness(p: LatenessParams): Promise<LatenessResult> {
  const late: number[] = [];
  const start = nextSecond(1500);
  await sleep(start - Date.now() - 200);
  const tasks = [];
  for (let i = 0; i < p.jobs; i++) {
    tasks.push(nodeCron.schedule("* * * * * *", () => {
      const t = preciseNow();
      if (t >= start + 1500) late.push(t - nominal(t, 1000));
    }, { name: `tick-${i}` }));
  }
  await sleep(start + (p.seconds + 1) * 1000 + 300 - Date.now());
  for (const t of tasks) await t.stop();
  return result(late);
}

/**
 * `Deno.cron` (needs `--unstable-cron`): minute resolution, so `jobs` crons on `* * * * *`
 * for `minutes` firings. Deno.cron has no stop(): the child process just exits.
 *
 * @example
 * ```ts
 * await denoCronLateness({ jobs: 100, minutes: 1 });
 * ```
 */
export async function denoCronLateness(
  p: { jobs: number; minutes: number },
): Promise<LatenessResult> {
  const late: number[] = [];
  const cron = (Deno as unknown as {
    cron?: (name: string, schedule: string, fn: () => void) => Promise<void>;
  }).cron;
  if (!cron) throw new Error("Deno.cron is not available (run with --unstable-cron)");
  const firstMinute = Math.ceil((Date.now() + 2000) / 60_000) * 60_000;
  let registered = 0;
  const errors: string[] = [];
  for (let i = 0; i < p.jobs; i++) {
    try {
      cron(`tick-${i}`, "* * * * *", () => {
        const t = preciseNow();
        if (t >= firstMinute - 1000) late.push(t - nominal(t, 60_000));
      }).catch(() => {});
      registered++;
    } catch (e) {
      errors.push(String(e));
      break;
    }
  }
  await sleep(firstMinute + (p.minutes - 1) * 60_000 + 2000 - Date.now());
  return result(late, { registered, error: errors[0] ?? null });
}
