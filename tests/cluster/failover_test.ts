// Workers and clients that know the cluster: three nodes, one worker given all three URLs.
// Killing (SIGKILL) the node a run was claimed through does not cost the run: its heartbeats
// and completion go through another node with the same fencing token, so it runs once and
// succeeds. Claims move to a live node at once (a triggered run starts within 2 s), the worker
// says once that the node is lost and once that it is back, and every scheduled occurrence
// meanwhile succeeds exactly once. KronClient fails over too; a trigger is not retried after
// it may have reached a node.
import { assert, assertEquals } from "../api/_assert.ts";
import { api, clusterTest, sleep, startNode, startWorker, TOKEN } from "./_helpers.ts";
import { KronClient } from "../../src/cluster/mod.ts";

clusterTest(
  "cluster: a worker and a client fail over when a node is killed",
  async ({ pg, sql, procs }) => {
    const lease = ["--lease", "2s"];
    const nodes = [
      await startNode(pg.url, "f", "n1", lease),
      await startNode(pg.url, "f", "n2", lease),
      await startNode(pg.url, "f", "n3", lease),
    ];
    procs.push(...nodes);
    const urls = nodes.map((n) => n.url);
    const client = new KronClient(urls, { token: TOKEN });
    await client.schedule("slow", { at: "2100-01-01T00:00:00Z", task: "slow" });
    await client.schedule("quick", { at: "2100-01-01T00:00:00Z", task: "slow" });
    await client.schedule("steady", { every: "1s", task: "slow" });

    // The worker's first long-poll goes to the first URL (n1).
    const worker = startWorker(
      urls.join(","),
      "slow",
      { SLOW_MS: "4000", LEASE_MS: "2000" },
      "slow",
    );
    procs.push(worker);
    await worker.waitFor((l) => l.includes('"ready"'));
    await sleep(300);
    const slowId = (await api(urls[1], "POST", "/v1/jobs/slow/trigger")).json.runId as string;
    const started = JSON.parse(
      await worker.waitFor((l) => l.includes('"ev":"run"') && l.includes(slowId)),
    );
    // Kill the node while the slow run (claimed through n1, whose long-poll it woke) runs.
    await nodes[0].kill("SIGKILL");
    const killedAt = Date.now();
    await worker.waitFor((l) => l.includes("WARN") && l.includes(`node ${urls[0]} lost`), 5000);

    // Claims go to a live node at once.
    const quickId = await client.trigger("quick");
    await worker.waitFor((l) => l.includes('"ev":"run"') && l.includes(quickId), 10_000);
    const claimDelay = Date.now() - killedAt;
    console.log(`failover: a run triggered after the kill started ${claimDelay} ms after it`);

    // The slow run outlives its 2 s lease by heartbeating through the other nodes.
    await worker.waitFor((l) => l.includes('"ev":"done"') && l.includes(slowId), 10_000);
    for (let i = 0; i < 40; i++) {
      const [r] = await sql.unsafe(`SELECT status FROM f.runs WHERE id = $1`, [slowId]);
      if (r.status !== "running") break;
      await sleep(100);
    }
    const [slow] = await sql.unsafe(
      `SELECT status, attempt, fencing_token FROM f.runs WHERE id = $1`,
      [slowId],
    );
    assertEquals(slow.status, "succeeded");
    assertEquals(Number(slow.fencing_token), started.token);
    const slowRuns = worker.events().filter((e) => e.ev === "run" && e.job === "slow");
    assertEquals(slowRuns.length, 1, "the slow run executed more than once");
    assert(
      claimDelay < 2000 + 1000,
      `a run triggered after the kill started ${claimDelay} ms after it`,
    );

    // The node comes back on its port: the worker says so once.
    const port = Number(new URL(urls[0]).port);
    nodes[0] = await startNode(pg.url, "f", "n1", lease, port);
    procs.push(nodes[0]);
    await worker.waitFor(
      (l) => l.includes("WARN") && l.includes(`node ${urls[0]} regained`),
      20_000,
    );
    assertEquals(worker.lines.filter((l) => l.includes(`node ${urls[0]} lost`)).length, 1);
    assertEquals(worker.lines.filter((l) => l.includes(`node ${urls[0]} regained`)).length, 1);
    assert(!worker.lines.some((l) => l.includes("outcome refused")), worker.lines.join("\n"));

    // Every steady occurrence so far succeeded exactly once, none twice.
    await client.pause("steady");
    for (let i = 0; i < 80; i++) {
      const [r] = await sql.unsafe(
        `SELECT count(*)::int AS n FROM f.runs WHERE status = 'running'`,
      );
      if (r.n === 0) break;
      await sleep(100);
    }
    const rows = await sql.unsafe(
      `SELECT idempotency_key, status FROM f.runs WHERE job = 'steady' AND status <> 'pending'`,
    );
    assert(rows.length >= 1, "no steady run");
    const byKey = new Map<string, string[]>();
    for (const r of rows) {
      byKey.set(r.idempotency_key, [...(byKey.get(r.idempotency_key) ?? []), r.status]);
    }
    for (const [key, statuses] of byKey) assertEquals(statuses, ["succeeded"], key);
    const executed = worker.events().filter((e) => e.ev === "run").map((e) => e.key as string);
    assertEquals(executed.length, new Set(executed).size, "an occurrence executed twice");

    // The client skips a dead node for reads; a trigger to a node that refuses moves on.
    await nodes[1].kill("SIGKILL");
    const c2 = new KronClient([urls[1], urls[2]], { token: TOKEN });
    assertEquals((await c2.status("steady")).state, "paused");
    assert((await c2.trigger("quick")).length > 0);
  },
);
