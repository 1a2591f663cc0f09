// Issue 15, item 3: README's `deno task test` (and `npx -y deno@2.9.6 task test`) on a fresh
// machine with only Node/npm. The test task runs .ci/deps first, which installs the system
// packages the suite needs (Chromium, PostgreSQL, procps, tmux) when it can (root, apt-get), and
// otherwise fails at once with one line naming the command that does; never a skip.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { ROOT } from "./_cli.ts";

Deno.test("deno task test runs .ci/deps before the tests", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const steps = (config.tasks.test as string).split("&&").map((s) => s.trim());
  assertEquals(steps[0], "bash .ci/deps");
  assertMatch(steps.at(-1)!, /^deno test .*tests\/$/);
  // .ci/run installs through the same script.
  assertMatch(Deno.readTextFileSync(`${ROOT}.ci/run`), /^bash \.ci\/deps \|\| exit 1$/m);
});

Deno.test(".ci/deps: nothing missing → exit 0 and silent; missing without root → one line", async () => {
  const present = await new Deno.Command("bash", { args: [".ci/deps"], cwd: ROOT }).output();
  assertEquals(present.code, 0, new TextDecoder().decode(present.stderr));
  assertEquals(present.stdout.length + present.stderr.length, 0);

  // A machine without PostgreSQL and tmux, as a user who is not root: a mount namespace hides the
  // PostgreSQL binaries and tmux (an empty tmpfs over their directories), setpriv drops root.
  assert(Deno.uid() === 0, "this test needs root (unshare, mount, setpriv), as CI has");
  const dir = await Deno.makeTempDir({ prefix: "kron-deps-" });
  try {
    await Deno.copyFile(`${ROOT}.ci/deps`, `${dir}/deps`);
    await Deno.chmod(dir, 0o755);
    await Deno.chmod(`${dir}/deps`, 0o755);
    const script = [
      "set -e",
      "mount -t tmpfs none /usr/lib/postgresql",
      // tmux's directory holds everything else too: shadow tmux alone with a non-executable file.
      "mount --bind /dev/null $(command -v tmux)",
      `cd ${dir}`,
      "exec setpriv --reuid=65534 --regid=65534 --clear-groups bash deps",
    ].join("\n");
    const t0 = performance.now();
    const out = await new Deno.Command("unshare", { args: ["--mount", "sh", "-c", script] })
      .output();
    const ms = performance.now() - t0;
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, stderr);
    assertEquals(out.stdout.length, 0);
    assertEquals(
      stderr,
      'deps: the tests need postgresql tmux (not installed): run "sudo bash .ci/deps" ' +
        "(apt-get install -y postgresql tmux)\n",
    );
    assert(ms < 5_000, `at once, not after trying apt-get (${ms.toFixed(0)} ms)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
