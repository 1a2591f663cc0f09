/**
 * Tests of the command executor with real child processes: output capture and cap, argv
 * splitting and shell mode, environment policy, abort (SIGTERM, then SIGKILL to the whole group),
 * spawn errors, leftover-group cleanup after a crash, and log pruning.
 *
 * @module
 */
import { splitCommand } from "../../src/jobs/argv.ts";
import {
  CommandAbortedError,
  type CommandExecutorOptions,
  CommandSpawnError,
  type CommandSpec,
  createCommandExecutor,
  type SpawnInfo,
} from "../../src/jobs/command.ts";
import { killLeftoverGroup, readProcStat } from "../../src/jobs/process_tree.ts";
import { pruneRunLogs, runLogPath } from "../../src/jobs/run_log.ts";
import type { RunContext } from "../../src/engine/types.ts";
import { KronError } from "../../src/errors.ts";
import { groupMembers } from "../_util/proc.ts";

const FIXTURE_ARGV = new URL("./fixtures/print_argv.js", import.meta.url).pathname;
const DENO = Deno.execPath();

// --- tiny assertion helpers (no @std available offline) ---------------------------------------

function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}

function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}\n  actual:   ${a}\n  expected: ${e}`);
}

async function assertRejects(
  fn: () => unknown,
  check: (e: unknown) => void,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    check(e);
    return;
  }
  throw new Error("expected a rejection");
}

function assertThrows(fn: () => unknown, includes: string): void {
  try {
    fn();
  } catch (e) {
    assert(e instanceof Error && e.message.includes(includes), `wrong error: ${e}`);
    return;
  }
  throw new Error(`expected a throw including ${JSON.stringify(includes)}`);
}

// --- helpers -------------------------------------------------------------------------------------

let runCounter = 0;

function makeCtx(signal = new AbortController().signal, job = "job"): RunContext {
  const runId = `RUN${String(++runCounter).padStart(4, "0")}`;
  const scheduledAt = new Date("2025-01-02T03:04:05.000Z");
  return {
    job,
    runId,
    attempt: 2,
    scheduledAt,
    idempotencyKey: `${job}:${scheduledAt.toISOString()}`,
    signal,
    log: { info() {}, warn() {}, error() {} },
  };
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kron-command-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs one command; returns the result and the log text. */
async function run(
  tmp: string,
  spec: CommandSpec,
  options: Partial<CommandExecutorOptions> = {},
  ctx = makeCtx(),
): Promise<{ exitCode: number | null | undefined; log: string; ctx: RunContext }> {
  const logDir = `${tmp}/runs`;
  const exec = createCommandExecutor(spec, { logDir, ...options });
  const result = await exec(ctx);
  // A run that printed nothing has no log file.
  const log = await Deno.readTextFile(runLogPath(logDir, ctx.job, ctx.runId)).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  });
  return { exitCode: result?.exitCode, log, ctx };
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// --- splitCommand ------------------------------------------------------------------------------

Deno.test("splitCommand: words, quotes, escapes", () => {
  assertEquals(splitCommand("  ls   -l\t/tmp\n"), ["ls", "-l", "/tmp"]);
  assertEquals(splitCommand(`echo 'a b' "c d"`), ["echo", "a b", "c d"]);
  assertEquals(splitCommand(`a'b'"c"d`), ["abcd"]);
  assertEquals(splitCommand(`x '' ""`), ["x", "", ""]);
  assertEquals(splitCommand(`'it''s' "a\\"b" "\\$x" "\\n" 'back\\slash'`), [
    "its",
    'a"b',
    "$x",
    "\\n",
    "back\\slash",
  ]);
  assertEquals(splitCommand(`a\\ b c\\"d \\'e`), ["a b", 'c"d', "'e"]);
  assertEquals(splitCommand("a\\\nb c"), ["ab", "c"]); // line continuation
  assertEquals(splitCommand(`"multi\nline"`), ["multi\nline"]);
  assertEquals(splitCommand("echo $HOME; touch x | y && z > f *"), [
    "echo",
    "$HOME;",
    "touch",
    "x",
    "|",
    "y",
    "&&",
    "z",
    ">",
    "f",
    "*",
  ]);
  assertEquals(splitCommand(""), []);
  assertEquals(splitCommand(" \t\n"), []);
  assertEquals(splitCommand("héllo wörld ✓"), ["héllo", "wörld", "✓"]);
});

