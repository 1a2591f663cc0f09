// Three `kron server` nodes and two worker processes on one throwaway PostgreSQL: schedules
// made on one node are visible on all; an `every: "1s"` job runs 30 s with every occurrence
// completed exactly once and none lost, while one node is killed with SIGKILL halfway.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { api, sleep, startNode, startWorker } from "./_helpers.ts";

const RUN_MS = 30_000;

Deno.test({
  name: "cluster: 3 nodes + 2 workers, every 1s for 30 s: each occurrence once, a node killed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = postgres(pg.url, { onnotice: () => {} });
    const schema = "c1";
    const procs = [];
    try {
      const nodes = [];
      for (const id of ["n1", "n2", "n3"]) {
        const n = await startNode(pg.url, schema, id);
        nodes.push(n);
        procs.push(n);
      }
      const put = await api(nodes[0].url, "PUT", "/v1/jobs/tick", { every: "1s", task: "tick" });
      assertEquals(put.status, 201);
      for (const n of nodes) {
        const got = await api(n.url, "GET", "/v1/jobs/tick");
        assertEquals(got.status, 200);
        assertEquals(got.json.schedule, { every: "1s", startAt: null });
        assertEquals(got.json.task, "tick");
      }
      const workers = [startWorker(nodes[1].url), startWorker(nodes[2].url)];
      procs.push(...workers);
      await Promise.all(workers.map((w) => w.waitFor((l) => l.includes('"ready"'))));
      const t0 = Date.now();
      await sleep(RUN_MS / 2);
      await nodes[0].kill("SIGKILL");
      // The others keep serving.
      const listed = await api(nodes[1].url, "GET", "/v1/jobs");
      assertEquals(listed.status, 200);
      assertEquals(listed.json.jobs.map((j: { name: string }) => j.name), ["tick"]);
      await sleep(RUN_MS - (Date.now() - t0));
      await api(nodes[2].url, "POST", "/v1/jobs/tick/pause", {});
      await sleep(1500);

      const rows = await sql.unsafe(
        `SELECT scheduled_at, status, attempt FROM ${schema}.runs WHERE job = 'tick' ORDER BY scheduled_at`,
      );
      const bySlot = new Map<number, string[]>();
      for (const r of rows) {
        const k = (r.scheduled_at as Date).getTime();
        bySlot.set(k, [...(bySlot.get(k) ?? []), r.status as string]);
      }
      const slots = [...bySlot.keys()].sort((a, b) => a - b);
      assert(slots.length >= RUN_MS / 1000 - 2, `only ${slots.length} occurrences in ${RUN_MS} ms`);
      for (let i = 1; i < slots.length; i++) {
        assertEquals(
          slots[i] - slots[i - 1],
          1000,
          `an occurrence is missing after ${new Date(slots[i - 1]).toISOString()}`,
        );
      }
      for (const [slot, statuses] of bySlot) {
        assertEquals(
          statuses.filter((s) => s === "succeeded").length,
          1,
          `occurrence ${new Date(slot).toISOString()}: ${statuses}`,
        );
      }
      // Workers ran each occurrence once (no lease was lost here).
      const keys = workers.flatMap((w) =>
        w.events().filter((e) => e.ev === "run").map((e) => e.key as string)
      );
      assertEquals(keys.length, new Set(keys).size, "an occurrence ran twice");
      assertEquals(keys.length, slots.length);
      // Both workers got work.
      for (const w of workers) assert(w.events().some((e) => e.ev === "run"));
      // History reads like single-node mode's.
      const history = await api(nodes[1].url, "GET", "/v1/jobs/tick/runs?limit=3");
      assertEquals(history.json.runs.length, 3);
      assertEquals(history.json.runs[0].outcome, "succeeded");
      const events = await sql.unsafe(
        `SELECT type, count(*)::int AS n FROM ${schema}.event_log WHERE job = 'tick' GROUP BY type`,
      );
      const count = Object.fromEntries(events.map((e) => [e.type, e.n]));
      assertEquals(count.RUN_STARTED, slots.length);
      assertEquals(count.RUN_SUCCEEDED, slots.length);
      assertEquals(count.JOB_DEFINED, 1);
      // The nodes served long-polls (claims wait on the request's signal) and printed no raw
      // runtime warning among their log lines (deno.json opts into the new abort behaviour).
      const raw = nodes.flatMap((n) => n.lines).filter((l) => l.includes("legacy behavior"));
      assertEquals(raw, []);
    } finally {
      await Promise.all(procs.map((p) => p.kill("SIGKILL")));
      await sql.end();
      await pg.destroy();
    }
  },
});
