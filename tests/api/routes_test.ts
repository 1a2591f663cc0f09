// Every route of DESIGN §6 over the real Unix socket, and each error status.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { deferred, postJson, startRig, tempDir, until } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { createAdminApp } from "../../src/api/mod.ts";

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assertMatch(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  assertEquals(Object.keys(body), ["error"]);
  assertEquals(Object.keys(body.error).sort(), ["code", "message"]);
  return body.error;
}

Deno.test("GET /v1/jobs: compact summaries, sorted, paginated with a cursor", async () => {
  const jobs: Record<string, { options: { every: string } }> = {};
  for (let i = 0; i < 250; i++) {
    jobs[`job-${String(i).padStart(3, "0")}`] = { options: { every: "1h" } };
  }
  await using rig = await startRig(jobs);
  const first = await (await rig.sock("/v1/jobs")).json();
  assertEquals(first.jobs.length, 100);
  assertEquals(first.nextCursor, "job-099");
  const j = first.jobs[0];
  assertEquals(Object.keys(j).sort(), [
    "consecutiveFailures",
    "expectedAt",
    "grace",
    "health",
    "kind",
    "lastRun",
    "name",
    "nextRunAt",
    "running",
    "schedule",
    "scheduleText",
    "state",
  ]);
  assertEquals(j.name, "job-000");
  assertEquals(j.state, "idle");
  assertEquals(j.scheduleText, "every hour");
  assertMatch(j.nextRunAt, /^\d{4}-\d\d-\d\dT/);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { jobs: { name: string }[]; nextCursor: string | null } = await (await rig.sock(
      `/v1/jobs?limit=70${cursor ? `&cursor=${cursor}` : ""}`,
    )).json();
    seen.push(...page.jobs.map((x) => x.name));
    cursor = page.nextCursor;
  } while (cursor);
  assertEquals(seen.length, 250);
  assertEquals(new Set(seen).size, 250);
  assertEquals(seen, [...seen].sort());
  const all = await (await rig.sock("/v1/jobs?limit=1000")).json();
  assertEquals([all.jobs.length, all.nextCursor], [250, null]);
  for (const bad of ["0", "1001", "abc", "-1", "1.5"]) {
    const res = await rig.sock(`/v1/jobs?limit=${bad}`);
    assertEquals(res.status, 400, `limit=${bad}`);
    assertEquals((await errorOf(res)).code, "bad_request");
  }
  const res = await rig.sock("/v1/jobs?cursor=..%2Fx");
  assertEquals(res.status, 400);
  await res.body?.cancel();
});