Deno.test("splitCommand: errors are clear", () => {
  assertThrows(() => splitCommand(`echo "abc`), "command: unterminated double quote");
  assertThrows(() => splitCommand(`echo 'abc`), "command: unterminated single quote");
  assertThrows(() => splitCommand(`echo "a\\"`), "command: unterminated double quote");
  assertThrows(() => splitCommand(`echo \\`), "command: trailing backslash");
  try {
    splitCommand(`"`);
  } catch (e) {
    assert(e instanceof KronError && e.code === "invalid_option");
  }
});

// --- running commands --------------------------------------------------------------------------

Deno.test("success: output of stdout and stderr captured in the run log", async () => {
  await withTmp(async (tmp) => {
    let info: SpawnInfo | undefined;
    const r = await run(tmp, {
      command: ["sh", "-c", "echo out1; echo err1 >&2; sleep 0.05; echo out2"],
    }, {
      onSpawn: (_ctx, i) => info = i,
    });
    assertEquals(r.exitCode, 0);
    assertEquals(r.log, "out1\nerr1\nout2\n");
    assert(info && info.pid > 0 && info.pgid === info.pid, "onSpawn called with pid = pgid");
    assert(typeof info.startTime === "number", "start time read from /proc");
    const st = await Deno.stat(runLogPath(`${tmp}/runs`, r.ctx.job, r.ctx.runId));
    assertEquals(st.mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(`${tmp}/runs/job`)).mode! & 0o777, 0o700);
  });
});

Deno.test("non-zero exit and death by signal are reported as exit codes", async () => {
  await withTmp(async (tmp) => {
    assertEquals((await run(tmp, { command: "sh -c 'exit 3'" })).exitCode, 3);
    assertEquals((await run(tmp, { command: "sh -c 'kill -TERM $$'" })).exitCode, 128 + 15);
    assertEquals((await run(tmp, { command: "sh -c 'kill -KILL $$'" })).exitCode, 128 + 9);
  });
});

Deno.test("argv: quoted words reach the program exactly", async () => {
  await withTmp(async (tmp) => {
    const words = `'a b' "c \\"d\\"" e\\ f '' '$HOME' ';' '*'`;
    const r = await run(tmp, {
      command: `${DENO} run --quiet --no-config ${FIXTURE_ARGV} ${words}`,
    });
    assertEquals(r.exitCode, 0);
    assertEquals(JSON.parse(r.log), ["a b", 'c "d"', "e f", "", "$HOME", ";", "*"]);
    const a = await run(tmp, {
      command: [DENO, "run", "--quiet", "--no-config", FIXTURE_ARGV, "x y", "'q'"],
    });
    assertEquals(JSON.parse(a.log), ["x y", "'q'"]);
  });
});

Deno.test("no shell unless shell: true", async () => {
  await withTmp(async (tmp) => {
    const r = await run(tmp, { command: "echo $HOME; touch x", dir: tmp });
    assertEquals(r.log, "$HOME; touch x\n");
    assertEquals(await exists(`${tmp}/x`), false);

    const s = await run(tmp, {
      command: 'echo "$KRON_JOB" | tr a-z A-Z; touch x',
      shell: true,
      dir: tmp,
    });
    assertEquals(s.exitCode, 0);
    assertEquals(s.log, "JOB\n");
    assertEquals(await exists(`${tmp}/x`), true);

    assertThrows(
      () => createCommandExecutor({ command: ["echo", "hi"], shell: true }, { logDir: tmp }),
      "must be a string",
    );
    assertThrows(() => createCommandExecutor({ command: "  " }, { logDir: tmp }), "command: empty");
    assertThrows(
      () => createCommandExecutor({ command: `echo "x` }, { logDir: tmp }),
      "unterminated double quote",
    );
  });
});

