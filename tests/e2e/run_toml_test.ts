// `kron run jobs.toml` end to end: command jobs that succeed, fail and retry, time out with a
// grandchild, overlap; the read and control commands against the live runtime; reload; the
// on_failure hook; graceful stop and the offline read afterwards.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { alive, events, kron, project, startRun, until } from "./_cli.ts";

const JOBS = `
[[job]]
name = "ok"
every = "1s"
command = "echo hello from ok"
overlap = "allow"              # so a manual trigger is never refused by a scheduled run

[[job]]
name = "flaky"
every = "1h"
start_at = "2020-01-01T00:00:00Z"
command = ["sh", "-c", "echo broken >&2; exit 3"]
retries = 1
retry_delay = "100ms"
on_failure = ["sh", "-c", "env | grep ^KRON_ > hook.env"]

[[job]]
name = "tree"
after = "200ms"
timeout = "1s"
command = "sh -c 'sleep 30 & echo $! > grandchild.pid; echo $$ > child.pid; sleep 30'"

[[job]]
name = "slow"
every = "1s"
command = "sleep 2.5"
`;

Deno.test("kron run jobs.toml: command jobs, read and control commands, reload, stop", async (t) => {
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const rt = await startRun(["jobs.toml", "--allow-run=echo,sh,sleep"], opts);
  try {
    await t.step("a succeeding job: status row, history and captured output", async () => {
      await until(async () => {
        const r = await kron(["status", "--json"], opts);
        return JSON.parse(r.stdout).find((j: { name: string; lastRun: unknown }) =>
          j.name === "ok" && j.lastRun
        );
      }, "a run of ok");
      const status = await kron(["status"], opts);
      assertEquals(status.code, 0, status.stderr);
      assertEquals(status.stderr, "", "live: no offline note");
      const lines = status.stdout.trim().split("\n");
      assertMatch(lines[0], /^NAME\s+STATE\s+LAST RUN\s+EXIT\s+NEXT RUN$/);
      const ok = lines.find((l) => l.startsWith("ok "))!;
      assertMatch(ok, /^ok\s+(idle|running)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(0|—)\s+\d{4}-/);
      const logs = await kron(["logs", "ok"], opts);
      assertEquals(logs.code, 0, logs.stderr);
      assertStringIncludes(logs.stdout, "hello from ok");
    });

    await t.step("a failing job: retries visible in history, on_failure hook ran", async () => {
      // start_at in the past: misfire run_once catches the latest missed occurrence up.
      const runs = await until(async () => {
        const r = JSON.parse((await kron(["history", "flaky", "--json"], opts)).stdout);
        return r.length >= 2 && r[0].outcome !== null ? r : null;
      }, "two attempts of flaky");
      assertEquals(runs[0].attempt, 2);
      assertEquals(runs[0].exitCode, 3);
      assertEquals(runs[1].attempt, 1);
      assertEquals(runs[1].outcome, "failed");
      assertEquals(runs[0].idempotencyKey, runs[1].idempotencyKey);
      const table = await kron(["history", "flaky"], opts);
      assertMatch(table.stdout, /\s2\s+retry\s+\w+\s+3\s/);
      const logs = await kron(["logs", "flaky", "--run", runs[1].id], opts);
      assertStringIncludes(logs.stdout, "broken");
      const hook = await until(() => {
        try {
          return Deno.readTextFileSync(`${p.dir}/hook.env`);
        } catch {
          return null;
        }
      }, "the on_failure hook");
      assertStringIncludes(hook, "KRON_JOB=flaky");
      assertStringIncludes(hook, `KRON_RUN_ID=${runs[0].id}`);
      assertStringIncludes(hook, "KRON_EXIT_CODE=3");
      assertStringIncludes(hook, "KRON_ATTEMPT=2");
      assertStringIncludes(rt.stderr, "job=flaky");
      assertMatch(
        rt.stderr,
        /attempt 2 failed: exit code 3 job=flaky runId=\S+ attempt=2 .*exitCode=3 outcome=failed/,
      );
    });

    await t.step("a timeout kills the child and its grandchild", async () => {
      const run = await until(async () => {
        const r = JSON.parse((await kron(["history", "tree", "--json"], opts)).stdout);
        return r[0]?.outcome ? r[0] : null;
      }, "the tree run to end");
      assertEquals(run.outcome, "timed_out");
      const child = Number(Deno.readTextFileSync(`${p.dir}/child.pid`));
      const grandchild = Number(Deno.readTextFileSync(`${p.dir}/grandchild.pid`));
      await until(() => !alive(child) && !alive(grandchild), "the process group to be gone", 8000);
      const logs = await kron(["logs", "tree"], opts);
      assertStringIncludes(logs.stdout, "SIGTERM");
    });

    await t.step("overlap skip: no second run while one is in flight", async () => {
      await until(
        () => events(p.dataDir).some((e) => e.type === "RUN_SKIPPED" && e.reason === "overlap"),
        "an overlap skip",
      );
      // Refused while a run is in flight; the run may end between status and trigger, so try
      // a few times.
      let refused = null;
      for (let i = 0; i < 5 && !refused; i++) {
        await until(async () => {
          const s = JSON.parse((await kron(["status", "slow", "--json"], opts)).stdout);
          return s.state === "running";
        }, "slow running");
        const r = await kron(["trigger", "slow"], opts);
        if (r.code !== 0) refused = r;
      }
      assert(refused, "a trigger while slow runs was refused");
      assertEquals(refused.code, 1, refused.stdout + refused.stderr);
      assertStringIncludes(refused.stderr, "overlap");
    });

    await t.step("trigger, pause --for, resume", async () => {
      const trig = await kron(["trigger", "ok", "--json"], opts);
      assertEquals(trig.code, 0, trig.stderr);
      const { runId } = JSON.parse(trig.stdout);
      assertMatch(runId, /^[0-9A-Z]{26}$/);
      const run = await until(async () => {
        const r = await kron(["history", "ok", "--limit", "50", "--json"], opts);
        return JSON.parse(r.stdout).find((x: { id: string }) => x.id === runId);
      }, "the triggered run");
      assertEquals(run.trigger, "manual");
      const paused = await kron(["pause", "ok", "--for", "2h"], opts);
      assertEquals(paused.code, 0, paused.stderr);
      assertMatch(paused.stdout, /^paused ok until \d{4}-/);
      const s1 = JSON.parse((await kron(["status", "ok", "--json"], opts)).stdout);
      assertEquals(s1.state, "paused");
      assertEquals(s1.nextRunAt, null);
      const resumed = await kron(["resume", "ok"], opts);
      assertEquals(resumed.code, 0, resumed.stderr);
      const s2 = JSON.parse((await kron(["status", "ok", "--json"], opts)).stdout);
      assert(s2.state !== "paused");
      const bad = await kron(["pause", "ok", "--for", "soon"], opts);
      assertEquals(bad.code, 2);
    });

    await t.step("status <job> shows the schedule in words and recent runs", async () => {
      const r = await kron(["status", "ok"], opts);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /schedule\s+every (second|1s)/i);
      assertStringIncludes(r.stdout, "Recent runs:");
      const missing = await kron(["status", "nope"], opts);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, '"nope"');
    });

    await t.step("reload applies the diff; an invalid file changes nothing", async () => {
      p.write(
        "jobs.toml",
        JOBS.replace('command = "echo hello from ok"', 'command = "echo changed"')
          .replace(/\[\[job\]\]\nname = "slow"[^[]*/, "") +
          `\n[[job]]\nname = "added"\ncron = "0 3 * * *"\ncommand = "echo new"\n`,
      );
      const r = await kron(["reload"], opts);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim(), "added: added\nchanged: ok\nremoved: slow");
      p.write("jobs.toml", JOBS + `\n[[job]]\nname = "broken"\nevery = "5x"\ncommand = "echo"\n`);
      const bad = await kron(["reload"], opts);
      assertEquals(bad.code, 2, bad.stdout + bad.stderr);
      assertMatch(bad.stderr, /^error: .*jobs\.toml:\d+: job "broken": .*every.*\n$/);
      const names = JSON.parse((await kron(["status", "--json"], opts)).stdout)
        .map((j: { name: string }) => j.name);
      assert(names.includes("added") && !names.includes("broken"), names.join());
    });
  } finally {
    const code = await rt.stop("SIGTERM");
    assertEquals(code, 0, rt.stderr);
  }
  try {
    await t.step("after a graceful stop: offline reads from the data dir", async () => {
      assertStringIncludes(rt.stderr, "shutting down");
      assert(!(await exists(`${p.dataDir}/kron.sock`)), "socket removed");
      assert(!(await exists(`${p.dataDir}/kron.pid`)), "pid file removed");
      const r = await kron(["status"], opts);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stderr.trim(), "(offline: read from the data dir)");
      assertMatch(r.stdout, /^flaky\s+failing\s/m);
      const h = await kron(["history", "flaky", "--json"], opts);
      assertEquals(JSON.parse(h.stdout)[0].attempt, 2);
      const trig = await kron(["trigger", "ok"], opts);
      assertEquals(trig.code, 1);
      assertStringIncludes(trig.stderr, "no kron runtime is running");
    });
  } finally {
    await p.cleanup();
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
