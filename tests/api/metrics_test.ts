// GET /metrics: valid Prometheus text format, kron_ names, values that follow the events.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { startRig, until } from "./_helpers.ts";
import { parseExposition, valueOf } from "./_prom.ts";

Deno.test("the test's exposition parser rejects malformed input", () => {
  const bad = [
    "x 1", // no newline at the end
    "x 1\n", // no TYPE
    '# TYPE x counter\nx{a="b} 1\n',
    '# TYPE x counter\nx{a="\\q"} 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n',
    "# TYPE x counter\nx -1\n",
  ];
  for (const text of bad) {
    let threw = false;
    try {
      parseExposition(text);
    } catch {
      threw = true;
    }
    assert(threw, JSON.stringify(text));
  }
  const ok = parseExposition('# HELP x a \\\\ b\n# TYPE x gauge\nx{l="a\\"b\\\\c\\nd"} 1.5e3\n');
  assertEquals(ok.get("x")!.samples[0].labels.l, 'a"b\\c\nd');
  assertEquals(ok.get("x")!.help, "a \\ b");
});

Deno.test("GET /metrics: kron_ metrics in valid text format that follow what happened", async () => {
  const version = '1.2.3-"rc"\\x';
  await using rig = await startRig({
    ok: { options: { every: "1h" } },
    bad: { options: { every: "1h" }, fn: () => Promise.reject(new Error("boom")) },
    soon: { options: { after: "30ms" } },
    idle: { options: { cron: "0 0 1 1 *" } },
  }, { version });
  const idle = () => rig.kron.list().every((j) => j.running === 0);
  for (const job of ["ok", "ok", "bad"]) {
    await rig.kron.trigger(job);
    await until(idle);
  }
  rig.kron.pause("idle");
  await until(() =>
    rig.kron.status("soon").state === "done" && rig.kron.list().every((j) => j.running === 0)
  );

  const res = await rig.sock("/metrics");
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const m = parseExposition(text);
  for (const name of m.keys()) assertMatch(name, /^kron_/);
  for (
    const name of [
      "kron_runs_total",
      "kron_run_duration_seconds",
      "kron_run_lateness_seconds",
      "kron_jobs",
      "kron_job_next_run_timestamp_seconds",
      "kron_log_bytes",
      "kron_last_compaction_timestamp_seconds",
      "kron_up",
      "kron_build_info",
    ]
  ) {
    const f = m.get(name);
    assert(f, `${name} is exposed`);
    assert(f.help && f.help.length > 0, `${name} has HELP`);
  }
  assertEquals(m.get("kron_runs_total")!.type, "counter");
  assertEquals(m.get("kron_run_duration_seconds")!.type, "histogram");
  assertEquals(m.get("kron_run_lateness_seconds")!.type, "histogram");
  assertEquals(valueOf(m, "kron_runs_total", { job: "ok", outcome: "succeeded" }), 2);
  assertEquals(valueOf(m, "kron_runs_total", { job: "bad", outcome: "failed" }), 1);
  assertEquals(valueOf(m, "kron_run_duration_seconds_count", { job: "ok" }), 2);
  assertEquals(valueOf(m, "kron_run_duration_seconds_bucket", { job: "ok", le: "+Inf" }), 2);
  // Only the scheduled one-shot counts toward lateness; manual triggers are not late.
  assertEquals(valueOf(m, "kron_run_lateness_seconds_count"), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "paused" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "failing" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "done" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "idle" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "orphaned" }), 0);
  const next = valueOf(m, "kron_job_next_run_timestamp_seconds", { job: "ok" })!;
  assertEquals(next, rig.kron.status("ok").nextRunAt!.getTime() / 1000);
  assertEquals(
    valueOf(m, "kron_job_next_run_timestamp_seconds", { job: "idle" }),
    undefined,
    "paused: no next run",
  );
  assert(valueOf(m, "kron_log_bytes")! > 0);
  assertEquals(valueOf(m, "kron_last_compaction_timestamp_seconds"), 0);
  assertEquals(valueOf(m, "kron_up"), 1);
  assertEquals(valueOf(m, "kron_build_info", { version }), 1);
  assert(text.includes(`version="1.2.3-\\"rc\\"\\\\x"`), "label values are escaped");

  await (await rig.sock("/v1/compact", { method: "POST" })).body?.cancel();
  const after = parseExposition(await (await rig.sock("/metrics")).text());
  const compactedAt = valueOf(after, "kron_last_compaction_timestamp_seconds")!;
  assert(Math.abs(compactedAt - Date.now() / 1000) < 60, `compaction time ${compactedAt}`);

  await rig.kron.shutdown();
  const down = parseExposition(await (await rig.sock("/metrics")).text());
  assertEquals(valueOf(down, "kron_up"), 0);
});
