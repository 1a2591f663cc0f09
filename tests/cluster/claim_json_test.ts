// A claimed run's answer is built as JSON text by PostgreSQL (claims.ts) and sent on by the
// node untouched. It must say exactly what the run's row says: each run of a claim is compared
// with its row read back through postgres.js (dates as Date objects, the payload parsed), for
// texts that need escaping (quotes, backslashes, control characters, U+2028, astral
// characters), payloads of every JSON kind (null included), a timeout and none, and through
// `POST /v1/claim` (its body and its per-run headers, or none when asked for none). A batch
// completion reads back only the runs it refused; a run given twice is judged by its first token.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { type Sql, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { type ClaimedRun, claimRuns, completeRuns } from "../../src/cluster/claims.ts";
import type { Tables } from "../../src/cluster/jobs.ts";
import { ClusterNode } from "../../src/cluster/node.ts";
import { createClusterApp } from "../../src/cluster/server.ts";

const AWKWARD = 'q"uote\\back\u0001ctl\n\t\u2028sep \u{1F600} é';
const PAYLOADS: unknown[] = [
  null,
  { text: AWKWARD, nested: { list: [1, 2.5, -3e-7, true, false, null], empty: {} } },
  [AWKWARD, 12345678901234],
  "just a string",
  42,
  false,
];

/** Inserts one pending run per payload, due now, with awkward job, task and key texts. */
async function insertRuns(sql: Sql, t: Tables, task: string, idMark: string): Promise<void> {
  for (const [i, payload] of PAYLOADS.entries()) {
    await sql.unsafe(
      `INSERT INTO ${t.queue} (id, job, task, payload, scheduled_at, idempotency_key, attempt,
         trigger, status, run_at, timeout_ms)
       VALUES ($1, $2, $3, $4::text::jsonb, now() - interval '1.2345 s', $5, $6::int, 'manual',
         'pending', now() - interval '1 s' + $6::int * interval '1 ms', $7)`,
      [
        `01ARZ3NDEKTSV4RRFFQ69G5F${idMark}${i}`,
        `job ${AWKWARD} ${idMark}${i}`,
        task,
        JSON.stringify(payload),
        `key ${AWKWARD} ${idMark}${i}`,
        i + 1,
        i % 2 === 0 ? null : 1000 * i,
      ],
    );
  }
}

/** The claimed runs as their rows say, mapped in JS (what claims.ts did before). */
async function fromRows(sql: Sql, t: Tables, ids: string[]): Promise<ClaimedRun[]> {
  const rows = await sql.unsafe(
    `SELECT * FROM ${t.queue} WHERE id = ANY($1::text[]) ORDER BY run_at`,
    [ids],
  );
  return rows.map((r) => ({
    job: r.job,
    runId: r.id,
    task: r.task,
    payload: r.payload ?? null,
    attempt: r.attempt,
    scheduledAt: (r.scheduled_at as Date).toISOString(),
    idempotencyKey: r.idempotency_key,
    fencingToken: Number(r.fencing_token),
    leaseUntil: (r.lease_until as Date).toISOString(),
    timeoutMs: r.timeout_ms ?? null,
    dueAt: (r.run_at as Date).toISOString(),
  }));
}

