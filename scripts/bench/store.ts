/**
 * Store benchmark: durable events/s with group commit vs fsync-per-event, how group commit
 * batches under each flush scheduling, bytes per run, and restart time with 1M events without
 * and with a snapshot. Prints a markdown table.
 *
 *     deno run -A scripts/bench/store.ts [--events 1000000] [--dir /tmp/x]
 *
 * @example
 * ```ts
 * // deno run -A scripts/bench/store.ts --events 200000
 * ```
 * @module
 */
import { apply, FileStore, type KronEvent } from "../../src/store/mod.ts";
import { encodeRecord } from "../../src/store/_record.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const RESTART_EVENTS = arg("events", 1_000_000);
const GROUP_EVENTS = arg("group-events", 200_000);
const SINGLE_EVENTS = arg("single-events", 2_000);
const JOBS = 1000;
const base = Deno.args.includes("--dir")
  ? Deno.args[Deno.args.indexOf("--dir") + 1]
  : await Deno.makeTempDir({ prefix: "kron-bench-" });

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function ulid(i: number): string {
  let s = "";
  for (let k = 0, n = i * 2654435761; k < 26; k++, n = Math.floor(n / 7) + k * 31) {
    s += ULID_CHARS[n % 32];
  }
  return "01J" + s.slice(3);
}
function job(i: number): string {
  return `job-${String(i % JOBS).padStart(4, "0")}.sync`;
}
function definedEvent(i: number): KronEvent {
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
      runId: ulid(run),
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
    runId: ulid(run),
    attempt: 1,
    durationMs: 420,
    exitCode: 0,
  };
}