Deno.test("GET /v1/jobs/:name, runs, run, trigger 202 and lastRun", async () => {
  await using rig = await startRig({
    "daily": { options: { cron: "0 8 * * *", timezone: "Europe/Rome", description: "the digest" } },
    "once": { options: { after: "1h" } },
  });
  const detail = await (await rig.sock("/v1/jobs/daily")).json();
  assertEquals(detail.name, "daily");
  assertEquals(detail.scheduleText, "At 08:00 (Europe/Rome)");
  assertEquals(detail.schedule, { cron: "0 8 * * *", timezone: "Europe/Rome" });
  assertEquals(detail.description, "the digest");
  for (
    const k of [
      "pausedUntil",
      "recentRuns",
      "totalRuns",
      "running",
      "consecutiveFailures",
      "kind",
      "lastRun",
    ]
  ) {
    assert(k in detail, k);
  }
  const trig = await rig.sock("/v1/jobs/daily/trigger", { method: "POST" });
  assertEquals(trig.status, 202);
  const { runId } = await trig.json();
  assertMatch(runId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  await until(async () =>
    (await (await rig.sock(`/v1/runs/${runId}`)).json()).outcome === "succeeded"
  );
  const run = await (await rig.sock(`/v1/runs/${runId}`)).json();
  assertEquals([run.id, run.job, run.trigger, run.attempt], [runId, "daily", "manual", 1]);
  for (
    const k of [
      "scheduledAt",
      "startedAt",
      "finishedAt",
      "durationMs",
      "error",
      "exitCode",
      "idempotencyKey",
      "jitterMs",
    ]
  ) {
    assert(k in run, k);
  }
  const runs = await (await rig.sock("/v1/jobs/daily/runs?limit=5")).json();
  assertEquals(runs.runs.map((r: { id: string }) => r.id), [runId]);
  const list = await (await rig.sock("/v1/jobs")).json();
  const daily = list.jobs.find((j: { name: string }) => j.name === "daily");
  assertEquals(daily.lastRun.id, runId);
  assertEquals(daily.lastRun.outcome, "succeeded");
  assert("finishedAt" in daily.lastRun && "exitCode" in daily.lastRun);
  assertEquals(
    list.jobs.find((j: { name: string }) => j.name === "once").scheduleText,
    "once, 1h after registration",
  );
  // Trigger with an empty JSON object is fine too.
  const t2 = await rig.sock("/v1/jobs/once/trigger", postJson({}));
  assertEquals(t2.status, 202);
  await t2.body?.cancel();
});

Deno.test("404s: unknown route, job and run; 400s: bad names and run ids", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  let res = await rig.sock("/nope");
  assertEquals(res.status, 404);
  assertEquals((await errorOf(res)).code, "not_found");
  res = await rig.sock("/v1/jobs/ghost");
  assertEquals(res.status, 404);
  assertEquals(await errorOf(res), { code: "unknown_job", message: 'no job named "ghost"' });
  for (
    const path of [
      "/v1/jobs/ghost/runs",
      "/v1/jobs/ghost/trigger",
      "/v1/jobs/ghost/pause",
      "/v1/jobs/ghost/resume",
    ]
  ) {
    res = await rig.sock(path, { method: path.endsWith("runs") ? "GET" : "POST" });
    assertEquals(res.status, 404, path);
    assertEquals((await errorOf(res)).code, "unknown_job");
  }
  res = await rig.sock("/v1/runs/01J5Z3XK7Q8V9W0Y1Z2A3B4C5D");
  assertEquals(res.status, 404);
  assertEquals((await errorOf(res)).code, "unknown_run");
  res = await rig.sock("/v1/runs/01J5Z3XK7Q8V9W0Y1Z2A3B4C5D/log");
  assertEquals(res.status, 404);
  await res.body?.cancel();
  for (const bad of ["-a", "a%2F..", ".hidden", "x".repeat(65), "a%20b"]) {
    res = await rig.sock(`/v1/jobs/${bad}`);
    assertEquals(res.status, 400, bad);
    assertEquals((await errorOf(res)).code, "invalid_name");
  }
  for (const bad of ["..%2F..%2Fetc%2Fpasswd", "short", "01j5z3xk7q8v9w0y1z2a3b4c5d"]) {
    res = await rig.sock(`/v1/runs/${bad}/log`);
    assertEquals(res.status, 400, bad);
    assertEquals((await errorOf(res)).code, "bad_request");
  }
});

Deno.test("POST trigger answers 409 while a run is in flight under overlap skip", async () => {
  const gate = deferred();
  await using rig = await startRig({ slow: { options: { every: "1h" }, fn: () => gate.promise } });
  const first = await rig.sock("/v1/jobs/slow/trigger", { method: "POST" });
  assertEquals(first.status, 202);
  await first.body?.cancel();
  const second = await rig.sock("/v1/jobs/slow/trigger", { method: "POST" });
  assertEquals(second.status, 409);
  const err = await errorOf(second);
  assertEquals(err.code, "conflict");
  assertMatch(err.message, /already running/);
  gate.resolve();
});

