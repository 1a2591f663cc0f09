/**
 * Lateness of the load case's job mix on a quiet runtime, on two paths side by side: `kron run
 * jobs.ts` (the CLI, function jobs in sandboxed workers) and the library (`new Kron`, the jobs'
 * functions in-process), each in a fresh process and data dir, alternated. 10,000 jobs: half
 * `every = "10s"` in groups of 80 due 10 ms apart (as interval jobs defined one after another
 * fall due: `startAt` makes it the same in every run), half `*\/15 * * * * *` (one crowd of
 * 5,000); every 30 s the groups fall due right after the crowd. No API client. Lateness is read
 * from the data dir afterwards: `RUN_STARTED` time − due time of scheduled first attempts due in
 * the measured window. Prints one line per path and round, then one summary per path:
 * `interval_groups: path=cli|library every_p50_ms=… every_p99_ms=… cron_p99_ms=…` (medians of
 * the rounds).
 *
 * Usage: `deno run -A scripts/bench/interval_groups.ts [rounds=2] [seconds=60]`; the groups'
 * size and gap from `BENCH_GROUP` (80) and `BENCH_GROUP_GAP_MS` (10): `BENCH_GROUP=125
 * BENCH_GROUP_GAP_MS=1` is the load torture's shape (5,000 jobs due over 40 ms).
 * A round of 150 s passes the log's compaction threshold (64 MiB); each round's line says whether
 * it compacted. Lateness is read from the log and, for what a compaction dropped, from the
 * snapshot's history.
 *
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";
import type { RunEntry } from "../../src/store/mod.ts";
import { loadMix } from "./_load_mix.ts";

const ROOT = new URL("../../", import.meta.url);
const GROUP = Number(Deno.env.get("BENCH_GROUP") ?? 80);
const GROUP_GAP_MS = Number(Deno.env.get("BENCH_GROUP_GAP_MS") ?? 10);

type Path = "cli" | "library";

/** The jobs: name → definition, every-10 s ones anchored from `base` in groups. */
const definitions = (base: number) => loadMix(base, GROUP, GROUP_GAP_MS);

/** The library subject (in a child process): runs until SIGTERM. */
async function subject(dataDir: string, base: number): Promise<void> {
  const { Kron } = await import("../../src/kron/mod.ts");
  const kron = new Kron({ dataDir });
  for (const [name, def] of definitions(base)) kron.schedule(name, def as never, () => {});
  await kron.start();
  console.log("ready");
  Deno.addSignalListener("SIGTERM", async () => {
    await kron.shutdown({ timeout: "10s" });
    Deno.exit(0);
  });
}

/**
 * Lateness (ms) by kind of the scheduled first attempts due in [from, to]: from the log's
 * `RUN_STARTED` records and, for those a compaction dropped, the snapshot's history.
 */
function lateness(dataDir: string, from: number, to: number): { every: number[]; cron: number[] } {
  const out = { every: [] as number[], cron: [] as number[] };
  const seen = new Set<string>();
  const add = (id: string, job: string, scheduledAt: number, startedAt: number) => {
    if (scheduledAt < from || scheduledAt > to || seen.has(id)) return;
    seen.add(id);
    out[Number(job.slice(5)) % 2 === 0 ? "every" : "cron"].push(startedAt - scheduledAt);
  };
  for (const e of Deno.readDirSync(`${dataDir}/log`)) {
    for (const line of Deno.readTextFileSync(`${dataDir}/log/${e.name}`).split("\n")) {
      if (!line.includes('"type":"RUN_STARTED"') || !line.includes('"trigger":"schedule"')) {
        continue;
      }
      const r = JSON.parse(line);
      if (r.attempt === 1) add(r.runId, r.job, Date.parse(r.scheduledAt), Date.parse(r.time));
    }
  }
  let snapshot: { history?: Record<string, RunEntry[]> } = {};
  try {
    snapshot = JSON.parse(Deno.readTextFileSync(`${dataDir}/snapshot.json`));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for (const [job, runs] of Object.entries(snapshot.history ?? {})) {
    for (const r of runs) {
      if (r.attempt === 1 && r.trigger === "schedule") add(r.id, job, r.scheduledAt, r.startedAt);
    }
  }
  return out;
}

const q = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

async function measure(path: Path, seconds: number): Promise<number[]> {
  const dir = await Deno.makeTempDir({ prefix: "kron-bench-groups-" });
  const dataDir = path === "cli" ? `${dir}/.kron` : dir;
  // The first measured crowd: the next 30 s boundary at least 20 s away (start-up included).
  const base = Math.ceil((Date.now() + 20_000) / 30_000) * 30_000;
  if (path === "cli") {
    const lines = [`// @ts-nocheck: generated`, `const run = () => {};`, `export default {`];
    for (const [name, def] of definitions(base)) {
      lines.push(`  "${name}": { ...${JSON.stringify(def)}, run },`);
    }
    lines.push(`};`);
    Deno.writeTextFileSync(`${dir}/jobs.ts`, lines.join("\n") + "\n");
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: path === "cli"
      ? ["run", ...kronTaskFlags(), new URL("main.ts", ROOT).pathname, "run", `${dir}/jobs.ts`]
      : ["run", "-A", new URL(import.meta.url).pathname, "--subject", dataDir, String(base)],
    cwd: dir,
    env: { NO_COLOR: "1", KRON_LOG_LEVEL: "warning" },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const to = base + seconds * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, to - Date.now()) + 1_000));
  child.kill("SIGTERM");
  await child.status;
  const late = lateness(dataDir, base, to);
  const compacted = (() => {
    try {
      return Deno.statSync(`${dataDir}/snapshot.json`).isFile;
    } catch {
      return false;
    }
  })();
  await Deno.remove(dir, { recursive: true });
  const figures = [q(late.every, 0.5), q(late.every, 0.99), q(late.cron, 0.99)];
  console.log(
    `${path}: every ${late.every.length} runs p50 ${figures[0]} ms p99 ${figures[1]} ms; ` +
      `cron ${late.cron.length} runs p99 ${figures[2]} ms; every max ${q(late.every, 1)} ms; ` +
      (compacted ? "compacted" : "not compacted"),
  );
  return figures;
}

if (Deno.args[0] === "--subject") {
  await subject(Deno.args[1], Number(Deno.args[2]));
} else {
  const rounds = Number(Deno.args[0] ?? 2);
  const seconds = Number(Deno.args[1] ?? 60);
  const got: Record<Path, number[][]> = { cli: [], library: [] };
  for (let round = 0; round < rounds; round++) {
    for (const path of ["cli", "library"] as Path[]) got[path].push(await measure(path, seconds));
  }
  const median = (a: number[]) => q(a, 0.5);
  for (const path of ["cli", "library"] as Path[]) {
    const col = (i: number) => median(got[path].map((f) => f[i]));
    console.log(
      `interval_groups: path=${path} every_p50_ms=${col(0)} every_p99_ms=${col(1)} ` +
        `cron_p99_ms=${col(2)}`,
    );
  }
}