Deno.test({
  name: "cluster: a claimed run's JSON, built by the database, says what its row says",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPg();
    const sql = postgres(pg.url, { onnotice: () => {}, max: 4 });
    try {
      const s = tables("cj");
      await migrate(sql, s.schema);

      await t.step("claimRuns: every field, every payload kind", async () => {
        const task = `task ${AWKWARD}`;
        await insertRuns(sql, s, task, "A");
        const runs = await claimRuns(sql, s, {
          tasks: [task],
          max: 100,
          leaseMs: 30_000,
          worker: "w",
        });
        assertEquals(runs.length, PAYLOADS.length);
        assertEquals(runs.map((r) => r.payload), PAYLOADS);
        assertEquals(runs, await fromRows(sql, s, runs.map((r) => r.runId)));
        for (const r of runs) {
          assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(r.leaseUntil), r.leaseUntil);
          assertEquals(typeof r.fencingToken, "number");
        }
      });

      await t.step(
        "completeRuns: the refused come back, a repeated run's first token counts",
        async () => {
          const task = "complete_task";
          await insertRuns(sql, s, task, "C");
          const runs = await claimRuns(sql, s, {
            tasks: [task],
            max: 100,
            leaseMs: 30_000,
            worker: "w",
          });
          assertEquals(runs.length, PAYLOADS.length);
          const [a, b, c, d] = runs;
          const { rejected } = await completeRuns(sql, s, [
            { runId: a.runId, fencingToken: a.fencingToken },
            { runId: b.runId, fencingToken: b.fencingToken + 1000 },
            { runId: c.runId, fencingToken: c.fencingToken + 1000 },
            { runId: c.runId, fencingToken: c.fencingToken },
            { runId: d.runId, fencingToken: d.fencingToken },
            { runId: d.runId, fencingToken: d.fencingToken + 1000 },
            { runId: "01ARZ3NDEKTSV4RRFFQ69G5FZZ", fencingToken: 1 },
          ]);
          assertEquals(
            [...rejected].sort(),
            [b.runId, c.runId, "01ARZ3NDEKTSV4RRFFQ69G5FZZ"].sort(),
          );
          const finished = await sql.unsafe(
            `SELECT id FROM ${s.history} WHERE id = ANY($1::text[]) AND status = 'succeeded'`,
            [runs.map((r) => r.runId)],
          );
          assertEquals(finished.map((r) => r.id).sort(), [a.runId, d.runId].sort());
        },
      );

      await t.step("POST /v1/claim: the body and the per-run headers", async () => {
        const token = "0123456789abcdef0123456789abcdef";
        const node = new ClusterNode({ store: sql, schema: s.schema, background: false });
        await node.start();
        try {
          // Headers hold Latin-1 only: this task's texts stay ASCII, the payloads do not.
          const task = "http_task";
          await insertRuns(sql, s, task, "B");
          await sql.unsafe(
            `UPDATE ${s.queue} SET job = 'job_' || attempt, idempotency_key = 'key:' || attempt
             WHERE task = $1`,
            [task],
          );
          const app = createClusterApp(node, { token });
          const res = await app.request("/v1/claim", {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ tasks: [task], max: 100, worker: "w" }),
          });
          assertEquals(res.status, 200);
          const runs = await res.json() as ClaimedRun[];
          assertEquals(runs.length, PAYLOADS.length);
          assertEquals(runs, await fromRows(sql, s, runs.map((r) => r.runId)));
          assertEquals(res.headers.get("x-kron-run-count"), String(PAYLOADS.length));
          assertEquals(res.headers.get("x-kron-run"), runs.map((r) => r.runId).join(", "));
          assertEquals(res.headers.get("x-kron-job"), runs.map((r) => r.job).join(", "));
          assertEquals(
            res.headers.get("x-kron-idempotency-key"),
            runs.map((r) => r.idempotencyKey).join(", "),
          );
          assertEquals(
            res.headers.get("x-kron-fencing-token"),
            runs.map((r) => r.fencingToken).join(", "),
          );
          // Asked for no per-run headers (what the SDK's worker sends): the count only.
          await insertRuns(sql, s, task, "D");
          const bare = await app.request("/v1/claim", {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              "x-kron-run-headers": "none",
            },
            body: JSON.stringify({ tasks: [task], max: 100, worker: "w" }),
          });
          const bareRuns = await bare.json() as ClaimedRun[];
          assertEquals(bareRuns.length, PAYLOADS.length);
          assertEquals(bareRuns, await fromRows(sql, s, bareRuns.map((r) => r.runId)));
          assertEquals(bare.headers.get("x-kron-run-count"), String(PAYLOADS.length));
          for (const name of ["x-kron-run", "x-kron-job", "x-kron-idempotency-key"]) {
            assertEquals(bare.headers.get(name), null);
          }
          assertEquals(bare.headers.get("x-kron-fencing-token"), null);
          const empty = await app.request("/v1/claim", {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ tasks: [task], max: 100, worker: "w" }),
          });
          assertEquals(await empty.json(), []);
          assertEquals(empty.headers.get("x-kron-run-count"), "0");
        } finally {
          await node.stop();
        }
      });
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});
