// Issue 15, item 10: the spellings of the seeds are aliases with no new semantics, run through
// the real CLI against the jobs `kron init` writes (README's walkthrough): `job list|status|history`
// print exactly what `status`, `status <job>` and `history <job>` print, `pause --hours N` is
// `pause --for Nh`, `daemon run` is `run` in the foreground, `-v` is `-V`, and an unknown flag
// is one line naming itself.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { kron, kronFlags, MAIN, project, Running, until } from "./_cli.ts";

Deno.test("seed spellings: job list|status|history, pause --hours, daemon run, -v", async () => {
  const p = project();
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    assertEquals((await kron(["init"], opts)).code, 0);
    // koku's `daemon run`: the foreground runtime, stopped by SIGTERM like `kron run`.
    const rt = new Running(["daemon", "run", "--allow-run"], opts);
    try {
      await rt.waitFor(/ running 2 jobs from jobs\.toml/);
      const trig = await kron(["trigger", "hello"], opts);
      assertEquals(trig.code, 0, trig.stderr);
      await until(async () => {
        const h = JSON.parse((await kron(["history", "hello", "--json"], opts)).stdout);
        return h[0]?.outcome === "succeeded";
      }, "the hello run");

      const same = async (alias: string[], own: string[]) => {
        const a = await kron(alias, opts);
        const b = await kron(own, opts);
        assertEquals(a.code, 0, a.stderr);
        assertEquals(a.stdout, b.stdout, `${alias.join(" ")} vs ${own.join(" ")}`);
        assertEquals(a.stderr, b.stderr);
        return a.stdout;
      };
      assertMatch(await same(["job", "list"], ["status"]), /^hello\s+idle\s/m);
      assertMatch(await same(["job", "list", "--json"], ["status", "--json"]), /"disk-usage"/);
      assertMatch(
        await same(["job", "status", "hello"], ["status", "hello"]),
        /^ {2}total runs\s+1$/m,
      );
      assertMatch(
        await same(["job", "history", "hello", "--limit", "1"], [
          "history",
          "hello",
          "--limit",
          "1",
        ]),
        /succeeded/,
      );

      // koku's `pause <job> --hours N` = `pause <job> --for Nh`.
      const before = Date.now();
      const paused = await kron(["pause", "disk-usage", "--hours", "2", "--json"], opts);
      assertEquals(paused.code, 0, paused.stderr);
      const until2h = Date.parse(JSON.parse(paused.stdout).pausedUntil) - before;
      assert(until2h >= 2 * 3600_000 - 1000 && until2h <= 2 * 3600_000 + 60_000, `${until2h} ms`);
      const both = await kron(["pause", "hello", "--hours", "1", "--for", "1h"], opts);
      assertEquals(both.code, 2);
    } finally {
      assertEquals(await rt.stop("SIGTERM"), 0, rt.stderr);
    }
    assertMatch(rt.stderr, /SIGTERM: shutting down/);

    const v = await kron(["-v"], opts);
    assertEquals(v.code, 0);
    assertEquals(v.stdout, (await kron(["-V"], opts)).stdout);
    assertMatch(v.stdout, /^kron \d+\.\d+\.\d+\n$/);
    for (
      const [args, line] of [
        [["--bogus"], /^error: unknown flag --bogus \(see "kron --help"\)\n$/],
        [["--verison"], /^error: unknown flag --verison \(did you mean --version\?\)\n$/],
        [["status", "--bogus"], /^error: kron status: unknown flag --bogus\n$/],
        [["job", "remove", "x"], /^error: kron job: unknown subcommand "remove" \(list, /],
      ] as const
    ) {
      const r = await kron([...args], opts);
      assertEquals(r.code, 2, args.join(" "));
      assertEquals(r.stdout, "");
      assertMatch(r.stderr, line);
    }
    // A reader that goes away is no error to print (`kron check | head`).
    const piped = await new Deno.Command("sh", {
      args: ["-c", `"$0" run ${kronFlags().join(" ")} "$1" --help | true`, Deno.execPath(), MAIN],
      cwd: p.dir,
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(piped.stderr), "");
  } finally {
    await p.cleanup();
  }
});
