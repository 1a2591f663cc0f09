/**
 * Crash loop: the real CLI (`kron run jobs.ts`, the binary's flags) runs 100 jobs firing every
 * 100 ms, function jobs (in their sandbox workers) and command jobs, and is killed with SIGKILL
 * at random moments (during recovery too), then restarted, over and over. The harness follows
 * the live event stream (`/v1/events`, which only carries durable events) and holds kron to:
 *
 * - zero acknowledged events lost: every event seen on the stream is in the log after the kill,
 *   with the same seq, type and run;
 * - zero corrupt recoveries: every restart comes up (a torn tail is cut, never refused);
 * - every started run terminal after recovery, no run id reused (final history);
 * - no timer forgotten: every job fires after the last restart;
 * - progress (issue 20): every life that ran for a second after it came up recorded successes,
 *   so a kill → restart → kill cycle converges instead of re-running what the previous life
 *   abandoned. The successes of each life are reported, with its starts and recovery runs.
 *
 * @module
 */
import { AdminClient } from "../../src/api/mod.ts";
import { readDataDir } from "../../src/store/mod.ts";
import type { RunEntry } from "../../src/store/state.ts";
import {
  type CaseContext,
  KronProcess,
  type LogRecord,
  type Result,
  sleep,
  type TortureCase,
} from "./_common.ts";

const FUNCTION_JOBS = 80;
const COMMAND_JOBS = 20;

interface Ack {
  seq: number;
  type: string;
  runId: string | null;
}

/** A life must have run this long after it came up to be held to recording a success. */
const PROGRESS_AFTER_MS = 1000;

function jobsTs(): string {
  return `// Written by the torture harness (crash_loop).
const jobs: Record<string, unknown> = {};
for (let i = 0; i < ${FUNCTION_JOBS}; i++) {
  jobs[\`fn-\${i}\`] = {
    every: "100ms",
    historyLimit: 1000000,
    retries: i % 4 === 0 ? 1 : 0,
    retryDelay: "50ms",
    timeout: i % 10 === 0 ? "40ms" : undefined,
    overlap: i % 3 === 0 ? "allow" : "skip",
    run: async () => {
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      if (Math.random() < 0.1) throw new Error("random failure");
    },
  };
}
for (let i = 0; i < ${COMMAND_JOBS}; i++) {
  jobs[\`cmd-\${i}\`] = {
    every: "100ms",
    historyLimit: 1000000,
    command: i % 2 ? ["true"] : ["sh", "-c", "exit $((RANDOM % 4 == 0))"],
  };
}
export default jobs;
`;
}

/** What the harness knows of one life of kron. */
interface Life {
  acks: Ack[];
  /** Set once the admin API answered (kron is up). */
  up: boolean;
  /** performance.now() when the admin API first answered. */
  upAt: number;
  stop: boolean;
}

/** Follows /v1/events while the process lives; `life.acks` fills as events arrive. */
function follow(dataDir: string, life: Life): Promise<void> {
  return (async () => {
    let client: AdminClient | null = null;
    while (!life.stop && !client) {
      client = await AdminClient.connect(dataDir).catch(() => null);
      if (!client) await sleep(20);
    }
    if (!client) return;
    try {
      for await (const e of client.events()) {
        if (!life.up) life.upAt = performance.now();
        life.up = true;
        if (e.type === "gap") continue;
        const d = e.data as { runId?: string };
        life.acks.push({ seq: e.id, type: e.type, runId: d.runId ?? null });
        if (life.stop) break;
      }
    } catch {
      // The process died: the stream breaks.
    } finally {
      client.close();
    }
  })();
}

/** Log records with seq ≥ `minSeq`, read from the newest segments backwards. */
function recordsFrom(dataDir: string, minSeq: number): Map<number, LogRecord> {
  const out = new Map<number, LogRecord>();
  const names = segmentNames(dataDir).reverse();
  for (const name of names) {
    const text = Deno.readTextFileSync(`${dataDir}/log/${name}`);
    let first = Infinity;
    for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as LogRecord;
        first = Math.min(first, r.seq);
        if (r.seq >= minSeq) out.set(r.seq, r);
      } catch {
        // damaged lines are recovery's business
      }
    }
    if (first <= minSeq) break;
  }
  return out;
}

