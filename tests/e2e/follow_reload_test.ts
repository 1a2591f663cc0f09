// `kron logs -f` follows a run's output as it is written and then the job's next runs;
// SIGHUP reloads the job file (an invalid one is logged and changes nothing).
import { assertEquals, assertMatch } from "./_assert.ts";
import { kron, project, Running, startRun, until } from "./_cli.ts";

const JOBS = `[[job]]
name = "ticker"
every = "1s"
command = "sh -c 'echo start $KRON_RUN_ID; sleep 0.5; echo end $KRON_RUN_ID'"
`;

Deno.test("kron logs -f follows runs; SIGHUP reloads", async () => {
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const rt = await startRun(["--allow-run=sh"], opts);
  try {
    const follow = new Running(["logs", "ticker", "-f"], opts);
    try {
      const first = await follow.waitFor(/start (\w{26})\n/, 15_000, "stdout");
      await follow.waitFor(new RegExp(`end ${first[1]}\\n`), 5000, "stdout");
      await follow.waitFor(/── succeeded ──/, 5000);
      // Then the next run of the job.
      const next = await follow.waitFor(
        new RegExp(`start (?!${first[1]})(\\w{26})\\n`),
        5000,
        "stdout",
      );
      await follow.waitFor(new RegExp(`end ${next[1]}\\n`), 5000, "stdout");
    } finally {
      assertEquals(await follow.stop("SIGINT"), 0, follow.stderr);
    }

    p.write(
      "jobs.toml",
      JOBS + `\n[[job]]\nname = "later"\ncron = "0 4 * * *"\ncommand = "sh -c true"\n`,
    );
    rt.child.kill("SIGHUP");
    await rt.waitFor(/reloaded jobs\.toml: 1 added, 0 changed, 0 removed/);
    const names = JSON.parse((await kron(["status", "--json"], opts)).stdout).map((
      j: { name: string },
    ) => j.name);
    assertEquals(names.sort(), ["later", "ticker"]);

    p.write("jobs.toml", `[[job]]\nname = "later"\ncron = "0 4 * * *"\n`);
    rt.child.kill("SIGHUP");
    await rt.waitFor(/reload failed, nothing changed: jobs\.toml:1: job "later"/);
    await until(async () => {
      const s = JSON.parse((await kron(["status", "--json"], opts)).stdout);
      return s.length === 2;
    }, "both jobs still there");
    const r = await kron(["reload"], opts);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /^error: jobs\.toml:1: job "later": /);
  } finally {
    assertEquals(await rt.stop(), 0, rt.stderr);
    await p.cleanup();
  }
});
