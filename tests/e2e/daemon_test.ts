// `kron daemon start|status|stop`: a detached runtime with a pid file and a log file; start
// waits for the socket or reports why the process died.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { alive, kron, project, until } from "./_cli.ts";

Deno.test("kron daemon start/status/stop", async () => {
  const p = project();
  p.write("jobs.toml", `[[job]]\nname = "beat"\nevery = "1s"\ncommand = "echo beat"\n`);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  let pid = 0;
  try {
    const down = await kron(["daemon", "status"], opts);
    assertEquals(down.code, 1);
    assertStringIncludes(down.stdout, "not running");

    const started = await kron(["daemon", "start", "--allow-run=echo"], opts);
    assertEquals(started.code, 0, started.stdout + started.stderr);
    assertMatch(started.stdout, /^kron started: pid \d+, 1 jobs from /);
    pid = Number(Deno.readTextFileSync(`${p.dataDir}/kron.pid`).trim());
    assert(alive(pid), "daemon alive");

    const again = await kron(["daemon", "start", "--allow-run=echo"], opts);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "already running");

    const st = await kron(["daemon", "status", "--json"], opts);
    assertEquals(st.code, 0, st.stderr);
    const info = JSON.parse(st.stdout);
    assertEquals(info.running, true);
    assertEquals(info.pid, pid);
    assertEquals(info.jobs, 1);
    const text = await kron(["daemon", "status"], opts);
    assertMatch(text.stdout, new RegExp(`^kron is running: pid ${pid}, up `));

    await until(async () => {
      const r = await kron(["history", "beat", "--json"], opts);
      return JSON.parse(r.stdout).length > 0;
    }, "a beat");
    await until(
      () => Deno.readTextFileSync(`${p.dataDir}/kron.log`).includes("job=beat"),
      "the daemon log",
    );

    const stopped = await kron(["daemon", "stop"], opts);
    assertEquals(stopped.code, 0, stopped.stderr);
    assertMatch(stopped.stdout, new RegExp(`^kron stopped \\(pid ${pid}, in `));
    await until(() => !alive(pid), "the daemon to exit", 5000);
    assertStringIncludes(Deno.readTextFileSync(`${p.dataDir}/kron.log`), "SIGTERM: shutting down");
    const after = await kron(["daemon", "stop"], opts);
    assertEquals(after.code, 1);
    assertStringIncludes(after.stderr, "not running");
  } finally {
    if (pid && alive(pid)) Deno.kill(pid, "SIGKILL");
    await p.cleanup();
  }
});

Deno.test("kron daemon start reports why the runtime could not start", async () => {
  const p = project();
  p.write("jobs.toml", `[[job]]\nname = "beat"\nevery = "1s"\ncommand = "echo beat"\n`);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const r = await kron(["daemon", "start"], opts);
    assertEquals(r.code, 2);
    assertStringIncludes(r.stderr, "--allow-run");
    // The data dir is held by another process's lock: the child dies, start says why.
    const holder = await kron(["daemon", "start", "--allow-run"], opts);
    assertEquals(holder.code, 0, holder.stderr);
    const other = `${p.dir}/other.toml`;
    Deno.writeTextFileSync(other, `[[job]]\nname = "x"\nevery = "1h"\ncommand = "true"\n`);
    Deno.removeSync(`${p.dataDir}/kron.sock`); // the socket is gone, the lock is not
    const second = await kron(["daemon", "start", other, "--allow-run"], opts);
    assertEquals(second.code, 1, second.stdout);
    assertMatch(second.stderr, /^error: kron exited during start \(exit 1\): .*(lock|running)/i);
    const pid = Number(Deno.readTextFileSync(`${p.dataDir}/kron.pid`).trim());
    Deno.kill(pid, "SIGTERM");
    await until(() => !alive(pid), "the first daemon to stop");
  } finally {
    await p.cleanup();
  }
});
