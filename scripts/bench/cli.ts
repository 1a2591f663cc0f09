/**
 * Wall time of `kron status` against a running daemon: `deno run <the kron task's flags>
 * main.ts status`, 20 runs after one warm-up, median and p95. Target: ≤ 100 ms.
 *
 * Run: `deno run -A scripts/bench/cli.ts [--runs 20] [--jobs 50] [--json]` (`--json`: one JSON
 * line `{"runs","jobs","medianMs","p95Ms","minMs","maxMs"}`, for the harness in main.ts)
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const args = Deno.args;
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = opt("runs", 20);
const JOBS = opt("jobs", 50);
const TARGET_MS = 100;

const flags = kronTaskFlags();
const dir = Deno.makeTempDirSync({ prefix: "kron-bench-" });
const dataDir = `${dir}/.kron`;
let jobs = "";
for (let i = 0; i < JOBS; i++) {
  jobs += `[[job]]\nname = "job-${i}"\ncron = "${i % 60} * * * *"\ncommand = "true"\n\n`;
}
Deno.writeTextFileSync(`${dir}/jobs.toml`, jobs);

function kron(...cli: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${ROOT}main.ts`, ...cli],
    cwd: dir,
    env: { NO_COLOR: "1", KRON_DATA_DIR: dataDir },
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

await must(kron("daemon", "start", "--allow-run=true"));
try {
  const times: number[] = [];
  await must(kron("status")); // warm-up: module cache
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const out = await must(kron("status"));
    times.push(performance.now() - t0);
    if (!out.includes("job-0")) throw new Error(`unexpected output:\n${out}`);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
  const median = pct(0.5);
  const p95 = pct(0.95);
  if (args.includes("--json")) {
    console.log(JSON.stringify({
      runs: RUNS,
      jobs: JOBS,
      medianMs: median,
      p95Ms: p95,
      minMs: times[0],
      maxMs: times[times.length - 1],
    }));
  } else {
    console.log(
      `kron status (live daemon, ${JOBS} jobs, ${RUNS} runs): median ${median.toFixed(1)} ms, ` +
        `p95 ${p95.toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${
          times[times.length - 1].toFixed(1)
        } ms (target ≤ ${TARGET_MS} ms: ${median <= TARGET_MS ? "met" : "MISSED"})`,
    );
  }
} finally {
  await must(kron("daemon", "stop"));
  Deno.removeSync(dir, { recursive: true });
}
