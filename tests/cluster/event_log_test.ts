// A run's RUN_STARTED and RUN_SUCCEEDED are derived from its `runs` row (migration 5), not
// written as event rows: the event stream (eventsAfter, GET /v1/events) still carries each once,
// in order, with the embedded log's JSON; a database upgraded from version 4 keeps its event
// rows and shows nothing twice. A claim writes no index entry (migration 6).
import { assert, assertEquals } from "../api/_assert.ts";
import { startPg } from "./_pg.ts";
import { api, clusterTest, startNode, TOKEN } from "./_helpers.ts";
import { connect, tables } from "../../src/cluster/_sql.ts";
import { migrate, MIGRATIONS } from "../../src/cluster/schema.ts";
import {
  claimRuns,
  completeRun,
  completeRuns,
  failRun,
  heartbeatRun,
} from "../../src/cluster/claims.ts";
import { defineJob, triggerJob } from "../../src/cluster/jobs.ts";
import { eventsAfter, lastEventSeq } from "../../src/cluster/_events.ts";

Deno.test({
  name: "cluster: run events derived from runs come once each, in order, whatever the window",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      const t = tables("evlog");
      await migrate(sql, t.schema);
      await defineJob(sql, t, "a", { every: "1h", task: "work", overlap: "allow", retries: 0 });
      // A long run: claimed first, finished last (its RUN_STARTED sits in an early window of
      // positions, its row changes again much later).
      const longId = await triggerJob(sql, t, "a");
      const [long] = await claimRuns(sql, t, {
        tasks: ["work"],
        max: 1,
        leaseMs: 30_000,
        worker: "w",
      });
      assertEquals(long.runId, longId);
      const short: string[] = [];
      for (let i = 0; i < 4; i++) {
        await triggerJob(sql, t, "a");
        const [run] = await claimRuns(sql, t, {
          tasks: ["work"],
          max: 1,
          leaseMs: 30_000,
          worker: "w",
        });
        await completeRun(sql, t, run.runId, run.fencingToken);
        short.push(run.runId);
      }
      await triggerJob(sql, t, "a");
      const [failing] = await claimRuns(sql, t, {
        tasks: ["work"],
        max: 1,
        leaseMs: 30_000,
        worker: "w",
      });
      await failRun(sql, t, failing.runId, failing.fencingToken, { error: "boom" });
      // While it runs, its RUN_STARTED is read among the open runs.
      const open = await eventsAfter(sql, t, 0, 100_000);
      assertEquals(
        open.filter((e) => e.data.runId === long.runId).map((e) => e.type),
        ["RUN_STARTED"],
      );
      await completeRun(sql, t, long.runId, long.fencingToken);

      const all = await eventsAfter(sql, t, 0, 100_000);
      const seqs = all.map((e) => e.seq);
      assertEquals(seqs, [...seqs].sort((x, y) => x - y));
      assertEquals(new Set(seqs).size, seqs.length);
      const runEvents = (id: string) => all.filter((e) => e.data.runId === id).map((e) => e.type);
      assertEquals(runEvents(long.runId), ["RUN_STARTED", "RUN_SUCCEEDED"]);
      for (const id of short) assertEquals(runEvents(id), ["RUN_STARTED", "RUN_SUCCEEDED"]);
      assertEquals(runEvents(failing.runId), ["RUN_STARTED", "RUN_FAILED"]);
      assertEquals(all.at(-1)!.data.runId, long.runId);
      // Nothing moved: the RUN_STARTED read while it ran is the one read after.
      assertEquals(
        all.find((e) => e.type === "RUN_STARTED" && e.data.runId === long.runId)!.seq,
        open.find((e) => e.type === "RUN_STARTED" && e.data.runId === long.runId)!.seq,
      );
      assertEquals(await lastEventSeq(sql, t), all.at(-1)!.seq);
      // The JSON of the embedded log's events.
      const started = all.find((e) => e.type === "RUN_STARTED" && e.data.runId === long.runId)!;
      assertEquals(Object.keys(started.data).sort(), [
        "attempt",
        "idempotencyKey",
        "jitterMs",
        "job",
        "runId",
        "scheduledAt",
        "time",
        "trigger",
        "type",
      ]);
      assertEquals(started.data.trigger, "manual");
      assertEquals(started.data.scheduledAt, long.scheduledAt);
      const done = all.find((e) => e.type === "RUN_SUCCEEDED" && e.data.runId === long.runId)!;
      assertEquals(done.data.exitCode, null);
      assert(typeof done.data.durationMs === "number" && done.data.durationMs >= 0);
      assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(done.data.time as string));

      // Walking the stream in small windows gives the same events, each once.
      for (const limit of [1, 2, 3, 7]) {
        const walked: number[] = [];
        let after = 0;
        for (;;) {
          const page = await eventsAfter(sql, t, after, limit);
          if (page.length === 0) break;
          assert(page.length <= limit);
          walked.push(...page.map((e) => e.seq));
          after = page.at(-1)!.seq;
        }
        assertEquals(walked, seqs, `limit ${limit}`);
      }
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});

