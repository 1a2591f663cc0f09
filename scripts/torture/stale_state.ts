/**
 * Stale state after a crash, through the real CLI (its own flags, so process facts come from
 * `ps`, not `/proc`):
 *
 * - a job under `overlap = "skip"` whose run was in flight at `kill -9` is not left "running"
 *   after the restart: the run is recorded `RUN_ABANDONED`, the next occurrence fires on time;
 * - a command job's whole process tree (child, subshell, grandchild) is gone after a timeout,
 *   after `overlap = "replace"`, and after kron itself is stopped;
 * - after `kill -9` of kron, the restarted kron finds the run's recorded process group alive
 *   and stops it; a recorded pid that now belongs to another process (pid reuse: same pid,
 *   different start time) is left alone.
 *
 * @module
 */
import { AdminClient } from "../../src/api/mod.ts";
import { FileStore } from "../../src/store/file_store.ts";
import {
  alive,
  type CaseContext,
  KronProcess,
  logRecords,
  type Result,
  sleep,
  type TortureCase,
  until,
} from "./_common.ts";

/** A shell snippet that starts a tree (itself, a child, a subshell with a grandchild) and
 * writes every pid to `file`, then waits. */
function tree(file: string): string {
  return `echo $$ >> ${file}; sleep 300 & echo $! >> ${file}; ` +
    `( sleep 300 & echo $! >> ${file}; wait ) & echo $! >> ${file}; wait`;
}

function pids(file: string): number[] {
  try {
    return Deno.readTextFileSync(file).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function treeUp(file: string, what: string): Promise<number[]> {
  return await until(
    () => {
      const p = pids(file);
      return p.length >= 4 ? p : null;
    },
    `${what}: the process tree to start`,
    30_000,
  );
}

async function allGone(list: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = list.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(alive);
  }
  return left;
}

function project(dir: string, toml: string): { dir: string; dataDir: string } {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/jobs.toml`, `[kron]\nshutdown_timeout = "1s"\n\n${toml}`);
  return { dir, dataDir: `${dir}/.kron` };
}

function start(p: { dir: string; dataDir: string }): Promise<KronProcess> {
  const k = new KronProcess(["run", "jobs.toml", "--allow-run"], {
    cwd: p.dir,
    dataDir: p.dataDir,
  });
  return k.waitFor(/ running \d+ jobs from /, 60_000).then(() => k);
}

function killTree(list: number[]): void {
  for (const pid of list) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** kill -9 with an overlap=skip run in flight: abandoned, leftover stopped, next on time. */
async function crashedSkip(ctx: CaseContext, result: Result, round: number): Promise<void> {
  const base = `${ctx.tmp}/skip-${round}`;
  const file = `${base}/tree.pids`;
  const p = project(
    base,
    `[[job]]\nname = "sleeper"\nevery = "2s"\noverlap = "skip"\nshell = true\n` +
      `command = "if [ -e ${base}/first.done ]; then exit 0; fi; touch ${base}/first.done; ${
        tree(file)
      }"\n`,
  );
  const k = await start(p);
  const list = await treeUp(file, "skip");
  await sleep(ctx.rng.int(0, 800));
  k.child.kill("SIGKILL");
  await k.stop("SIGKILL");
  result.count();
  result.check(list.every(alive), "the tree should outlive kron's kill -9 (its own process group)");
  const before = logRecords(p.dataDir);
  const inflight = before.filter((r) => r.type === "RUN_STARTED").map((r) => r.runId).filter((id) =>
    !before.some((e) => e.runId === id && e.type !== "RUN_STARTED" && e.type !== "RUN_SPAWNED")
  );
  const restartedAt = Date.now();
  const k2 = await start(p);
  try {
    const left = await allGone(list, 10_000);
    result.check(
      left.length === 0,
      `after kill -9 and restart, ${left.length} of ${list.length} processes of the leftover tree still alive`,
    );
    killTree(left);
    const recs = logRecords(p.dataDir);
    for (const id of inflight) {
      result.check(
        recs.some((r) => r.type === "RUN_ABANDONED" && r.runId === id),
        `run ${id} in flight at the kill is not recorded abandoned`,
      );
    }
    // Not "running" for long, and the next occurrence on time.
    const c = (await AdminClient.connect(p.dataDir))!;
    try {
      const st = await until(
        async () => {
          const j = await c.job("sleeper");
          return j.state !== "running" ? j : null;
        },
        "sleeper not running after recovery",
        10_000,
      ).catch(() => null);
      result.check(st !== null, "the overlap=skip job stays running after the restart");
      const next = await until(
        () =>
          logRecords(p.dataDir).find((r) =>
            r.type === "RUN_STARTED" && r.trigger === "schedule" && Date.parse(r.time) > restartedAt
          ),
        "a scheduled run after the restart",
        10_000,
      ).catch(() => null);
      result.check(next !== null, "no scheduled run after the restart");
      if (next) {
        const late = Date.parse(next.time) - Date.parse(next.scheduledAt as string);
        result.check(late < 1000, `the next occurrence ran ${late} ms late`);
      }
    } finally {
      c.close();
    }
  } finally {
    await k2.stop();
  }
}

