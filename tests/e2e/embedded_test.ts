// An embedded app is visible to the CLI: a plain `new Kron({ dataDir })` + `start()` serves the
// admin socket by default, so `kron status --data-dir`, `trigger` and `pause` reach it live.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, ROOT, sleep, until } from "./_cli.ts";

const APP = `${ROOT}tests/e2e/fixtures/embedded_app.ts`;

/** The app as a subprocess, with the least permissions a user would give it. */
class App {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly #pumps: Promise<void>[];

  constructor(cwd: string, dataDir: string) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${cwd}`,
        `--allow-write=${cwd}`,
        `--allow-net=unix:${dataDir}/kron.sock`,
        "--allow-env",
        "--allow-sys",
        APP,
        dataDir,
      ],
      cwd,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      const dec = new TextDecoder();
      for await (const chunk of s) this[key] += dec.decode(chunk, { stream: true });
    };
    this.#pumps = [pump(this.child.stdout, "stdout"), pump(this.child.stderr, "stderr")];
  }

  async stop(): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    const { code } = await this.child.status;
    await Promise.all(this.#pumps);
    return code;
  }
}

Deno.test("embedded app: the real CLI reads, triggers and pauses a plain library app over its socket", async () => {
  const cwd = Deno.makeTempDirSync({ prefix: "kron-emb-" });
  const dataDir = `${cwd}/data`;
  const app = new App(cwd, dataDir);
  // No KRON_DATA_DIR: the CLI finds the app by --data-dir alone.
  const opts = { cwd };
  const cli = (...args: string[]) => kron([...args, "--data-dir", dataDir], opts);
  try {
    await until(() => app.stdout.includes("ready\n") || app.stderr, "the app to start");
    assertEquals(app.stderr, "", "no warning with the permissions it needs");

    const status = await cli("status");
    assertEquals(status.code, 0, status.stderr);
    assertEquals(status.stderr, "", "live: no offline note");
    assertMatch(status.stdout, /^report\s+idle\s.*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*$/m);
    assertMatch(status.stdout, /^tick\s+idle\s/m);
    const jobs = JSON.parse((await cli("status", "--json")).stdout);
    assertEquals(jobs.map((j: { name: string }) => j.name), ["report", "tick"]);
    assert(jobs.every((j: { nextRunAt: string | null }) => j.nextRunAt !== null), "next runs");

    const trigger = await cli("trigger", "report", "--json");
    assertEquals(trigger.code, 0, trigger.stderr);
    const { runId } = JSON.parse(trigger.stdout);
    await until(() => app.stdout.includes(`ran ${runId}\n`), "the triggered run in the app");
    const history = JSON.parse((await cli("history", "report", "--json")).stdout);
    assertEquals(history[0].id, runId);
    assertEquals(history[0].trigger, "manual");
    // Older runs by cursor: stdout stays one JSON array, the way on is on stderr.
    const second = JSON.parse((await cli("trigger", "report", "--json")).stdout).runId;
    await until(() => app.stdout.includes(`ran ${second}\n`), "the second run in the app");
    const page1 = await cli("history", "report", "--limit", "1", "--json");
    assertEquals(JSON.parse(page1.stdout).map((r: { id: string }) => r.id), [second]);
    const cursor = /--before (\S+)/.exec(page1.stderr)?.[1];
    assert(cursor, page1.stderr);
    const page2 = await cli("history", "report", "--limit", "1", "--before", cursor, "--json");
    assertEquals(page2.code, 0, page2.stderr);
    assertEquals(JSON.parse(page2.stdout).map((r: { id: string }) => r.id), [runId]);

    const pause = await cli("pause", "tick", "--for", "2h");
    assertEquals(pause.code, 0, pause.stderr);
    assertMatch(pause.stdout, /^paused tick until \d{4}-/);
    const paused = JSON.parse((await cli("status", "tick", "--json")).stdout);
    assertEquals([paused.state, paused.nextRunAt], ["paused", null]);
    const resume = await cli("resume", "tick");
    assertEquals(resume.code, 0, resume.stderr);
    assertEquals(JSON.parse((await cli("status", "tick", "--json")).stdout).state, "idle");

    assertEquals(await app.stop(), 0, app.stderr);
    assertStringIncludes(app.stdout, "stopped\n");
    // Shut down: the socket is gone and the CLI reads the data dir offline.
    await assertGone(`${dataDir}/kron.sock`);
    const offline = await cli("status");
    assertEquals(offline.code, 0, offline.stderr);
    assertStringIncludes(offline.stderr, "offline");
  } finally {
    await app.stop();
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

async function assertGone(path: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      await Deno.lstat(path);
    } catch {
      return;
    }
    await sleep(50);
  }
  throw new Error(`${path} is still there`);
}
