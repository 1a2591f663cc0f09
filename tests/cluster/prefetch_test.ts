// A worker with `prefetch` claims beyond its free slots while runs wait and holds the extra
// runs until a slot frees: it never runs more than `concurrency` at once, each run runs once
// and is accepted with its token, a held run starts well after its claim, and the leases of
// held runs are kept by heartbeats (a lease of 600 ms, runs held up to ~1.2 s: every running
// run's lease is in the future whenever the queue is looked at).
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { sleep, startNode, TOKEN } from "./_helpers.ts";
import { KronWorker } from "../../src/cluster/mod.ts";

/**
 * A throwaway database and one node with `runs` manual runs of `task` pending (ids `prefix` and
 * a number), handed to `fn`; everything stopped afterwards.
 */
async function withPending(
  prefix: string,
  task: string,
  runs: number,
  fn: (sql: postgres.Sql, node: Awaited<ReturnType<typeof startNode>>) => Promise<void>,
): Promise<void> {
  const pg = await startPg();
  const sql = postgres(pg.url, { onnotice: () => {} });
  const node = await startNode(pg.url, "pf", "n1");
  try {
    await sql.unsafe(
      `INSERT INTO pf.run_queue (id, job, task, scheduled_at, idempotency_key, attempt,
         trigger, status, run_at)
       SELECT $2 || lpad(g::text, 25, '0'), 'j', $3, now(), 'j:manual:' || g, 1,
         'manual', 'pending', now() - interval '1 s'
       FROM generate_series(1, $1::int) g`,
      [runs, prefix, task],
    );
    await fn(sql, node);
  } finally {
    await sql.end();
    await node.kill("SIGKILL");
    await pg.destroy();
  }
}

Deno.test({
  name: "cluster: a worker's prefetched runs wait for a slot with their leases kept",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const runs = 8;
    await withPending("P", "slow", runs, async (sql, node) => {
      let running = 0;
      let most = 0;
      const started = new Map<string, number>();
      const tokens = new Map<string, number>();
      const worker = new KronWorker(node.url, {
        token: TOKEN,
        concurrency: 1,
        prefetch: 4,
        leaseMs: 600,
        waitMs: 1000,
      });
      worker.task("slow", async (_payload, ctx) => {
        running++;
        most = Math.max(most, running);
        assert(!started.has(ctx.runId), `run ${ctx.runId} started twice`);
        started.set(ctx.runId, Date.now());
        tokens.set(ctx.runId, ctx.fencingToken);
        await sleep(250);
        running--;
      });
      const done = worker.run();
      const lapsed: string[] = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        const rows = await sql.unsafe(
          `SELECT id FROM pf.run_queue WHERE status = 'running' AND lease_until < now()`,
        );
        lapsed.push(...rows.map((r) => r.id as string));
        const [{ n }] = await sql.unsafe(
          `SELECT count(*)::int AS n FROM pf.run_history WHERE status = 'succeeded'`,
        );
        if (n === runs || Date.now() > deadline) break;
        await sleep(50);
      }
      await worker.stop({ timeout: 2000 });
      await done;
      assertEquals(lapsed, []);
      assertEquals(most, 1);
      assertEquals(started.size, runs);
      const history = await sql.unsafe(
        `SELECT id, status, attempt, fencing_token, started_at FROM pf.run_history ORDER BY id`,
      );
      assertEquals(history.length, runs);
      let held = 0;
      for (const r of history) {
        assertEquals([r.status, r.attempt], ["succeeded", 1]);
        assertEquals(Number(r.fencing_token), tokens.get(r.id));
        // started_at is the claim: a run held for a slot starts executing well after it.
        if (started.get(r.id)! - (r.started_at as Date).getTime() > 200) held++;
      }
      assert(held >= 2, `${held} runs were held before they ran`);
    });
  },
});

// A claim asks for at most the node's limit (1,000 runs): concurrency and prefetch that add up
// to more must not have a claim refused (a 400 would end the worker).
Deno.test({
  name: "cluster: a worker whose slots and prefetch pass the claim limit claims within it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const runs = 3000;
    await withPending("Q", "fast", runs, async (sql, node) => {
      let ran = 0;
      const worker = new KronWorker(node.url, {
        token: TOKEN,
        concurrency: 700,
        prefetch: 700,
        waitMs: 1000,
      });
      worker.task("fast", () => {
        ran++;
      });
      const done = worker.run();
      const deadline = Date.now() + 30_000;
      let n = 0;
      while (Date.now() < deadline) {
        [{ n }] = await sql.unsafe(
          `SELECT count(*)::int AS n FROM pf.run_history WHERE status = 'succeeded'`,
        );
        if (n === runs) break;
        await sleep(100);
      }
      await worker.stop({ timeout: 2000 });
      await done;
      assertEquals(n, runs);
      assertEquals(ran, runs);
    });
  },
});
