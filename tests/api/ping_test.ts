// POST /v1/jobs/:name/ping and late/down over the admin API: a watched job (Kron.watch) on a
// fake clock, served on the real socket: pings become runs, a job kron runs is refused (409),
// bad bodies are 400; going late shows in the job's JSON, on the SSE stream and in /metrics.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { postJson } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { FakeClock } from "../../src/engine/mod.ts";
import { serveAdmin, SseParser } from "../../src/api/mod.ts";

const T0 = Date.parse("2026-03-02T10:00:00.000Z");

Deno.test("ping route: runs for a watched job, 409 for one kron runs, 400 for bad bodies; late shows in JSON, SSE and metrics", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-ping-" });
  const clock = new FakeClock(T0);
  const kron = new Kron({ dataDir, durability: "none", admin: false, clock });
  kron.watch("ext", { every: "1m", startAt: new Date(T0).toISOString(), grace: "30s" });
  kron.schedule("own", { every: "1h" }, () => {});
  await kron.start();
  const admin = await serveAdmin(kron, { dataDir });
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: `${dataDir}/kron.sock` },
  });
  const sock = (path: string, init: RequestInit = {}) =>
    fetch(`http://kron${path}`, { ...init, client } as RequestInit);
  const events = await sock("/v1/events", { headers: { accept: "text/event-stream" } });
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    await clock.advance(10_000);
    const start = await sock("/v1/jobs/ext/ping", postJson({ kind: "start" }));
    assertEquals(start.status, 200);
    const { runId } = await start.json();
    assertEquals(runId.length, 26);
    await clock.advance(5_000);
    const done = await sock("/v1/jobs/ext/ping", postJson({ exitCode: 0 }));
    assertEquals((await done.json()).runId, runId, "the success closes the started run");
    const runs = (await (await sock("/v1/jobs/ext/runs")).json()).runs;
    assertEquals(
      [runs[0].trigger, runs[0].outcome, runs[0].durationMs, runs[0].scheduledAt],
      ["ping", "succeeded", 5_000, new Date(T0).toISOString()],
    );

    const refused = await sock("/v1/jobs/own/ping", postJson({}));
    assertEquals(refused.status, 409);
    assertMatch((await refused.json()).error.message, /not watched/);
    for (
      const body of [{ kind: "maybe" }, { exitCode: -1 }, { kind: "start", exitCode: 1 }, { x: 1 }]
    ) {
      const bad = await sock("/v1/jobs/ext/ping", postJson(body));
      assertEquals(bad.status, 400, JSON.stringify(body));
      await bad.body?.cancel();
    }
    const trigger = await sock("/v1/jobs/ext/trigger", { method: "POST" });
    assertEquals(trigger.status, 409);
    await trigger.body?.cancel();

    // 10:01 is not pinged: late at 10:01:30.
    let job = await (await sock("/v1/jobs/ext")).json();
    assertEquals([job.state, job.health, job.grace, job.expectedAt], [
      "idle",
      "ok",
      "30s",
      new Date(T0 + 60_000).toISOString(),
    ]);
    await clock.advance(80_000);
    job = await (await sock("/v1/jobs/ext")).json();
    assertEquals([job.state, job.health, job.kind], ["late", "late", "watch"]);
    assertEquals(job.lateSince, new Date(T0 + 90_000).toISOString());
    const list = (await (await sock("/v1/jobs")).json()).jobs;
    assertEquals(list.find((j: { name: string }) => j.name === "ext").health, "late");

    // The transition went out on the live stream.
    const parser = new SseParser();
    const seen: string[] = [];
    const deadline = Date.now() + 10_000;
    while (!seen.includes("JOB_LATE") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const m of parser.push(value)) seen.push(m.event ?? "");
    }
    assert(seen.includes("JOB_LATE"), `SSE events: ${seen.join(", ")}`);

    const metrics = await (await sock("/metrics")).text();
    assertMatch(metrics, /^kron_job_late\{kron_job="ext"\} 1$/m);
    assertMatch(metrics, /^kron_job_down\{kron_job="ext"\} 0$/m);
    assertMatch(metrics, /^kron_job_late\{kron_job="own"\} 0$/m);
  } finally {
    await reader.cancel().catch(() => {});
    client.close();
    await admin.close();
    await kron.shutdown({ timeout: "1s" });
    Deno.removeSync(dataDir, { recursive: true });
  }
});
