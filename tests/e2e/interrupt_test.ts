// Issue 15, item 1: one interactive interrupt is one graceful shutdown, as a person meets it:
// README's fresh-machine command `npx -y deno@<.deno-version> task -q kron run …` in a real
// terminal (a tmux pty, `send-keys C-c`), with a command run in flight. The terminal signals the
// whole foreground process group (npx's node, deno task, kron) and npx forwards its copy, so kron
// may see SIGINT more than once within a millisecond. The run must end, kron must stop cleanly
// (its last line "stopped", which main.ts follows with exit 0; npx itself may die with 130 at
// once), and the next start must find no abandoned run. The same for SIGTERM sent to the whole
// process group (systemd's default, `kill -TERM -PGID`).
//
// tmux, setsid and npx are needed: .ci/deps installs tmux; the test fails (never skips) without.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { alive, events, kron, project, ROOT, sleep, startRun, until } from "./_cli.ts";

const DENO_VERSION = Deno.readTextFileSync(`${ROOT}.deno-version`).trim();
const JOBS = `[[job]]
name = "slow"
every = "1h"
command = ["sh", "-c", "sleep 3; echo slow done"]
`;

function need(program: string): void {
  const found = new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync();
  assert(found.success, `${program} is not installed: run "bash .ci/deps" (it installs tmux)`);
}

/** README's fresh-machine command line for `kron run` on the project's files. */
function npxKronRun(dir: string): string[] {
  return [
    "npx",
    "-y",
    `deno@${DENO_VERSION}`,
    "task",
    "-q",
    "kron",
    "run",
    `${dir}/jobs.toml`,
    "--allow-run",
    "--data-dir",
    `${dir}/.kron`,
  ];
}

/** Triggers the slow job and waits until its command is running. */
async function slowRunInFlight(opts: { cwd: string; dataDir: string }): Promise<string> {
  const trig = await kron(["trigger", "slow"], opts);
  assertEquals(trig.code, 0, trig.stderr);
  const runId = trig.stdout.match(/run (\S+)/)![1];
  await until(
    () => events(opts.dataDir).some((e) => e.type === "RUN_SPAWNED" && e.runId === runId),
    "RUN_SPAWNED",
  );
  return runId;
}

/** What both tests check once kron has gone: one graceful shutdown, the run finished. */
async function assertOneCleanShutdown(
  log: string,
  signal: string,
  runId: string,
  opts: { cwd: string; dataDir: string },
): Promise<void> {
  assertEquals(log.match(/: shutting down/g)?.length, 1, log);
  assertMatch(log, new RegExp(`${signal}: shutting down`));
  assert(!/second SIG|exiting without waiting/.test(log), log);
  assertMatch(log, new RegExp(`run slow ${runId} attempt 1 succeeded`));
  // The last line: main.ts exits 0 right after it.
  assertMatch(log.trim().split("\n").at(-1)!, / INFO {2}kron\.cli stopped$/);
  const types = events(opts.dataDir).map((e) => e.type);
  assertEquals(types.at(-1), "RUNTIME_STOPPED", types.join(" "));
  // The next start finds nothing abandoned: the run was not left running.
  const again = await startRun(["--allow-run"], opts);
  assertEquals(await again.stop("SIGTERM"), 0, again.stderr);
  assert(!events(opts.dataDir).some((e) => e.type === "RUN_ABANDONED"), "a RUN_ABANDONED");
  const history = JSON.parse((await kron(["history", "slow", "--json"], opts)).stdout);
  assertEquals(history.map((r: { outcome: string }) => r.outcome), ["succeeded"]);
}

function kronPid(log: string): number {
  return Number(log.match(/ pid (\d+)\)/)![1]);
}

