/**
 * What the end of a command run costs (issue 20): no `ps` on an ordinary exit, start times read
 * in one batch only for processes still running, no log file for a run that printed nothing,
 * old logs pruned in the background, and a background child's group still cleaned up through
 * the `ps` source.
 *
 * `ps` calls are counted by a wrapper put first on PATH (Deno looks programs up on the PATH of
 * this process), which appends a line to a file and execs the real `ps`.
 *
 * @module
 */
import { createCommandExecutor } from "../../src/jobs/command.ts";
import {
  SPAWN_FACTS_DELAY_MS,
  useProcessTable,
  whenStillRunning,
} from "../../src/jobs/process_table.ts";
import { runLogPath } from "../../src/jobs/run_log.ts";
import {
  keepNewestRunLogs,
  pruneSlack,
  RunLogRetention,
} from "../../src/jobs/run_log_retention.ts";
import type { RunContext } from "../../src/engine/types.ts";
import { assert, assertEquals } from "../e2e/_assert.ts";
import { groupMembers } from "../_util/proc.ts";

let counter = 0;
function ctx(job = "job"): RunContext {
  const runId = `01JRUN${String(++counter).padStart(20, "0")}`;
  return {
    job,
    runId,
    attempt: 1,
    scheduledAt: new Date(),
    idempotencyKey: `${job}:${runId}`,
    signal: new AbortController().signal,
    log: { info() {}, warn() {}, error() {} },
  };
}

