// What a claim + batch completion costs per batch and per run: one node (`kron server`), one
// client claiming B runs (`POST /v1/claim`, no per-run headers) and completing them
// (`POST /v1/complete`) until N runs are done, durability on (fsync, synchronous_commit). Prints
// the CPU time per run of the node and of PostgreSQL's processes (every `postgres` process on
// the machine: run it alone) and the wall time per run, at B = 25 and 250, twice; the fixed
// cost of a claim + completion pair is (per run at 25 − per run at 250) / (1/25 − 1/250).
// Then the statements' mean planning and execution times (pg_stat_statements).
// Usage: deno run -A scripts/dev/claim_batch_probe.ts   (docs/cluster.md, throughput)
import postgres from "postgres";
import { startNode, TOKEN } from "../../tests/cluster/_helpers.ts";
import { startPg } from "../../tests/cluster/_pg.ts";

function ticks(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}
const nodeTicks = (pid: number) => ticks(Deno.readTextFileSync(`/proc/${pid}/stat`));
function postgresTicks(): number {
  let sum = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (stat.includes("(postgres)")) sum += ticks(stat);
    } catch { /* gone */ }
  }
  return sum;
}

const pg = await startPg({
  settings: {
    fsync: "on",
    synchronous_commit: "on",
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track_planning": "on",
  },
});
const sql = postgres(pg.url, { onnotice: () => {} });
const node = await startNode(pg.url, "probe", "n1");
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
await fetch(`${node.url}/v1/jobs/noop`, {
  method: "PUT",
  headers,
  body: JSON.stringify({ at: "2100-01-01T00:00:00Z", task: "noop", overlap: "allow" }),
});
await sql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

let inserted = 0;
async function round(batch: number, runs: number) {
  await sql.unsafe(
    `INSERT INTO probe.run_queue (id, job, task, scheduled_at, idempotency_key, attempt, trigger,
       status, run_at)
     SELECT 'B' || lpad(g::text, 25, '0'), 'noop', 'noop', now(), 'noop:manual:' || g, 1,
       'manual', 'pending', now()
     FROM generate_series($1::int, $2::int) g`,
    [inserted + 1, inserted + runs],
  );
  inserted += runs;
  const node0 = nodeTicks(node.child.pid);
  const pg0 = postgresTicks();
  const t0 = performance.now();
  for (let done = 0; done < runs;) {
    const claimed = await (await fetch(`${node.url}/v1/claim`, {
      method: "POST",
      headers: { ...headers, "x-kron-run-headers": "none" },
      body: JSON.stringify({ tasks: ["noop"], max: batch, worker: "probe" }),
    })).json() as { runId: string; fencingToken: number }[];
    await (await fetch(`${node.url}/v1/complete`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        runs: claimed.map((r) => ({ runId: r.runId, fencingToken: r.fencingToken })),
      }),
    })).json();
    done += claimed.length;
  }
  const us = (t: number) => (t * 1e4 / runs).toFixed(1); // ticks are 10 ms
  console.log(
    `batch ${batch}: node ${us(nodeTicks(node.child.pid) - node0)} µs, postgres ${
      us(postgresTicks() - pg0)
    } µs, wall ${((performance.now() - t0) * 1e3 / runs).toFixed(1)} µs a run`,
  );
}

try {
  await round(250, 4000); // warm-up
  await sql.unsafe("SELECT pg_stat_statements_reset()");
  for (let i = 0; i < 2; i++) {
    await round(25, 5000);
    await round(250, 20000);
  }
  const rows = await sql.unsafe(
    `SELECT calls, round(mean_plan_time::numeric, 3) AS plan_ms,
       round(mean_exec_time::numeric, 3) AS exec_ms,
       regexp_replace(left(query, 60), '\\s+', ' ', 'g') AS q
     FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 4`,
  );
  for (const r of rows) {
    console.log(`  ${r.calls} calls, plan ${r.plan_ms} ms, execute ${r.exec_ms} ms: ${r.q}`);
  }
} finally {
  await sql.end();
  await node.kill();
  await pg.destroy();
}
