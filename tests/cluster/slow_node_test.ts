// A slow node does not stall a worker: three nodes, the first with its database link delayed
// 2 s each way (every answer it gives takes seconds). A worker given all three URLs shares its
// free slots among the live nodes, each with a long-poll of its own, so runs triggered while
// the slow node holds its claim start at once through the others; the slow node does not
// answer its claim within the wait plus 2 s, is passed over with one WARN line, and is used
// again (one WARN line) once its link heals. Every triggered run executes exactly once.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { api, sleep, startNode, startWorker } from "./_helpers.ts";
import { TcpProxy } from "../_util/tcp_proxy.ts";

Deno.test({
  name: "cluster: a slow node does not stall a worker's claims",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const sql = postgres(pg.url, { onnotice: () => {} });
    const procs: { kill(s?: Deno.Signal): Promise<void> }[] = [];
    const db = TcpProxy.start(pg.port);
    try {
      const viaProxy = pg.url.replace(`:${pg.port}/`, `:${db.port}/`);
      const nodes = [
        await startNode(viaProxy, "sn", "n1"),
        await startNode(pg.url, "sn", "n2"),
        await startNode(pg.url, "sn", "n3"),
      ];
      procs.push(...nodes);
      const urls = nodes.map((n) => n.url);
      const def = { at: "2100-01-01T00:00:00Z", task: "tick", overlap: "allow" };
      assertEquals((await api(urls[1], "PUT", "/v1/jobs/quick", def)).status, 201);
      // The fixture waits 5 s per long-poll, runs 4 at once: 2 slots claim through n1, 2
      // through n2 (the first two URLs).
      const worker = startWorker(urls.join(","), "fast", {}, "tick");
      procs.push(worker);
      await worker.waitFor((l) => l.includes('"ready"'));
      await sleep(500);
      db.delay(2000);
      await sleep(300);

      const delays: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = Date.now();
        const { json } = await api(urls[1 + (i % 2)], "POST", "/v1/jobs/quick/trigger");
        ids.push(json.runId);
        await worker.waitFor((l) => l.includes('"ev":"run"') && l.includes(json.runId), 20_000);
        delays.push(Date.now() - t0);
        await sleep(300);
      }
      console.log(`slow node: trigger → start through the others: ${delays.join(", ")} ms`);
      // Without its own claim per node, the worker's one long-poll on n1 held every slot for
      // the wait plus the slow answer (seconds): here nearly every run starts at once.
      const quick = delays.filter((d) => d < 1500).length;
      assert(quick >= 8, `only ${quick}/10 runs started within 1.5 s: ${delays.join(", ")}`);

      // n1 is passed over once its claim outlasts the wait plus 2 s: one WARN line.
      await worker.waitFor((l) => l.includes("WARN") && l.includes(`node ${urls[0]} lost`), 15_000);
      db.pass();
      await worker.waitFor(
        (l) => l.includes("WARN") && l.includes(`node ${urls[0]} regained`),
        20_000,
      );
      assertEquals(worker.lines.filter((l) => l.includes(`node ${urls[0]} lost`)).length, 1);
      assertEquals(worker.lines.filter((l) => l.includes(`node ${urls[0]} regained`)).length, 1);

      // Each triggered run executed once and succeeded (a run n1 claimed while its answer was
      // too late is reclaimed after its lease and runs once, as its next attempt).
      let rows: postgres.Row[] = [];
      for (let i = 0; i < 100; i++) {
        rows = await sql.unsafe(
          `SELECT idempotency_key, status FROM sn.runs WHERE job = 'quick' AND status = 'succeeded'`,
        );
        if (new Set(rows.map((r) => r.idempotency_key)).size >= 10) break;
        await sleep(200);
      }
      const keys = rows.map((r) => r.idempotency_key as string);
      assertEquals(new Set(keys).size, 10, JSON.stringify(rows));
      assertEquals(keys.length, 10, "an occurrence succeeded twice");
      const executed = worker.events().filter((e) => e.ev === "run").map((e) => e.key as string);
      assertEquals(executed.length, new Set(executed).size, "an occurrence executed twice");
      assert(ids.every((id) => keys.includes(`quick:manual:${id}`)));
    } finally {
      await sql.end();
      await Promise.all(procs.map((p) => p.kill("SIGKILL")));
      await db.close();
      await pg.destroy();
    }
  },
});
