// A node claims on a pool of its own whose sessions start with the claim's planner settings
// (_claim_run.ts): one statement per claim instead of a transaction that sets them. Concurrent
// claimers on it still take each run once, in due order, with tokens that only grow; the
// settings stay on the claim pool's sessions (the node's other statements plan as usual); and
// a database that refuses a setting at connection still gets its claims, through the
// transaction. Batch completions prepared on that pool fence each run on its token as before.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { connect, type Sql, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { claimRunsJson, completeRuns } from "../../src/cluster/claims.ts";
import { CLAIM_SETTINGS } from "../../src/cluster/_claim_run.ts";
import type { Tables } from "../../src/cluster/jobs.ts";

async function insertRuns(sql: Sql, t: Tables, task: string, n: number): Promise<void> {
  await sql.unsafe(
    `INSERT INTO ${t.queue} (id, job, task, scheduled_at, idempotency_key, attempt, trigger,
       status, run_at)
     SELECT $1 || lpad(g::text, 6, '0'), 'j', $1, now(), $1 || ':' || g, 1, 'manual', 'pending',
       now() - interval '10 s' + g * interval '1 ms'
     FROM generate_series(1, $2::int) g`,
    [task, n],
  );
}

const options = (task: string, max: number) => ({
  tasks: [task],
  max,
  leaseMs: 30_000,
  worker: "w",
});

Deno.test({
  name: "cluster: claims on a pool whose sessions carry the claim's planner settings",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPg();
    const sql = postgres(pg.url, { onnotice: () => {}, max: 4 });
    const tuned = connect(pg.url, { max: 3, settings: CLAIM_SETTINGS });
    const refusing = connect(pg.url, {
      max: 1,
      settings: { ...CLAIM_SETTINGS, kron_no_such_setting: "on" },
    });
    try {
      const s = tables("cpool");
      await migrate(sql, s.schema);

      await t.step("concurrent claimers take each run once, in due order", async () => {
        await insertRuns(sql, s, "work", 120);
        const batches = await Promise.all(
          [0, 1, 2, 3].map(() => claimRunsJson(sql, s, options("work", 40), tuned)),
        );
        const ids = batches.flat().map((r) => r.runId);
        assertEquals(ids.length, 120);
        assertEquals(new Set(ids).size, 120);
        for (const b of batches) {
          const order = b.map((r) => r.runId);
          assertEquals(order, [...order].sort());
        }
        const tokens = batches.flat().map((r) => r.fencingToken);
        assertEquals(new Set(tokens).size, 120);
        const rows = await sql.unsafe(
          `SELECT count(*)::int AS n FROM ${s.queue}
           WHERE task = 'work' AND status = 'running' AND fencing_token IS NOT NULL`,
        );
        assertEquals(rows[0].n, 120);
        // A later claim's tokens are above every earlier one.
        await insertRuns(sql, s, "more", 5);
        const later = await claimRunsJson(sql, s, options("more", 10), tuned);
        assertEquals(later.length, 5);
        assert(Math.min(...later.map((r) => r.fencingToken)) > Math.max(...tokens));
      });

      await t.step("the settings stay on the claim pool's sessions", async () => {
        const [claimSide] = await tuned.unsafe(
          `SELECT current_setting('plan_cache_mode') AS mode,
             current_setting('enable_seqscan') AS seqscan`,
        );
        assertEquals({ ...claimSide }, { mode: "force_generic_plan", seqscan: "off" });
        const [other] = await sql.unsafe(
          `SELECT current_setting('plan_cache_mode') AS mode,
             current_setting('enable_seqscan') AS seqscan`,
        );
        assertEquals({ ...other }, { mode: "auto", seqscan: "on" });
      });

      await t.step(
        "batch completions on the claim pool: each run fenced on its token",
        async () => {
          await insertRuns(sql, s, "done", 6);
          const runs = await claimRunsJson(sql, s, options("done", 10), tuned);
          assertEquals(runs.length, 6);
          const [a, b, c, d] = runs;
          // Several batches: from the sixth call a prepared statement may be planned generically.
          for (let i = 0; i < 6; i++) {
            const { rejected } = await completeRuns(sql, s, [
              { runId: "01ARZ3NDEKTSV4RRFFQ69G5FZZ", fencingToken: 1 },
            ], tuned);
            assertEquals([...rejected], ["01ARZ3NDEKTSV4RRFFQ69G5FZZ"]);
          }
          const { rejected } = await completeRuns(sql, s, [
            { runId: a.runId, fencingToken: a.fencingToken },
            { runId: b.runId, fencingToken: b.fencingToken + 1000 },
            { runId: c.runId, fencingToken: c.fencingToken + 1000 },
            { runId: c.runId, fencingToken: c.fencingToken },
            { runId: d.runId, fencingToken: d.fencingToken },
          ], tuned);
          assertEquals([...rejected].sort(), [b.runId, c.runId].sort());
          const finished = await sql.unsafe(
            `SELECT id FROM ${s.history} WHERE status = 'succeeded' AND done_seq IS NOT NULL`,
          );
          assertEquals(finished.map((r) => r.id).sort(), [a.runId, d.runId].sort());
          // A completion repeated after it was accepted is refused (the run is no longer open).
          const again = await completeRuns(sql, s, [
            { runId: a.runId, fencingToken: a.fencingToken },
          ], tuned);
          assertEquals([...again.rejected], [a.runId]);
          const open = await sql.unsafe(
            `SELECT id FROM ${s.queue} WHERE task = 'done' ORDER BY id`,
          );
          assertEquals(
            open.map((r) => r.id),
            [b.runId, c.runId, runs[4].runId, runs[5].runId].sort(),
          );
        },
      );

      await t.step("a database that refuses a setting still gets its claims", async () => {
        await insertRuns(sql, s, "plain", 7);
        const first = await claimRunsJson(sql, s, options("plain", 3), refusing);
        const second = await claimRunsJson(sql, s, options("plain", 10), refusing);
        assertEquals(first.length, 3);
        assertEquals(second.length, 4);
        assertEquals(new Set([...first, ...second].map((r) => r.runId)).size, 7);
        const { rejected } = await completeRuns(sql, s, [
          { runId: first[0].runId, fencingToken: Number(first[0].fencingToken) },
          { runId: first[1].runId, fencingToken: Number(first[1].fencingToken) + 1 },
        ], refusing);
        assertEquals([...rejected], [first[1].runId]);
      });
    } finally {
      await Promise.all([sql.end(), tuned.end(), refusing.end()]);
      await pg.destroy();
    }
  },
});
