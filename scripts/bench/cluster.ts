/**
 * Cluster bench: runs claimed and completed per second through 3 `kron server` nodes and 4
 * worker processes on no-op tasks (each worker knows the three nodes and runs 256 at once,
 * claiming up to 256 more ahead while runs wait (`prefetch`, as graphile-worker's localQueue):
 * batched claims shared among the nodes, outcomes batched), the due→claim latency of
 * scheduled runs (p50/p99), and on the same PostgreSQL for the same work pg-boss, per-job
 * (`work()` with batchSize 1) and batched (batchSize 64), and graphile-worker with the settings
 * of docs/benchmarks.md's durable-throughput scenario (concurrency 24, localQueue 500, its
 * per-job log lines off). Rates are on the database's clock: first claim to last completion
 * (graphile-worker's from statement-level triggers stamping its claim and completion
 * statements; pg-boss's from its started_on/completed_on, which include its inserts).
 *
 * Each durability setting gets its own throwaway PostgreSQL, `off` (fsync and
 * synchronous_commit off, the same for every system) then `on` (fsync, synchronous_commit and
 * full_page_writes on, as users deploy); one `cluster: durability=…` summary line each, the
 * `on` line last. The CPU each process group used per kron run is printed (PostgreSQL, the
 * nodes, the workers), and during the latency phase as % of a core, and the load average: the
 * machine may be shared, so only ratios of one run mean anything.
 *
 * Environment: BENCH_DURABILITY=off|on (one setting only), BENCH_WORKERS (4),
 * BENCH_CONCURRENCY (256), BENCH_PREFETCH (= concurrency), BENCH_KRON_ONLY=1 (skip the peers), BENCH_NO_PGBOSS=1 (skip pg-boss), BENCH_PG_STATS=1 (top
 * statements by database time, pg_stat_statements), BENCH_DEBUG=1 (the processes' last lines).
 *
 * Run: `deno run -A scripts/bench/cluster.ts [runs=20000]`
 *
 * @example
 * ```ts
 * // deno run -A scripts/bench/cluster.ts 20000
 * ```
 * @module
 */
import postgres from "postgres";
import { startPg } from "../../tests/cluster/_pg.ts";
import { type Node, spawn, startNode, TOKEN } from "../../tests/cluster/_helpers.ts";
import { graphileThroughput } from "./subjects/durable_peers.ts";

const N = Number(Deno.args[0] ?? 20_000);
// BENCH_PG_STATS=1 prints the statements that took the most database time (pg_stat_statements).
const PG_STATS = Boolean(Deno.env.get("BENCH_PG_STATS"));
// BENCH_DURABILITY=off|on runs one setting only (default: off, then on).
const ONLY = Deno.env.get("BENCH_DURABILITY");
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? 4);
const CONCURRENCY = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 256);
// Runs a worker may claim beyond its free slots while runs wait (KronWorker `prefetch`), as
// graphile-worker's localQueue below holds jobs beyond its concurrency.
const PREFETCH = Number(Deno.env.get("BENCH_PREFETCH") ?? CONCURRENCY);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  durable: boolean;
  kron: number;
  graphile: number;
  pgboss: number;
  p99: number;
  load: string;
}

/** CPU seconds (user + system) used so far by `pids` and their children. */
function cpuSeconds(pids: number[]): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const text = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(e.name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* gone */ }
  }
  const roots = new Set(pids);
  let ticks = 0;
  for (const [pid, st] of stats) {
    if (roots.has(pid) || roots.has(st.ppid)) ticks += st.ticks;
  }
  return ticks / 100;
}

function postmasterPid(dir: string): number {
  return Number(Deno.readTextFileSync(`${dir}/data/postmaster.pid`).split("\n")[0]);
}

const loadavg = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

