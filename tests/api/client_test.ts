// AdminClient over the real socket and over TCP; server errors become KronErrors.
import { assert, assertEquals, assertMatch, assertRejects } from "./_assert.ts";
import { deferred, startRig, tempDir, until } from "./_helpers.ts";
import { type AdminApiError, AdminClient } from "../../src/api/mod.ts";
import { KronError } from "../../src/errors.ts";
import { Kron } from "../../src/kron/mod.ts";

function code(expected: string, status?: number) {
  return (e: unknown) => {
    assert(e instanceof KronError, String(e));
    assertEquals(e.code as string, expected);
    if (status !== undefined) assertEquals((e as AdminApiError).status, status);
  };
}

Deno.test("AdminClient.connect: null without a runtime, every method over the socket", async () => {
  assertEquals(await AdminClient.connect(tempDir()), null);
  const gate = deferred();
  const dataDir = tempDir();
  {
    // An orphan to forget.
    const k = new Kron({ dataDir, durability: "none" });
    k.schedule("old", { every: "1h" }, () => {});
    await k.start();
    await k.shutdown();
  }
  await using rig = await startRig({
    a: { options: { every: "1h", description: "job a" } },
    slow: { options: { every: "1h" }, fn: () => gate.promise },
  }, { dataDir, reload: () => Promise.resolve({ added: [], changed: ["a"], removed: [] }) });
  const c = (await AdminClient.connect(rig.dataDir))!;
  try {
    assertEquals(await c.health(), { status: "ok" });
    const list = await c.jobs();
    assertEquals(list.jobs.map((j) => j.name), ["a", "old", "slow"]);
    assertEquals((await c.jobs({ limit: 1 })).nextCursor, "a");
    assertEquals((await c.jobs({ limit: 1, cursor: "a" })).jobs[0].name, "old");
    const a = await c.job("a");
    assertEquals([a.name, a.description, a.scheduleText], ["a", "job a", "every hour"]);
    const { runId } = await c.trigger("a");
    await until(async () => (await c.run(runId)).outcome === "succeeded");
    assertEquals((await c.runs("a", 5)).runs[0].id, runId);
    Deno.mkdirSync(`${rig.dataDir}/runs/a`, { recursive: true });
    Deno.writeTextFileSync(`${rig.dataDir}/runs/a/${runId}.log`, "out\n");
    assertEquals(await c.runLog(runId), "out\n");
    assertEquals((await c.pause("a", "2h")).state, "paused");
    assertEquals((await c.resume("a")).state, "idle");
    assertEquals((await c.pause("a")).pausedUntil, null);
    await c.resume("a");
    assertEquals(await c.forget("old"), { forgotten: "old" });
    assertEquals(await c.reload(), { added: [], changed: ["a"], removed: [] });
    assertEquals(await c.compact(), { compacted: true });

    await assertRejects(() => c.job("ghost"), code("unknown_job", 404));
    await assertRejects(() => c.job("../x"), code("invalid_name", 400));
    await assertRejects(() => c.run("01J5Z3XK7Q8V9W0Y1Z2A3B4C5D"), code("unknown_run", 404));
    await assertRejects(() => c.forget("a"), code("conflict", 409));
    await assertRejects(() => c.pause("a", "soon"), code("invalid_schedule", 400));
    await c.trigger("slow");
    await assertRejects(() => c.trigger("slow"), (e) => {
      code("conflict", 409)(e);
      assertMatch((e as Error).message, /already running/);
    });
  } finally {
    gate.resolve();
    c.close();
  }
});

Deno.test("AdminClient.events: live events, then resume after a reconnect", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  const c = (await AdminClient.connect(rig.dataDir))!;
  try {
    const it = c.events();
    const first = it.next();
    await new Promise((r) => setTimeout(r, 20));
    await rig.kron.trigger("a");
    const e = (await first).value!;
    assertEquals(e.type, "RUN_STARTED");
    assertEquals(e.id, (e.data as { seq: number }).seq);
    await it.return(undefined);
    await until(() => rig.kron.status("a").running === 0);
    await rig.kron.trigger("a");
    const seen: number[] = [];
    for await (const ev of c.events(e.id)) {
      seen.push(ev.id);
      if (ev.id === rig.kron.engine.state.seq && rig.kron.status("a").running === 0) break;
      if (seen.length >= 3) break;
    }
    assertEquals(seen, [e.id + 1, e.id + 2, e.id + 3]);
  } finally {
    c.close();
  }
});

Deno.test("AdminClient.http: bearer token over TCP; a wrong one is a KronError 'unauthorized'", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } }, { http: "127.0.0.1:0" });
  const token = Deno.env.get("KRON_TOKEN") ??
    Deno.readTextFileSync(`${rig.dataDir}/admin.token`).trim();
  const good = AdminClient.http(rig.tcpUrl, token);
  assertEquals((await good.jobs()).jobs[0].name, "a");
  assertEquals((await good.trigger("a")).runId.length, 26);
  const bad = AdminClient.http(rig.tcpUrl, "nope");
  await assertRejects(() => bad.jobs(), code("unauthorized", 401));
  assertEquals(await bad.health(), { status: "ok" });
});

// What makes `kron status` quick is what it loads: Deno start-up plus the client's few modules
// (its speed is measured by scripts/bench/cli.ts, not asserted here). So the test checks the
// modules that really run (static value imports; `import type` is erased) and that the read
// works end to end in a fresh process.
Deno.test("`kron status`'s client runs 5 small modules (no engine, Hono or npm) and lists every job over the socket", async () => {
  const script = new URL("./fixtures/status.ts", import.meta.url).pathname;
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", script] })
    .output();
  assertEquals(info.code, 0, new TextDecoder().decode(info.stderr));
  type Info = {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const graph: Info = JSON.parse(new TextDecoder().decode(info.stdout));
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (loaded.has(s)) continue;
    loaded.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (d.code && !d.isDynamic) todo.push(d.code.specifier);
    }
  }
  const src = new URL("../../src/", import.meta.url).href;
  const names = [...loaded].filter((s) => s !== graph.roots[0])
    .map((s) => s.startsWith(src) ? s.slice(src.length) : s).sort();
  assertEquals(names, [
    "api/_unix_http.ts",
    "api/client.ts",
    "api/sse_parser.ts",
    "errors.ts",
    "http/client.ts",
    "http/errors.ts",
    "http/nodes.ts",
  ]);

  const jobs: Record<string, { options: { every: string } }> = {};
  for (let i = 0; i < 50; i++) jobs[`job-${i}`] = { options: { every: "1h" } };
  await using rig = await startRig(jobs);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${rig.dataDir}`,
      `--allow-write=${rig.dataDir}`,
      `--allow-net=unix:${rig.dataDir}/kron.sock,localhost`,
      script,
      rig.dataDir,
    ],
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assertEquals(lines.length, 50);
  assertEquals(lines[0], "job-0 idle");
});
