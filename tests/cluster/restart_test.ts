// PostgreSQL restarts under load: two nodes and two workers keep going through a ~3 s outage
// (pg_ctl stop -m fast, then start on the same port). Nodes and workers reconnect with
// backoff; every run that was created reaches exactly one accepted completion, and slots
// missed during the outage are caught up by misfire rules (latest slot only), never lost
// outside it.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { api, sleep, startNode, startWorker } from "./_helpers.ts";

Deno.test({
  name: "cluster: PostgreSQL restart under load loses no run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const procs = [];
    const jobs = ["r1", "r2", "r3", "r4"];
    try {
      const nodes = [await startNode(pg.url, "r", "n1"), await startNode(pg.url, "r", "n2")];
      procs.push(...nodes);
      for (const job of jobs) {
        assertEquals(
          (await api(nodes[0].url, "PUT", `/v1/jobs/${job}`, { every: "1s", task: "tick" })).status,
          201,
        );
      }
      const workers = [startWorker(nodes[0].url), startWorker(nodes[1].url)];
      procs.push(...workers);
      await sleep(4000);
      const downAt = Date.now();
      await pg.stop("fast");
      await sleep(3000);
      await pg.start();
      const upAt = Date.now();
      await sleep(6000);
      const pausedAt = Date.now();
      for (const job of jobs) {
        // Retry while the node's pool finishes reconnecting.
        for (let i = 0; i < 20; i++) {
          if ((await api(nodes[1].url, "POST", `/v1/jobs/${job}/pause`, {})).status === 200) break;
          await sleep(250);
        }
      }
      // Let in-flight runs and retried outcomes settle.
      const sql = postgres(pg.url, { onnotice: () => {} });
      try {
        for (let i = 0; i < 60; i++) {
          const left = await sql.unsafe(
            `SELECT count(*)::int AS n FROM r.runs WHERE status = 'running'`,
          );
          if (left[0].n === 0) break;
          await sleep(250);
        }
        // Runs still pending belong to the paused jobs: they wait for a resume.
        const rows = await sql.unsafe(
          `SELECT job, scheduled_at, status, trigger FROM r.runs WHERE scheduled_at < $1 ORDER BY scheduled_at`,
          [new Date(pausedAt - 1000)],
        );
        const bySlot = new Map<string, string[]>();
        for (const r of rows) {
          const k = `${r.job} ${(r.scheduled_at as Date).toISOString()}`;
          bySlot.set(k, [...(bySlot.get(k) ?? []), r.status as string]);
        }
        for (const [slot, statuses] of bySlot) {
          assertEquals(statuses.filter((s) => s === "succeeded").length, 1, `${slot}: ${statuses}`);
        }
        for (const job of jobs) {
          const slots = rows.filter((r) => r.job === job).map((r) =>
            (r.scheduled_at as Date).getTime()
          );
          const unique = [...new Set(slots)].sort((a, b) => a - b);
          assert(
            unique.some((s) => s > upAt),
            `${job}: nothing ran after the restart\n${
              nodes.map((n) => n.lines.join("\n")).join("\n---\n")
            }\n${workers.map((n) => n.lines.slice(-10).join("\n")).join("\n---\n")}`,
          );
          // Gaps only where the database was down (misfire: latest missed slot caught up).
          for (let i = 1; i < unique.length; i++) {
            const gap = unique[i] - unique[i - 1];
            if (gap > 1000) {
              assert(
                unique[i - 1] >= downAt - 1500 && unique[i] <= upAt + 5000,
                `${job}: slots lost outside the outage`,
              );
            }
          }
        }
        const catchup = rows.filter((r) => r.trigger === "catchup").length;
        assert(catchup <= jobs.length * 2, `a burst of catch-up runs: ${catchup}`);
        // Workers and nodes said they would retry, and did.
        for (const n of nodes) assertEquals((await api(n.url, "GET", "/healthz")).status, 200);
      } finally {
        await sql.end();
      }
    } finally {
      await Promise.all(procs.map((p) => p.kill("SIGKILL")));
      await pg.destroy();
    }
  },
});
