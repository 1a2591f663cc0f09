// `kron init` scaffolds files that `kron check` accepts and `kron run` runs; `check` previews
// run times with their time zone and the schedule in words.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, project, startRun } from "./_cli.ts";

Deno.test("kron init --toml / --ts, then check and run them", async () => {
  const p = project();
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const toml = await kron(["init"], opts);
    assertEquals(toml.code, 0, toml.stderr);
    assertStringIncludes(toml.stdout, "wrote jobs.toml");
    const text = Deno.readTextFileSync(`${p.dir}/jobs.toml`);
    assertStringIncludes(text, "[[job]]");
    assertStringIncludes(text, "# ");
    const again = await kron(["init", "--toml"], opts);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "jobs.toml already exists; not overwriting it");
    assertEquals(Deno.readTextFileSync(`${p.dir}/jobs.toml`), text);

    const ts = await kron(["init", "--ts"], opts);
    assertEquals(ts.code, 0, ts.stderr);
    const both = await kron(["init", "--ts", "--toml"], opts);
    assertEquals(both.code, 2);

    const checkToml = await kron(["check", "--next", "2"], opts);
    assertEquals(checkToml.code, 0, checkToml.stderr);
    assertMatch(checkToml.stdout, /^jobs\.toml: 2 jobs, valid$/m);
    assertMatch(checkToml.stdout, /^hello {2}every minute$/im);
    assertMatch(checkToml.stdout, /^disk-usage {2}Every 15 minutes \(\S+\)$/m);
    const times = checkToml.stdout.match(
      /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \S+$/gm,
    );
    assertEquals(times?.length, 4);
    assertStringIncludes(checkToml.stdout, "--allow-run=echo,df");

    const checkTs = await kron(["check", "jobs.ts", "--json", "--next", "3"], opts);
    assertEquals(checkTs.code, 0, checkTs.stderr);
    const report = JSON.parse(checkTs.stdout);
    assertEquals(report.jobs.map((j: { name: string }) => j.name), [
      "hello",
      "check-site",
      "disk-usage",
    ]);
    assertEquals(report.jobs[1].nextRuns.length, 3);
    assertEquals(report.jobs[1].kind, "function");

    const rt = await startRun(["jobs.ts", "--allow-run=df", "--allow-net"], opts);
    const status = await kron(["status"], opts);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /^check-site\s+idle\s+—\s+—\s+\d{4}-/m);
    assertEquals(await rt.stop("SIGINT"), 0, rt.stderr);
  } finally {
    await p.cleanup();
  }
});

Deno.test("kron check: zones, one-shots and the DST-aware preview", async () => {
  const p = project();
  p.write(
    "jobs.toml",
    `[kron]\ntimezone = "America/New_York"\n\n[[job]]\nname = "rome"\ncron = "30 8 * * *"\ntimezone = "Europe/Rome"\ncommand = "true"\n\n[[job]]\nname = "ny"\ncron = "0 9 * * MON"\ncommand = "true"\n\n[[job]]\nname = "once"\nat = 2099-01-01T00:00:00Z\ncommand = "true"\n`,
  );
  try {
    const r = await kron(["check", "--next", "3"], { cwd: p.dir });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^rome {2}At 08:30 \(Europe\/Rome\)$/m);
    assertMatch(r.stdout, /^ {2}\d{4}-\d\d-\d\d 08:30:00 \+0[12]:00 Europe\/Rome$/m);
    assertMatch(r.stdout, /^ny {2}At 09:00, only on Monday \(America\/New_York\)$/m);
    assertMatch(r.stdout, /^ {2}\d{4}-\d\d-\d\d 09:00:00 -0[45]:00 America\/New_York$/m);
    assertMatch(r.stdout, /^ {2}2098-12-31 19:00:00 -05:00 America\/New_York$/m);
    assert(!r.stdout.includes("2099-01-01 00:00:00 -05:00"));
  } finally {
    await p.cleanup();
  }
});