const rows: [string, string, string][] = [];
const row = (what: string, value: string, note = "") => {
  rows.push([what, value, note]);
  console.error(`  ${what}: ${value} ${note}`);
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function fresh(name: string): Promise<string> {
  const dir = `${base}/${name}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return dir;
}

// Events are made before each timed section, so that the numbers are the store's alone.
const pool = Array.from({ length: Math.max(GROUP_EVENTS, SINGLE_EVENTS) }, (_, i) => runEvent(i));
const copy = (i: number): KronEvent => ({ ...pool[i] });

// 1. fsync per event: await each append before the next.
let single = 0;
{
  const store = new FileStore({ dataDir: await fresh("single"), compactBytes: Infinity });
  await store.open();
  const events = Array.from({ length: SINGLE_EVENTS }, (_, i) => copy(i));
  const t = performance.now();
  for (let i = 0; i < SINGLE_EVENTS; i++) await store.append(events[i]);
  const s = (performance.now() - t) / 1000;
  await store.close();
  single = SINGLE_EVENTS / s;
  row(
    "fsync per event (await each append)",
    `${fmt(single)} events/s`,
    `${(s * 1e6 / SINGLE_EVENTS).toFixed(0)} µs/event`,
  );
}

// 2. Group commit: many producers, each awaiting its own append (durability fsync).
for (const producers of [1000, 100]) {
  for (const flushOn of ["microtask", "macrotask"] as const) {
    const store = new FileStore({
      dataDir: await fresh(`group-${producers}-${flushOn}`),
      flushOn,
      compactBytes: Infinity,
    });
    await store.open();
    const events = Array.from({ length: GROUP_EVENTS }, (_, i) => copy(i));
    let next = 0;
    const t = performance.now();
    await Promise.all(Array.from({ length: producers }, async () => {
      while (next < GROUP_EVENTS) await store.append(events[next++]);
    }));
    const s = (performance.now() - t) / 1000;
    const st = store.stats;
    await store.close();
    row(
      `group commit, ${producers} producers, flush on ${flushOn}`,
      `${fmt(GROUP_EVENTS / s)} events/s`,
      `${(GROUP_EVENTS / s / single).toFixed(0)}× fsync-per-event; ${fmt(st.syncs)} fsyncs, ${
        (st.events / st.batches).toFixed(0)
      } events/batch`,
    );
  }
}

// 3. Producers woken by separate macrotasks (timers), as engine timers and I/O completions are.
for (const flushOn of ["microtask", "macrotask"] as const) {
  const store = new FileStore({
    dataDir: await fresh(`timers-${flushOn}`),
    flushOn,
    compactBytes: Infinity,
  });
  await store.open();
  const N = 20_000;
  const events = Array.from({ length: N }, (_, i) => copy(i));
  let done = 0;
  const t = performance.now();
  await new Promise<void>((resolve) => {
    for (let i = 0; i < N; i++) {
      setTimeout(() => store.append(events[i]).then(() => ++done === N && resolve()), 0);
    }
  });
  const s = (performance.now() - t) / 1000;
  const st = store.stats;
  await store.close();
  row(
    `${fmt(N)} appends from separate timer callbacks, flush on ${flushOn}`,
    `${fmt(N / s)} events/s`,
    `${fmt(st.batches)} batches, ${(st.events / st.batches).toFixed(0)} events/batch`,
  );
}

// 4. Bytes per run (RUN_STARTED + RUN_SUCCEEDED), at a realistic seq.
{
  const a = encodeRecord({ ...runEvent(2 * 123456), seq: 987654 });
  const b = encodeRecord({ ...runEvent(2 * 123456 + 1), seq: 987655 });
  const bytes = new TextEncoder().encode(a + "\n" + b + "\n").length;
  row(
    "bytes per run (RUN_STARTED + RUN_SUCCEEDED)",
    `${bytes} B`,
    `${bytes - 2 - b.length} + ${b.length + 1}`,
  );
  console.error("  example line: " + b);
}

// 5. Restart with 1M events, without and with a snapshot.
{
  const dataDir = await fresh("restart");
  const store = new FileStore({ dataDir, durability: "none", compactBytes: Infinity });
  const { state } = await store.open();
  const t = performance.now();
  for (let j = 0; j < JOBS; j++) {
    const e = definedEvent(j);
    void store.append(e);
    apply(state, e);
  }
  for (let i = 0; i < RESTART_EVENTS - JOBS; i += 10_000) {
    const ps: Promise<void>[] = [];
    for (let k = i; k < Math.min(i + 10_000, RESTART_EVENTS - JOBS); k++) {
      const e = runEvent(k);
      ps.push(store.append(e));
      apply(state, e);
    }
    await ps[ps.length - 1];
  }
  await store.flush();
  const writeS = (performance.now() - t) / 1000;
  const logBytes = store.stats.bytes;
  await store.close();
  row(
    `write ${fmt(RESTART_EVENTS)} events (durability none, bursts of 10k)`,
    `${fmt(RESTART_EVENTS / writeS)} events/s`,
    `${(logBytes / 2 ** 20).toFixed(0)} MiB log`,
  );

  for (let k = 0; k < 2; k++) {
    const s = new FileStore({ dataDir, compactBytes: Infinity });
    const t1 = performance.now();
    const r = await s.open();
    const ms = performance.now() - t1;
    if (k === 1) {
      row(
        `restart, ${fmt(r.report.replayed)} events, no snapshot`,
        `${(ms / 1000).toFixed(2)} s`,
        `${fmt(r.report.replayed / ms * 1000)} events/s replayed`,
      );
    }
    if (r.state.jobs.size !== JOBS) throw new Error("bad replay");
    if (k === 1) {
      const t2 = performance.now();
      await s.compact(r.state);
      row(
        "compaction (snapshot + drop segments)",
        `${((performance.now() - t2) / 1000).toFixed(2)} s`,
        `snapshot ${(s.lastCompaction!.snapshotBytes / 2 ** 20).toFixed(1)} MiB, ${
          fmt(s.lastCompaction!.runs)
        } runs of history`,
      );
      // A little tail after the snapshot, as a real restart has.
      for (let i = 0; i < 10_000; i++) void s.append(runEvent(RESTART_EVENTS + i));
    }
    await s.close();
  }
  for (let k = 0; k < 2; k++) {
    const s = new FileStore({ dataDir, compactBytes: Infinity });
    const t1 = performance.now();
    const r = await s.open();
    const ms = performance.now() - t1;
    if (k === 1) {
      row(
        `restart with snapshot (+${fmt(r.report.replayed)} events after it)`,
        `${(ms / 1000).toFixed(2)} s`,
      );
      const t3 = performance.now();
      const h = await s.history(job(7), { limit: 20 });
      row(
        "history(job, 20) after restart",
        `${(performance.now() - t3).toFixed(1)} ms`,
        `${h.length} runs`,
      );
    }
    await s.close();
  }
}

console.log(
  `\n### kron store benchmark (${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno})\n`,
);
console.log("| measure | result | notes |");
console.log("|---|---|---|");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
if (!Deno.args.includes("--dir")) await Deno.remove(base, { recursive: true });
