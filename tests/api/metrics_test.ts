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
  assertEquals(valueOf(m, "kron_runs_total", { kron_job: "ok", outcome: "succeeded" }), 2);
  assertEquals(valueOf(m, "kron_runs_total", { kron_job: "bad", outcome: "failed" }), 1);
  assertEquals(valueOf(m, "kron_run_duration_seconds_count", { kron_job: "ok" }), 2);
  assertEquals(valueOf(m, "kron_run_duration_seconds_bucket", { kron_job: "ok", le: "+Inf" }), 2);
  // Only the scheduled one-shot counts toward lateness; manual triggers are not late.
  assertEquals(valueOf(m, "kron_run_lateness_seconds_count"), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "paused" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "failing" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "done" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "idle" }), 1);
  assertEquals(valueOf(m, "kron_jobs", { state: "orphaned" }), 0);
  const next = valueOf(m, "kron_job_next_run_timestamp_seconds", { kron_job: "ok" })!;
  assertEquals(next, rig.kron.status("ok").nextRunAt!.getTime() / 1000);
  assertEquals(
    valueOf(m, "kron_job_next_run_timestamp_seconds", { kron_job: "idle" }),
    0,
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

Deno.test("GET /metrics: per-job series under kron_job, at 0 from the definition, one outcome per attempt", async () => {
  await using rig = await startRig({
    fresh: { options: { every: "1h" } },
    flaky: {
      options: { every: "1h", retries: 1, retryDelay: "10ms" },
      fn: () => Promise.reject(new Error("boom")),
    },
    "dotted.name-1": { options: { every: "1h" } },
  });
  const first = parseExposition(await (await rig.sock("/metrics")).text());
  for (const f of first.values()) {
    for (const s of f.samples) {
      assert(!("job" in s.labels) && !("instance" in s.labels), `${s.name} has no job label`);
    }
  }
  for (const outcome of ["succeeded", "failed", "timed_out", "cancelled", "abandoned", "skipped"]) {
    assertEquals(valueOf(first, "kron_runs_total", { kron_job: "fresh", outcome }), 0, outcome);
  }
  for (
    const name of [
      "kron_dead_occurrences_total",
      "kron_job_running",
      "kron_job_consecutive_failures",
      "kron_job_last_run_timestamp_seconds",
      "kron_job_last_success_timestamp_seconds",
    ]
  ) assertEquals(valueOf(first, name, { kron_job: "fresh" }), 0, name);
  assertEquals(
    valueOf(first, "kron_runs_total", { kron_job: "dotted.name-1", outcome: "failed" }),
    0,
  );
  assertEquals(valueOf(first, "kron_run_duration_seconds_count", { kron_job: "fresh" }), undefined);

  const before = Date.now() / 1000;
  await rig.kron.trigger("fresh");
  await rig.kron.trigger("flaky");
  await until(() =>
    rig.kron.status("flaky").consecutiveFailures === 1 && rig.kron.status("flaky").running === 0 &&
    rig.kron.status("fresh").running === 0
  );
  // The metrics count events as they are committed, a moment after the status shows them.
  let m = parseExposition(await (await rig.sock("/metrics")).text());
  await until(async () => {
    m = parseExposition(await (await rig.sock("/metrics")).text());
    return valueOf(m, "kron_dead_occurrences_total", { kron_job: "flaky" }) === 1 &&
      valueOf(m, "kron_runs_total", { kron_job: "fresh", outcome: "succeeded" }) === 1;
  });
  // Two attempts of flaky (first + retry), each once; the dead occurrence is its own counter.
  assertEquals(valueOf(m, "kron_runs_total", { kron_job: "flaky", outcome: "failed" }), 2);
  assertEquals(valueOf(m, "kron_dead_occurrences_total", { kron_job: "flaky" }), 1);
  const attempts = ["succeeded", "failed", "timed_out", "cancelled", "abandoned"]
    .reduce((n, outcome) => n + valueOf(m, "kron_runs_total", { kron_job: "flaky", outcome })!, 0);
  assertEquals(attempts, 2, "summing outcomes counts each attempt once");
  assertEquals(valueOf(m, "kron_job_consecutive_failures", { kron_job: "flaky" }), 1);
  assertEquals(valueOf(m, "kron_job_last_success_timestamp_seconds", { kron_job: "flaky" }), 0);
  const success = valueOf(m, "kron_job_last_success_timestamp_seconds", { kron_job: "fresh" })!;
  const ran = valueOf(m, "kron_job_last_run_timestamp_seconds", { kron_job: "fresh" })!;
  assert(before - 1 <= ran && ran <= success && success <= Date.now() / 1000, `${ran} ${success}`);
  assertEquals(
    success,
    rig.kron.status("fresh").lastRun!.finishedAt!.getTime() / 1000,
    "last success is the run's end",
  );
  assertEquals(valueOf(m, "kron_run_duration_seconds_count", { kron_job: "fresh" }), 1);
  // Buckets from milliseconds to hours, no gap over ×2.5 up to an hour.
  const bounds = m.get("kron_run_duration_seconds")!.samples
    .filter((s) => s.labels.kron_job === "fresh" && s.labels.le && s.labels.le !== "+Inf")
    .map((s) => Number(s.labels.le));
  assert(bounds[0] <= 0.005 && bounds[bounds.length - 1] >= 3600, `${bounds}`);
  for (let i = 1; i < bounds.length && bounds[i] <= 3600; i++) {
    assert(bounds[i] / bounds[i - 1] <= 2.5, `gap ${bounds[i - 1]} -> ${bounds[i]}`);
  }
});

Deno.test("GET /metrics: metricsJobHistograms false drops per-job histograms, keeps counters", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } }, {
    metricsJobHistograms: false,
  });
  await rig.kron.trigger("a");
  await until(() => rig.kron.status("a").lastRun?.outcome === "succeeded");
  const m = parseExposition(await (await rig.sock("/metrics")).text());
  assertEquals(m.get("kron_run_duration_seconds"), undefined);
  assertEquals(valueOf(m, "kron_runs_total", { kron_job: "a", outcome: "succeeded" }), 1);
  assertEquals(valueOf(m, "kron_run_lateness_seconds_count"), 0);
});

