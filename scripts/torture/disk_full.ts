/**
 * Disk full: the real CLI runs with its data dir on a small tmpfs (mounted here; the harness runs
 * as root), command jobs record a side effect per run outside it. The tmpfs is then filled to
 * the last byte, held full, and freed again. Checked:
 *
 * - appends fail cleanly: `/healthz` answers 503 with a reason, the log says so (one line);
 * - every side effect is recorded: its run id is in the log once it takes writes again;
 * - the log stays valid (it reopens without repair, its seqs have no gap);
 * - kron resumes when space returns: `/healthz` 200 again, every job fires again, none is left
 *   "running";
 * - the same at startup: a full disk before `kron run` is one error line and exit 1, no stack.
 *
 * @module
 */
import { AdminClient } from "../../src/api/mod.ts";
import { readDataDir } from "../../src/store/mod.ts";
import {
  type CaseContext,
  kronCli,
  KronProcess,
  logRecords,
  type Result,
  sleep,
  type TortureCase,
  until,
} from "./_common.ts";

const JOBS = 6;

async function mountTmpfs(dir: string, bytes: number): Promise<boolean> {
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output().catch(() => null);
  return out !== null && out.code === 0;
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: ["-l", dir], stdout: "null", stderr: "null" }).output()
    .catch(() => {});
}

/** Fills the filesystem of `dir` to the last byte; returns the filler's size. */
async function fill(path: string): Promise<number> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(64 * 1024);
  let size = 0;
  try {
    for (let step = chunk.length; step >= 1;) {
      try {
        size += await f.write(chunk.subarray(0, step));
      } catch {
        step = Math.floor(step / 2);
      }
    }
  } finally {
    f.close();
  }
  return size;
}

async function health(dataDir: string): Promise<{ status: string; reason?: string } | null> {
  const c = await AdminClient.connect(dataDir).catch(() => null);
  if (!c) return null;
  try {
    return await c.health() as { status: string; reason?: string };
  } catch {
    return null;
  } finally {
    c.close();
  }
}

function jobsToml(effects: string): string {
  let text = "";
  for (let i = 0; i < JOBS; i++) {
    text += `[[job]]\nname = "w${i}"\nevery = "${150 + i * 25}ms"\n` +
      `command = "echo $KRON_RUN_ID >> ${effects}"\nshell = true\n\n`;
  }
  return text;
}

