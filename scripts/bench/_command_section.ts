/**
 * Scenario 7 of `deno task bench`: command jobs through the real CLI beside the bare-spawn
 * floor, in one child process running scripts/bench/command.ts (issue 20).
 *
 * @example
 * ```ts
 * import { commandJobs } from "./_command_section.ts";
 * const { section } = await commandJobs({ quick: true, rounds: 1, seconds: 3, log: console.error });
 * ```
 * @module
 */
import type { Floor, KronResult } from "./_command.ts";
import { mdTable } from "./_report.ts";
import type { RunOptions, ScenarioResult } from "./_scenarios.ts";
import { barChart } from "./_svg.ts";
import { fmt } from "./_util.ts";

const JOBS = 20;

/** What command.ts --json prints. */
interface Output {
  jobs: number;
  seconds: number;
  warmup: number;
  floor: Floor[];
  kron: (KronResult & { subject: string })[];
}

/**
 * Runs the command scenario: 20 `sh -c "echo … >> file"` jobs every 200 ms and every 1 s
 * through `deno run <kron task flags> main.ts run jobs.toml --allow-run=sh`, a 15 s window after
 * a 2 s warm-up (3 s with `--quick`), the floor measured before and after in the same process.
 *
 * @example
 * ```ts
 * import { commandJobs } from "./_command_section.ts";
 * await commandJobs({ quick: true, rounds: 1, seconds: 3, log: console.error });
 * ```
 */
export async function commandJobs(o: RunOptions): Promise<ScenarioResult> {
  const seconds = o.quick ? 3 : 15;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./command.ts", import.meta.url).pathname,
      "--jobs",
      String(JOBS),
      "--seconds",
      String(seconds),
      "--warmup",
      "2",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  for (const line of stderr.trim().split("\n")) o.log(`  ${line}`);
  if (!out.success) throw new Error(`command.ts failed: ${stderr.slice(-400)}`);
  const r = JSON.parse(
    new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "",
  ) as Output;
  // The worse of the two floors: the machine is shared, and the floor moves with its load.
  const floorP99 = Math.max(...r.floor.map((f) => f.p99));
  const floorCpu = Math.min(...r.floor.map((f) => f.cpuUsPerSpawn));
  const rows = r.kron.map((k) => [
    `kron, every ${k.every}`,
    fmt(k.due),
    `${fmt(k.run)} (${pct(k.run, k.due)})`,
    fmt(k.skipped),
    `${fmt(k.succeeded)} (${pct(k.succeeded, k.due)})`,
    fmt(k.dueToSeen.p50, 0),
    fmt(k.dueToSeen.p99, 0),
    fmt(k.startToSuccess.p50, 0),
    fmt(k.cpuUsPerRun, 0),
    fmt(k.runLogFiles),
  ]);
  for (const [i, f] of r.floor.entries()) {
    rows.push([
      `floor ${i === 0 ? "before" : "after"}: ${r.jobs} \`sh -c\` at once`,
      "",
      "",
      "",
      "",
      fmt(f.p50, 0),
      fmt(f.p99, 0),
      "",
      fmt(f.cpuUsPerSpawn, 0),
      "",
    ]);
  }
  const fast = r.kron.find((k) => k.every === "200ms");
  const bound = Math.max(150, 3 * floorP99);
  const checks: [string, boolean][] = fast
    ? [
      [`run ${pct(fast.run, fast.due)} of due (≥ 95 %)`, fast.run >= 0.95 * fast.due],
      [`skipped ${fast.skipped} (0)`, fast.skipped === 0],
      [
        `succeeded ${pct(fast.succeeded, fast.due)} (≥ 95 %)`,
        fast.succeeded >= 0.95 * fast.due,
      ],
      [
        `due → success p99 ${fmt(fast.dueToSeen.p99, 0)} ms (≤ max(150, 3 × floor p99 ${
          fmt(floorP99, 0)
        }) = ${fmt(bound, 0)} ms)`,
        fast.dueToSeen.p99 <= bound,
      ],
    ]
    : [["no 200 ms run", false]];
  const verdict = checks.map(([text, ok]) => `${text} ${ok ? "met" : "MISSED"}`).join("; ");
  const markdown = [
    `${r.jobs} command jobs \`command = ["sh", "-c", "echo $KRON_RUN_ID >> w.txt"]\` through the ` +
    "real CLI (`deno run <the kron task's flags> main.ts run jobs.toml --allow-run=sh`, which is " +
    "what `deno task kron run jobs.toml --allow-run=sh` runs), every 200 ms (100 runs/s) and every " +
    `1 s, a ${r.seconds} s window after a ${r.warmup} s warm-up each. "Due → success" ends when ` +
    "the RUN_SUCCEEDED line is seen in the event log (a 5 ms tail of the segment files); CPU is " +
    "kron's user + system time over the window per run started in it. The floor, measured in the " +
    `same process before and after: ${r.jobs} \`sh -c "echo … >> file"\` spawned at once with ` +
    "`Deno.Command` (detached, output piped, each awaited to its exit and EOF), in bursts 200 ms " +
    "apart; its CPU is the spawning process's own per process. Debian's `cron` runs at minute " +
    "granularity only, and supercronic (second granularity) is not packaged in Debian, so no " +
    "cron-like peer runs here.",
    mdTable([
      "subject",
      "due",
      "run",
      "skipped",
      "succeeded",
      "due → success p50 ms",
      "p99 ms",
      "start → success p50 ms",
      "CPU µs/run",
      "run-log files",
    ], rows),
    `Target (20 jobs every 200 ms): ${verdict}. kron's CPU per run ÷ ` +
    `the floor's CPU per spawn: ${
      r.kron.map((k) => `${(k.cpuUsPerRun / floorCpu).toFixed(2)}× (every ${k.every})`).join(", ")
    }.`,
  ].join("\n\n");
  return {
    section: {
      id: "command",
      title: "7. Command jobs",
      markdown,
      svg: barChart({
        title: "Command jobs: due → recorded success p99 (ms)",
        unit: " ms",
        bars: [
          ...r.kron.map((k) => ({ label: `kron, every ${k.every}`, value: k.dueToSeen.p99 })),
          { label: `floor: ${r.jobs} sh -c at once (worse)`, value: floorP99 },
        ],
      }),
      data: r,
    },
    summary: {
      command_p99_ms: fast?.dueToSeen.p99 ?? NaN,
      command_floor_p99_ms: floorP99,
      command_skipped: fast?.skipped ?? NaN,
    },
  };
}

function pct(n: number, of: number): string {
  return of > 0 ? `${((100 * n) / of).toFixed(1)} %` : "–";
}