Deno.test("pause {for}/{until}/empty and resume; body errors 400, 413, 415", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  let res = await rig.sock("/v1/jobs/a/pause", postJson({ for: "24h" }));
  assertEquals(res.status, 200);
  let body = await res.json();
  assertEquals(body.state, "paused");
  const until = Date.parse(body.pausedUntil);
  assert(Math.abs(until - (Date.now() + 24 * 3600_000)) < 60_000);
  res = await rig.sock("/v1/jobs/a/resume", { method: "POST" });
  assertEquals((await res.json()).state, "idle");
  res = await rig.sock("/v1/jobs/a/pause", postJson({ until: "2099-01-01T00:00:00Z" }));
  body = await res.json();
  assertEquals([body.state, body.pausedUntil], ["paused", "2099-01-01T00:00:00.000Z"]);
  await (await rig.sock("/v1/jobs/a/resume", postJson({}))).body?.cancel();
  res = await rig.sock("/v1/jobs/a/pause", { method: "POST" });
  body = await res.json();
  assertEquals([body.state, body.pausedUntil], ["paused", null]);
  await (await rig.sock("/v1/jobs/a/resume", { method: "POST" })).body?.cancel();

  const cases: [RequestInit, number, string][] = [
    [postJson({ for: "5x" }), 400, "invalid_schedule"],
    [postJson({ for: "1h", until: "2099-01-01T00:00:00Z" }), 400, "bad_request"],
    [postJson({ until: "tomorrow-ish" }), 400, "bad_request"],
    [postJson({ for: ["1h"] }), 400, "bad_request"],
    [postJson({ forever: true }), 400, "bad_request"],
    [postJson([1, 2]), 400, "bad_request"],
    [
      { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" },
      400,
      "bad_request",
    ],
    [
      { method: "POST", headers: { "content-type": "text/plain" }, body: '{"for":"1h"}' },
      415,
      "unsupported_media_type",
    ],
    [{ method: "POST", body: new URLSearchParams({ for: "1h" }) }, 415, "unsupported_media_type"],
    [postJson({ for: "1h", pad: "x".repeat(70 * 1024) }), 413, "payload_too_large"],
  ];
  for (const [init, status, code] of cases) {
    res = await rig.sock("/v1/jobs/a/pause", init);
    assertEquals(res.status, status, String(init.body).slice(0, 40));
    assertEquals((await errorOf(res)).code, code);
  }
  assertEquals((await (await rig.sock("/v1/jobs/a")).json()).state, "idle");
  // Bodies without a Content-Length (chunked) are read up to the cap.
  const chunked = (text: string): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new Blob([text]).stream(),
  });
  res = await rig.sock("/v1/jobs/a/pause", chunked(JSON.stringify({ pad: "x".repeat(70 * 1024) })));
  assertEquals([res.status, (await errorOf(res)).code], [413, "payload_too_large"]);
  res = await rig.sock("/v1/jobs/a/pause", chunked(JSON.stringify({ for: "1h" })));
  assertEquals([res.status, (await res.json()).state], [200, "paused"]);
});

Deno.test("GET /v1/runs/:id/log: text/plain from the data dir, 404 without a file, never outside", async () => {
  await using rig = await startRig({
    a: { options: { every: "1h" } },
    b: { options: { every: "1h" } },
  });
  const runId = (await (await rig.sock("/v1/jobs/a/trigger", { method: "POST" })).json()).runId;
  let res = await rig.sock(`/v1/runs/${runId}/log`);
  assertEquals(res.status, 404);
  assertEquals((await errorOf(res)).code, "not_found");
  Deno.mkdirSync(`${rig.dataDir}/runs/a`, { recursive: true });
  Deno.writeTextFileSync(`${rig.dataDir}/runs/a/${runId}.log`, "hello\nworld\n");
  res = await rig.sock(`/v1/runs/${runId}/log`);
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type")!, /^text\/plain/);
  assertEquals(await res.text(), "hello\nworld\n");
  // A symlink out of the data dir is not followed.
  const outside = `${tempDir()}/secret.txt`;
  Deno.writeTextFileSync(outside, "secret");
  const runB = (await (await rig.sock("/v1/jobs/b/trigger", { method: "POST" })).json()).runId;
  Deno.mkdirSync(`${rig.dataDir}/runs/b`, { recursive: true });
  Deno.symlinkSync(outside, `${rig.dataDir}/runs/b/${runB}.log`);
  res = await rig.sock(`/v1/runs/${runB}/log`);
  assertEquals(res.status, 404);
  await res.body?.cancel();
});

