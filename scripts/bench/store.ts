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
import { FileStore, type KronEvent } from "../../src/store/mod.ts";
import { encodeRecord } from "../../src/store/_record.ts";
import { definedEvent, job, JOBS, runEvent } from "./_log_events.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const RESTART_EVENTS = arg("events", 1_000_000);
const GROUP_EVENTS = arg("group-events", 200_000);
const SINGLE_EVENTS = arg("single-events", 2_000);
const base = Deno.args[0] === "--open"
  ? ""
  : Deno.args.includes("--dir")
  ? Deno.args[Deno.args.indexOf("--dir") + 1]
  : await Deno.makeTempDir({ prefix: "kron-bench-" });

// Child mode: open (and maybe compact) a data dir, print timings as JSON, exit.
if (Deno.args[0] === "--open") {
  const store = new FileStore({ dataDir: Deno.args[1], compactBytes: Infinity });
  const t = performance.now();
  const { state, report } = await store.open();
  const openMs = performance.now() - t;
  const out: Record<string, number> = { openMs, replayed: report.replayed };
  if (Deno.args.includes("--compact")) {
    const t1 = performance.now();
    await store.compact(state);
    out.compactMs = performance.now() - t1;
    out.snapshotBytes = store.lastCompaction!.snapshotBytes;
    out.runs = store.lastCompaction!.runs;
    // A little tail after the snapshot, as a real restart has.
    let last: Promise<void> | null = null;
    for (let i = 0; i < 10_000; i++) last = store.append(runEvent(2_000_000 + i));
    await last;
  } else {
    const t2 = performance.now();
    await store.history(job(7), { limit: 20 });
    out.historyMs = performance.now() - t2;
  }
  await store.close();
  console.log(JSON.stringify(out));
  Deno.exit(0);
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

// 5. Restart with 1M events, without and with a snapshot. Each restart is a fresh process
// (`--open <dir>`), as a real restart is: the heap left over from the writing phase would
// slow the replay's garbage collection. Median of 3.
async function restart(dataDir: string, compact = false): Promise<Record<string, number>> {
  const runs: Record<string, number>[] = [];
  for (let k = 0; k < (compact ? 1 : 3); k++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--open",
        dataDir,
        ...(compact ? ["--compact"] : []),
      ],
      stderr: "inherit",
    }).output();
    runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  runs.sort((a, b) => a.openMs - b.openMs);
  return runs[Math.floor(runs.length / 2)];
}

{
  const dataDir = await fresh("restart");
  const store = new FileStore({ dataDir, durability: "none", compactBytes: Infinity });
  await store.open();
  const t = performance.now();
  for (let j = 0; j < JOBS; j++) void store.append(definedEvent(j));
  for (let i = 0; i < RESTART_EVENTS - JOBS; i += 10_000) {
    let last: Promise<void> | null = null;
    for (let k = i; k < Math.min(i + 10_000, RESTART_EVENTS - JOBS); k++) {
      last = store.append(runEvent(k));
    }
    await last;
  }
  await store.flush();
  const writeS = (performance.now() - t) / 1000;
  const logBytes = store.stats.bytes;
  await store.close();
  // On disk, as after a real run (else the snapshot's fsync pays for this writeback).
  for await (const e of Deno.readDir(`${dataDir}/log`)) {
    const f = await Deno.open(`${dataDir}/log/${e.name}`, { read: true });
    await f.sync();
    f.close();
  }
  row(
    `write ${fmt(RESTART_EVENTS)} events (durability none, bursts of 10k, events made inline)`,
    `${fmt(RESTART_EVENTS / writeS)} events/s`,
    `${(logBytes / 2 ** 20).toFixed(0)} MiB log`,
  );
  const cold = await restart(dataDir);
  row(
    `restart, ${fmt(cold.replayed)} events, no snapshot`,
    `${(cold.openMs / 1000).toFixed(2)} s`,
    `${fmt(cold.replayed / cold.openMs * 1000)} events/s replayed (median of 3 processes)`,
  );
  const c = await restart(dataDir, true);
  row(
    "compaction of that log (snapshot + drop segments)",
    `${(c.compactMs / 1000).toFixed(2)} s`,
    `snapshot ${(c.snapshotBytes / 2 ** 20).toFixed(1)} MiB, ${fmt(c.runs)} runs of history`,
  );
  const warm = await restart(dataDir);
  row(
    `restart with snapshot (+${fmt(warm.replayed)} events after it)`,
    `${(warm.openMs / 1000).toFixed(2)} s`,
    "median of 3 processes",
  );
  row("history(job, 20) after that restart", `${warm.historyMs.toFixed(1)} ms`, "");
}

console.log(
  `\n### kron store benchmark (${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno})\n`,
);
console.log("| measure | result | notes |");
console.log("|---|---|---|");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
if (!Deno.args.includes("--dir")) await Deno.remove(base, { recursive: true });