/** Runs `fn` with the `ps` source forced and every `ps` call counted. */
async function countingPs(fn: (calls: () => string[], tmp: string) => Promise<void>) {
  const tmp = await Deno.makeTempDir({ prefix: "kron-end-" });
  const count = `${tmp}/ps.calls`;
  const real = ["/usr/bin/ps", "/bin/ps"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  assert(real, "ps is installed (procps)");
  await Deno.mkdir(`${tmp}/bin`);
  await Deno.writeTextFile(
    `${tmp}/bin/ps`,
    `#!/bin/sh\necho "$*" >> ${count}\nexec ${real} "$@"\n`,
    { mode: 0o755 },
  );
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${tmp}/bin:${path}`);
  useProcessTable("ps");
  const calls = () => {
    try {
      return Deno.readTextFileSync(count).split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  try {
    await fn(calls, tmp);
  } finally {
    useProcessTable(null);
    Deno.env.set("PATH", path);
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("ordinary exits run no ps and create no log; output creates one", async () => {
  await countingPs(async (calls, tmp) => {
    const logDir = `${tmp}/runs`;
    let spawned = 0;
    const quiet = createCommandExecutor({ command: ["true"] }, {
      logDir,
      onSpawn: () => spawned++,
    });
    const runs = Array.from({ length: 20 }, () => ctx("quiet"));
    const results = await Promise.all(runs.map((c) => quiet(c)));
    assertEquals(results.map((r) => r?.exitCode), runs.map(() => 0));
    // The batch of start times is read SPAWN_FACTS_DELAY_MS after the spawns, and only for
    // processes still running: wait past it so a ps, had there been one, is counted.
    await new Promise((r) => setTimeout(r, SPAWN_FACTS_DELAY_MS * 3));
    // No listing of the process table on the exit path; at most one start-time read for the
    // 20 spawns (none when they all exited within SPAWN_FACTS_DELAY_MS, the usual case on an
    // idle machine; a loaded one may leave a few running that long).
    const listings = calls().filter((args) => args.startsWith("-e"));
    const reads = calls().filter((args) => args.startsWith("-o"));
    assertEquals(listings, [], "no process-table listing for runs that exited");
    assert(reads.length <= 1, `start times read once for the burst, not per run: ${reads}`);
    if (reads.length === 0) assertEquals(spawned, 0, "a run already over is not reported");
    let dirExists = true;
    await Deno.stat(`${logDir}/quiet`).catch(() => dirExists = false);
    assertEquals(dirExists, false, "no directory and no file for runs that printed nothing");

    const loud = createCommandExecutor({ command: ["echo", "hello"] }, { logDir });
    const c = ctx("loud");
    await loud(c);
    assertEquals(await Deno.readTextFile(runLogPath(logDir, "loud", c.runId)), "hello\n");
  });
});

Deno.test("start times of running processes: one batched ps, only for those alive", async () => {
  await countingPs(async (calls) => {
    const children = Array.from(
      { length: 5 },
      () => new Deno.Command("sleep", { args: ["5"], detached: true }).spawn(),
    );
    const quick = new Deno.Command("true", { detached: true }).spawn();
    await quick.status;
    const seen = new Map<number, number | null>();
    try {
      for (const c of children) {
        whenStillRunning(c.pid, c.status, (t) => seen.set(c.pid, t));
      }
      let quickSeen = false;
      whenStillRunning(quick.pid, quick.status, () => quickSeen = true);
      const deadline = Date.now() + 5000;
      while (seen.size < children.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals(seen.size, 5, "every running child reported");
      for (const t of seen.values()) assert(typeof t === "number" && t > 0, `start time ${t}`);
      assertEquals(calls().length, 1, "one ps for the batch");
      assertEquals(quickSeen, false, "an exited process is not reported");
    } finally {
      for (const c of children) c.kill("SIGKILL");
      await Promise.all(children.map((c) => c.status));
    }
  });
});

Deno.test("ps source: a background child's group is cleaned up at the leader's exit", async () => {
  await countingPs(async (_calls, tmp) => {
    const logDir = `${tmp}/runs`;
    let pgid = 0;
    const exec = createCommandExecutor({ command: "sleep 300 & echo started", shell: true }, {
      logDir,
      killGraceMs: 1000,
      onSpawn: (_c, i) => pgid = i.pgid,
    });
    const c = ctx("tree");
    const t0 = Date.now();
    const r = await exec(c);
    assertEquals(r?.exitCode, 0);
    const log = await Deno.readTextFile(runLogPath(logDir, "tree", c.runId));
    assert(log.startsWith("started\n"), log);
    const m = /leaving 1 process\(es\) in group (\d+)/.exec(log);
    assert(m, log);
    pgid ||= Number(m[1]);
    assertEquals(groupMembers(pgid), [], "the sleep left behind is gone");
    assert(Date.now() - t0 < 3000, "cleanup took no grace period");
  });
});

Deno.test("run logs: the newest are kept, older ones pruned in the background in batches", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "kron-retention-" });
  try {
    const logDir = `${tmp}/runs`;
    await Deno.mkdir(`${logDir}/job`, { recursive: true });
    // What an earlier life left: 300 logs, named by ULID-like ids that sort by time.
    const ids = Array.from({ length: 300 }, (_, i) => `01J${String(i).padStart(23, "0")}`);
    for (const id of ids) await Deno.writeTextFile(`${logDir}/job/${id}.log`, id);
    await Deno.writeTextFile(`${logDir}/job/notes.txt`, "not a run log");
    const retention = new RunLogRetention(logDir);
    // The first log of a life queues a prune at once.
    retention.created("job", 100);
    await retention.idle();
    const left = () => [...Deno.readDirSync(`${logDir}/job`)].map((e) => e.name).sort();
    assertEquals(left().length, 101);
    assertEquals(left().slice(0, 100), ids.slice(200).map((id) => `${id}.log`));
    assert(left().includes("notes.txt"));
    // Then one prune per pruneSlack(keep) new logs, not one per run.
    const slack = pruneSlack(100);
    for (let i = 0; i < slack - 1; i++) {
      await Deno.writeTextFile(`${logDir}/job/01K${String(i).padStart(23, "0")}.log`, "x");
      retention.created("job", 100);
    }
    await retention.idle();
    assertEquals(left().length, 101 + slack - 1, "no prune before the slack is used up");
    await Deno.writeTextFile(`${logDir}/job/01K${"9".repeat(23)}.log`, "x");
    retention.created("job", 100);
    await retention.idle();
    assertEquals(left().length, 101);
    assert(left().includes(`01K${"9".repeat(23)}.log`), "the newest is kept");
    assertEquals(await keepNewestRunLogs(logDir, "nojob", 1), 0);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