Deno.test("DELETE /v1/jobs/:name forgets an orphan; 409 for a defined job", async () => {
  const dataDir = tempDir();
  const before = new Kron({ dataDir, durability: "none" });
  before.schedule("keep", { every: "1h" }, () => {}).schedule("gone", { every: "1h" }, () => {});
  await before.start();
  await before.shutdown();
  await using rig = await startRig({ keep: { options: { every: "1h" } } }, { dataDir });
  assertEquals((await (await rig.sock("/v1/jobs/gone")).json()).state, "orphaned");
  let res = await rig.sock("/v1/jobs/keep", { method: "DELETE" });
  assertEquals(res.status, 409);
  assertEquals((await errorOf(res)).code, "conflict");
  res = await rig.sock("/v1/jobs/gone", { method: "DELETE" });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { forgotten: "gone" });
  await until(async () => (await rig.sock("/v1/jobs/gone")).status === 404);
  res = await rig.sock("/v1/jobs/gone", { method: "DELETE" });
  assertEquals(res.status, 404);
  await res.body?.cancel();
});

Deno.test("GET /v1/jobs: a job unscheduled turns orphaned at once, though no event was written", async () => {
  await using rig = await startRig({
    a: { options: { every: "1h" } },
    b: { options: { every: "1h" } },
  });
  const states = async () =>
    ((await (await rig.sock("/v1/jobs")).json()).jobs as { name: string; state: string }[])
      .map((j) => [j.name, j.state]);
  assertEquals(await states(), [["a", "idle"], ["b", "idle"]]); // now cached
  const seq = rig.kron.engine.state.seq;
  rig.kron.unschedule("b");
  assertEquals(rig.kron.engine.state.seq, seq);
  assertEquals(await states(), [["a", "idle"], ["b", "orphaned"]]);
});

Deno.test("POST /v1/reload: 501 without a hook, the hook's answer with one; POST /v1/compact", async () => {
  {
    await using rig = await startRig({ a: { options: { every: "1h" } } });
    const res = await rig.sock("/v1/reload", { method: "POST" });
    assertEquals(res.status, 501);
    assertEquals((await errorOf(res)).code, "not_implemented");
    const c = await rig.sock("/v1/compact", { method: "POST" });
    assertEquals(c.status, 200);
    assertEquals(await c.json(), { compacted: true });
    assert(Deno.statSync(`${rig.dataDir}/snapshot.json`).isFile);
  }
  let calls = 0;
  await using rig = await startRig({ a: { options: { every: "1h" } } }, {
    reload: () => {
      calls++;
      return Promise.resolve({ added: ["b"], changed: [], removed: ["c"] });
    },
  });
  const res = await rig.sock("/v1/reload", { method: "POST" });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { added: ["b"], changed: [], removed: ["c"] });
  assertEquals(calls, 1);
});

Deno.test("GET /healthz: ok while running, 503 with a reason when not", async () => {
  const rig = await startRig({ a: { options: { every: "1h" } } });
  let res = await rig.sock("/healthz");
  assertEquals([res.status, await res.json()], [200, { status: "ok" }]);
  await rig.kron.shutdown();
  res = await rig.sock("/healthz");
  assertEquals(res.status, 503);
  assertEquals(await res.json(), { status: "error", reason: "kron is not running" });
  await rig.close();
  // Same through the app factory on a Kron that never started.
  const app = createAdminApp(new Kron({ store: "memory" }), {
    tcp: false,
    dataDir: null,
    version: "t",
  });
  assertEquals((await app.request("/healthz")).status, 503);
});