async function benchOne(durable: boolean): Promise<Result> {
  const durability: Record<string, string> = durable
    ? { fsync: "on", synchronous_commit: "on", full_page_writes: "on" }
    : { fsync: "off", synchronous_commit: "off" };
  const pg = await startPg(
    PG_STATS
      ? {
        settings: {
          ...durability,
          shared_preload_libraries: "pg_stat_statements,auto_explain",
          "auto_explain.log_min_duration": "100",
          "auto_explain.log_analyze": "on",
          "auto_explain.log_nested_statements": "on",
        },
      }
      : { settings: durability },
  );
  const sql = postgres(pg.url, { onnotice: () => {}, max: 4 });
  const procs: { kill(s?: Deno.Signal): Promise<void> }[] = [];
  const label = `durability=${durable ? "on" : "off"}`;

  async function waitCount(
    query: string,
    target: number,
    timeoutMs = 120_000,
    done = (n: number) => n >= target,
  ): Promise<void> {
    const t0 = performance.now();
    for (;;) {
      const n = (await sql.unsafe(query))[0].n as number;
      if (done(n)) return;
      if (performance.now() - t0 > timeoutMs) throw new Error(`stuck at ${n}/${target}`);
      // Polled every 100 ms: counting is not free, and the bench should not load the database.
      await sleep(100);
    }
  }

  // Per statement: database time, calls, rows, WAL records / full-page images / bytes; then the
  // whole server's WAL and commits since the last reset, per `per` runs.
  async function printPgStats(per = 0): Promise<void> {
    const rows = await sql.unsafe(
      `SELECT calls, round(total_exec_time)::int AS ms, round(mean_exec_time::numeric, 3) AS mean,
       rows, wal_records, wal_fpi, wal_bytes::bigint AS wal_bytes,
       round(jit_generation_time + jit_inlining_time + jit_optimization_time
         + jit_emission_time)::int AS jit_ms,
       regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS q
     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.ms} ms  ${r.calls} calls  ${r.mean} ms/call  ${r.rows} rows  WAL ${r.wal_records} rec ${r.wal_fpi} fpi ${r.wal_bytes} B  JIT ${r.jit_ms} ms  ${r.q}`,
      );
    }
    const w = (await sql.unsafe(
      `SELECT w.wal_records, w.wal_fpi, w.wal_bytes::bigint AS wal_bytes,
         (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::bigint
           - $1::bigint AS commits,
         (SELECT sum(calls)::bigint FROM pg_stat_statements) AS statements
       FROM pg_stat_wal w`,
      [commits0],
    ))[0];
    if (per > 0) {
      const f = (x: unknown) => (Number(x) / per).toFixed(2);
      console.log(
        `  per run: WAL ${f(w.wal_records)} records, ${f(w.wal_fpi)} full pages, ${
          f(w.wal_bytes)
        } bytes; ${w.statements} statements and ${w.commits} commits in all (${
          (per / Number(w.commits)).toFixed(0)
        } runs a commit)`,
      );
    }
    await resetPgStats();
  }

  let commits0 = 0;
  async function resetPgStats(): Promise<void> {
    await sql.unsafe(`SELECT pg_stat_statements_reset()`);
    await sql.unsafe(`SELECT pg_stat_reset_shared('wal')`);
    commits0 = Number(
      (await sql.unsafe(
        `SELECT pg_stat_clear_snapshot(), (SELECT xact_commit FROM pg_stat_database
         WHERE datname = current_database()) AS n`,
      ))[0].n,
    );
  }

  try {
    if (PG_STATS) await sql.unsafe(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    // -------------------------------------------------------------- kron
    const nodes: Node[] = [];
    for (const id of ["n1", "n2", "n3"]) nodes.push(await startNode(pg.url, "bench", id));
    procs.push(...nodes);
    // Each worker knows every node: its claims and outcomes spread over the three.
    const urls = nodes.map((n) => n.url).join(",");
    const workers = Array.from(
      { length: WORKERS },
      () =>
        spawn([
          "scripts/bench/_cluster_worker.ts",
          "kron",
          urls,
          TOKEN,
          String(CONCURRENCY),
          String(PREFETCH),
        ]),
    );
    procs.push(...workers);
    await Promise.all(workers.map((w) => w.waitFor((l) => l === "ready", 30_000)));
    await fetch(`${nodes[0].url}/v1/jobs/noop`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ at: "2100-01-01T00:00:00Z", task: "noop", overlap: "allow" }),
    });
    const backlog = async (n: number, offset: number) => {
      await sql.unsafe(
        `INSERT INTO bench.run_queue (id, job, task, scheduled_at, idempotency_key, attempt,
         trigger, status, run_at)
       SELECT 'B' || lpad(g::text, 25, '0'), 'noop', 'noop', now(), 'noop:manual:' || g, 1,
         'manual', 'pending', now()
       FROM generate_series($1::int, $2::int) g`,
        [offset + 1, offset + n],
      );
      await sql.unsafe(`SELECT pg_notify('kron_bench', 'runs:0')`);
    };
    // Waiting for the runs left (the queue), not counting the successes (the whole history):
    // the bench's own polling must not eat the database's time.
    const left = `SELECT count(*)::int AS n FROM bench.run_queue`;
    const drained = (n: number) => n === 0;
    await backlog(2000, 0); // warm-up
    await waitCount(left, 0, 120_000, drained);
    if (PG_STATS) await resetPgStats();
    // Where the CPU goes while the timed runs are processed: PostgreSQL's processes, the
    // nodes (HTTP, JSON, SQL client) and the workers.
    const pgPid = postmasterPid(pg.dir);
    const groups = {
      postgres: [pgPid],
      nodes: nodes.map((n) => n.child.pid),
      workers: workers.map((w) => w.child.pid),
    };
    const cpu0 = Object.fromEntries(
      Object.entries(groups).map(([k, v]) => [k, cpuSeconds(v)]),
    );
    await backlog(N, 2000);
    await waitCount(left, 0, 120_000, drained);
    const cpu = Object.entries(groups).map(([k, v]) =>
      `${k} ${((cpuSeconds(v) - cpu0[k]) * 1e6 / N).toFixed(0)} µs`
    ).join(", ");
    // First claim to last completion of the timed runs, on the database's clock.
    const k = (await sql.unsafe(
      `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS n,
         extract(epoch FROM max(finished_at) - min(started_at))::float8 AS s
       FROM bench.runs WHERE id > $1`,
      ["B" + "2000".padStart(25, "0")],
    ))[0];
    const events = (await sql.unsafe(
      `SELECT count(*)::int AS n FROM bench.event_log WHERE type = 'RUN_SUCCEEDED'`,
    ))[0].n;
    const kronRate = N / k.s;
    if (PG_STATS) await printPgStats(N);
    if (Deno.env.get("BENCH_DEBUG")) {
      for (const w of [...workers, ...nodes]) console.log(w.lines.slice(-20).join("\n"));
    }
    console.log(
      `[${label}] kron: ${k.n} runs succeeded, first claim to last completion ${
        (k.s * 1000).toFixed(0)
      } ms = ${kronRate.toFixed(0)} runs/s (RUN_SUCCEEDED events: ${events}, expected ${
        N + 2000
      }; load ${loadavg()})`,
    );
    console.log(
      `[${label}] kron CPU per run (first insert to last completion seen): ${cpu}`,
    );

    // Due→claim latency: 300 every-1s jobs, their slots spread over the second (~300 runs/s).
    // Defined in parallel, starting well after the definitions are done; only slots due at
    // least 1 s after the last definition count (a slot that fell due before its job existed
    // is a catch-up, not scheduling latency).
    const JOBS = 300;
    const base = Date.now() + 5000;
    await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        fetch(`${nodes[i % 3].url}/v1/jobs/lat-${i}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({
            every: "1s",
            task: "noop",
            startAt: new Date(base + Math.floor((i * 1000) / JOBS)).toISOString(),
          }),
        }).then((r) => r.body?.cancel())),
    );
    const from = Math.max(base, Date.now()) + 1000;
    // The CPU the scheduled runs cost meanwhile (each node's long-polls are woken as they fall due).
    await sleep(Math.max(0, from - Date.now()));
    const lat0 = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, cpuSeconds(v)]));
    const latFrom = performance.now();
    await sleep(Math.max(0, base + 12_000 - Date.now()));
    const latS = (performance.now() - latFrom) / 1000;
    const latCpu = Object.entries(groups).map(([k, v]) =>
      `${k} ${((cpuSeconds(v) - lat0[k]) * 100 / latS).toFixed(0)}%`
    ).join(", ");
    const lat = (await sql.unsafe(
      `SELECT count(*)::int AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - run_at) * 1000) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - run_at) * 1000) AS p99,
       max(extract(epoch FROM started_at - run_at) * 1000) AS max
     FROM bench.runs WHERE job LIKE 'lat-%' AND started_at IS NOT NULL AND run_at > $1`,
      [new Date(from)],
    ))[0];
    console.log(
      `[${label}] kron due→claim over ${lat.n} scheduled runs (~${JOBS}/s): p50 ${
        Number(lat.p50).toFixed(1)
      } ms, p99 ${Number(lat.p99).toFixed(1)} ms, max ${
        Number(lat.max).toFixed(1)
      } ms; CPU meanwhile (% of a core, each group together): ${latCpu}`,
    );
    if (PG_STATS) {
      await printPgStats();
      const slow = await sql.unsafe(
        `SELECT job, trigger, created_at, run_at, started_at, worker,
         round(extract(epoch FROM started_at - run_at) * 1000) AS ms
       FROM bench.runs WHERE job LIKE 'lat-%' AND started_at IS NOT NULL AND run_at > $1
       ORDER BY started_at - run_at DESC LIMIT 8`,
        [new Date(from)],
      );
      for (const r of slow) {
        console.log(
          `  slow: ${r.ms} ms ${r.job} ${r.trigger} created ${r.created_at.toISOString()} due ${r.run_at.toISOString()} started ${r.started_at.toISOString()} by ${r.worker}`,
        );
      }
    }
    await Promise.all(procs.splice(0).map((p) => p.kill("SIGKILL")));

    // -------------------------------------------------------------- pg-boss
    // deno-lint-ignore no-import-prefix
    const mod = await import("npm:pg-boss@12.38.0") as Record<string, unknown>;
    // deno-lint-ignore no-explicit-any
    const PgBoss = (mod.PgBoss ?? mod.default) as any;
    const boss = new PgBoss({ connectionString: pg.url, max: 4 });
    boss.on("error", () => {});
    await boss.start();
    await boss.createQueue("noop");
    const rates: Record<string, number> = {};
    if (Deno.env.get("BENCH_KRON_ONLY")) {
      return {
        durable,
        kron: kronRate,
        graphile: NaN,
        pgboss: NaN,
        p99: Number(lat.p99),
        load: loadavg(),
      };
    }
    // BENCH_NO_PGBOSS=1 leaves pg-boss out (kron against graphile-worker only, ~40 s shorter).
    const bossModes = Deno.env.get("BENCH_NO_PGBOSS") ? [] : ["pgboss-job", "pgboss-batch"];
    for (const mode of bossModes) {
      // The per-job path is an order of magnitude slower: a smaller batch keeps the bench short.
      const n = mode === "pgboss-job" ? Math.min(N, 2000) : N;
      const ws = Array.from(
        { length: 8 },
        () => spawn(["scripts/bench/_cluster_worker.ts", mode, pg.url]),
      );
      procs.push(...ws);
      await Promise.all(ws.map((w) => w.waitFor((l) => l === "ready", 60_000)));
      await sql.unsafe(`DELETE FROM pgboss.job`);
      for (let i = 0; i < n; i += 1000) {
        await boss.insert(
          "noop",
          Array.from({ length: Math.min(1000, n - i) }, () => ({ data: {} })),
        );
      }
      await waitCount(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'completed'`,
        n,
        300_000,
      );
      const s = (await sql.unsafe(
        `SELECT extract(epoch FROM max(completed_on) - min(started_on))::float8 AS s
         FROM pgboss.job WHERE state = 'completed'`,
      ))[0].s as number;
      rates[mode] = n / s;
      console.log(
        `[${label}] ${mode}: ${n} jobs, first start to last completion ${
          (s * 1000).toFixed(0)
        } ms = ${rates[mode].toFixed(0)} jobs/s`,
      );
      await Promise.all(procs.splice(0).map((p) => p.kill("SIGKILL")));
    }
    await boss.stop({ graceful: false }).catch(() => {});
    // -------------------------------------------------------------- graphile-worker
    // graphile-worker runs in this process: its CPU is this process's and PostgreSQL's.
    const gPids = [postmasterPid(pg.dir), Deno.pid];
    if (PG_STATS) await resetPgStats();
    const gCpu0 = cpuSeconds(gPids);
    const graphile = await graphileThroughput({
      url: pg.url,
      runs: N,
      concurrency: 24,
      localQueue: 500,
      dbClock: true,
    });
    const gCpu = (cpuSeconds(gPids) - gCpu0) * 1e6 / N;
    if (PG_STATS) await printPgStats(N);
    console.log(
      `[${label}] graphile-worker: ${N} jobs = ${graphile.runsPerS} jobs/s (${graphile.settings}); ` +
        `CPU per job (enqueue included) PostgreSQL + its process ${gCpu.toFixed(0)} µs`,
    );
    console.log(
      `[${label}] kron / pg-boss per-job: ${(kronRate / rates["pgboss-job"]).toFixed(2)}x; ` +
        `kron / pg-boss batched: ${(kronRate / rates["pgboss-batch"]).toFixed(2)}x; ` +
        `kron / graphile-worker: ${(kronRate / graphile.runsPerS).toFixed(2)}x; load ${loadavg()}`,
    );
    return {
      durable,
      kron: kronRate,
      graphile: graphile.runsPerS,
      pgboss: rates["pgboss-batch"] ?? NaN,
      p99: Number(lat.p99),
      load: loadavg(),
    };
  } finally {
    await Promise.all(procs.map((p) => p.kill("SIGKILL")));
    await sql.end();
    // The slow statements' plans (auto_explain) stay in /tmp/kron-bench-pg.log.
    if (PG_STATS) await Deno.copyFile(`${pg.dir}/log`, "/tmp/kron-bench-pg.log").catch(() => {});
    await pg.destroy();
  }
}

const t0 = performance.now();
const results: Result[] = [];
for (const durable of [false, true]) {
  if (ONLY && ONLY !== (durable ? "on" : "off")) continue;
  results.push(await benchOne(durable));
}
console.log(
  `bench: ${N} runs, ${WORKERS} kron workers × concurrency ${CONCURRENCY} (prefetch ${PREFETCH}), 3 nodes; ` +
    `${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()}`,
);
for (const r of results) {
  console.log(
    `cluster: durability=${r.durable ? "on" : "off"} kron_runs_per_s=${r.kron.toFixed(1)} ` +
      `graphile_runs_per_s=${r.graphile.toFixed(1)} pgboss_runs_per_s=${r.pgboss.toFixed(1)} ` +
      `due_claim_p99_ms=${r.p99.toFixed(1)}`,
  );
}
Deno.exit(0);
