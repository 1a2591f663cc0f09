/**
 * Scenario 3, durable throughput of no-op runs through the real engine, every run's start
 * (RUN_STARTED, durable before the callback) and end (RUN_SUCCEEDED) logged with
 * `durability: "fsync"`; plus the disk's raw fdatasync rate (the floor of scenario 6).
 *
 * Runs are started with `engine.trigger()` by `producers` concurrent loops over `jobs` jobs
 * (`overlap: "allow"`); a run counts once its RUN_SUCCEEDED is durable (seen by `onEvent`).
 * `producers: 1` and `sequential: true` is the fsync-per-event mode: one run at a time, each
 * event in its own commit.
 *
 * @example
 * ```ts
 * import { kronThroughput } from "./throughput.ts";
 * await kronThroughput({ runs: 10_000, jobs: 1000, producers: 1000 });
 * ```
 * @module
 */
import { Engine } from "../../../src/engine/engine.ts";
import { FileStore } from "../../../src/store/mod.ts";

/** Parameters of a kron throughput run. */
export interface ThroughputParams {
  runs: number;
  jobs: number;
  producers: number;
  /** Wait for each run's end before starting the next (fsync per event). */
  sequential?: boolean;
}

/**
 * Durable no-op runs per second through the engine.
 *
 * @example
 * ```ts
 * await kronThroughput({ runs: 2000, jobs: 1, producers: 1, sequential: true });
 * ```
 */
export async function kronThroughput(p: ThroughputParams): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-tp-" });
  const store = new FileStore({ dataDir: dir, durability: "fsync", compactBytes: Infinity });
  const engine = new Engine({ store });
  const names = Array.from({ length: p.jobs }, (_, i) => `noop-${i}`);
  for (const name of names) {
    engine.define(name, { every: "24h", overlap: "allow" }, () => {});
  }
  await engine.start();
  let succeeded = 0;
  let waiter: (() => void) | null = null;
  let target = p.runs;
  engine.onEvent((e) => {
    if (e.type === "RUN_SUCCEEDED" && ++succeeded >= target && waiter) waiter();
  });
  const until = (n: number) =>
    new Promise<void>((resolve) => {
      target = n;
      if (succeeded >= n) resolve();
      else waiter = resolve;
    });
  const syncs0 = store.stats.syncs;
  const t0 = performance.now();
  if (p.sequential) {
    for (let i = 0; i < p.runs; i++) {
      await engine.trigger(names[i % names.length]);
      await until(i + 1);
    }
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: p.producers }, async () => {
      while (next < p.runs) await engine.trigger(names[next++ % names.length]);
    }));
    await until(p.runs);
  }
  const s = (performance.now() - t0) / 1000;
  const syncs = store.stats.syncs - syncs0;
  await engine.shutdown();
  await Deno.remove(dir, { recursive: true });
  return {
    runs: p.runs,
    runsPerS: Math.round(p.runs / s),
    fsyncs: syncs,
    eventsPerFsync: Number((2 * p.runs / syncs).toFixed(1)),
  };
}

/**
 * The disk's floor: sequential `write(record) + fdatasync` rate, and the latency of one
 * 1,000-record (~330 KB) write + fdatasync.
 *
 * @example
 * ```ts
 * await fsyncFloor({ ops: 1000 });
 * ```
 */
export async function fsyncFloor(p: { ops: number }): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-fsync-" });
  const file = await Deno.open(`${dir}/f`, { create: true, write: true, append: true });
  const small = new TextEncoder().encode("x".repeat(330) + "\n");
  const t0 = performance.now();
  for (let i = 0; i < p.ops; i++) {
    await file.write(small);
    await file.syncData();
  }
  const s = (performance.now() - t0) / 1000;
  const big = new Uint8Array(331 * 1000).fill(0x78);
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    let off = 0;
    while (off < big.length) off += await file.write(big.subarray(off));
    await file.syncData();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  file.close();
  await Deno.remove(dir, { recursive: true });
  return {
    fsyncsPerS: Math.round(p.ops / s),
    fsyncUs: Math.round(s * 1e6 / p.ops),
    batch1000Ms: Number(lat[lat.length >> 1].toFixed(3)),
  };
}
