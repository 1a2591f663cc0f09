/**
 * Command jobs through the real CLI, beside the bare-spawn floor in the same run (issue 20).
 *
 * - floor: `jobs` processes `sh -c "echo … >> file"` spawned at once with `Deno.Command`
 *   (detached, stdout and stderr piped, each awaited to exit and EOF), in bursts; latency from
 *   the burst's start to each process's end.
 * - kron: a jobs.toml of `jobs` command jobs `sh -c "echo $KRON_RUN_ID >> w.txt"` on `every`,
 *   run by `deno run <the kron task's flags> main.ts run jobs.toml --allow-run=sh` (what
 *   `deno task kron run jobs.toml --allow-run=sh` runs). After a warm-up, a window of `seconds`
 *   is measured: occurrences due in it, run, skipped, recorded succeeded; due → recorded
 *   success (the RUN_SUCCEEDED line seen in the log by a 5 ms tail of the segment files) and the
 *   record's own time; kron's CPU (utime + stime of the process) per run.
 *
 * Run: `deno run -A scripts/bench/command.ts [--jobs 20] [--every 200ms,1s] [--seconds 15]
 * [--warmup 2] [--before DIR] [--json]` (`--json`: one JSON line, for `deno task bench`;
 * `--before DIR`: also run the kron of another checkout, e.g. an older commit's `git archive`,
 * right after this one's, for before/after figures from the same run).
 *
 * @example
 * ```ts
 * // deno run -A scripts/bench/command.ts --jobs 20 --every 200ms --seconds 5
 * ```
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";
import { measureFloor, measureKron } from "./_command.ts";

const args = Deno.args;
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const jobs = Number(opt("jobs", "20"));
const everies = opt("every", "200ms,1s").split(",");
const seconds = Number(opt("seconds", "15"));
const warmup = Number(opt("warmup", "2"));
const json = args.includes("--json");
const before = opt("before", "");
const say = (line: string) => console.error(line);

const floor = await measureFloor(jobs, json ? 30 : 20);
say(
  `floor: burst of ${jobs} sh -c: p50 ${floor.p50.toFixed(1)} ms, p99 ${
    floor.p99.toFixed(1)
  } ms, ` +
    `CPU ${floor.cpuUsPerSpawn.toFixed(0)} µs/spawn`,
);
const kron = [];
const subjects: [string, string | undefined][] = [["this", undefined]];
if (before) subjects.push(["before", before.endsWith("/") ? before : `${before}/`]);
for (const every of everies) {
  for (const [subject, root] of subjects) {
    const r = await measureKron({ jobs, every, seconds, warmup, flags: kronTaskFlags(), root });
    kron.push({ subject, ...r });
    say(
      `kron (${subject}) ${jobs} jobs every ${every}: due ${r.due}, run ${r.run}, skipped ${r.skipped}, ` +
        `succeeded ${r.succeeded}; due→recorded success p50 ${r.dueToSeen.p50.toFixed(1)} ms, ` +
        `p99 ${r.dueToSeen.p99.toFixed(1)} ms; start→success p50 ${
          r.startToSuccess.p50.toFixed(1)
        } ms; CPU ${r.cpuUsPerRun.toFixed(0)} µs/run; run logs ${r.runLogFiles}`,
    );
  }
}
const floor2 = await measureFloor(jobs, json ? 30 : 20);
say(
  `floor again: p50 ${floor2.p50.toFixed(1)} ms, p99 ${floor2.p99.toFixed(1)} ms, ` +
    `CPU ${floor2.cpuUsPerSpawn.toFixed(0)} µs/spawn`,
);
if (json) console.log(JSON.stringify({ jobs, seconds, warmup, floor: [floor, floor2], kron }));
