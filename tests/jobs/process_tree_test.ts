/**
 * Tests of process_tree.ts beyond command_test.ts: the `ps` source (forced under `-A`, then for
 * real in subprocesses started with exactly the flags of deno.json's `kron` task, where Deno
 * refuses every read of `/proc`): start times, group listing, the run-id marker, a grandchild
 * gone after a timeout, and a leftover tree stopped after kill -9 of kron.
 *
 * @module
 */
import {
  killLeftoverGroup,
  listGroup,
  parsePsLine,
  processStartTime,
  processTableKind,
  PS_START_TOLERANCE_TICKS,
  readProcStat,
  sameStartTime,
  useProcessTable,
} from "../../src/jobs/process_tree.ts";
import { assert, assertEquals } from "../e2e/_assert.ts";
import { events, kron, kronFlags, project, ROOT, startRun, until } from "../e2e/_cli.ts";
import { groupMembers } from "../_util/proc.ts";

function spawnTree(script: string, env: Record<string, string> = {}) {
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env,
  }).spawn();
  return { child, pid: child.pid, pgid: child.pid };
}

function killGroup(pgid: number): void {
  try {
    Deno.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs `fn` with the `ps` source forced, then goes back to probing. */
async function viaPs(fn: () => Promise<void>): Promise<void> {
  useProcessTable("ps");
  try {
    await fn();
  } finally {
    useProcessTable(null);
  }
}

Deno.test("parsePsLine and sameStartTime", () => {
  const s = parsePsLine("  4242     1  4242  4242 Ss       12", 1000);
  assertEquals(s, { pid: 4242, state: "S", ppid: 1, pgrp: 4242, session: 4242, startTime: 98800 });
  assertEquals(parsePsLine("garbage", 1), null);
  assertEquals(parsePsLine("1 2 3 4 Z x", 1), null);
  assert(sameStartTime(5000, 5000 + PS_START_TOLERANCE_TICKS, "ps"));
  assert(!sameStartTime(5000, 5001 + PS_START_TOLERANCE_TICKS, "ps"));
  assert(!sameStartTime(5000, 5001, "proc"));
});

Deno.test("ps source: start time, group members and leftovers match /proc", async () => {
  const t = spawnTree("sleep 300 & sleep 300", { KRON_RUN_ID: "RUNPS0001" });
  try {
    await until(() => groupMembers(t.pgid).length >= 3, "the tree");
    const exact = readProcStat(t.pid)!.startTime;
    await viaPs(async () => {
      assertEquals(await processTableKind(), "ps");
      const viaPsStart = await processStartTime(t.pid);
      assert(viaPsStart !== null && sameStartTime(exact, viaPsStart, "ps"), `${viaPsStart}`);
      const members = (await listGroup(t.pgid))!.map((m) => m.pid).sort((a, b) => a - b);
      assertEquals(members, groupMembers(t.pgid));
      // A start time off by more than ps's precision is a reused pid: nothing is signalled.
      const far = exact + 10 * PS_START_TOLERANCE_TICKS;
      assertEquals(await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: far }), "reused");
      assert(groupMembers(t.pgid).length >= 3, "nothing was signalled");
      assertEquals(
        await killLeftoverGroup({ pid: t.pid, pgid: t.pgid, startTime: exact }, { graceMs: 500 }),
        "killed",
      );
      await t.child.status;
      await until(() => groupMembers(t.pgid).length === 0, "the tree to go");
    });
  } finally {
    killGroup(t.pgid);
    await t.child.status;
  }
});

Deno.test("ps source: survivors of a dead leader are found by their run-id marker", async () => {
  const t = spawnTree("sleep 300 & exit 0", { KRON_RUN_ID: "RUNPSMARK2" });
  try {
    await t.child.status;
    await until(() => groupMembers(t.pgid).length === 1, "the orphan");
    await viaPs(async () => {
      const base = { pid: t.pid, pgid: t.pgid, startTime: null };
      assertEquals(await killLeftoverGroup(base), "unverified");
      assertEquals(await killLeftoverGroup({ ...base, runId: "OTHER" }), "gone");
      assertEquals(groupMembers(t.pgid).length, 1, "unproven survivors are left alone");
      assertEquals(
        await killLeftoverGroup({ ...base, runId: "RUNPSMARK2" }, { graceMs: 500 }),
        "killed",
      );
      await until(() => groupMembers(t.pgid).length === 0, "the orphan to go");
    });
  } finally {
    killGroup(t.pgid);
  }
});

Deno.test("real kron flags: /proc is refused, a timed-out run's grandchild is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-pt-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...kronFlags(),
        `${ROOT}tests/jobs/fixtures/real_flags_executor.ts`,
        `${dir}/runs`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    // The flags really are kron's: no -A, so /proc is out of reach and ps answers.
    assert(!kronFlags().includes("-A") && !kronFlags().includes("--allow-all"));
    assertEquals(r.kind, "ps");
    assert(typeof r.spawn.startTime === "number", "RUN_SPAWNED gets a start time");
    const exact = readProcStat(r.spawn.pid)?.startTime;
    if (exact !== undefined) assert(sameStartTime(exact, r.spawn.startTime, "ps"));
    assertEquals(r.error, "terminated (SIGTERM)");
    assertEquals(groupMembers(r.spawn.pgid), [], "leader and grandchild are gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("real kron flags: a leftover tree is stopped after kill -9 of kron", async () => {
  const p = project();
  p.write(
    "jobs.toml",
    `[kron]\nshutdown_timeout = "2s"\n\n[[job]]\nname = "tree"\nevery = "1h"\nmisfire_grace = "1s"\n` +
      `command = "sh -c 'sleep 300 & sleep 300'"\n`,
  );
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  let pgid = 0;
  try {
    const first = await startRun(["--allow-run"], opts);
    try {
      const trig = await kron(["trigger", "tree"], opts);
      assertEquals(trig.code, 0, trig.stderr);
      const spawned = await until(
        () => events(p.dataDir).find((e) => e.type === "RUN_SPAWNED"),
        "RUN_SPAWNED",
      );
      pgid = spawned.pgid as number;
      assert(typeof spawned.startTime === "number", "start time recorded under kron's flags");
      await until(() => groupMembers(pgid).length >= 3, "the tree with its grandchild");
    } finally {
      first.child.kill("SIGKILL");
      await first.done;
    }
    await new Promise((r) => setTimeout(r, 300));
    assert(groupMembers(pgid).length >= 3, "the tree outlived kron");
    const second = await startRun(["--allow-run"], opts);
    try {
      await until(() => events(p.dataDir).some((e) => e.type === "RUN_ABANDONED"), "abandoned");
      await until(() => groupMembers(pgid).length === 0, "the leftover tree to be stopped");
    } finally {
      assertEquals(await second.stop("SIGTERM"), 0, second.stderr);
    }
  } finally {
    if (pgid > 1) killGroup(pgid);
    await p.cleanup();
  }
});