Deno.test("dir and env honoured, KRON_* present, kron's own env not leaked", async () => {
  await withTmp(async (tmp) => {
    Deno.env.set("KRON_TEST_UNRELATED_SECRET", "leak");
    try {
      const r = await run(tmp, {
        command: "pwd; env",
        shell: true,
        dir: tmp,
        env: { FOO: "bar baz", KRON_RUN_ID: "spoofed" },
      });
      const [pwd, ...lines] = r.log.trim().split("\n");
      assertEquals(pwd, await Deno.realPath(tmp));
      const env = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      assertEquals(env.FOO, "bar baz");
      assertEquals(env.KRON_JOB, "job");
      assertEquals(env.KRON_RUN_ID, r.ctx.runId);
      assertEquals(env.KRON_ATTEMPT, "2");
      assertEquals(env.KRON_SCHEDULED_AT, "2025-01-02T03:04:05.000Z");
      assertEquals(env.KRON_IDEMPOTENCY_KEY, "job:2025-01-02T03:04:05.000Z");
      assertEquals(env.KRON_TEST_UNRELATED_SECRET, undefined);
      assert(env.PATH, "PATH is part of the default base env");
      if (Deno.env.get("HOME")) assertEquals(env.HOME, Deno.env.get("HOME"));

      const b = await run(tmp, { command: "env" }, {
        baseEnv: { PATH: "/usr/bin:/bin", ONLY: "1" },
      });
      const names = b.log.trim().split("\n").map((l) => l.slice(0, l.indexOf("="))).sort();
      assertEquals(names, [
        "KRON_ATTEMPT",
        "KRON_IDEMPOTENCY_KEY",
        "KRON_JOB",
        "KRON_RUN_ID",
        "KRON_SCHEDULED_AT",
        "ONLY",
        "PATH",
      ]);
    } finally {
      Deno.env.delete("KRON_TEST_UNRELATED_SECRET");
    }
  });
});

Deno.test("output cap: 5 MB into a 64 KiB log, child never blocked", async () => {
  await withTmp(async (tmp) => {
    const cap = 64 * 1024;
    const started = Date.now();
    const r = await run(tmp, {
      command: "yes 0123456789 | head -c 5000000; yes err | head -c 1000000 >&2; echo done >&2",
      shell: true,
    }, { logCapBytes: cap });
    assertEquals(r.exitCode, 0);
    const marker = `[kron] output truncated after ${cap} bytes\n`;
    const bytes = new TextEncoder().encode(r.log).length;
    assert(bytes <= cap + marker.length + 1, `log is ${bytes} bytes`);
    assert(r.log.endsWith(marker), "ends with the marker line");
    assertEquals(r.log.split("[kron]").length, 2, "one marker only");
    assert(Date.now() - started < 5000, "finished promptly");
  });
});

Deno.test("abort: SIGTERM stops the whole group, grandchild included", async () => {
  await withTmp(async (tmp) => {
    const ac = new AbortController();
    let pgid = 0;
    const exec = createCommandExecutor({ command: "sh -c 'sleep 300 & sleep 300'" }, {
      logDir: `${tmp}/runs`,
      killGraceMs: 3000,
      onSpawn: (_c, i) => pgid = i.pgid,
    });
    const ctx = makeCtx(ac.signal);
    const p = exec(ctx);
    await waitFor(() => pgid > 0 && groupMembers(pgid).length >= 3);
    const t0 = Date.now();
    ac.abort(new DOMException("timed out after 1s", "TimeoutError"));
    await assertRejects(() => p, (e) => {
      assert(e instanceof CommandAbortedError, `got ${e}`);
      assertEquals(e.name, "AbortError");
      assertEquals(e.message, "terminated (SIGTERM)");
      assertEquals(e.by, "SIGTERM");
    });
    assert(Date.now() - t0 < 2000, "prompt after SIGTERM");
    assertEquals(groupMembers(pgid), []);
    const log = await Deno.readTextFile(runLogPath(`${tmp}/runs`, ctx.job, ctx.runId));
    assert(
      log.includes(`run aborted (timed out after 1s): sending SIGTERM to process group ${pgid}`),
      log,
    );
    assert(log.includes(`process group ${pgid} exited after SIGTERM`), log);
  });
});

Deno.test("abort: a group that ignores SIGTERM gets SIGKILL after the grace", async () => {
  await withTmp(async (tmp) => {
    const ac = new AbortController();
    let pgid = 0;
    // Ignored signals stay ignored across fork and exec: every process of the tree ignores TERM.
    const exec = createCommandExecutor({
      command: "trap '' TERM; sleep 300 & sleep 300; sleep 300",
      shell: true,
    }, { logDir: `${tmp}/runs`, killGraceMs: 300, onSpawn: (_c, i) => pgid = i.pgid });
    const ctx = makeCtx(ac.signal);
    const p = exec(ctx);
    await waitFor(() => pgid > 0 && groupMembers(pgid).length >= 3);
    const t0 = Date.now();
    ac.abort("shutdown");
    await assertRejects(() => p, (e) => {
      assert(e instanceof CommandAbortedError, `got ${e}`);
      assertEquals(e.message, "killed (SIGKILL after 300ms)");
      assertEquals(e.cause, "shutdown");
    });
    const took = Date.now() - t0;
    assert(took >= 300 && took < 2500, `took ${took} ms`);
    assertEquals(groupMembers(pgid), []);
    const log = await Deno.readTextFile(runLogPath(`${tmp}/runs`, ctx.job, ctx.runId));
    assert(log.includes(`process group ${pgid} still alive after 300ms: sent SIGKILL`), log);
  });
});