Deno.test("dashboard pages are served on the socket without auth", async () => {
  await using rig = await startRig({ "nightly.backup": { options: { cron: "30 2 * * *" } } });
  let res = await rig.sock("/");
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type")!, /^text\/html/);
  assertMatch(res.headers.get("content-security-policy")!, /default-src 'none'/);
  const page = await res.text();
  assertMatch(page, /id="job-nightly.backup"/);
  assertMatch(page, /At 02:30/);
  res = await rig.sock("/jobs/nightly.backup");
  assertEquals(res.status, 200);
  assertMatch(await res.text(), /No runs yet/);
  res = await rig.sock("/jobs/ghost");
  assertEquals(res.status, 404);
  await res.body?.cancel();
  res = await rig.sock("/ui/jobs/nightly.backup/row");
  assertMatch((await res.text()).trim(), /^<article class="job\b/);
  // A JS-less form post redirects back.
  res = await rig.sock("/ui/jobs/nightly.backup/pause", {
    method: "POST",
    body: new URLSearchParams({ for: "1h", back: "/jobs/nightly.backup" }),
    redirect: "manual",
  });
  assertEquals([res.status, res.headers.get("location")], [303, "/jobs/nightly.backup"]);
  assertEquals(rig.kron.status("nightly.backup").state, "paused");
  res = await rig.sock("/ui/jobs/nightly.backup/resume", {
    method: "POST",
    body: new URLSearchParams({ back: "https://evil.example/" }),
    headers: { accept: "application/json" },
  });
  assertEquals(await res.json(), { ok: true, message: "resumed nightly.backup" });
});

Deno.test("GET /v1/jobs is never stale: a change shows in the very next list", async () => {
  await using rig = await startRig({
    a: { options: { every: "1h" } },
    b: { options: { every: "1h" } },
  });
  const states = async () =>
    (await (await rig.sock("/v1/jobs")).json()).jobs.map((j: { state: string }) => j.state);
  assertEquals(await states(), ["idle", "idle"]);
  assertEquals(await states(), ["idle", "idle"]); // served from the page cache
  rig.kron.pause("b");
  assertEquals(await states(), ["idle", "paused"]);
  await (await rig.sock("/v1/jobs/b/resume", { method: "POST" })).body?.cancel();
  assertEquals(await states(), ["idle", "idle"]);
  rig.kron.schedule("c", { every: "1m" }, () => {});
  assertEquals((await states()).length, 3);
});

Deno.test("GET /v1/jobs/:name/runs pages older runs by cursor: X-Next-Cursor and Link, same body shape", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    ids.unshift(await rig.kron.trigger("a"));
    await until(() => rig.kron.status("a").running === 0);
  }
  const seen: string[] = [];
  let path: string | null = "/v1/jobs/a/runs?limit=3";
  let pages = 0;
  while (path !== null) {
    const res = await rig.sock(path);
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(Object.keys(body), ["runs"]);
    seen.push(...body.runs.map((r: { id: string }) => r.id));
    const cursor = res.headers.get("x-next-cursor");
    const link = res.headers.get("link");
    if (cursor === null) {
      assertEquals(link, null);
      path = null;
    } else {
      assertEquals(body.runs.length, 3);
      const m = /^<([^>]+)>; rel="next"$/.exec(link ?? "");
      assert(m, `Link: ${link}`);
      assertEquals(new URL(m[1], "http://x").searchParams.get("before"), cursor);
      path = m[1];
    }
    assert(++pages < 10);
  }
  assertEquals(seen, ids);
  // A run id works as a cursor too; a malformed one is a 400.
  const older = await (await rig.sock(`/v1/jobs/a/runs?limit=2&before=${ids[4]}`)).json();
  assertEquals(older.runs.map((r: { id: string }) => r.id), ids.slice(5, 7));
  const bad = await rig.sock("/v1/jobs/a/runs?before=../x");
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
});
