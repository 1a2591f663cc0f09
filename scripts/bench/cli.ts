/**
 * Start-up of a read command: `deno run <the kron task's flags> main.ts status --data-dir D`
 * against a live runtime (a daemon with 50 jobs) beside the same flags on a module containing
 * `Deno.exit(0)` (scripts/bench/_exit0.ts), both from the checkout, alternating, after one warm-up
 * each. Reports both medians and their ratio (target ≤ 1.5×, issue 15).
 *
 * Run: `deno run -A scripts/bench/cli.ts [--runs 9] [--jobs 50] [--json]` (`--json`: one JSON
 * line `{"runs","jobs","medianMs","p95Ms","minMs","maxMs","floorMs","ratio"}` for main.ts)
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const args = Deno.args;
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = opt("runs", 9);
const JOBS = opt("jobs", 50);
const TARGET_RATIO = 1.5;

const flags = kronTaskFlags();
const dir = Deno.makeTempDirSync({ prefix: "kron-bench-" });
const dataDir = `${dir}/.kron`;
let jobs = "";
for (let i = 0; i < JOBS; i++) {
  jobs += `[[job]]\nname = "job-${i}"\ncron = "${i % 60} * * * *"\ncommand = "true"\n\n`;
}
Deno.writeTextFileSync(`${dir}/jobs.toml`, jobs);

/** `deno run <kron task flags> <module> <args>` from the checkout. */
function denoRun(module: string, ...rest: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, module, ...rest],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

async function must(cmd: Deno.Command): Promise<string> {
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr) || text);
  return text;
}

async function timed(cmd: Deno.Command): Promise<[number, string]> {
  const t0 = performance.now();
  const out = await must(cmd);
  return [performance.now() - t0, out];
}

const status = () => denoRun("main.ts", "status", "--data-dir", dataDir);
const floor = () => denoRun("scripts/bench/_exit0.ts");

await must(
  denoRun(
    "main.ts",
    "daemon",
    "start",
    `${dir}/jobs.toml`,
    "--allow-run=true",
    "--data-dir",
    dataDir,
  ),
);
try {
  await must(status()); // warm-ups: module cache, page cache
  await must(floor());
  const times: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [t, out] = await timed(status());
    if (!out.includes("job-0")) throw new Error(`unexpected output:\n${out}`);
    times.push(t);
    bare.push((await timed(floor()))[0]);
  }
  times.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  const pct = (xs: number[], p: number) =>
    xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
  const median = pct(times, 0.5);
  const floorMs = pct(bare, 0.5);
  const ratio = median / floorMs;
  if (args.includes("--json")) {
    console.log(JSON.stringify({
      runs: RUNS,
      jobs: JOBS,
      medianMs: median,
      p95Ms: pct(times, 0.95),
      minMs: times[0],
      maxMs: times[times.length - 1],
      floorMs,
      ratio,
    }));
  } else {
    console.log(
      `kron status (live daemon, ${JOBS} jobs, ${RUNS} alternating runs): median ${
        median.toFixed(1)
      } ms; deno run of Deno.exit(0), same flags: ${floorMs.toFixed(1)} ms; ratio ${
        ratio.toFixed(2)
      }× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? "met" : "MISSED"})`,
    );
  }
} finally {
  await must(denoRun("main.ts", "daemon", "stop", "--data-dir", dataDir));
  Deno.removeSync(dir, { recursive: true });
}
