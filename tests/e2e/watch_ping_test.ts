// A watched job end to end, in real time: `kron run` with two watched jobs (watch = true) that a
// crontab-like shell loop pings with the real CLI (`kron ping`). While the loop pings they stay
// ok; when it goes quiet they turn late, then down; when it pings again they are back. Each
// transition fires on_late once: a command (KRON_* variables) for one job, a JSON POST to a real
// local HTTP server for the other. Generous bounds: the machine is shared.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { events, kron, kronFlags, MAIN, project, startRun, until } from "./_cli.ts";

Deno.test("kron ping from a shell loop: ok → late → down → ok, on_late fired three times (command and URL)", async () => {
  const posts: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    posts.push(await req.json());
    return new Response("ok");
  });
  const port = server.addr.port;
  const p = project();
  // every 4 s, grace 4 s: the loop pings about every 1-3 s, well inside a 4 s window even on a
  // loaded machine; quiet, a job is late within 8 s and down 2 s after (down_after).
  p.write(
    "jobs.toml",
    `
[[job]]
name = "nightly-cmd"
every = "4s"
grace = "4s"
down_after = "2s"
watch = true
on_late = ["sh", "-c", "echo \\"$KRON_KIND $KRON_JOB $KRON_SCHEDULED_AT $KRON_LAST_SUCCESS_AT\\" >> late.log"]

[[job]]
name = "nightly-url"
every = "4s"
grace = "4s"
down_after = "2s"
watch = true
on_late = "http://127.0.0.1:${port}/hook"
`,
  );
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const rt = await startRun(["jobs.toml", "--allow-run=sh"], opts);
  const kronCmd = [Deno.execPath(), "run", ...kronFlags(), MAIN].map((a) => `'${a}'`).join(" ");
  // The crontab line, as a loop: `backup.sh && kron ping backup` for both jobs, unless quiet.
  const loop = new Deno.Command("sh", {
    args: [
      "-c",
      `while [ ! -e stop ]; do
         if [ ! -e quiet ]; then
           true && ${kronCmd} ping nightly-cmd >>ping.out 2>&1 &
           true && ${kronCmd} ping nightly-url >>ping.out 2>&1 &
           wait
         fi
         sleep 0.5
       done`,
    ],
    cwd: p.dir,
    env: { KRON_DATA_DIR: p.dataDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const lateLog = () => {
    try {
      return Deno.readTextFileSync(`${p.dir}/late.log`).trim().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  const state = async (name: string) => {
    const r = await kron(["status", name, "--json"], opts);
    assertEquals(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  try {
    // ok: pings arrive, each recorded as a run (trigger "ping"); nothing late.
    await until(
      async () => {
        const [a, b] = [await state("nightly-cmd"), await state("nightly-url")];
        return a.totalRuns >= 3 && b.totalRuns >= 3;
      },
      "three pings of each job",
      60_000,
      500,
    );
    const cmd = await state("nightly-cmd");
    assertEquals(cmd.health, "ok");
    assertEquals(cmd.kind, "watch");
    assertEquals(cmd.grace, "4s");
    assertEquals(cmd.recentRuns.at(-1).trigger, "ping");
    assertEquals(cmd.recentRuns.at(-1).outcome, "succeeded");
    assertEquals(lateLog(), []);
    assertEquals(posts, []);

    // Quiet: late, then down, each once.
    Deno.writeTextFileSync(`${p.dir}/quiet`, "");
    await until(() => lateLog().length >= 2 && posts.length >= 2, "late and down", 60_000, 200);
    const status = await kron(["status"], opts);
    assertMatch(status.stdout, /nightly-cmd\s+down\s/);
    assertMatch(status.stdout, /nightly-url\s+down\s/);
    const metrics = await new Deno.Command("curl", {
      args: ["-s", "--unix-socket", `${p.dataDir}/kron.sock`, "http://kron/metrics"],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(metrics.stdout);
    assertMatch(text, /^kron_job_down\{kron_job="nightly-cmd"\} 1$/m);
    assertMatch(text, /^kron_job_late\{kron_job="nightly-cmd"\} 0$/m);

    // Pinged again: back to ok, once.
    Deno.removeSync(`${p.dir}/quiet`);
    await until(() => lateLog().length >= 3 && posts.length >= 3, "recovered", 60_000, 200);
    const back = await state("nightly-url");
    assertEquals([back.health, back.state === "idle" || back.state === "running"], ["ok", true]);

    // Three transitions each, no more (another few seconds of pings change nothing).
    await new Promise((r) => setTimeout(r, 3_000));
    const lines = lateLog();
    assertEquals(lines.map((l) => l.split(" ").slice(0, 2).join(" ")), [
      "late nightly-cmd",
      "down nightly-cmd",
      "recovered nightly-cmd",
    ]);
    for (const line of lines) {
      const [, , scheduledAt, lastSuccessAt] = line.split(" ");
      assertMatch(scheduledAt, /^\d{4}-\d\d-\d\dT/);
      assertMatch(lastSuccessAt, /^\d{4}-\d\d-\d\dT/);
    }
    assertEquals(posts.map((b) => b.kind), ["late", "down", "recovered"]);
    for (const body of posts) {
      assertEquals(Object.keys(body).sort(), ["job", "kind", "lastSuccessAt", "scheduledAt"]);
      assertEquals(body.job, "nightly-url");
    }
    const log = events(p.dataDir).filter((e) => e.job === "nightly-url")
      .map((e) => e.type).filter((t) => t.startsWith("JOB_") && t !== "JOB_DEFINED");
    assertEquals(log, ["JOB_LATE", "JOB_DOWN", "JOB_RECOVERED"]);
    // kron never ran anything for them: every run was a ping.
    assert(
      events(p.dataDir).filter((e) => e.type === "RUN_STARTED").every((e) => e.trigger === "ping"),
    );

    // No runtime: the offline `kron status` works late/down out from the data dir and the time.
    Deno.writeTextFileSync(`${p.dir}/stop`, "");
    await loop.status;
    await rt.stop();
    const offline = await until(
      async () => {
        const r = await kron(["status"], opts);
        return /nightly-cmd\s+(late|down)\s/.test(r.stdout) ? r : null;
      },
      "offline late",
      60_000,
      500,
    );
    assertMatch(offline.stderr, /offline/);
    assertEquals(lateLog().length, 3, "nothing fires without a runtime");
  } finally {
    Deno.writeTextFileSync(`${p.dir}/stop`, "");
    await loop.status;
    await rt.stop();
    await server.shutdown();
    await p.cleanup();
  }
});

Deno.test("kron ping: --server with the token over TCP; refused for a job kron runs (exit 1), without a runtime (exit 1), with bad flags (exit 2)", async () => {
  const p = project();
  p.write(
    "jobs.toml",
    `[[job]]\nname = "own"\nevery = "1h"\ncommand = "true"\n\n` +
      `[[job]]\nname = "ext"\ncron = "0 2 * * *"\nwatch = true\n`,
  );
  const token = "0123456789abcdef".repeat(4);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const none = await kron(["ping", "ext"], opts);
  assertEquals(none.code, 1, none.stderr);
  const rt = await startRun(["jobs.toml", "--allow-run=true", "--http", "127.0.0.1:0"], {
    ...opts,
    env: { KRON_TOKEN: token },
  });
  try {
    const port = (await rt.waitFor(/admin API on http:\/\/127\.0\.0\.1:(\d+)/))[1];
    const server = `http://127.0.0.1:${port}`;
    // From "another host": no data dir, only the URL and the token.
    const elsewhere = { cwd: p.dir };
    const ok = await kron(
      ["ping", "ext", "--server", server, "--token", token, "--json"],
      elsewhere,
    );
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(JSON.parse(ok.stdout).job, "ext");
    const fail = await kron(["ping", "ext", "--exit-code", "3"], {
      ...elsewhere,
      env: { KRON_SERVER: server, KRON_TOKEN: token },
    });
    assertEquals(fail.code, 0, fail.stderr);
    const runs = JSON.parse((await kron(["history", "ext", "--json"], opts)).stdout);
    assertEquals(runs.map((r: { outcome: string }) => r.outcome), ["failed", "succeeded"]);
    assertEquals(runs[0].exitCode, 3);
    const noToken = await kron(["ping", "ext", "--server", server, "--token", "nope"], elsewhere);
    assertEquals(noToken.code, 1);
    const r = await kron(["ping", "own"], opts);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /not watched/);
    const bad = await kron(["ping", "ext", "--start", "--fail"], opts);
    assertEquals(bad.code, 2);
  } finally {
    await rt.stop();
    await p.cleanup();
  }
});
