// A real Prometheus server (Debian's `prometheus`, installed by .ci/deps) scrapes kron's /metrics
// over TCP with the bearer token, configured by examples/prometheus.yml (target and token path
// filled in), and the test asks its HTTP API what an alert or a dashboard would ask. promtool
// checks the live exposition, the example config and the example alert rules.
import { assert, assertEquals } from "./_assert.ts";
import { startRig, tempDir, until } from "./_helpers.ts";
import { freePort } from "../_util/ports.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

function which(program: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return `${dir}/${program}`;
    } catch { /* next */ }
  }
  throw new Error(`${program} is not installed: run "bash .ci/deps" (apt-get install prometheus)`);
}

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(which("promtool"), { args, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** examples/prometheus.yml and its rules in `dir`, pointed at `target` and `tokenFile`. */
async function exampleConfig(dir: string, target: string, tokenFile: string, interval: string) {
  const config = (await Deno.readTextFile(`${EXAMPLES}/prometheus.yml`))
    .replace("/var/lib/kron/admin.token", tokenFile)
    .replace('"127.0.0.1:8080"', `"${target}"`)
    .replace(/(scrape|evaluation)_interval: 15s/g, `$1_interval: ${interval}`);
  assert(config.includes(tokenFile) && config.includes(target), "the example has the placeholders");
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
  await Deno.copyFile(`${EXAMPLES}/kron_alerts.yml`, `${dir}/kron_alerts.yml`);
  return `${dir}/prometheus.yml`;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

Deno.test("promtool: the example scrape config and alert rules are valid", async () => {
  const dir = tempDir();
  try {
    const token = `${dir}/admin.token`;
    await Deno.writeTextFile(token, "f".repeat(64));
    const config = await exampleConfig(dir, "127.0.0.1:8080", token, "15s");
    const checked = await promtool("check", "config", config);
    assertEquals(checked.code, 0, checked.out);
    assert(checked.out.includes("SUCCESS: 4 rules found"), checked.out);
    const rules = await promtool("check", "rules", `${EXAMPLES}/kron_alerts.yml`);
    assertEquals(rules.code, 0, rules.out);
    // And a broken rule is caught (the check can fail).
    await Deno.writeTextFile(
      `${dir}/bad.yml`,
      "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: sum(\n",
    );
    assert((await promtool("check", "rules", `${dir}/bad.yml`)).code !== 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a real Prometheus scrapes kron over TCP: kron_job label, first failure in increase(), no double count, last success", async () => {
  const prometheus = which("prometheus");
  await using rig = await startRig({
    good: { options: { every: "1h" } },
    flaky: {
      options: { every: "1h", retries: 1, retryDelay: "10ms" },
      fn: () => Promise.reject(new Error("boom")),
    },
  }, { http: "127.0.0.1:0" });
  const tokenFile = rig.admin.http!.tokenFile!;
  const target = `127.0.0.1:${rig.admin.http!.port}`;

  // The exposition itself passes promtool's own check.
  const text = await (await rig.sock("/metrics")).text();
  const lint = new Deno.Command(which("promtool"), {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = lint.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const linted = await lint.output();
  assertEquals(
    linted.code,
    0,
    new TextDecoder().decode(linted.stdout) + new TextDecoder().decode(linted.stderr),
  );

  const dir = tempDir();
  const port = freePort();
  const config = await exampleConfig(dir, target, tokenFile, "1s");
  const server = new Deno.Command(prometheus, {
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(server.stderr).text();
  const api = `http://127.0.0.1:${port}/api/v1`;
  const query = async (q: string): Promise<VectorSample[]> => {
    const res = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
    const body = await res.json();
    assertEquals(body.status, "success", JSON.stringify(body));
    return body.data.result;
  };
  const one = async (q: string): Promise<VectorSample | undefined> => {
    const r = await query(q);
    assert(r.length <= 1, `${q}: ${JSON.stringify(r)}`);
    return r[0];
  };
  try {
    await until(
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok;
        } catch {
          return false;
        }
      },
      30_000,
      "prometheus ready",
    );
    // Scraped with the token, before anything ran: the failed series exists at 0.
    const zero = (await until(
      () => one('kron_runs_total{kron_job="flaky",outcome="failed"}'),
      30_000,
      "first scrape",
    ))!;
    assertEquals(zero.value[1], "0");
    assertEquals(zero.metric.job, "kron", "Prometheus's own job label is the scrape job");
    assertEquals(zero.metric.exported_job, undefined);
    const up = await one('up{job="kron"}');
    assertEquals(up?.value[1], "1", "scrape with the bearer token succeeds");

    await rig.kron.trigger("good");
    await rig.kron.trigger("flaky");
    await until(
      () =>
        rig.kron.status("flaky").lastRun?.attempt === 2 &&
        rig.kron.list().every((j) => j.running === 0),
      10_000,
      "runs done",
    );
    const goodEnd = rig.kron.status("good").lastRun!.finishedAt!.getTime() / 1000;

    await until(
      async () =>
        (await one('kron_runs_total{kron_job="flaky",outcome="failed"}'))?.value[1] === "2",
      30_000,
      "scrape after the runs",
    );
    // The first failures of a new job are visible to increase() (the series started at 0).
    const inc = await one('increase(kron_runs_total{kron_job="flaky",outcome="failed"}[1m])');
    assert(inc && Number(inc.value[1]) >= 2, `increase ${JSON.stringify(inc)}`);
    // Per job, not summed across jobs: the alerting query people write.
    const byJob = await query('sum by (kron_job, outcome) (kron_runs_total{outcome!="skipped"})');
    const count = (job: string, outcome: string) =>
      Number(
        byJob.find((s) => s.metric.kron_job === job && s.metric.outcome === outcome)?.value[1],
      );
    assertEquals(count("good", "succeeded"), 1);
    assertEquals(count("flaky", "failed"), 2);
    // No double counting: all outcomes of flaky's attempts add up to its 2 attempts, the dead
    // occurrence is a counter of its own.
    const attempts = await one('sum(kron_runs_total{kron_job="flaky",outcome!="skipped"})');
    assertEquals(attempts?.value[1], "2");
    assertEquals((await one('kron_dead_occurrences_total{kron_job="flaky"}'))?.value[1], "1");
    // Last success: the end of good's run; flaky has none.
    const last = await one('kron_job_last_success_timestamp_seconds{kron_job="good"}');
    assertEquals(Number(last?.value[1]), goodEnd);
    const never = await one('kron_job_last_success_timestamp_seconds{kron_job="flaky"}');
    assertEquals(never?.value[1], "0");
    // The example's failing-job alert fires for flaky only (rules evaluated every second).
    const alerts = await until(
      async () => {
        const body = await (await fetch(`${api}/alerts`)).json();
        const a = (body.data.alerts as { labels: Record<string, string> }[])
          .filter((x) => x.labels.alertname === "KronJobFailing");
        return a.length > 0 ? a : null;
      },
      30_000,
      "KronJobFailing pending",
    );
    assertEquals(alerts!.map((a) => a.labels.kron_job), ["flaky"]);
  } finally {
    server.kill("SIGTERM");
    const status = await server.status;
    const log = await stderr;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert(status.signal === "SIGTERM" || status.code === 0, `prometheus exited: ${log}`);
  }
});