Deno.test("abort: leader gone but grandchild ignoring TERM is still killed", async () => {
  await withTmp(async (tmp) => {
    const ac = new AbortController();
    let pgid = 0;
    // The leader dies on SIGTERM at once; the background child ignores it.
    const exec = createCommandExecutor({
      command: "(trap '' TERM; sleep 300) & sleep 300",
      shell: true,
    }, { logDir: `${tmp}/runs`, killGraceMs: 300, onSpawn: (_c, i) => pgid = i.pgid });
    const p = exec(makeCtx(ac.signal));
    await waitFor(() => pgid > 0 && groupMembers(pgid).length >= 3);
    ac.abort();
    await assertRejects(
      () => p,
      (e) => assertEquals((e as Error).message, "killed (SIGKILL after 300ms)"),
    );
    assertEquals(groupMembers(pgid), []);
  });
});

Deno.test("exit: processes left behind in the group are stopped", async () => {
  await withTmp(async (tmp) => {
    let pgid = 0;
    const t0 = Date.now();
    const r = await run(tmp, { command: "sleep 300 & echo started", shell: true }, {
      killGraceMs: 1000,
      onSpawn: (_c, i) => pgid = i.pgid,
    });
    assertEquals(r.exitCode, 0);
    assert(Date.now() - t0 < 3000, "not held by the background child's pipe");
    assertEquals(groupMembers(pgid), []);
    assert(r.log.startsWith("started\n"), r.log);
    assert(r.log.includes("leaving 1 process(es) in group"), r.log);
  });
});

Deno.test("exit: a pipe held by a process outside the group does not hang the run", async () => {
  await withTmp(async (tmp) => {
    const pidFile = `${tmp}/daemon.pid`;
    const t0 = Date.now();
    // setsid: the daemon leaves the group (so it is not ours to kill) but keeps stdout open.
    const r = await run(tmp, {
      command: `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 300' & sleep 0.1; echo bye`,
      shell: true,
    });
    try {
      assertEquals(r.exitCode, 0);
      const took = Date.now() - t0;
      assert(took < 3000, `took ${took} ms`);
      assert(r.log.startsWith("bye\n"), r.log);
      assert(r.log.includes("output pipe still held open"), r.log);
    } finally {
      const pid = Number(await Deno.readTextFile(pidFile));
      if (pid > 1) Deno.kill(pid, "SIGKILL");
    }
  });
});

Deno.test("already aborted: nothing is spawned", async () => {
  await withTmp(async (tmp) => {
    const ac = new AbortController();
    ac.abort("replace");
    let spawned = false;
    const exec = createCommandExecutor({ command: "true" }, {
      logDir: `${tmp}/runs`,
      onSpawn: () => spawned = true,
    });
    await assertRejects(() => exec(makeCtx(ac.signal)), (e) => assertEquals(e, "replace"));
    assertEquals(spawned, false);
  });
});

