/**
 * Scenario 4, recovery: write a log of `events` events (1,000 job definitions, then runs as
 * RUN_STARTED/RUN_SUCCEEDED pairs), then open it in a fresh process as a restart does, with
 * and without a snapshot.
 *
 * @example
 * ```ts
 * import { openLog, writeLog } from "./recovery.ts";
 * const { dir } = await writeLog({ events: 100_000 });
 * await openLog({ dir }); // { openMs, replayed }
 * ```
 * @module
 */
import { FileStore } from "../../../src/store/mod.ts";
import { definedEvent, JOBS, runEvent } from "../_log_events.ts";

/**
 * Writes a data dir with `events` events (durability "none", then one fsync of each segment,
 * so the restart reads a log that is on disk as after a real run).
 *
 * @example
 * ```ts
 * await writeLog({ events: 10_000 });
 * ```
 */
export async function writeLog(
  p: { events: number; dir?: string },
): Promise<{ dir: string; bytes: number; writeMs: number }> {
  const dir = p.dir ?? await Deno.makeTempDir({ prefix: "kron-bench-rec-" });
  const store = new FileStore({ dataDir: dir, durability: "none", compactBytes: Infinity });
  await store.open();
  const t = performance.now();
  for (let j = 0; j < JOBS; j++) void store.append(definedEvent(j));
  for (let i = 0; i < p.events - JOBS; i += 10_000) {
    let last: Promise<void> | null = null;
    for (let k = i; k < Math.min(i + 10_000, p.events - JOBS); k++) {
      last = store.append(runEvent(k));
    }
    await last;
  }
  await store.flush();
  const writeMs = performance.now() - t;
  const bytes = store.stats.bytes;
  await store.close();
  for await (const e of Deno.readDir(`${dir}/log`)) {
    const f = await Deno.open(`${dir}/log/${e.name}`, { read: true });
    await f.sync();
    f.close();
  }
  return { dir, bytes, writeMs: Math.round(writeMs) };
}

/**
 * Opens (recovers) the data dir and reports the time; with `compact`, then writes a snapshot
 * and a 10,000-event tail after it (as a real restart has), for the next open to use.
 *
 * @example
 * ```ts
 * await openLog({ dir: "/tmp/x", compact: true });
 * ```
 */
export async function openLog(
  p: { dir: string; compact?: boolean },
): Promise<Record<string, number>> {
  const store = new FileStore({ dataDir: p.dir, compactBytes: Infinity });
  const t = performance.now();
  const { state, report } = await store.open();
  const out: Record<string, number> = {
    openMs: Number((performance.now() - t).toFixed(1)),
    replayed: report.replayed,
    jobs: state.jobs.size,
  };
  if (p.compact) {
    const t1 = performance.now();
    await store.compact(state);
    out.compactMs = Math.round(performance.now() - t1);
    out.snapshotBytes = store.lastCompaction!.snapshotBytes;
    let last: Promise<void> | null = null;
    for (let i = 0; i < 10_000; i++) last = store.append(runEvent(2_000_000 + i));
    await last;
  }
  await store.close();
  return out;
}
