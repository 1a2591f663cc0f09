// Cluster history is pruned by history_limit as compaction prunes it in single-node mode: the
// newest finished attempts stay, older ones and their events go, running and pending ones are
// never touched, and the job's total of runs still counts what went.
import { assertEquals } from "../api/_assert.ts";
import { startPg } from "./_pg.ts";
import { connect, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { claimRuns, completeRun } from "../../src/cluster/claims.ts";
import { defineJob, triggerJob } from "../../src/cluster/jobs.ts";
import { jobHistory, jobStatus } from "../../src/cluster/views.ts";
import { pruneHistory } from "../../src/cluster/history.ts";

Deno.test({
  name: "cluster: history beyond history_limit is pruned, events with it, totals kept",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      const t = tables("hist");
      await migrate(sql, t.schema);
      await defineJob(sql, t, "kept", {
        every: "1h",
        task: "work",
        historyLimit: 3,
        overlap: "allow",
      });
      await defineJob(sql, t, "other", { every: "1h", task: "work" });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        await triggerJob(sql, t, "kept");
        const [run] = await claimRuns(sql, t, {
          tasks: ["work"],
          max: 1,
          leaseMs: 30_000,
          worker: "w",
        });
        await completeRun(sql, t, run.runId, run.fencingToken);
        ids.push(run.runId);
      }
      await triggerJob(sql, t, "other");
      // One run in flight is never pruned, whatever the limit.
      await triggerJob(sql, t, "kept");
      const [inFlight] = await claimRuns(sql, t, {
        tasks: ["work"],
        max: 2,
        leaseMs: 30_000,
        worker: "w",
      })
        .then((runs) => runs.filter((r) => r.job === "kept"));
      assertEquals(await pruneHistory(sql, t), 2);
      const history = await jobHistory(sql, t, "kept", 100);
      assertEquals(history.map((r) => r.id), [inFlight.runId, ...ids.slice(2).reverse()]);
      const status = await jobStatus(sql, t, "kept");
      assertEquals(status.totalRuns, 6);
      const eventsOfGone = await sql.unsafe(
        `SELECT count(*)::int AS n FROM ${t.eventLog} WHERE run_id = ANY($1::text[])`,
        [ids.slice(0, 2)],
      );
      assertEquals(eventsOfGone[0].n, 0);
      const eventsKept = await sql.unsafe(
        `SELECT count(*)::int AS n FROM ${t.eventLog} WHERE run_id = ANY($1::text[])`,
        [ids.slice(2)],
      );
      assertEquals(eventsKept[0].n, 6); // RUN_STARTED + RUN_SUCCEEDED of each
      assertEquals(await pruneHistory(sql, t), 0);
      assertEquals((await jobStatus(sql, t, "other")).state, "running");
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});