/** The case. */
export const disk_full: TortureCase = {
  name: "disk_full",
  title: "data dir on a full tmpfs: clean failures, 503, no unrecorded side effect, recovery",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const rounds = ctx.quick ? 2 : 6;
    const mnt = `${ctx.tmp}/mnt`;
    if (!(await mountTmpfs(mnt, 4 << 20))) {
      result.note("cannot mount a tmpfs (not root?): disk_full skipped");
      result.figure("skipped", "no mount permission");
      return;
    }
    try {
      const effects = `${ctx.tmp}/effects.txt`;
      Deno.writeTextFileSync(effects, "");
      Deno.writeTextFileSync(`${ctx.tmp}/jobs.toml`, jobsToml(effects));
      const dataDir = `${mnt}/.kron`;
      const p = new KronProcess(["run", "jobs.toml", "--allow-run"], { cwd: ctx.tmp, dataDir });
      await p.waitFor(/ running \d+ jobs from /);
      let unhealthyMs: number[] = [];
      let recoverMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        result.count();
        await sleep(ctx.rng.int(300, 1200));
        const full = await fill(`${mnt}/filler`);
        const t0 = performance.now();
        // Health must turn 503 with a reason once an append fails.
        const h = await until(
          async () => {
            const x = await health(dataDir);
            return x && x.status !== "ok" ? x : null;
          },
          "healthz 503 while the disk is full",
          10_000,
        ).catch(() => null);
        unhealthyMs.push(performance.now() - t0);
        result.check(
          h !== null && typeof h.reason === "string" && /space|write/i.test(h.reason),
          `round ${round}: healthz while full: ${JSON.stringify(h)}`,
        );
        const startedBefore = logRecords(dataDir).filter((r) => r.type === "RUN_STARTED").length;
        await sleep(ctx.rng.int(500, 1500));
        // While full, nothing new can be recorded, so nothing new may have started.
        const startedDuring = logRecords(dataDir).filter((r) => r.type === "RUN_STARTED").length;
        result.check(
          startedDuring === startedBefore,
          `round ${round}: ${
            startedDuring - startedBefore
          } RUN_STARTED appeared while the disk was full`,
        );
        await Deno.remove(`${mnt}/filler`);
        const t1 = performance.now();
        const back = await until(
          async () => (await health(dataDir))?.status === "ok",
          "healthz ok after space returned",
          15_000,
        )
          .catch(() => false);
        recoverMs.push(performance.now() - t1);
        result.check(
          back === true,
          `round ${round}: healthz did not return to ok (filler was ${full} bytes)`,
        );
        // Every job fires again (none is stuck "running" or forgotten).
        const since = logRecords(dataDir).length;
        const fired = await until(
          () => {
            const recs = logRecords(dataDir).slice(since);
            const jobs = new Set(recs.filter((r) => r.type === "RUN_STARTED").map((r) => r.job));
            return jobs.size === JOBS ? jobs : null;
          },
          "every job firing after recovery",
          10_000,
        ).catch(() => null);
        result.check(
          fired !== null,
          () => {
            const recs = logRecords(dataDir).slice(since);
            const jobs = new Set(recs.filter((r) => r.type === "RUN_STARTED").map((r) => r.job));
            return `round ${round}: after recovery only ${[...jobs].join(",")} fired`;
          },
        );
      }
      result.check(
        /event log write failed/.test(p.stderr),
        "the log never said the event log write failed",
      );
      const status = await p.stop("SIGTERM");
      result.check(
        status.code === 0,
        `kron exited ${status.code} after SIGTERM: ${p.stderr.slice(-500)}`,
      );
      // The log: valid, contiguous, every run ended, every side effect recorded.
      result.count();
      try {
        const view = await readDataDir(dataDir);
        const open = [...view.state.jobs.values()].flatMap((j) => j.inFlight);
        result.check(open.length === 0, `${open.length} runs left in flight after a clean stop`);
      } catch (e) {
        result.fail(`the data dir does not reopen: ${e instanceof Error ? e.message : e}`);
      }
      const recs = logRecords(dataDir);
      const gaps = recs.filter((r, i) => i > 0 && r.seq !== recs[i - 1].seq + 1).length;
      result.check(gaps === 0 && recs[0]?.seq === 1, `the log has ${gaps} seq gaps`);
      const started = new Set(recs.filter((r) => r.type === "RUN_STARTED").map((r) => r.runId));
      const effectIds = Deno.readTextFileSync(effects).split("\n").filter(Boolean);
      const unrecorded = effectIds.filter((id) => !started.has(id));
      result.check(
        unrecorded.length === 0,
        `${unrecorded.length} side effects without a durable RUN_STARTED (e.g. ${unrecorded[0]})`,
      );
      result.figure("fill/free rounds", rounds);
      result.figure("runs", started.size);
      result.figure("side effects", effectIds.length);
      result.figure("503 after (ms, max)", Math.round(Math.max(...unhealthyMs)));
      result.figure("ok again after (ms, max)", Math.round(Math.max(...recoverMs)));
      unhealthyMs = [];
      recoverMs = [];

      // A full disk before the start: one error line, exit 1.
      result.count();
      await Deno.remove(dataDir, { recursive: true });
      await fill(`${mnt}/filler`);
      const r = await kronCli(
        ["run", "jobs.toml", "--allow-run"],
        { cwd: ctx.tmp, dataDir },
        30_000,
      );
      const lines = r.stderr.trim().split("\n").filter((l) => !/ INFO /.test(l));
      result.check(
        r.code === 1 && lines.length === 1 && lines[0].startsWith("error: ") &&
          !/\n\s+at /.test(r.stderr),
        `start on a full disk: exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(-600))}`,
      );
      await Deno.remove(`${mnt}/filler`);
    } finally {
      await umount(mnt);
    }
  },
};