/** One raw HTTP/1.1 GET over the socket: status line, headers (lowercase) and body bytes. */
async function rawGet(socket: string, path: string, headers: Record<string, string>) {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nhost: kron\r\nconnection: close\r\n${lines}\r\n`,
    ),
  );
  const bytes = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  let end = 0;
  while (
    !(bytes[end] === 13 && bytes[end + 1] === 10 && bytes[end + 2] === 13 && bytes[end + 3] === 10)
  ) end++;
  const head = new TextDecoder().decode(bytes.subarray(0, end)).split("\r\n");
  const h = new Map(
    head.slice(1).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
    }),
  );
  let body: Uint8Array<ArrayBuffer> = bytes.slice(end + 4);
  if (h.get("transfer-encoding") === "chunked") {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let at = 0;;) {
      const nl = body.indexOf(13, at);
      const size = parseInt(new TextDecoder().decode(body.subarray(at, nl)), 16);
      if (size === 0) break;
      parts.push(body.slice(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
    body = new Uint8Array(await new Blob(parts).arrayBuffer());
  }
  return { status: head[0], headers: h, body };
}

Deno.test("GET /metrics: gzipped when the scraper accepts gzip, the same exposition as plain", async () => {
  const jobs: Record<string, { options: { every: string } }> = {};
  for (let i = 0; i < 300; i++) jobs[`j${i}`] = { options: { every: "1h" } };
  await using rig = await startRig(jobs);
  await rig.kron.trigger("j7");
  await until(() => rig.kron.status("j7").lastRun?.outcome === "succeeded");
  const socket = `${rig.dataDir}/kron.sock`;
  // The run's end reaches the metrics with its event (after the status shows it): wait for it.
  await until(async () =>
    (await (await rig.sock("/metrics")).text()).includes(
      'kron_runs_total{kron_job="j7",outcome="succeeded"} 1',
    )
  );
  const gz = await rawGet(socket, "/metrics", { "accept-encoding": "gzip, deflate" });
  assertMatch(gz.status, / 200 /);
  assertEquals(gz.headers.get("content-encoding"), "gzip");
  assertEquals([gz.body[0], gz.body[1]], [0x1f, 0x8b], "a gzip stream");
  const unzipped = await new Response(
    new Blob([gz.body]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  const plain = await rawGet(socket, "/metrics", { "accept-encoding": "gzip;q=0, identity" });
  assertEquals(plain.headers.get("content-encoding"), undefined);
  const text = new TextDecoder().decode(plain.body);
  assert(gz.body.length * 5 < plain.body.length, `${gz.body.length} vs ${plain.body.length}`);
  // Same series and values (a gauge read twice may differ only in next-run times).
  const a = parseExposition(unzipped), b = parseExposition(text);
  assertEquals([...a.keys()], [...b.keys()]);
  assertEquals(valueOf(a, "kron_runs_total", { kron_job: "j7", outcome: "succeeded" }), 1);
  assertEquals(valueOf(b, "kron_runs_total", { kron_job: "j7", outcome: "succeeded" }), 1);
  assertEquals(a.get("kron_runs_total")!.samples.length, 300 * 6);
});

Deno.test("crc32Combine: the CRC of a concatenation from its parts' (random splits)", async () => {
  const { crc32Combine } = await import("../../src/api/_crc32_combine.ts");
  const { crc32 } = await import("node:zlib");
  const all = crypto.getRandomValues(new Uint8Array(50_000));
  for (let i = 0; i < 50; i++) {
    const cut = Math.floor(Math.random() * all.length);
    const a = all.subarray(0, cut), b = all.subarray(cut);
    assertEquals(crc32Combine(crc32(a) >>> 0, crc32(b) >>> 0, b.length), crc32(all) >>> 0);
  }
});

Deno.test("GET /metrics gzipped: blocks compressed apart make one valid member, before and after changes", async () => {
  const jobs: Record<string, { options: { every: string } }> = {};
  for (let i = 0; i < 500; i++) jobs[`j${i}`] = { options: { every: "1h" } };
  await using rig = await startRig(jobs);
  const socket = `${rig.dataDir}/kron.sock`;
  const gunzip = (b: Uint8Array<ArrayBuffer>) =>
    new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const plainText = async () =>
    new TextDecoder().decode(
      (await rawGet(socket, "/metrics", { "accept-encoding": "identity" })).body,
    );
  for (const job of [null, "j3", "j400", null]) {
    if (job) {
      await rig.kron.trigger(job);
      await until(async () =>
        (await plainText()).includes(`kron_runs_total{kron_job="${job}",outcome="succeeded"} 1`)
      );
    }
    const gz = await rawGet(socket, "/metrics", { "accept-encoding": "gzip" });
    assertEquals(gz.headers.get("content-encoding"), "gzip");
    const text = await gunzip(gz.body); // DecompressionStream checks the CRC and length
    const plain = await plainText();
    // The same series; values may differ only where a gauge was re-read between the two.
    assertEquals([...parseExposition(text).keys()], [...parseExposition(plain).keys()]);
    if (job) assert(text.includes(`kron_runs_total{kron_job="${job}",outcome="succeeded"} 1`));
  }
});
