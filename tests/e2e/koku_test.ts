// The koku seed's example config runs unchanged: koku's keys (on_error, overlap = false,
// timeout, dir) are accepted, and status shows koku's table.
import { assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, project, startRun, until } from "./_cli.ts";

const KOKU = `[[job]]
name = "backup"
cron = "0 2 * * *"
command = "bash backup.sh"
dir = "/home/user/scripts"
on_error = "backoff"   # continue | backoff | stop (default: continue)
overlap = false        # allow concurrent runs (default: false)
timeout = "30m"        # kill job after duration (optional)

[[job]]
name = "cleanup"
cron = "*/15 * * * *"
command = "python3 cleanup.py"
`;

Deno.test("the koku example config: check, run, status, trigger", async () => {
  const p = project();
  p.write("jobs.toml", KOKU);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const check = await kron(["check", "--next", "1"], opts);
    assertEquals(check.code, 0, check.stderr);
    assertMatch(check.stdout, /^backup {2}At 02:00/m);
    assertMatch(check.stdout, /^cleanup {2}Every 15 minutes/m);
    const rt = await startRun(["--allow-run=bash,python3"], opts);
    try {
      const status = await kron(["status"], opts);
      assertEquals(status.code, 0, status.stderr);
      const lines = status.stdout.trim().split("\n");
      assertMatch(lines[0], /^NAME\s+STATE\s+LAST RUN\s+EXIT\s+NEXT RUN$/);
      assertMatch(lines[1], /^backup\s+idle\s+—\s+—\s+\d{4}-\d\d-\d\d 02:00:00$/);
      assertMatch(lines[2], /^cleanup\s+idle\s+—\s+—\s+\d{4}-\d\d-\d\d \d\d:(00|15|30|45):00$/);
      const json = JSON.parse((await kron(["status", "--json"], opts)).stdout);
      assertEquals(json.map((j: { name: string }) => j.name), ["backup", "cleanup"]);
      // The koku dir does not exist here: the run fails with a clear error.
      const trig = await kron(["trigger", "backup"], opts);
      assertEquals(trig.code, 0, trig.stderr);
      const run = await until(async () => {
        const r = JSON.parse((await kron(["history", "backup", "--json"], opts)).stdout);
        return r[0]?.outcome ? r[0] : null;
      }, "the backup run");
      assertEquals(run.outcome, "failed");
      assertStringIncludes(run.error, "/home/user/scripts");
      const after = await kron(["status"], opts);
      assertMatch(after.stdout, /^backup\s+failing\s+\d{4}-\S+ \S+\s+failed\s+\d{4}-/m);
    } finally {
      assertEquals(await rt.stop(), 0, rt.stderr);
    }
  } finally {
    await p.cleanup();
  }
});
