// README's first command, `deno task demo`, as a person runs it: at a terminal (a pty), with the
// task's own permission flags. No permission prompt may appear (kron queries what it lacks, never
// requests it), and while it runs the CLI sees the embedded app live over its socket.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, ROOT, until } from "./_cli.ts";

Deno.test("deno task demo at a terminal: no permission prompt, the CLI sees it live", async () => {
  const task: string = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks.demo;
  const [program, ...args] = task.split(/\s+/);
  assertEquals(program, "deno");
  const script = args.pop()!;
  assertEquals(script, "examples/embedded.ts");
  // The task's flags are relative to the working directory: a temp dir stands in for the clone.
  const cwd = Deno.makeTempDirSync({ prefix: "kron-demo-" });
  const cmd = [Deno.execPath(), ...args, `${ROOT}${script}`].join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    cwd,
    env: { NO_COLOR: "1", KRON_DEMO_SECONDS: "4" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) out += dec.decode(chunk, { stream: true });
  })();
  const stderr = child.stderr.pipeTo(new WritableStream());
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    await until(() => /kron started|Deno requests/.test(out), "the demo to start", 30_000);
    assert(!out.includes("Deno requests"), out);
    const status = await kron(["status", "--json", "--data-dir", `${cwd}/.kron`], { cwd });
    assertEquals(status.code, 0, status.stderr);
    assertEquals(status.stderr, "", "live, not offline");
    const names = JSON.parse(status.stdout).map((j: { name: string }) => j.name).sort();
    assertEquals(names, ["flaky", "heartbeat", "quarter", "slow"]);
    const { code } = await child.status;
    await Promise.all([pump, stderr]);
    assertEquals(code, 0, out);
    assert(!out.includes("Deno requests"), out);
    assertMatch(out, /admin API on \S+\/\.kron\/kron\.sock/);
    assertStringIncludes(out, "shut down cleanly");
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
