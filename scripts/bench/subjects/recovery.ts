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
import { FileStore, type KronEvent } from "../../../src/store/mod.ts";

const JOBS = 1000;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function runId(i: number): string {
  let s = "01J";
  for (let k = 0, n = i * 2654435761; k < 23; k++, n = Math.floor(n / 7) + k * 31) {
    s += ULID_CHARS[n % 32];
  }
  return s;
}

function job(i: number): string {
  return `job-${String(i % JOBS).padStart(4, "0")}.sync`;
}

function defined(i: number): KronEvent {
  const t = new Date(T0).toISOString();
  return {
    type: "JOB_DEFINED",
    time: t,
    job: job(i),
    def: {
      kind: "command",
      schedule: { cron: "*/5 * * * *", timezone: "Europe/Rome" },
      policy: {
        timeoutMs: 300000,
        retries: 2,
        retryDelayMs: 1000,
        retryMaxDelayMs: 3600000,
        overlap: "skip",
        onError: "continue",
        maxFailures: 3,
        misfire: "run_once",
        misfireGraceMs: 3600000,
        jitterMs: 0,
        historyLimit: 200,
      },
      description: "sync the thing",
      command: ["rsync", "-a", "/src", "/dst"],
      envNames: ["TOKEN"],
      envHash: "9f86d081884c7d65",
    },
    defHash: "2c26b46b68ffc68f",
    anchorAt: t,
    paused: false,
  };
}

/** Event `i` of a run-pair stream: even = RUN_STARTED, odd = RUN_SUCCEEDED. */
function runEvent(i: number): KronEvent {
  const run = i >> 1;
  const j = job(run);
  const at = new Date(T0 + run * 1000).toISOString();
  if ((i & 1) === 0) {
    return {
      type: "RUN_STARTED",
      time: at,
      job: j,
      runId: runId(run),
      attempt: 1,
      scheduledAt: at,
      idempotencyKey: `${j}:${at}`,
      trigger: "schedule",
      jitterMs: 0,
    };
  }
  return {
    type: "RUN_SUCCEEDED",
    time: new Date(T0 + run * 1000 + 420).toISOString(),
    job: j,
    runId: runId(run),
    attempt: 1,
    durationMs: 420,
    exitCode: 0,
  };
}

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
  for (let j = 0; j < JOBS; j++) void store.append(defined(j));
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
