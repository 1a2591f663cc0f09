// Upgrading a cluster's schema from version 7 (one `runs` table) to 8 (open runs in
// `run_queue`, finished ones in `run_history`) with runs in flight: a run pending before the
// upgrade is claimed once after it, a running one is completed once with the token it was
// claimed with (a stale token still gets 409), a lease that ran out before the upgrade is
// reaped after it; the history before and after reads as one (a job's runs, the event stream),
// and a node of the old version, writing to `runs`, is refused instead of writing unseen.
import { assert, assertEquals, assertRejects } from "../api/_assert.ts";
import { startPg } from "./_pg.ts";
import { connect, tables } from "../../src/cluster/_sql.ts";
import { migrate, MIGRATIONS } from "../../src/cluster/schema.ts";
import { claimRuns, completeRun, heartbeatRun, reapExpired } from "../../src/cluster/claims.ts";
import { defineJob } from "../../src/cluster/jobs.ts";
import { findRun, jobHistory } from "../../src/cluster/views.ts";
import { eventsAfter } from "../../src/cluster/_events.ts";
import { KronError } from "../../src/errors.ts";

Deno.test({
  name: "cluster: upgrading from schema 7 keeps runs in flight exactly once, history as one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      const t = tables("up7");
      // The job's row as this version defines it (the `jobs` table is the same in 7 and 8).
      const fresh = tables("up7def");
      await migrate(sql, fresh.schema);
      await defineJob(sql, fresh, "a", { every: "1h", task: "work", overlap: "allow" });
      // The schema as version 7 left it.
      await sql.unsafe(`CREATE SCHEMA ${t.schema}`);
      await sql.unsafe(
        `CREATE TABLE ${t.migrations} (version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const m of MIGRATIONS.filter((m) => m.version <= 7)) {
        for (const stmt of m.sql) await sql.unsafe(stmt.replaceAll("{s}", t.schema));
        await sql.unsafe(`INSERT INTO ${t.migrations} (version) VALUES ($1)`, [m.version]);
      }
      await sql.unsafe(`INSERT INTO ${t.jobs} SELECT * FROM ${fresh.jobs}`);
      // Runs as a version-7 node left them: one finished (its events derived from its
      // positions), one running (token 7), one pending and due, one running whose lease ran out.
      const seq = `nextval('${t.eventSeq}')`;
      await sql.unsafe(
        `INSERT INTO ${t.runs} (id, job, task, scheduled_at, idempotency_key, attempt, trigger,
           status, run_at, started_at, finished_at, duration_ms, fencing_token, lease_until,
           started_seq, done_seq)
         VALUES
         ('R1', 'a', 'work', now() - interval '4 s', 'a:m1', 1, 'manual', 'succeeded',
           now() - interval '4 s', now() - interval '4 s', now() - interval '3 s', 1000, 1,
           NULL, ${seq}, ${seq}),
         ('R2', 'a', 'work', now() - interval '2 s', 'a:m2', 1, 'manual', 'running',
           now() - interval '2 s', now() - interval '2 s', NULL, NULL, 7,
           now() + interval '30 s', ${seq}, NULL),
         ('R3', 'a', 'work', now() - interval '1 s', 'a:m3', 1, 'manual', 'pending',
           now() - interval '1 s', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         ('R4', 'a', 'work', now() - interval '9 s', 'a:m4', 1, 'manual', 'running',
           now() - interval '9 s', now() - interval '9 s', NULL, NULL, 3,
           now() - interval '1 s', ${seq}, NULL)`,
      );
      await sql.unsafe(`SELECT setval('${t.tokens}', 7)`);

      assertEquals(await migrate(sql, t.schema), { from: 7, to: MIGRATIONS.at(-1)!.version });
      const where = async (table: string) =>
        (await sql.unsafe(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);
      assertEquals(await where(t.queue), ["R2", "R3", "R4"]);
      assertEquals(await where(t.history), ["R1"]);
      assertEquals(await where(t.runs), ["R1", "R2", "R3", "R4"]);
      assertEquals((await findRun(sql, t, "R2")).outcome, null);

      // The running run: a stale token is refused, the current one completes it once.
      const conflict = (e: unknown) => {
        assert(e instanceof KronError && e.code === "conflict", String(e));
      };
      await assertRejects(() => completeRun(sql, t, "R2", 6), conflict);
      await heartbeatRun(sql, t, "R2", 7, 30_000);
      await completeRun(sql, t, "R2", 7);
      await assertRejects(() => completeRun(sql, t, "R2", 7), conflict);
      // The pending run is claimed once, then completed.
      const claim = () =>
        claimRuns(sql, t, { tasks: ["work"], max: 10, leaseMs: 30_000, worker: "w" });
      const claimed = await claim();
      assertEquals(claimed.map((r) => r.runId), ["R3"]);
      assert(claimed[0].fencingToken > 7, "tokens keep growing across the upgrade");
      assertEquals(await claim(), []);
      await completeRun(sql, t, "R3", claimed[0].fencingToken);
      // The lease that ran out before the upgrade is reaped after it: abandoned, run again.
      assertEquals(await reapExpired(sql, t), 1);
      assertEquals((await findRun(sql, t, "R4")).outcome, "abandoned");
      const retry = await sql.unsafe(
        `SELECT attempt, status FROM ${t.queue} WHERE idempotency_key = 'a:m4'`,
      );
      assertEquals(retry.map((r) => [r.attempt, r.status]), [[2, "pending"]]);
      assertEquals(await where(t.history), ["R1", "R2", "R3", "R4"]);

      // The history reads as one: the job's runs and each run's events once, in order.
      const history = await jobHistory(sql, t, "a", 100);
      assertEquals(
        history.map((r) => `${r.id} ${r.outcome}`),
        ["R4 abandoned", "R3 succeeded", "R2 succeeded", "R1 succeeded"],
      );
      const stream = (await eventsAfter(sql, t, 0, 1000))
        .filter((e) => typeof e.data.runId === "string")
        .map((e) => `${e.data.runId} ${e.type}`);
      assertEquals(stream, [
        "R1 RUN_STARTED",
        "R1 RUN_SUCCEEDED",
        "R2 RUN_STARTED",
        "R4 RUN_STARTED",
        "R2 RUN_SUCCEEDED",
        "R3 RUN_STARTED",
        "R3 RUN_SUCCEEDED",
        "R4 RUN_ABANDONED",
        "R4 RUN_RETRYING",
      ]);
      const view = await sql.unsafe(
        `SELECT run_id, type FROM ${t.eventLog} WHERE run_id IS NOT NULL ORDER BY seq`,
      );
      assertEquals(view.map((r) => `${r.run_id} ${r.type}`), stream);

      // A node of version 7 writes to `runs`: refused, not written where nothing reads it.
      await assertRejects(
        () => sql.unsafe(`UPDATE ${t.runs} SET lease_until = now() WHERE id = 'R3'`),
        (e) => assert(/cannot update view/.test(String(e)), String(e)),
      );
      await assertRejects(
        () =>
          sql.unsafe(
            `INSERT INTO ${t.runs} (id, job, task, scheduled_at, idempotency_key, attempt,
               trigger, status, run_at) VALUES ('R5', 'a', 'work', now(), 'a:m5', 1, 'manual',
               'pending', now())`,
          ),
        (e) => assert(/cannot insert into view/.test(String(e)), String(e)),
      );
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});
