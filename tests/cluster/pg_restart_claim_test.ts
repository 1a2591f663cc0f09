// PostgreSQL restarted mid-claim: two nodes (lease 2 s) and two workers drain a backlog of
// runs in batched claims when PostgreSQL is stopped with `-m immediate` (a crash: claims and
// completions in flight die with their connections) and started again. Afterwards every
// occurrence was accepted exactly once, the fencing tokens of each occurrence's attempts grow
// strictly, no run is left `running` past its lease, and runs succeed again within 2 × lease
// of PostgreSQL answering again.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { api, sleep, startNode, startWorker } from "./_helpers.ts";

const LEASE_MS = 2000;
const BACKLOG = 1500;

Deno.test({
  name: "cluster: PostgreSQL restarted mid-claim",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // synchronous_commit on, as users deploy: a commit PostgreSQL acknowledged survives its
    // crash (off, a claim the worker got could be lost and its run claimed and executed again).
    const pg = await startPg({ settings: { synchronous_commit: "on" } });
    const procs: { kill(s?: Deno.Signal): Promise<void> }[] = [];
    let sql = postgres(pg.url, { onnotice: () => {}, max: 2 });
    try {
      const lease = ["--lease", `${LEASE_MS}ms`];
      const nodes = [
        await startNode(pg.url, "rc", "n1", lease),
        await startNode(pg.url, "rc", "n2", lease),
      ];
      procs.push(...nodes);
      const urls = nodes.map((n) => n.url).join(",");
      const def = { at: "2100-01-01T00:00:00Z", task: "tick", overlap: "allow" };
      assertEquals((await api(nodes[0].url, "PUT", "/v1/jobs/backlog", def)).status, 201);
      const env = { LEASE_MS: String(LEASE_MS) };
      const workers = [startWorker(urls, "fast", env), startWorker(urls, "fast", env)];
      procs.push(...workers);
      await Promise.all(workers.map((w) => w.waitFor((l) => l.includes('"ready"'))));
      await sql.unsafe(
        `INSERT INTO rc.run_queue (id, job, task, scheduled_at, idempotency_key, attempt, trigger,
           status, run_at)
         SELECT 'B' || lpad(g::text, 25, '0'), 'backlog', 'tick', now(), 'backlog:manual:' || g,
           1, 'manual', 'pending', now()
         FROM generate_series(1, $1::int) g`,
        [BACKLOG],
      );
      await sql.unsafe(`SELECT pg_notify('kron_rc', 'runs:0')`);
      // Crash PostgreSQL while the backlog drains: claims and completions are in flight.
      for (let i = 0; i < 100; i++) {
        const [r] = await sql.unsafe(
          `SELECT count(*)::int AS n FROM rc.runs WHERE status = 'succeeded'`,
        );
        if (r.n >= 150) break;
        await sleep(20);
      }
      const [mid] = await sql.unsafe(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done,
           count(*) FILTER (WHERE status = 'running')::int AS running FROM rc.runs`,
      );
      await sql.end();
      await pg.stop("immediate");
      await sleep(1000);
      await pg.start();
      const upAt = Date.now();
      sql = postgres(pg.url, { onnotice: () => {}, max: 2 });

      // The cluster serves again: the backlog's runs are claimed and succeed again.
      let resumedMs = -1;
      while (Date.now() - upAt < 4 * LEASE_MS) {
        const [r] = await sql.unsafe(
          `SELECT (extract(epoch FROM min(finished_at)) * 1000)::float8 AS at FROM rc.runs
           WHERE status = 'succeeded' AND finished_at > $1`,
          [new Date(upAt)],
        ).catch(() => [{ at: null }]);
        if (r.at !== null) {
          resumedMs = r.at - upAt;
          break;
        }
        await sleep(50);
      }
      console.log(
        `restart mid-claim: ${mid.done} done, ${mid.running} running at the crash; ` +
          `the first run succeeded ${Math.round(resumedMs)} ms after PostgreSQL was back`,
      );
      assert(
        resumedMs >= 0,
        `no run succeeded within ${4 * LEASE_MS} ms of the restart\n${
          [...workers, ...nodes].map((p) =>
            p.lines.filter((l) => !l.startsWith("{")).slice(-15).join("\n")
          ).join("\n---\n")
        }`,
      );
      assert(resumedMs <= 2 * LEASE_MS, `resumed ${resumedMs} ms after the restart`);

      // The backlog drains; leases cut by the crash run out and are reclaimed.
      // (Generous: the machine running the suite may be loaded.)
      for (let i = 0; i < 600; i++) {
        const [r] = await sql.unsafe(
          `SELECT count(*)::int AS n FROM rc.runs WHERE status IN ('pending', 'running')`,
        );
        if (r.n === 0) break;
        await sleep(100);
      }
      const rows = await sql.unsafe(
        `SELECT idempotency_key, attempt, status, fencing_token, lease_until < now() AS expired
         FROM rc.runs WHERE job = 'backlog' ORDER BY idempotency_key, attempt`,
      );
      const accepted = new Map<string, number>();
      const tokens = new Map<string, number[]>();
      for (const r of rows) {
        const key = r.idempotency_key as string;
        if (r.status === "succeeded") accepted.set(key, (accepted.get(key) ?? 0) + 1);
        if (r.fencing_token !== null) {
          tokens.set(key, [...(tokens.get(key) ?? []), Number(r.fencing_token)]);
        }
        assert(!(r.status === "running" && r.expired), `${key} stuck running past its lease`);
      }
      const missing = rows.filter((r) => !accepted.has(r.idempotency_key as string))
        .map((r) => `${r.idempotency_key}#${r.attempt} ${r.status}`);
      assertEquals(
        accepted.size,
        BACKLOG,
        `occurrences accepted: ${accepted.size}/${BACKLOG}; not: ${
          missing.slice(0, 20).join(", ")
        }`,
      );
      for (const [key, n] of accepted) assertEquals(n, 1, `${key} accepted ${n} times`);
      for (const [key, list] of tokens) {
        for (let i = 1; i < list.length; i++) {
          assert(list[i] > list[i - 1], `${key}: tokens ${list.join(", ")} do not grow`);
        }
      }
      const [ev] = await sql.unsafe(
        `SELECT count(*)::int AS n, count(DISTINCT run_id)::int AS runs FROM rc.event_log
         WHERE type = 'RUN_SUCCEEDED' AND job = 'backlog'`,
      );
      assertEquals([ev.n, ev.runs], [BACKLOG, BACKLOG], "a run's success recorded twice");
      const retried = rows.filter((r) => r.attempt > 1).length;
      console.log(`restart mid-claim: ${retried} attempt(s) re-run after their lease ran out`);
      // No occurrence executed twice unless its first attempt's lease was lost.
      const executed = workers.flatMap((w) =>
        w.events().filter((e) => e.ev === "run" && e.job === "backlog").map((e) =>
          `${e.key}#${e.attempt}`
        )
      );
      assertEquals(executed.length, new Set(executed).size, "an attempt executed twice");
    } finally {
      await sql.end().catch(() => {});
      await Promise.all(procs.map((p) => p.kill("SIGKILL")));
      await pg.destroy();
    }
  },
});
