// Leases and fencing with real processes: a worker killed with SIGKILL while holding a lease
// loses its run once the lease expires; another worker completes it with a new token, and
// the dead worker's late completion (old token) is refused with 409. Also the TS client and
// worker in-process: schedule/list/status/history/trigger/pause/resume/remove, heartbeats,
// and the claim headers.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { api, ROOT, sleep, startNode, startWorker, TOKEN } from "./_helpers.ts";
import { KronClient, KronWorker } from "../../src/cluster/mod.ts";

Deno.test({
  name: "cluster: leases, fencing tokens, reclaim after SIGKILL, SDK round trip",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPg();
    const sql = postgres(pg.url, { onnotice: () => {} });
    const procs = [];
    try {
      const node = await startNode(pg.url, "l1", "n1", ["--lease", "2s"]);
      procs.push(node);

      await t.step(
        "a killed worker's run is reclaimed; its stale completion gets 409",
        async () => {
          assertEquals(
            (await api(node.url, "PUT", "/v1/jobs/once", {
              at: "2100-01-01T00:00:00Z",
              task: "tick",
            })).status,
            201,
          );
          const doomed = startWorker(node.url, "hang");
          procs.push(doomed);
          await doomed.waitFor((l) => l.includes('"ready"'));
          const trig = await api(node.url, "POST", "/v1/jobs/once/trigger");
          assertEquals(trig.status, 202);
          const line = await doomed.waitFor((l) => l.includes('"ev":"run"'));
          const first = JSON.parse(line);
          assertEquals(first.attempt, 1);
          // Heartbeats keep the 2 s lease while the worker lives.
          await sleep(3000);
          assertEquals((await api(node.url, "GET", `/v1/runs/${first.runId}`)).json.outcome, null);
          await doomed.kill("SIGKILL");
          const killedAt = Date.now();
          const rescuer = startWorker(node.url, "fast");
          procs.push(rescuer);
          const again = JSON.parse(await rescuer.waitFor((l) => l.includes('"ev":"run"'), 15_000));
          assert(Date.now() - killedAt >= 1000, "reclaimed before the lease expired");
          assertEquals(again.key, first.key);
          assertEquals(again.attempt, 2);
          assert(again.token > first.token, "the new claim has a larger fencing token");
          // Wait for the rescuer's completion, then the dead worker's late one is refused.
          for (let i = 0; i < 50; i++) {
            const runs = (await api(node.url, "GET", "/v1/jobs/once/runs")).json.runs;
            if (runs[0]?.outcome === "succeeded") break;
            await sleep(100);
          }
          const late = await api(node.url, "POST", `/v1/runs/${first.runId}/complete`, {
            fencingToken: first.token,
          });
          assertEquals(late.status, 409);
          assertEquals(late.json.error.code, "conflict");
          const lateHeartbeat = await api(node.url, "POST", `/v1/runs/${first.runId}/heartbeat`, {
            fencingToken: first.token,
          });
          assertEquals(lateHeartbeat.status, 409);
          const runs = (await api(node.url, "GET", "/v1/jobs/once/runs")).json.runs;
          assertEquals(
            runs.map((r: { attempt: number; outcome: string }) => [r.attempt, r.outcome]),
            [[2, "succeeded"], [1, "abandoned"]],
          );
          const types =
            (await sql.unsafe(`SELECT type FROM l1.event_log WHERE job = 'once' ORDER BY seq`)).map(
              (
                r,
              ) => r.type,
            );
          assertEquals(types, [
            "JOB_DEFINED",
            "RUN_STARTED",
            "RUN_ABANDONED",
            "RUN_RETRYING",
            "RUN_STARTED",
            "RUN_SUCCEEDED",
          ]);
          await rescuer.kill("SIGTERM");
        },
      );

      await t.step("claim headers, batch claims, stale tokens, fail and retry", async () => {
        await api(node.url, "PUT", "/v1/jobs/b", {
          at: "2100-01-01T00:00:00Z",
          task: "batch",
          overlap: "allow",
          retries: 1,
          retryDelay: "10ms",
        });
        for (let i = 0; i < 3; i++) {
          assertEquals((await api(node.url, "POST", "/v1/jobs/b/trigger")).status, 202);
        }
        const res = await fetch(`${node.url}/v1/claim`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ tasks: ["batch"], max: 2, waitMs: 1000 }),
        });
        const runs = await res.json();
        assertEquals(runs.length, 2);
        assertEquals(res.headers.get("x-kron-run-count"), "2");
        assertEquals(
          res.headers.get("x-kron-run"),
          runs.map((r: { runId: string }) => r.runId).join(", "),
        );
        assertEquals(
          res.headers.get("x-kron-fencing-token"),
          runs.map((r: { fencingToken: number }) => r.fencingToken).join(", "),
        );
        for (
          const key of [
            "job",
            "runId",
            "payload",
            "attempt",
            "scheduledAt",
            "idempotencyKey",
            "fencingToken",
            "leaseUntil",
          ]
        ) {
          assert(key in runs[0], `claim lacks ${key}`);
        }
        const one = await fetch(`${node.url}/v1/claim`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ tasks: ["batch"], max: 5 }),
        });
        const [third] = await one.json();
        assertEquals(one.headers.get("x-kron-job"), "b");
        assertEquals(one.headers.get("x-kron-run"), third.runId);
        assertEquals(one.headers.get("x-kron-idempotency-key"), third.idempotencyKey);
        assertEquals(one.headers.get("x-kron-fencing-token"), String(third.fencingToken));
        const wrong = await api(node.url, "POST", `/v1/runs/${runs[0].runId}/complete`, {
          fencingToken: runs[1].fencingToken,
        });
        assertEquals(wrong.status, 409);
        const batch = await api(node.url, "POST", "/v1/complete", {
          runs: [{ runId: runs[0].runId, fencingToken: runs[0].fencingToken }, {
            runId: runs[1].runId,
            fencingToken: 999999,
          }],
        });
        assertEquals(batch.json, { accepted: [runs[0].runId], rejected: [runs[1].runId] });
        const failed = await api(node.url, "POST", `/v1/runs/${third.runId}/fail`, {
          fencingToken: third.fencingToken,
          error: "boom",
        });
        assertEquals(failed.status, 200);
        assert(failed.json.retryAt !== null);
        await sleep(100);
        const [retry] = await (await fetch(`${node.url}/v1/claim`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ tasks: ["batch"], max: 5, waitMs: 2000 }),
        })).json();
        // runs[1] is still leased; the retry of the failed one is attempt 2 of its occurrence.
        assertEquals(retry.idempotencyKey, third.idempotencyKey);
        assertEquals(retry.attempt, 2);
        assertEquals((await api(node.url, "GET", "/v1/jobs/b")).json.state, "running");
        assertEquals((await api(node.url, "GET", "/healthz")).status, 200);
        assertEquals((await fetch(`${node.url}/v1/jobs`)).status, 401);
        assertEquals((await fetch(`${node.url}/healthz`)).status, 200);
      });

      await t.step("kron status/history/trigger/pause/resume --server", async () => {
        const cli = async (...args: string[]) => {
          const out = await new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", "--quiet", "main.ts", ...args, "--server", node.url],
            cwd: ROOT,
            env: { KRON_TOKEN: TOKEN, NO_COLOR: "1" },
          }).output();
          return { code: out.code, out: new TextDecoder().decode(out.stdout) };
        };
        const status = await cli("status", "--json");
        assertEquals(status.code, 0);
        assert(JSON.parse(status.out).some((j: { name: string }) => j.name === "once"));
        assertEquals((await cli("history", "once", "--json")).code, 0);
        assertEquals(JSON.parse((await cli("history", "once", "--json")).out).length, 2);
        assertEquals((await cli("pause", "once")).code, 0);
        assertEquals(JSON.parse((await cli("status", "once", "--json")).out).state, "paused");
        assertEquals((await cli("resume", "once")).code, 0);
        const trig = await cli("trigger", "once", "--json");
        assertEquals(trig.code, 0);
        assert(JSON.parse(trig.out).runId);
        // Pending under overlap "skip": a second trigger is refused with exit 1.
        assertEquals((await cli("trigger", "once")).code, 1);
      });

      await t.step("KronClient and KronWorker", async () => {
        const client = new KronClient(node.url, { token: TOKEN });
        const s = await client.schedule("sdk", {
          every: "1s",
          task: "sdk.task",
          payload: { n: 1 },
          retries: 2,
        });
        assertEquals(s.task, "sdk.task");
        assert(s.nextRunAt instanceof Date);
        assert((await client.list()).some((j) => j.name === "sdk"));
        const seen: { payload: unknown; key: string; token: number }[] = [];
        const worker = new KronWorker(node.url, { token: TOKEN, concurrency: 2, waitMs: 2000 });
        worker.task("sdk.task", async (payload, ctx) => {
          seen.push({ payload, key: ctx.idempotencyKey, token: ctx.fencingToken });
          assert(ctx.scheduledAt instanceof Date && !ctx.signal.aborted);
          // Longer than a third of the lease: a heartbeat must keep it.
          if (seen.length === 1) await sleep(1200);
        });
        const running = worker.run();
        await sleep(3500);
        await client.pause("sdk");
        assertEquals((await client.status("sdk")).state === "paused", true);
        await worker.stop({ timeout: 5000 });
        await running;
        assert(seen.length >= 2, `worker ran ${seen.length}`);
        assertEquals(seen[0].payload, { n: 1 });
        const history = await client.history("sdk", { limit: 10 });
        assert(
          history.length >= 2 && history.every((r) => r.outcome === "succeeded"),
          JSON.stringify(history),
        );
        assert(history[0].startedAt instanceof Date);
        await client.resume("sdk");
        const runId = await client.trigger("sdk");
        assertEquals((await client.run(runId)).id, runId);
        await client.remove("sdk");
        let missing = false;
        await client.status("sdk").catch((e) => missing = e.status === 404);
        assert(missing);
      });
    } finally {
      await Promise.all(procs.map((p) => p.kill("SIGKILL")));
      await sql.end();
      await pg.destroy();
    }
  },
});
