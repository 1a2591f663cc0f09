/**
 * `deno task bench [--quick] [--rounds N] [--seconds S] [--only a,b] [--out DIR]`: kron side by
 * side with the schedulers people would pick instead, on this machine, in one run.
 *
 * Scenarios (see _scenarios.ts; 7 in _command_section.ts, 8 in _sandbox_section.ts): 1 lateness,
 * 2 scale, 3 durable throughput, 4 recovery, 5 CLI, 7 command jobs, 8 TS jobs through the CLI,
 * 6 the physical floor. The full run writes docs/benchmarks.md and docs/bench/*.{svg,json};
 * `--quick` (in-process peers only, smaller sizes, ≤ 2 minutes) writes to a temp dir unless
 * `--out` is given. The last line is always the one-line summary:
 * `bench: lateness_p99_ms=… floor_p99_ms=… croner_p99_ms=… rss_per_job_bytes=… durable_runs_per_s=… restart_1m_ms=… status_ratio=… sandbox_p99_ms=… sandbox_library_p99_ms=… sandbox_rss_mb_1000=…`
 * (status_ratio: `kron status` against a live runtime ÷ `deno run` of `Deno.exit(0)`, scenario 5;
 * sandbox_*: 1,000 TS jobs due every second through `kron run jobs.ts` and, in the same run,
 * library mode with the same file, scenario 8).
 *
 * @example
 * ```ts
 * // deno task bench --quick
 * ```
 * @module
 */
import {
  cli,
  lateness,
  physicalFloor,
  recovery,
  type RunOptions,
  scale,
  type ScenarioResult,
  throughput,
} from "./_scenarios.ts";
import { machine, mdTable, type Section, writeReport } from "./_report.ts";
import { commandJobs } from "./_command_section.ts";
import { sandboxJobs } from "./_sandbox_section.ts";
import { observability } from "./observability.ts";

const args = Deno.args;
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes("--quick");
const options: RunOptions = {
  quick,
  rounds: Number(opt("rounds") ?? (quick ? 2 : 5)),
  seconds: Number(opt("seconds") ?? (quick ? 3 : 60)),
  log: (line) => console.error(line),
};
const ROOT = new URL("../../", import.meta.url).pathname;
const out = opt("out") ??
  (quick ? await Deno.makeTempDir({ prefix: "kron-bench-quick-" }) : `${ROOT}docs/bench`);
const page = quick && !opt("out") ? `${out}/benchmarks.md` : `${ROOT}docs/benchmarks.md`;

const SCENARIOS: [string, (o: RunOptions) => Promise<ScenarioResult>][] = [
  ["floor", physicalFloor],
  ["lateness", lateness],
  ["scale", scale],
  ["throughput", throughput],
  ["recovery", recovery],
  ["cli", cli],
  ["command", commandJobs],
  ["sandbox", sandboxJobs],
  ["observability", observability],
];
const only = opt("only")?.split(",");
const t0 = performance.now();
const sections: Section[] = [];
const summary: Record<string, number> = {};
for (const [id, run] of SCENARIOS) {
  if (only && !only.includes(id)) continue;
  console.error(`bench: ${id}…`);
  try {
    const r = await run(options);
    sections.push(r.section);
    Object.assign(summary, r.summary);
  } catch (e) {
    console.error(`bench: ${id} failed: ${e instanceof Error ? e.stack : e}`);
    sections.push({
      id,
      title: id,
      markdown: `Failed: ${e instanceof Error ? e.message : e}`,
      svg: null,
      data: null,
    });
  }
}
const m = await machine();
const intro = [
  "# Benchmarks",
  `kron side by side with the schedulers people would pick instead, measured by \`deno task bench${
    quick ? " --quick" : ""
  }\` (scripts/bench/main.ts) on one machine in one run. Every measurement runs in a fresh ` +
  "process; peers run one after the other, never at the same time. Regenerate this page with " +
  "`deno task bench` (about 40 minutes; it installs nothing but starts its own redis-server and " +
  "PostgreSQL in temp dirs when they are installed: `apt-get install -y redis-server postgresql`).",
  mdTable(["machine", ""], [
    ["date", m.date],
    ["CPU", `${m.cpu}, ${m.cores} cores`],
    ["memory", `${m.memoryGiB} GiB`],
    ["OS", m.os],
    ["runtime", `Deno ${m.deno} (V8 ${m.v8})`],
    ["rounds", `${options.rounds}${quick ? " (--quick)" : ""}`],
    ["duration", `${Math.round((performance.now() - t0) / 1000)} s`],
  ]),
].join("\n\n");
await writeReport(page, out, intro, sections);
// `deno task check` runs `deno fmt --check` over docs/ (SVG, JSON and markdown included).
await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", out, page], stderr: "null" })
  .output();
console.error(`bench: wrote ${page} and ${out}/`);
const v = (k: string, digits = 0) =>
  Number.isFinite(summary[k]) ? summary[k].toFixed(digits) : "NA";
console.log(
  `bench: lateness_p99_ms=${v("lateness_p99_ms", 2)} floor_p99_ms=${v("floor_p99_ms", 2)} ` +
    `croner_p99_ms=${v("croner_p99_ms", 2)} rss_per_job_bytes=${v("rss_per_job_bytes")} ` +
    `durable_runs_per_s=${v("durable_runs_per_s")} restart_1m_ms=${v("restart_1m_ms")} ` +
    `status_ratio=${v("status_ratio", 2)} sandbox_p99_ms=${v("sandbox_p99_ms", 2)} ` +
    `sandbox_library_p99_ms=${v("sandbox_library_p99_ms", 2)} ` +
    `sandbox_rss_mb_1000=${v("sandbox_rss_mb_1000")}`,
);