Deno.test({
  name: "cluster: upgrading from schema 4 keeps the run events written as rows, none twice",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      const t = tables("evold");
      // The schema as version 4 left it, with one run recorded the old way (its events as rows).
      await sql.unsafe(`CREATE SCHEMA ${t.schema}`);
      await sql.unsafe(
        `CREATE TABLE ${t.migrations} (version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const m of MIGRATIONS.filter((m) => m.version <= 4)) {
        for (const stmt of m.sql) await sql.unsafe(stmt.replaceAll("{s}", t.schema));
        await sql.unsafe(`INSERT INTO ${t.migrations} (version) VALUES ($1)`, [m.version]);
      }
      await sql.unsafe(
        `INSERT INTO ${t.runs} (id, job, task, scheduled_at, idempotency_key, attempt, trigger,
           status, run_at, started_at, finished_at, fencing_token)
         VALUES ('OLD1', 'a', 'work', now(), 'a:old', 1, 'manual', 'succeeded', now(), now(),
           now(), 1)`,
      );
      for (const type of ["RUN_STARTED", "RUN_SUCCEEDED"]) {
        await sql.unsafe(
          `INSERT INTO ${t.events} (time, type, job, run_id, data)
           VALUES (now(), $1, 'a', 'OLD1', jsonb_build_object('type', $1::text))`,
          [type],
        );
      }
      assertEquals(await migrate(sql, t.schema), { from: 4, to: MIGRATIONS.at(-1)!.version });
      await defineJob(sql, t, "a", { every: "1h", task: "work" });
      await triggerJob(sql, t, "a");
      const [run] = await claimRuns(sql, t, {
        tasks: ["work"],
        max: 1,
        leaseMs: 30_000,
        worker: "w",
      });
      await completeRun(sql, t, run.runId, run.fencingToken);
      const rows = await sql.unsafe(
        `SELECT run_id, type FROM ${t.eventLog} WHERE run_id IS NOT NULL ORDER BY seq`,
      );
      assertEquals(rows.map((r) => `${r.run_id} ${r.type}`), [
        "OLD1 RUN_STARTED",
        "OLD1 RUN_SUCCEEDED",
        `${run.runId} RUN_STARTED`,
        `${run.runId} RUN_SUCCEEDED`,
      ]);
      // The new run's events are not rows of `events`.
      const written = await sql.unsafe(
        `SELECT count(*)::int AS n FROM ${t.events} WHERE run_id = $1`,
        [run.runId],
      );
      assertEquals(written[0].n, 0);
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});

clusterTest("cluster: GET /v1/events streams the derived run events", async ({ pg, procs }) => {
  const node = await startNode(pg.url, "evsse", "n1");
  procs.push(node);
  assertEquals(
    (await api(node.url, "PUT", "/v1/jobs/a", { every: "1h", task: "work" })).status,
    201,
  );
  const sql = connect(pg.url);
  const t = tables("evsse");
  const abort = new AbortController();
  try {
    const res = await fetch(`${node.url}/v1/events?lastEventId=0`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: abort.signal,
    });
    assertEquals(res.status, 200);
    const { json } = await api(node.url, "POST", "/v1/jobs/a/trigger");
    const [run] = await claimRuns(sql, t, {
      tasks: ["work"],
      max: 1,
      leaseMs: 30_000,
      worker: "w",
    });
    assertEquals(run.runId, json.runId);
    await completeRun(sql, t, run.runId, run.fencingToken);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 20_000;
    while (!text.includes("event: RUN_SUCCEEDED") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assertEquals(types.filter((x) => x.startsWith("RUN_")), ["RUN_STARTED", "RUN_SUCCEEDED"]);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assertEquals(ids, [...ids].sort((x, y) => x - y));
    assert(text.includes(`"runId":"${run.runId}"`));
  } finally {
    abort.abort();
    await sql.end();
  }
});

Deno.test({
  name: "cluster: a claim and a heartbeat update the run's row in place (HOT), completing moves it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      const t = tables("evhot");
      await migrate(sql, t.schema);
      await defineJob(sql, t, "a", { every: "1h", task: "work", overlap: "allow" });
      for (let i = 0; i < 10; i++) await triggerJob(sql, t, "a");
      const stats = async () => {
        await sql.unsafe(`SELECT pg_stat_force_next_flush()`).catch(() => {});
        const rows = await sql.unsafe(
          `SELECT relname, n_tup_ins::int AS ins, n_tup_upd::int AS upd,
             n_tup_hot_upd::int AS hot, n_tup_del::int AS del
           FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('run_queue', 'run_history')
           ORDER BY relname DESC`,
          [t.schema],
        );
        const [q, h] = rows.map((r) => [r.ins, r.upd, r.hot, r.del] as number[]);
        return { q, h };
      };
      // Statistics reach the view within a second or so of each transaction.
      const settled = async (want: (s: { q: number[]; h: number[] }) => boolean) => {
        let s = await stats();
        for (let i = 0; i < 50 && !want(s); i++) {
          await new Promise((r) => setTimeout(r, 100));
          s = await stats();
        }
        return s;
      };
      const before = await settled((s) => s.q[0] === 10);
      const runs = await claimRuns(sql, t, {
        tasks: ["work"],
        max: 10,
        leaseMs: 30_000,
        worker: "w",
      });
      assertEquals(runs.length, 10);
      await heartbeatRun(sql, t, runs[0].runId, runs[0].fencingToken, 30_000);
      const claimed = await settled((s) => s.q[1] - before.q[1] >= 11);
      // In `run_queue`: [inserted, updated, updated in place (HOT), deleted].
      assertEquals(claimed.q.map((n, i) => n - before.q[i]), [0, 11, 11, 0]);
      // Completing deletes from the queue and writes the history once; nothing is updated.
      const { rejected } = await completeRuns(sql, t, runs);
      assertEquals(rejected.size, 0);
      const done = await settled((s) => s.q[3] - before.q[3] >= 10);
      assertEquals(done.q.map((n, i) => n - before.q[i]), [0, 11, 11, 10]);
      assertEquals(done.h.map((n, i) => n - before.h[i]), [10, 0, 0, 0]);
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});
