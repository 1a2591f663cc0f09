// Idempotency keys: `trigger` and a job's `PUT` with an `Idempotency-Key` act once per key on
// the whole cluster. A repeat on another node answers the first answer (`Idempotent-Replayed`),
// concurrent repeats on three nodes start one run, a key reused for another request is
// refused (422), and a KronClient whose trigger reached a node too slowly to answer in time
// sends it again to another node without starting a second run (the control without a key,
// through the same delayed link, starts two).
import { assert, assertEquals } from "../api/_assert.ts";
import { clusterTest, sleep, startNode, TOKEN } from "./_helpers.ts";
import { TcpProxy } from "../_util/tcp_proxy.ts";
import { KronClient } from "../../src/cluster/mod.ts";

async function post(url: string, path: string, key?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method: path.endsWith("/trigger") ? "POST" : "PUT",
    headers: {
      authorization: `Bearer ${TOKEN}`,
      "content-type": "application/json",
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: JSON.stringify(body ?? {}),
  });
  return {
    status: res.status,
    replayed: res.headers.get("idempotent-replayed"),
    json: await res.json(),
  };
}

clusterTest(
  "cluster: an idempotency key makes trigger and PUT act once across nodes",
  async ({ pg, sql, procs }) => {
    let proxy: TcpProxy | null = null;
    try {
      const nodes = [
        await startNode(pg.url, "ik", "n1"),
        await startNode(pg.url, "ik", "n2"),
        await startNode(pg.url, "ik", "n3"),
      ];
      procs.push(...nodes);
      const [a, b, c] = nodes.map((n) => n.url);
      const runsOf = async (job: string) =>
        (await sql.unsafe(`SELECT id FROM ik.runs WHERE job = $1`, [job])).map((r) => r.id);

      // PUT with a key: the repeat on another node is the first answer, replayed.
      const def = { at: "2100-01-01T00:00:00Z", task: "t", overlap: "allow" };
      const put1 = await post(a, "/v1/jobs/job", "put-1", def);
      assertEquals(put1.status, 201);
      const put2 = await post(b, "/v1/jobs/job", "put-1", def);
      assertEquals([put2.status, put2.replayed], [201, "true"]);
      assertEquals(put2.json.name, "job");
      // The same key for another body is refused.
      const other = await post(c, "/v1/jobs/job", "put-1", { ...def, task: "u" });
      assertEquals([other.status, other.json.error.code], [422, "idempotency_key_reused"]);

      // Trigger: one run per key, whichever node and however often.
      const t1 = await post(a, "/v1/jobs/job/trigger", "trig-1");
      assertEquals([t1.status, t1.replayed], [202, null]);
      const t2 = await post(b, "/v1/jobs/job/trigger", "trig-1");
      assertEquals([t2.status, t2.replayed, t2.json.runId], [202, "true", t1.json.runId]);
      assertEquals(await runsOf("job"), [t1.json.runId]);
      // Ten at once on three nodes with one new key: one run, every answer names it.
      const burst = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => post(nodes[i % 3].url, "/v1/jobs/job/trigger", "trig-2"),
        ),
      );
      const ids = new Set(burst.map((r) => r.json.runId));
      assertEquals(burst.map((r) => r.status), Array(10).fill(202));
      assertEquals(ids.size, 1, JSON.stringify(burst));
      assertEquals((await runsOf("job")).length, 2);
      // A key used for a trigger cannot trigger another job.
      await post(a, "/v1/jobs/job2", undefined, def);
      const cross = await post(a, "/v1/jobs/job2/trigger", "trig-1");
      assertEquals(cross.status, 422);
      // A malformed key is a 400.
      assertEquals((await post(a, "/v1/jobs/job/trigger", "bad key")).status, 400);
      // Keys are in the database with a bounded lifetime.
      const [k] = await sql.unsafe(
        `SELECT count(*)::int AS n, min(expires_at - created_at) AS ttl FROM ik.idempotency_keys`,
      );
      assert(k.n >= 3, `keys recorded: ${k.n}`);

      // A client's trigger reaches node a through a link delayed 1.5 s: the client gives up
      // on a after 400 ms and sends the same key to b. a acts later on the request that did
      // reach it, and answers from the key: one run.
      const portA = Number(new URL(a).port);
      proxy = TcpProxy.start(portA);
      const viaProxy = `http://127.0.0.1:${proxy.port}`;
      await post(a, "/v1/jobs/slowlink", undefined, def);
      await post(a, "/v1/jobs/control", undefined, def);
      proxy.delay(1500);
      const client = new KronClient([viaProxy, b], { token: TOKEN, timeoutMs: 400 });
      const runId = await client.trigger("slowlink");
      // Control: the same delayed link without a key — the late request acts again.
      const lost = await fetch(`${viaProxy}/v1/jobs/control/trigger`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(400),
      }).then(() => "answered", () => "timed out");
      assertEquals(lost, "timed out");
      await post(b, "/v1/jobs/control/trigger");
      // Both late requests reach node a within the delay (and a bit).
      let slow: string[] = [], control: string[] = [];
      for (let i = 0; i < 60; i++) {
        slow = await runsOf("slowlink");
        control = await runsOf("control");
        if (control.length >= 2) break;
        await sleep(100);
      }
      await sleep(500);
      slow = await runsOf("slowlink");
      assertEquals(control.length, 2, "the control (no key) should have started two runs");
      assertEquals(slow, [runId], "a retried trigger with a key started a second run");
    } finally {
      await proxy?.close();
    }
  },
);
