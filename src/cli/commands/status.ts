/**
 * `kron status [job] [--json]`: the koku-style table of every job (NAME STATE LAST RUN EXIT
 * NEXT RUN), or one job in detail (schedule in words, description, recent runs). Reads the
 * live runtime, else the data dir.
 *
 * @example
 * ```ts
 * import { run } from "./status.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["--data-dir", "/srv/kron"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import {
  type Color,
  formatMs,
  formatTime,
  type Io,
  NONE,
  paint,
  table,
  toJson,
} from "../output.ts";
import { openSource, SERVER_FLAGS, serverTarget } from "../source.ts";
import type { JobDetailView, JobView, RunView } from "../views.ts";

/**
 * The text of `kron status --help`.
 *
 * @example
 * ```ts
 * import { help } from "./status.ts";
 * console.log(help);
 * ```
 */
export const help = `kron status [job] [--json]

Shows every job as a table (NAME STATE LAST RUN EXIT NEXT RUN), or one job in detail: its
schedule in words, description and recent runs. Reads the running kron over its socket, or
the data dir when none runs ("(offline: read from the data dir)" on stderr).

EXIT is the exit code of command jobs, or the outcome (ok, failed, timed_out …) otherwise.
STATE is one of, by precedence: orphaned, stopped, paused, down, late, running, failing,
done, idle. A job with a grace is late when an occurrence has not succeeded by its due time
+ grace, down when the next one is late too (or after down_after); offline, late and down
are worked out from the data dir and the time now.

Flags:
  --json            print JSON (a list of jobs, or one job with its recent runs)
  --data-dir <dir>  data directory
  --server <urls>   read a kron server (cluster node) over HTTP instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Examples:
  kron status
  kron status --server http://node-1:7380
  kron status backup
  kron status --json | jq '.[] | select(.state == "failing") | .name'`;

const STATE_COLORS: Record<string, Color> = {
  running: "cyan",
  failing: "yellow",
  stopped: "red",
  paused: "magenta",
  orphaned: "dim",
  done: "green",
  late: "yellow",
  down: "red",
};

/**
 * The EXIT/RESULT cell of a run: its exit code, else its outcome (`ok` for a success).
 *
 * @example
 * ```ts
 * import { exitCell } from "./status.ts";
 * exitCell(null); // "—"
 * ```
 */
export function exitCell(
  run: { outcome: string | null; exitCode: number | null } | null,
): string {
  if (!run || run.outcome === null) return NONE;
  if (run.exitCode !== null) return String(run.exitCode);
  return run.outcome === "succeeded" ? "ok" : run.outcome;
}

/**
 * The status table.
 *
 * @example
 * ```ts
 * import { statusTable } from "./status.ts";
 * statusTable([], false); // "NAME  STATE  LAST RUN  EXIT  NEXT RUN"
 * ```
 */
export function statusTable(jobs: JobView[], color: boolean): string {
  const rows = [["NAME", "STATE", "LAST RUN", "EXIT", "NEXT RUN"]];
  for (const j of jobs) {
    const last = j.lastRun;
    const exit = exitCell(last);
    rows.push([
      j.name,
      paint(j.state, STATE_COLORS[j.state] ?? "bold", color && j.state in STATE_COLORS),
      // Summaries carry when the last run finished (or null while it runs).
      formatTime(last ? (last as { startedAt?: string }).startedAt ?? last.finishedAt : null),
      paint(exit, "red", color && exit !== "0" && exit !== "ok" && exit !== NONE),
      formatTime(j.nextRunAt),
    ]);
  }
  return table(rows);
}

/**
 * Runs `kron status` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./status.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["--json"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "status");
  expectPositionals(positionals, 0, 1, "status", "[job]");
  const server = serverTarget(flags, "status");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const source = await openSource(dataDir, io, server);
  try {
    if (positionals.length === 0) {
      const jobs = await source.jobs();
      if (flags.json) io.out(toJson(jobs));
      else if (jobs.length === 0) io.out(`no jobs (data dir ${dataDir})`);
      else io.out(statusTable(jobs, io.color));
      return 0;
    }
    const job = await source.job(positionals[0]);
    const runs = await source.runs(job.name, 10);
    if (flags.json) {
      io.out(toJson({ ...job, runs }));
      return 0;
    }
    io.out(detail(job, runs, io.color));
    return 0;
  } finally {
    source.close();
  }
}

function detail(job: JobDetailView, runs: RunView[], color: boolean): string {
  const words = job.scheduleText;
  const written = Object.entries(job.schedule)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ");
  const last = job.lastRun;
  const lines: [string, string][] = [
    ["state", paint(job.state, STATE_COLORS[job.state] ?? "bold", color)],
    ["kind", job.kind],
    ["schedule", `${words} (${written})`],
  ];
  if (job.description) lines.push(["description", job.description]);
  lines.push(["next run", formatTime(job.nextRunAt)]);
  if (job.grace !== null) {
    const expected = job.expectedAt === null
      ? "nothing more expected"
      : `expected at ${formatTime(job.expectedAt)} (grace ${job.grace}${
        job.downAfter ? `, down after ${job.downAfter}` : ""
      })`;
    lines.push(["lateness", `${job.health}, ${expected}`]);
    if (job.lateSince) lines.push([`${job.health} since`, formatTime(job.lateSince)]);
    if (job.lastSuccessAt) lines.push(["last success", formatTime(job.lastSuccessAt)]);
  }
  if (job.pausedUntil) lines.push(["paused until", formatTime(job.pausedUntil)]);
  lines.push([
    "last run",
    last
      ? `${formatTime(last.startedAt)}  ${last.outcome ?? "running"}  exit ${exitCell(last)}` +
        (last.durationMs !== null ? `  in ${formatMs(last.durationMs)}` : "")
      : NONE,
  ]);
  if (job.running > 0) lines.push(["running", String(job.running)]);
  if (job.consecutiveFailures > 0) {
    lines.push(["failures", `${job.consecutiveFailures} in a row`]);
  }
  lines.push(["total runs", String(job.totalRuns)]);
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = [
    paint(job.name, "bold", color),
    ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  if (runs.length > 0) {
    out.push("", "Recent runs:", runsTable(runs, color));
  }
  return out.join("\n");
}

/**
 * A table of runs (used by `status <job>` and `history`).
 *
 * @example
 * ```ts
 * import { runsTable } from "./status.ts";
 * runsTable([], false).startsWith("RUN ID"); // true
 * ```
 */
export function runsTable(runs: RunView[], color: boolean): string {
  const rows = [[
    "RUN ID",
    "STARTED",
    "ATTEMPT",
    "TRIGGER",
    "OUTCOME",
    "EXIT",
    "DURATION",
    "ERROR",
  ]];
  for (const r of runs) {
    const outcome = r.outcome ?? "running";
    const bad = r.outcome !== null && r.outcome !== "succeeded";
    rows.push([
      r.id,
      formatTime(r.startedAt),
      String(r.attempt),
      r.trigger,
      paint(outcome, bad ? "red" : "green", color && r.outcome !== null),
      r.exitCode === null ? NONE : String(r.exitCode),
      formatMs(r.durationMs),
      r.error ?? "",
    ]);
  }
  return table(rows);
}