function snapshotSeq(dataDir: string): number {
  try {
    const head = Deno.readTextFileSync(`${dataDir}/snapshot.json`).slice(0, 200);
    return Number(/"seq":(\d+)/.exec(head)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function segmentNames(dataDir: string): string[] {
  try {
    return [...Deno.readDirSync(`${dataDir}/log`)].map((e) => e.name).filter((n) =>
      n.endsWith(".ndjson")
    ).sort();
  } catch {
    return []; // killed before the log existed
  }
}

function tornTail(dataDir: string): boolean {
  const names = segmentNames(dataDir);
  const last = names.at(-1);
  if (!last) return false;
  const bytes = Deno.readFileSync(`${dataDir}/log/${last}`);
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10;
}

/** The case. */
export const crash_loop: TortureCase = {
  name: "crash_loop",
  title: "kill -9 at random moments while 100 jobs fire every 100 ms, restart each time",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const kills = ctx.quick ? 8 : 200;
    const rng = ctx.rng;
    Deno.writeTextFileSync(`${ctx.tmp}/jobs.ts`, jobsTs());
    const dataDir = `${ctx.tmp}/.kron`;
    const opts = { cwd: ctx.tmp, dataDir, env: { KRON_LOG_LEVEL: "error" } };
    const args = ["run", "jobs.ts", "--allow-run"];
    const ackedStarts = new Set<string>();
    let acked = 0, lost = 0, torn = 0, duringStartup = 0, corrupt = 0;
    let startupMs: number[] = [];
    /** Per life: successes, starts and recovery starts it recorded, ms it lived after up. */
    const cycles: { ok: number; started: number; recovery: number; upMs: number }[] = [];
    let lastSeq = 0;
    for (let k = 0; k < kills; k++) {
      const t0 = performance.now();
      const p = new KronProcess(args, opts);
      const life: Life = { acks: [], up: false, upAt: 0, stop: false };
      const follower = follow(dataDir, life);
      // A random moment: one kill in five during start-up and recovery, the rest while it runs.
      const early = rng.chance(0.2);
      const delay = early ? rng.int(50, 1500) : rng.int(100, 2500);
      if (!early) {
        const deadline = Date.now() + 60_000;
        while (!life.up && !p.exited && Date.now() < deadline) await sleep(10);
        if (life.up) startupMs.push(performance.now() - t0);
      }
      await Promise.race([sleep(delay), p.done]);
      if (p.exited) {
        // It died by itself: a refused recovery, or a crash.
        corrupt++;
        result.fail(`life ${k}: kron exited by itself: ${p.stderr.slice(-800)}`);
        life.stop = true;
        await follower;
        break;
      }
      const up = life.up;
      const upMs = up ? performance.now() - life.upAt : 0;
      p.child.kill("SIGKILL");
      await p.stop("SIGKILL");
      life.stop = true;
      await follower;
      const acks = life.acks;
      // What this life recorded: the log's records after the previous life's last one.
      const mine = [...recordsFrom(dataDir, lastSeq + 1).values()];
      lastSeq = Math.max(lastSeq, ...mine.map((r) => r.seq));
      const cycle = {
        ok: mine.filter((r) => r.type === "RUN_SUCCEEDED").length,
        started: mine.filter((r) => r.type === "RUN_STARTED").length,
        recovery: mine.filter((r) => r.type === "RUN_STARTED" && r.trigger === "recovery").length,
        upMs: Math.round(upMs),
      };
      cycles.push(cycle);
      ctx.log(
        `life ${k}: up ${up ? `${cycle.upMs} ms` : "never"}, ${cycle.started} started ` +
          `(${cycle.recovery} recovery), ${cycle.ok} succeeded`,
      );
      if (upMs >= PROGRESS_AFTER_MS) {
        result.check(
          cycle.ok > 0,
          `life ${k}: no success recorded in ${cycle.upMs} ms up (${cycle.started} started, ` +
            `${cycle.recovery} of them recovery runs): the crash loop does not converge`,
        );
      }
      result.count();
      if ((k + 1) % 25 === 0) ctx.log(`${k + 1} kills, ${acked + acks.length} events acknowledged`);
      if (!up) duringStartup++;
      if (tornTail(dataDir)) torn++;
      // Every acknowledged event is in the log, as acknowledged.
      acked += acks.length;
      if (acks.length > 0) {
        const min = Math.min(...acks.map((a) => a.seq));
        const recs = recordsFrom(dataDir, min);
        const snap = snapshotSeq(dataDir);
        for (const a of acks) {
          const r = recs.get(a.seq);
          if (a.type === "RUN_STARTED" && a.runId) ackedStarts.add(a.runId);
          if (!r && a.seq <= snap) continue; // compacted into the snapshot (checked at the end)
          const same = r && r.type === a.type && (r.runId ?? null) === a.runId;
          if (!same) {
            lost++;
            result.fail(
              `life ${k}: acknowledged seq ${a.seq} ${a.type} ${a.runId ?? ""} is ${
                r ? `${r.type} ${r.runId ?? ""}` : "missing"
              } in the log`,
            );
          }
        }
      }
    }
    // The last life: recovery, every job fires again, a clean stop.
    result.count();
    const last = new KronProcess(args, opts);
    const life: Life = { acks: [], up: false, upAt: 0, stop: false };
    const follower = follow(dataDir, life);
    const deadline = Date.now() + 60_000;
    let fired = new Set<string>();
    let startedAt = 0;
    while (Date.now() < deadline && !last.exited) {
      await sleep(250);
      // Anything on the stream of this life came after its recovery.
      startedAt ||= life.acks[0]?.seq ?? 0;
      if (!startedAt) continue;
      const recs = recordsFrom(dataDir, startedAt);
      fired = new Set(
        [...recs.values()].filter((r) => r.type === "RUN_STARTED").map((r) => r.job as string),
      );
      if (fired.size === FUNCTION_JOBS + COMMAND_JOBS) break;
    }
    result.check(
      fired.size === FUNCTION_JOBS + COMMAND_JOBS,
      `after the last restart only ${fired.size} of ${FUNCTION_JOBS + COMMAND_JOBS} jobs fired${
        startedAt ? "" : " (the event stream never answered)"
      }: ${last.stderr.slice(-500)}`,
    );
    const st = await last.stop("SIGTERM", 60_000);
    life.stop = true;
    await follower;
    result.check(st.code === 0, `the last life exited ${st.code}: ${last.stderr.slice(-500)}`);
    // Final history: unique ids, every run terminal, every acknowledged start there.
    result.count();
    const view = await readDataDir(dataDir);
    const runs: RunEntry[] = [];
    for (const job of view.state.jobs.keys()) {
      runs.push(...await view.history(job, { limit: 10_000_000 }));
    }
    const ids = new Set(runs.map((r) => r.id));
    result.check(ids.size === runs.length, `${runs.length - ids.size} run ids reused`);
    const open = runs.filter((r) => r.outcome === null);
    result.check(
      open.length === 0,
      `${open.length} runs not terminal after recovery (e.g. ${open[0]?.id})`,
    );
    const missing = [...ackedStarts].filter((id) => !ids.has(id));
    result.check(missing.length === 0, `${missing.length} acknowledged runs missing from history`);
    const abandoned = runs.filter((r) => r.outcome === "abandoned").length;
    result.figure("kills", kills);
    result.figure("during startup", duringStartup);
    result.figure("acknowledged events", acked);
    result.figure("lost", lost);
    result.figure("corrupt recoveries", corrupt);
    result.figure("torn tails cut", torn);
    result.figure("runs", runs.length);
    result.figure("abandoned", abandoned);
    const held = cycles.filter((c) => c.upMs >= PROGRESS_AFTER_MS);
    result.figure("succeeded", runs.filter((r) => r.outcome === "succeeded").length);
    result.figure("recovery runs", runs.filter((r) => r.trigger === "recovery").length);
    result.figure(
      `lives up ≥ ${PROGRESS_AFTER_MS / 1000} s with a success`,
      `${held.filter((c) => c.ok > 0).length}/${held.length}`,
    );
    result.figure("successes per life", cycles.map((c) => c.ok).join(" "));
    result.figure(
      "startup p50 ms",
      Math.round(startupMs.sort((a, b) => a - b)[Math.floor(startupMs.length / 2)] ?? 0),
    );
    startupMs = [];
  },
};