async function readLog(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

Deno.test("one Ctrl-C in a terminal under npx … task kron run: one graceful shutdown", async () => {
  need("tmux");
  need("npx");
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const tmux = (...args: string[]) =>
    new Deno.Command("tmux", { args: ["-L", `kron-test-${Deno.pid}`, ...args] }).output();
  const err = `${p.dir}/kron.err`;
  try {
    // A login-like interactive bash in a pty, in the checkout, as README says.
    const started = await tmux(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      "200",
      "-y",
      "50",
      "-c",
      ROOT,
      "-e",
      "NO_COLOR=1",
      "-e",
      "KRON_LOG_LEVEL=debug",
      "bash --norc -i",
    );
    assertEquals(started.code, 0, new TextDecoder().decode(started.stderr));
    await tmux("send-keys", "-t", "t", `${npxKronRun(p.dir).join(" ")} 2>${err}`, "Enter");
    // npx may fetch deno on a fresh machine.
    await until(async () => / running 1 jobs from /.test(await readLog(err)), "kron run", 120_000);
    const pid = kronPid(await readLog(err));
    const runId = await slowRunInFlight(opts);
    await tmux("send-keys", "-t", "t", "C-c");
    await until(() => !alive(pid), "kron's exit", 40_000);
    const log = await readLog(err);
    await assertOneCleanShutdown(log, "SIGINT", runId, opts);
    const copies = log.match(/SIGINT again within 500 ms/g)?.length ?? 0;
    console.log(`  kron saw ${1 + copies} SIGINT(s) for one Ctrl-C`);
  } finally {
    await tmux("kill-server");
    await p.cleanup();
  }
});

Deno.test("SIGTERM to the whole process group of npx … task kron run: one graceful shutdown", async () => {
  need("setsid");
  need("npx");
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const err = `${p.dir}/kron.err`;
  // setsid: npx leads a process group of its own (npx's node, deno task, kron), as under systemd;
  // kron's log goes to a file, as from a service manager.
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", `exec ${npxKronRun(p.dir).join(" ")} 2>${err}`],
    cwd: ROOT,
    env: { NO_COLOR: "1", KRON_LOG_LEVEL: "debug" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await until(async () => / running 1 jobs from /.test(await readLog(err)), "kron run", 120_000);
    const pid = kronPid(await readLog(err));
    const stat = Deno.readTextFileSync(`/proc/${child.pid}/stat`);
    const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    assertEquals(pgid, child.pid, "npx leads its own process group");
    const runId = await slowRunInFlight(opts);
    Deno.kill(-pgid, "SIGTERM");
    await until(() => !alive(pid), "kron's exit", 40_000);
    const status = await child.status;
    const log = await readLog(err);
    await assertOneCleanShutdown(log, "SIGTERM", runId, opts);
    console.log(
      `  npx exited ${status.code}; kron saw ${
        1 + (log.match(/SIGTERM again within 500 ms/g)?.length ?? 0)
      } SIGTERM(s)`,
    );
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // Gone.
    }
    await child.status;
    await p.cleanup();
  }
});

Deno.test("copies of a signal within 500 ms are one request (exit 0 after the run); one later forces the exit", async () => {
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    // What a terminal and npx deliver for one Ctrl-C, on kron's own process: exit 0 after the run.
    const rt = await startRun(["--allow-run"], opts);
    const runId = await slowRunInFlight(opts);
    rt.child.kill("SIGINT");
    rt.child.kill("SIGINT");
    rt.child.kill("SIGINT");
    await rt.waitFor(/ kron\.cli stopped\n/, 20_000);
    assertEquals((await rt.done).code, 0, rt.stderr);
    await assertOneCleanShutdown(rt.stderr, "SIGINT", runId, opts);

    // A second request after the window still forces the exit at once, as before.
    const rt2 = await startRun(["--allow-run"], opts);
    await slowRunInFlight(opts);
    rt2.child.kill("SIGTERM");
    rt2.child.kill("SIGTERM");
    await rt2.waitFor(/SIGTERM: shutting down/);
    await sleep(700);
    assert(alive(rt2.child.pid), "kron waits for the run in flight");
    const t0 = performance.now();
    assertEquals(await rt2.stop("SIGTERM"), 130, rt2.stderr);
    assert(performance.now() - t0 < 2000, "the forced exit does not wait for the run");
    assertMatch(rt2.stderr, /second SIGTERM: exiting without waiting for running jobs/);
  } finally {
    await p.cleanup();
  }
});
