// Usage and configuration errors: one line on stderr, exit 2, and nothing touched.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, project, snapshotDir, startRun } from "./_cli.ts";

const GOOD = `[[job]]\nname = "backup"\nevery = "1h"\ncommand = "rsync -a src/ dst/"\n`;

Deno.test("kron run <job name> hints at kron trigger", async () => {
  const p = project();
  p.write("jobs.toml", GOOD);
  try {
    const r = await kron(["run", "backup"], { cwd: p.dir, dataDir: p.dataDir });
    assertEquals(r.code, 2);
    assertEquals(
      r.stderr,
      `error: "backup" is a job, not a job file: did you mean "kron trigger backup"?\n`,
    );
    const missing = await kron(["run", "nosuch.toml"], { cwd: p.dir, dataDir: p.dataDir });
    assertEquals(missing.code, 2);
    assertEquals(missing.stderr, "error: nosuch.toml: file not found\n");
  } finally {
    await p.cleanup();
  }
});

Deno.test("command jobs need --allow-run covering their program (exit 2)", async () => {
  const p = project();
  p.write("jobs.toml", GOOD);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const none = await kron(["run"], opts);
    assertEquals(none.code, 2);
    assertEquals(
      none.stderr,
      `error: jobs.toml:1: job "backup": command runs "rsync" but command jobs need --allow-run ` +
        `(all programs) or --allow-run=rsync\n`,
    );
    const other = await kron(["run", "--allow-run=curl,tar", "jobs.toml"], opts);
    assertEquals(other.code, 2);
    assertStringIncludes(
      other.stderr,
      `job "backup": command runs "rsync", which --allow-run=curl,tar`,
    );
    assertStringIncludes(other.stderr, "--allow-run=curl,tar,rsync");
    // A bare --allow-run followed by another flag parses as "all programs".
    const all = await kron(["check", "--allow-run", "--next", "1"], opts);
    assertEquals(all.code, 0, all.stderr);
    assert(!exists(p.dataDir), "no data dir was created");
    const bad = await kron(["run", "--allow-run=", "jobs.toml"], opts);
    assertEquals(bad.code, 2);
    const dash = await kron(["run", "-A", "jobs.toml"], opts);
    assertEquals(dash.code, 2);
  } finally {
    await p.cleanup();
  }
});

Deno.test("an invalid job file: exact one-line error, exit 2, data dir untouched", async () => {
  const p = project();
  p.write("jobs.toml", `[[job]]\nname = "a"\nevery = "1h"\ncommand = "echo a"\n`);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    // Create a real data dir first, then stop.
    const rt = await startRun(["--allow-run"], opts);
    assertEquals(await rt.stop(), 0);
    const before = snapshotDir(p.dataDir);
    assert(before.size > 0);
    p.write(
      "jobs.toml",
      `[[job]]\nname = "a"\nevery = "1h"\ncommand = "echo a"\n\n[[job]]\nname = "b"\ncron = "61 * * * *"\ncommand = "echo b"\n`,
    );
    const r = await kron(["run", "--allow-run", "jobs.toml"], opts);
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr.split("\n").length, 2, "exactly one line");
    assertEquals(
      r.stderr,
      `error: jobs.toml:8: job "b": cron: 1st field '61' is out of range (0-59)\n`,
    );
    const check = await kron(["check"], opts);
    assertEquals(check.code, 2);
    assertEquals(check.stderr, r.stderr);
    assertEquals(snapshotDir(p.dataDir), before);
  } finally {
    await p.cleanup();
  }
});

Deno.test("usage errors: unknown command and flag, missing argument, no runtime", async () => {
  const p = project();
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const cmd = await kron(["stauts"], opts);
    assertEquals(cmd.code, 2);
    assertEquals(cmd.stderr, `error: unknown command "stauts"; did you mean "kron status"?\n`);
    const flag = await kron(["status", "--jsn"], opts);
    assertEquals(flag.code, 2);
    assertEquals(flag.stderr, "error: kron status: unknown flag --jsn (did you mean --json?)\n");
    const arg = await kron(["history"], opts);
    assertEquals(arg.code, 2);
    assertStringIncludes(arg.stderr, "missing argument <job>");
    for (const c of [["trigger", "x"], ["pause", "x"], ["resume", "x"], ["reload"], ["compact"]]) {
      const r = await kron(c, opts);
      assertEquals(r.code, 1, c.join(" "));
      assertMatch(r.stderr, /^error: kron \w+: no kron runtime is running on .*\n$/);
    }
    const help = await kron(["--help"], opts);
    assertEquals(help.code, 0);
    for (const c of ["run", "daemon", "status", "history", "logs", "trigger", "check", "init"]) {
      assertStringIncludes(help.stdout, `  ${c} `);
      const h = await kron([c, "--help"], opts);
      assertEquals(h.code, 0, c);
      assertMatch(h.stdout, new RegExp(`^kron ${c}`));
    }
    const v = await kron(["version"], opts);
    assertMatch(v.stdout, /^kron \d+\.\d+\.\d+\n$/);
    assert(!exists(p.dataDir), "read commands never create the data dir");
  } finally {
    await p.cleanup();
  }
});

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