Deno.test("spawn failure: one-line message naming the program or the directory", async () => {
  await withTmp(async (tmp) => {
    const exec = createCommandExecutor({ command: "nosuchprog-kron --flag" }, {
      logDir: `${tmp}/runs`,
    });
    const ctx = makeCtx();
    await assertRejects(() => exec(ctx), (e) => {
      assert(e instanceof CommandSpawnError, `got ${e}`);
      assertEquals(e.message, 'command "nosuchprog-kron" not found');
    });
    const log = await Deno.readTextFile(runLogPath(`${tmp}/runs`, ctx.job, ctx.runId));
    assertEquals(log, '[kron] spawn failed: command "nosuchprog-kron" not found\n');

    const dir = `${tmp}/missing`;
    const inDir = createCommandExecutor({ command: "ls", dir }, { logDir: `${tmp}/runs` });
    await assertRejects(() => inDir(makeCtx()), (e) => {
      assertEquals((e as Error).message, `command "ls": directory "${dir}" not found`);
    });

    await Deno.writeTextFile(`${tmp}/noexec.sh`, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const noexec = createCommandExecutor({ command: `${tmp}/noexec.sh` }, {
      logDir: `${tmp}/runs`,
    });
    await assertRejects(() => noexec(makeCtx()), (e) => {
      assertEquals((e as Error).message, `command "${tmp}/noexec.sh": permission denied`);
    });
  });
});

Deno.test("unsafe job or run ids are refused", async () => {
  await withTmp(async (tmp) => {
    const exec = createCommandExecutor({ command: "true" }, { logDir: `${tmp}/runs` });
    for (const job of ["../x", "a/b", "a\0b", ".."]) {
      await assertRejects(() => exec(makeCtx(undefined, job)), (e) => {
        assert(e instanceof KronError && e.code === "invalid_name", `got ${e}`);
      });
    }
    const ctx = { ...makeCtx(), runId: "../../etc/passwd" };
    await assertRejects(() => exec(ctx), (e) => assert(e instanceof KronError));
  });
});

// --- leftovers after a crash ---------------------------------------------------------------------

/** Spawns a detached tree like the executor does, without the executor (kron "crashed"). */
function spawnTree(script: string, env: Record<string, string> = {}) {
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env,
  }).spawn();
  const startTime = readProcStat(child.pid)!.startTime;
  return { child, pid: child.pid, pgid: child.pid, startTime };
}

Deno.test("killLeftoverGroup: refuses a reused pid, kills a matching tree", async () => {
  const t = spawnTree("sleep 300 & sleep 300");
  try {
    await waitFor(() => groupMembers(t.pgid).length >= 3);
    const wrong = await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: t.startTime + 1 });
    assertEquals(wrong, "reused");
    assert(groupMembers(t.pgid).length >= 3, "nothing was signalled");
    assertEquals(
      await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: null }),
      "unverified",
    );

    const r = await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: t.startTime }, {
      graceMs: 500,
    });
    assertEquals(r, "killed");
    await t.child.status;
    await waitFor(() => groupMembers(t.pgid).length === 0);
    assertEquals(
      await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: t.startTime }),
      "gone",
    );
  } finally {
    try {
      Deno.kill(-t.pgid, "SIGKILL");
    } catch { /* already gone */ }
    await t.child.status;
  }
});

Deno.test("killLeftoverGroup: survivors of a dead leader only with the run-id marker", async () => {
  const t = spawnTree("sleep 300 & exit 0", { KRON_RUN_ID: "RUNMARK1" });
  try {
    await t.child.status; // leader exited and was reaped; the sleep survives in the group
    await waitFor(() => groupMembers(t.pgid).length === 1);
    const base = { pid: t.pid, pgid: t.pgid, startTime: t.startTime };
    assertEquals(await killLeftoverGroup(base), "gone");
    assertEquals(await killLeftoverGroup({ ...base, runId: "OTHER" }), "gone");
    assertEquals(groupMembers(t.pgid).length, 1, "unproven survivors are left alone");
    assertEquals(
      await killLeftoverGroup({ ...base, runId: "RUNMARK1" }, { graceMs: 500 }),
      "killed",
    );
    await waitFor(() => groupMembers(t.pgid).length === 0);
  } finally {
    try {
      Deno.kill(-t.pgid, "SIGKILL");
    } catch { /* already gone */ }
  }
});

// --- pruning -------------------------------------------------------------------------------------

Deno.test("pruneRunLogs deletes logs not kept, then the empty directory", async () => {
  await withTmp(async (tmp) => {
    const logDir = `${tmp}/runs`;
    await Deno.mkdir(`${logDir}/job`, { recursive: true });
    for (const id of ["A", "B", "C"]) await Deno.writeTextFile(`${logDir}/job/${id}.log`, id);
    await Deno.writeTextFile(`${logDir}/job/notes.txt`, "keep me");
    assertEquals(await pruneRunLogs(logDir, "job", new Set(["B"])), 2);
    const left = [...Deno.readDirSync(`${logDir}/job`)].map((e) => e.name).sort();
    assertEquals(left, ["B.log", "notes.txt"]);
    assertEquals(await pruneRunLogs(logDir, "nojob", new Set()), 0);

    await Deno.mkdir(`${logDir}/gone`);
    await Deno.writeTextFile(`${logDir}/gone/X.log`, "x");
    assertEquals(await pruneRunLogs(logDir, "gone", new Set()), 1);
    assertEquals(await exists(`${logDir}/gone`), false);
    await assertRejects(() => pruneRunLogs(logDir, "../x", new Set()), (e) => {
      assert(e instanceof KronError);
    });
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