/** timeout, replace, shutdown: the whole tree goes each time. */
async function trees(ctx: CaseContext, result: Result, round: number): Promise<void> {
  const base = `${ctx.tmp}/trees-${round}`;
  const p = project(
    base,
    `[[job]]\nname = "slow"\nafter = "100ms"\ntimeout = "1s"\nshell = true\ncommand = "${
      tree(`${base}/timeout.pids`)
    }"\n\n` +
      `[[job]]\nname = "replaced"\nevery = "3s"\noverlap = "replace"\nshell = true\n` +
      `command = "${tree(`${base}/replace-$KRON_RUN_ID.pids`)}"\n\n` +
      `[[job]]\nname = "held"\nafter = "100ms"\nshell = true\ncommand = "${
        tree(`${base}/shutdown.pids`)
      }"\n`,
  );
  const k = await start(p);
  let stopped = false;
  try {
    // Timeout: SIGTERM to the group, SIGKILL after the grace; nothing may survive.
    const t = await treeUp(`${base}/timeout.pids`, "timeout");
    result.count();
    const leftT = await allGone(t, 8_000);
    result.check(leftT.length === 0, `timeout: ${leftT.length} of ${t.length} processes survived`);
    killTree(leftT);
    result.check(
      logRecords(p.dataDir).some((r) => r.type === "RUN_TIMED_OUT" && r.job === "slow"),
      "timeout: no RUN_TIMED_OUT",
    );
    // Replace: the first run's tree goes when the second occurrence replaces it.
    const first = await until(
      () => {
        const f = [...Deno.readDirSync(base)].find((e) => e.name.startsWith("replace-"));
        return f ? `${base}/${f.name}` : null;
      },
      "the first replaced run",
      10_000,
    );
    const r1 = await treeUp(first, "replace");
    await until(
      () => logRecords(p.dataDir).some((r) => r.type === "RUN_CANCELLED" && r.reason === "replace"),
      "a replace",
      10_000,
    );
    result.count();
    const leftR = await allGone(r1, 8_000);
    result.check(leftR.length === 0, `replace: ${leftR.length} of ${r1.length} processes survived`);
    killTree(leftR);
    // Shutdown: kron stops (shutdown_timeout 1s), the held tree goes with it, before it exits.
    const s = await treeUp(`${base}/shutdown.pids`, "shutdown");
    const status = await k.stop("SIGTERM", 30_000);
    stopped = true;
    result.count();
    result.check(status.code === 0, `kron exited ${status.code} on SIGTERM`);
    const leftS = s.filter(alive);
    result.check(
      leftS.length === 0,
      `shutdown: ${leftS.length} of ${s.length} processes outlived kron`,
    );
    killTree(leftS);
    // And the current replaced run's tree.
    for (const e of Deno.readDirSync(base)) {
      if (!e.name.startsWith("replace-")) continue;
      const left = pids(`${base}/${e.name}`).filter(alive);
      result.check(
        left.length === 0,
        `shutdown: ${left.length} processes of ${e.name} outlived kron`,
      );
      killTree(left);
    }
  } finally {
    if (!stopped) await k.stop();
  }
}

/** A recorded group whose pid now belongs to someone else is left alone; ours is stopped. */
async function pidReuse(ctx: CaseContext, result: Result): Promise<void> {
  const base = `${ctx.tmp}/reuse`;
  const p = project(base, `[[job]]\nname = "ghost"\nevery = "1h"\ncommand = ["true"]\n`);
  (await start(p)).child.kill("SIGTERM");
  await sleep(1500);
  // Two processes in their own sessions (pid = pgid), as a command run's leader would be.
  const spawn = () =>
    new Deno.Command("setsid", { args: ["sleep", "300"], stdout: "null", stderr: "null" }).spawn();
  const stranger = spawn();
  const ours = spawn();
  await sleep(200);
  const startTime = (pid: number) => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  };
  const store = new FileStore({ dataDir: p.dataDir });
  await store.open();
  const time = new Date().toISOString();
  const runs = [
    // The stranger: same pid as recorded, but it started 100 s later than the recorded leader.
    {
      id: "01JX0000000000000000000001",
      pid: stranger.pid,
      start: startTime(stranger.pid) - 10_000,
    },
    { id: "01JX0000000000000000000002", pid: ours.pid, start: startTime(ours.pid) },
  ];
  for (const r of runs) {
    await store.append({
      type: "RUN_STARTED",
      time,
      job: "ghost",
      runId: r.id,
      attempt: 1,
      scheduledAt: time,
      idempotencyKey: `ghost:${time}`,
      trigger: "schedule",
      jitterMs: 0,
    });
    await store.append({
      type: "RUN_SPAWNED",
      time,
      job: "ghost",
      runId: r.id,
      pid: r.pid,
      pgid: r.pid,
      startTime: r.start,
    });
  }
  await store.close();
  const k = await start(p);
  try {
    result.count();
    const left = await allGone([ours.pid], 10_000);
    result.check(
      left.length === 0,
      "the recorded leftover group (matching start time) was not stopped",
    );
    result.check(alive(stranger.pid), "a process that merely reuses a recorded pid was signalled");
  } finally {
    await k.stop();
    for (const c of [stranger, ours]) {
      try {
        c.kill("SIGKILL");
      } catch {
        // gone
      }
      await c.status;
    }
  }
}

/** The case. */
export const stale_state: TortureCase = {
  name: "stale_state",
  title: "stale state after kill -9, process trees after timeout/replace/stop, pid reuse",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const rounds = ctx.quick ? 1 : 4;
    for (let i = 0; i < rounds; i++) {
      await crashedSkip(ctx, result, i);
      await trees(ctx, result, i);
    }
    await pidReuse(ctx, result);
    result.figure("rounds", rounds);
  },
};
